"""Schema evolution: versioned migrations of field operations, forward and backward.

A ``SchemaMigration`` is a version number and a list of operations (``AddField``,
``RenameField``, ``RemoveField``, ``ChangeType``); a ``SchemaEvolution`` is the ordered list
of them. Applying it to a database upgrades (or downgrades) every record to the wanted
version and records the version on the record itself, in its metadata under
``version_key`` (default ``"schema_version"``; a record without it is at version 0).

Keeping the version per record makes evolution safe on every backend and resumable: each
record is rewritten together with its version stamp in one update, so an interrupted
``apply`` simply continues with the records still at the old version, and no operation is
ever applied twice to the same record. ``summary(db)`` reports which versions the target
holds (one version when fully applied). ``transform(to)`` gives the same upgrade as a
migration transform, to evolve records while copying them to another store.
"""

from __future__ import annotations

import copy
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..domain.errors import ConfigurationError, DataknobsError
from ..domain.records import FieldType, Record, lookup
from ..domain.schema import coerce, field_type
from ..domain.values import MISSING
from ..ports.async_database import AsyncDatabase
from ..ports.database import SyncDatabase
from ..ports.streaming import StreamConfig
from .checkpoint import MAX_LISTED_FAILURES

OnError = Literal["raise", "null", "keep"]


class EvolutionError(DataknobsError, ValueError):
    """A schema migration cannot be applied to a record (names the record, field and value),
    or the migrations themselves are inconsistent."""


def _field_type(value: FieldType | str) -> FieldType:
    try:
        return field_type(value)
    except ConfigurationError as err:
        raise EvolutionError(str(err)) from None


# -- operations -----------------------------------------------------------------------------
class Operation(ABC):
    """One change to a record's fields, with its inverse."""

    @abstractmethod
    def forward(self, record: Record) -> None:
        """Apply the change to the record (in place)."""

    @abstractmethod
    def backward(self, record: Record) -> None:
        """Undo the change (in place)."""

    def describe(self) -> str:
        """One line for people."""
        return repr(self)


def _pop(record: Record, path: str) -> Any:
    value = lookup(record.data, path)
    if value is MISSING:
        return MISSING
    if "." not in path:
        record.remove_field(path)
        return value
    *parents, leaf = path.split(".")
    current: Any = record.data
    for segment in parents:
        current = current[segment]
    current.pop(leaf, None)
    return value


@dataclass
class AddField(Operation):
    """Add ``name`` with ``default`` where it is missing; backward removes it."""

    name: str
    default: Any = None

    def forward(self, record: Record) -> None:
        """Add the field unless present."""
        if lookup(record.data, self.name) is MISSING:
            record.set_value(self.name, copy.deepcopy(self.default))

    def backward(self, record: Record) -> None:
        """Remove the field."""
        _pop(record, self.name)


@dataclass
class RenameField(Operation):
    """Rename ``old`` to ``new`` (dotted paths allowed); backward renames it back. A record
    that already has the destination field raises ``EvolutionError`` (no value is lost)."""

    old: str
    new: str

    def _move(self, record: Record, src: str, dst: str) -> None:
        if lookup(record.data, src) is MISSING:
            return
        if lookup(record.data, dst) is not MISSING:
            raise EvolutionError(
                f"record {record.id!r}: cannot rename {src!r} to {dst!r}: {dst!r} exists")
        record.set_value(dst, _pop(record, src))

    def forward(self, record: Record) -> None:
        """old -> new."""
        self._move(record, self.old, self.new)

    def backward(self, record: Record) -> None:
        """new -> old."""
        self._move(record, self.new, self.old)


@dataclass
class RemoveField(Operation):
    """Remove ``name``; backward adds it back with ``default`` (the removed values are not
    kept -- copy the store first, or migrate into a new one, if you may need them)."""

    name: str
    default: Any = None

    def forward(self, record: Record) -> None:
        """Remove the field."""
        _pop(record, self.name)

    def backward(self, record: Record) -> None:
        """Re-add the field with the default."""
        if lookup(record.data, self.name) is MISSING:
            record.set_value(self.name, copy.deepcopy(self.default))


@dataclass
class ChangeType(Operation):
    """Convert ``name`` to ``to`` with ``coerce`` (or a custom ``convert``); backward converts
    to ``from_`` (or with ``convert_back``). ``on_error``: ``"raise"`` (an ``EvolutionError``
    naming the record, field and value), ``"null"`` (store null) or ``"keep"`` (leave the
    value unchanged)."""

    name: str
    to: FieldType | str
    from_: FieldType | str = FieldType.ANY
    convert: Callable[[Any], Any] | None = None
    convert_back: Callable[[Any], Any] | None = None
    on_error: OnError = "raise"

    def __post_init__(self) -> None:
        self.to = _field_type(self.to)
        self.from_ = _field_type(self.from_)
        if self.on_error not in ("raise", "null", "keep"):
            raise EvolutionError(f"on_error must be raise, null or keep, got {self.on_error!r}")

    def _convert(self, record: Record, to: FieldType, fn: Callable[[Any], Any] | None
                 ) -> None:
        value = lookup(record.data, self.name)
        if value is MISSING or value is None:
            return
        try:
            new = fn(value) if fn is not None else coerce(value, to)
        except (ValueError, TypeError, OverflowError) as err:
            if self.on_error == "null":
                new = None
            elif self.on_error == "keep":
                return
            else:
                raise EvolutionError(
                    f"record {record.id!r}: field {self.name!r} value {value!r} cannot become "
                    f"{to.value}: {err}") from err
        record.set_value(self.name, new)

    def forward(self, record: Record) -> None:
        """Convert to ``to``."""
        assert isinstance(self.to, FieldType)
        self._convert(record, self.to, self.convert)

    def backward(self, record: Record) -> None:
        """Convert to ``from_``."""
        assert isinstance(self.from_, FieldType)
        self._convert(record, self.from_, self.convert_back)


# -- versions -------------------------------------------------------------------------------
@dataclass
class SchemaMigration:
    """Version ``version`` of a schema: the operations that lead to it from the one before."""

    version: int
    operations: Sequence[Operation]
    description: str = ""


@dataclass
class VersionSummary:
    """How many records of a store are at each schema version."""

    counts: dict[int, int] = field(default_factory=dict)

    @property
    def version(self) -> int | None:
        """The store's version when every record is at the same one (0 when empty)."""
        if not self.counts:
            return 0
        return next(iter(self.counts)) if len(self.counts) == 1 else None

    @property
    def mixed(self) -> bool:
        """Records are at different versions (an interrupted or partial apply)."""
        return len(self.counts) > 1


@dataclass
class EvolutionResult:
    """What ``apply`` did."""

    to_version: int
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    from_versions: dict[int, int] = field(default_factory=dict)
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        """Every record is now at ``to_version``."""
        return self.failed == 0


class SchemaEvolution:
    """An ordered list of schema migrations (versions 1, 2, ... need not be contiguous).

    ``version_key``: the metadata key that holds each record's version."""

    def __init__(self, migrations: Iterable[SchemaMigration], *,
                 version_key: str = "schema_version") -> None:
        self.migrations = sorted(migrations, key=lambda m: m.version)
        versions = [m.version for m in self.migrations]
        if len(set(versions)) != len(versions):
            raise EvolutionError(f"schema versions must be unique, got {versions}")
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in versions):
            raise EvolutionError(f"schema versions must be integers >= 1, got {versions}")
        self.version_key = version_key

    @property
    def latest(self) -> int:
        """The highest version (0 without migrations)."""
        return self.migrations[-1].version if self.migrations else 0

    def _check_target(self, to: int | None) -> int:
        target = self.latest if to is None else to
        if target != 0 and target not in {m.version for m in self.migrations}:
            raise EvolutionError(
                f"unknown schema version {target} (known: 0, "
                f"{', '.join(str(m.version) for m in self.migrations)})")
        return target

    def version_of(self, record: Record) -> int:
        """The record's schema version (0 when it has none)."""
        value = record.metadata.get(self.version_key, 0)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise EvolutionError(
                f"record {record.id!r}: metadata {self.version_key!r} is {value!r}, "
                "not a version")
        try:
            return int(value)
        except ValueError:
            raise EvolutionError(
                f"record {record.id!r}: metadata {self.version_key!r} is {value!r}, "
                "not a version") from None

    def evolve(self, record: Record, to: int | None = None) -> Record:
        """The record at version ``to`` (default: latest), forward or backward; the record
        is changed in place and returned, with its version in its metadata."""
        target = self._check_target(to)
        current = self.version_of(record)
        if current < target:
            for m in self.migrations:
                if current < m.version <= target:
                    for op in m.operations:
                        op.forward(record)
        elif current > target:
            for m in reversed(self.migrations):
                if target < m.version <= current:
                    for op in reversed(m.operations):
                        op.backward(record)
        if target == 0:
            record.metadata.pop(self.version_key, None)
        else:
            record.metadata[self.version_key] = target
        return record

    def transform(self, to: int | None = None) -> Callable[[Record], Record]:
        """A migration transform that evolves each record to version ``to``."""
        target = self._check_target(to)

        def evolve_to(record: Record) -> Record:
            return self.evolve(record, target)

        evolve_to.__qualname__ = f"SchemaEvolution.transform(to={target})"
        return evolve_to

    # -- whole stores ---------------------------------------------------------------------
    def _plan(self, batch: list[Record], target: int, result: EvolutionResult,
              on_error: Literal["raise", "skip"]) -> list[tuple[str, Record]]:
        updates: list[tuple[str, Record]] = []
        for rec in batch:
            current = self.version_of(rec)
            result.from_versions[current] = result.from_versions.get(current, 0) + 1
            if current == target and (target != 0 or self.version_key not in rec.metadata):
                result.unchanged += 1
                continue
            try:
                updates.append((rec.id or "", self.evolve(rec, target)))
            except EvolutionError as err:
                if on_error == "raise":
                    raise
                result.failed += 1
                if len(result.failures) < MAX_LISTED_FAILURES:
                    result.failures.append((rec.id or "", str(err)))
        return updates

    def apply(self, db: SyncDatabase, to: int | None = None, *, batch_size: int = 1000,
              on_error: Literal["raise", "skip"] = "raise",
              progress: Callable[[EvolutionResult], None] | None = None) -> EvolutionResult:
        """Bring every record of ``db`` to version ``to`` (default: latest), streaming it in
        batches and updating the records that change. ``on_error="skip"`` reports records an
        operation refuses instead of raising; they stay at their version."""
        target = self._check_target(to)
        result = EvolutionResult(target)
        started = time.perf_counter()
        batch: list[Record] = []
        for rec in db.stream_read(None, StreamConfig(batch_size=batch_size)):
            batch.append(rec)
            if len(batch) >= batch_size:
                self._write(db, self._plan(batch, target, result, on_error), result, progress)
                batch = []
        if batch:
            self._write(db, self._plan(batch, target, result, on_error), result, progress)
        result.duration = time.perf_counter() - started
        return result

    @staticmethod
    def _write(db: SyncDatabase, updates: list[tuple[str, Record]], result: EvolutionResult,
               progress: Callable[[EvolutionResult], None] | None) -> None:
        if updates:
            db.update_batch(updates)
            result.updated += len(updates)
        if progress is not None:
            progress(result)

    def summary(self, db: SyncDatabase, *, batch_size: int = 1000) -> VersionSummary:
        """How many records of ``db`` are at each version (reads every record)."""
        out = VersionSummary()
        for rec in db.stream_read(None, StreamConfig(batch_size=batch_size)):
            v = self.version_of(rec)
            out.counts[v] = out.counts.get(v, 0) + 1
        out.counts = dict(sorted(out.counts.items()))
        return out

    async def apply_async(self, db: AsyncDatabase, to: int | None = None, *,
                          batch_size: int = 1000,
                          on_error: Literal["raise", "skip"] = "raise",
                          progress: Callable[[EvolutionResult], None] | None = None
                          ) -> EvolutionResult:
        """``apply`` on an ``AsyncDatabase``."""
        target = self._check_target(to)
        result = EvolutionResult(target)
        started = time.perf_counter()
        batch: list[Record] = []

        async def write(updates: list[tuple[str, Record]]) -> None:
            if updates:
                await db.update_batch(updates)
                result.updated += len(updates)
            if progress is not None:
                progress(result)

        async for rec in db.stream_read(None, StreamConfig(batch_size=batch_size)):
            batch.append(rec)
            if len(batch) >= batch_size:
                await write(self._plan(batch, target, result, on_error))
                batch = []
        if batch:
            await write(self._plan(batch, target, result, on_error))
        result.duration = time.perf_counter() - started
        return result

    async def summary_async(self, db: AsyncDatabase, *, batch_size: int = 1000
                            ) -> VersionSummary:
        """``summary`` on an ``AsyncDatabase``."""
        out = VersionSummary()
        async for rec in db.stream_read(None, StreamConfig(batch_size=batch_size)):
            v = self.version_of(rec)
            out.counts[v] = out.counts.get(v, 0) + 1
        out.counts = dict(sorted(out.counts.items()))
        return out


__all__ = ["AddField", "ChangeType", "EvolutionError", "EvolutionResult", "Operation",
           "RemoveField", "RenameField", "SchemaEvolution", "SchemaMigration",
           "VersionSummary", "coerce"]
