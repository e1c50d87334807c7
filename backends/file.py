"""dataknobs-data 0.11's ``dataknobs_data.backends.file``: the file adapter under 0.11's class
names, built from a positional configuration dict (``SyncFileDatabase({"path":
"people.json"})``).

As in 0.11, a store given no ``path`` lives in a new file in the system's temporary
directory, and ``close()`` removes that file with its operation log and lock file. No file
is created before the first read or write (the constructor does no I/O)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from typing import Any

from ..adapters.file import AsyncFileDatabase as _AsyncFile
from ..adapters.file import FileDatabase
from ..adapters.file.durability import remove_stale_temp_files
from ..adapters.file.formats import FileLayout
from ._compat import CompatConstructor


class _TemporaryStore(CompatConstructor):
    """0.11's default path, a temporary file, and its removal on close."""

    _is_temporary = False

    def _defaults(self, options: dict[str, Any]) -> dict[str, Any]:
        if options.get("path") is not None:
            return options
        self._is_temporary = True
        name = f"dataknobs-{uuid.uuid4().hex}.json"
        return {**options, "path": os.path.join(tempfile.gettempdir(), name)}

    def _remove_temporary(self) -> None:
        if not self._is_temporary:
            return
        self._is_temporary = False
        adapter: Any = getattr(self, "sync", self)  # the async class wraps a sync adapter
        layout: FileLayout = adapter.layout
        remove_stale_temp_files(layout.path)
        for path in (layout.path, layout.log_path, layout.lock_path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


class SyncFileDatabase(_TemporaryStore, FileDatabase):
    """``FileDatabase`` with 0.11's constructor; no ``path``: a temporary store."""

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._remove_temporary()


class AsyncFileDatabase(_TemporaryStore, _AsyncFile):
    """``adapters.file.AsyncFileDatabase`` with 0.11's constructor; no ``path``: a temporary
    store."""

    async def _close(self) -> None:
        try:
            await super()._close()
        finally:
            self._remove_temporary()


__all__ = ["AsyncFileDatabase", "SyncFileDatabase"]
