"""dataknobs-data 0.11's ``dataknobs_data.backends.sqlite`` (and ``.sqlite_async``): the SQLite
adapter under 0.11's class names with its positional configuration dict
(``SyncSQLiteDatabase({"path": "app.db"})``); as in 0.11, no ``path`` means ``":memory:"``."""

from __future__ import annotations

from typing import Any

from ..adapters.sqlite import AsyncSQLiteDatabase as _AsyncSQLite
from ..adapters.sqlite import SQLiteDatabase
from ._compat import CompatConstructor


class _InMemoryByDefault(CompatConstructor):
    def _defaults(self, options: dict[str, Any]) -> dict[str, Any]:
        return options if options.get("path") is not None else {**options, "path": ":memory:"}


class SyncSQLiteDatabase(_InMemoryByDefault, SQLiteDatabase):
    """``SQLiteDatabase`` with 0.11's constructor."""


class AsyncSQLiteDatabase(_InMemoryByDefault, _AsyncSQLite):
    """``adapters.sqlite.AsyncSQLiteDatabase`` with 0.11's constructor."""


__all__ = ["AsyncSQLiteDatabase", "SyncSQLiteDatabase"]
