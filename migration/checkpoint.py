"""Checkpoints that make a migration resumable without duplicates or gaps.

A migration reads its source in the stable id order of ``stream_read`` (no sort keys), so
"how far it got" is two numbers: ``position`` (how many source records were consumed) and
``last_id`` (the id of the last one). A checkpoint is saved only after a batch has been
written to the target, so the target always holds everything before it; the batch after it
may be partly written when the process died, and is therefore re-written with upserts on
resume (idempotent: no duplicates). On resume the migrator asks the source for the records
from offset ``position - 1`` and checks that the first is ``last_id``: in an id-ordered
stream that proves the rest are exactly the records after it (no gaps), even on a source
that changed before the checkpoint. Otherwise it rescans and skips ids up to ``last_id``.

Checkpoints live in a sidecar JSON file per migration id (``FileCheckpointStore``, written
atomically) or in memory (``MemoryCheckpointStore``, for one process).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..domain.errors import StorageError

#: how many failures a checkpoint lists (the counts are always exact)
MAX_LISTED_FAILURES = 1000


@dataclass
class Checkpoint:
    """How far migration ``migration_id`` got (everything before ``position`` is written)."""

    migration_id: str
    fingerprint: str = ""
    position: int = 0
    last_id: str | None = None
    read: int = 0
    written: int = 0
    dropped: int = 0
    failed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    completed: bool = False
    #: what the caller asked to remember about the run (the CLI keeps its flags here, so
    #: ``--resume`` or ``--dry-run`` alone continue it); JSON values only
    options: dict[str, Any] = field(default_factory=dict)

    def add_failure(self, failure: dict[str, Any]) -> None:
        """Count a failure and list it (up to ``MAX_LISTED_FAILURES``)."""
        self.failed += 1
        if len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append(failure)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        """The inverse of ``to_dict`` (unknown keys are ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class CheckpointStore(Protocol):
    """Where checkpoints are kept."""

    def load(self, migration_id: str) -> Checkpoint | None:
        """The saved checkpoint of this migration, or None."""

    def save(self, checkpoint: Checkpoint) -> None:
        """Save (replace) the checkpoint durably."""

    def clear(self, migration_id: str) -> None:
        """Forget the checkpoint of this migration."""


class MemoryCheckpointStore:
    """Checkpoints in a dict (one process; survives an exception, not a crash)."""

    def __init__(self) -> None:
        self._saved: dict[str, dict[str, Any]] = {}

    def load(self, migration_id: str) -> Checkpoint | None:
        """The saved checkpoint, or None."""
        data = self._saved.get(migration_id)
        return Checkpoint.from_dict(json.loads(json.dumps(data))) if data else None

    def save(self, checkpoint: Checkpoint) -> None:
        """Keep a copy of the checkpoint."""
        self._saved[checkpoint.migration_id] = checkpoint.to_dict()

    def clear(self, migration_id: str) -> None:
        """Forget it."""
        self._saved.pop(migration_id, None)

    def __repr__(self) -> str:
        return f"MemoryCheckpointStore({sorted(self._saved)})"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FileCheckpointStore:
    """One JSON file per migration in ``directory``: ``<migration_id>.checkpoint.json``.

    Each save writes a temporary file, fsyncs it and renames it over the old one, so a crash
    leaves either the previous or the new checkpoint, never a torn one."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def path_for(self, migration_id: str) -> Path:
        """The sidecar file of a migration."""
        return self.directory / f"{_UNSAFE.sub('_', migration_id)}.checkpoint.json"

    def load(self, migration_id: str) -> Checkpoint | None:
        """The saved checkpoint, or None."""
        path = self.path_for(migration_id)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StorageError(f"cannot read checkpoint {path.name!r}: {err.strerror}") from err
        try:
            return Checkpoint.from_dict(json.loads(text))
        except (ValueError, TypeError) as err:
            raise StorageError(f"checkpoint {path.name!r} is corrupt: {err}") from err

    def save(self, checkpoint: Checkpoint) -> None:
        """Write the checkpoint atomically."""
        path = self.path_for(checkpoint.migration_id)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(checkpoint.to_dict(), fh, ensure_ascii=False)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as err:
            raise StorageError(f"cannot write checkpoint {path.name!r}: {err.strerror}") from err

    def clear(self, migration_id: str) -> None:
        """Delete the sidecar file (if any)."""
        with contextlib.suppress(OSError):
            self.path_for(migration_id).unlink()

    def __repr__(self) -> str:
        return f"FileCheckpointStore({str(self.directory)!r})"


__all__ = ["MAX_LISTED_FAILURES", "Checkpoint", "CheckpointStore", "FileCheckpointStore",
           "MemoryCheckpointStore"]
