"""The write hooks the SQL adapters over a (id, version, data, metadata) table share.

``SQLiteDatabase`` and ``DuckDBDatabase`` differ in how they open a write transaction, read a
row's version and put a row; what an update, an upsert and their batches do with those three
steps is the same, and lives here once.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ..domain.records import Record
from ..ports.database import check_version


class VersionedRowWrites:
    """``_update``, ``_upsert``, ``_update_batch`` and ``_upsert_batch`` over the adapter's
    ``_writing(action)`` (a write transaction yielding a connection), ``_version_of(conn, id)``
    (None when absent) and ``_put(conn, id, record)`` (insert or replace)."""

    def _writing(self, action: str) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def _version_of(self, conn: Any, record_id: str) -> str | None:
        raise NotImplementedError

    def _put(self, conn: Any, record_id: str, record: Record) -> None:
        raise NotImplementedError

    def _update(self, record_id: str, record: Record, expected_version: str | None) -> bool:
        with self._writing("update") as conn:
            current = self._version_of(conn, record_id)
            check_version(record_id, expected_version, current)
            if current is None:
                return False
            self._put(conn, record_id, record)
            return True

    def _upsert(self, record_id: str, record: Record, expected_version: str | None) -> None:
        with self._writing("upsert") as conn:
            if expected_version is not None:
                check_version(record_id, expected_version, self._version_of(conn, record_id))
            self._put(conn, record_id, record)

    def _update_batch(self, updates: list[tuple[str, Record]]) -> list[bool]:
        with self._writing("update a batch") as conn:
            found = []
            for rid, rec in updates:
                ok = self._version_of(conn, rid) is not None
                if ok:
                    self._put(conn, rid, rec)
                found.append(ok)
            return found

    def _upsert_batch(self, records: list[Record]) -> None:
        with self._writing("upsert a batch") as conn:
            for rec in records:
                self._put(conn, rec.id or "", rec)
