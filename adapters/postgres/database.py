"""The synchronous PostgreSQL adapter (psycopg2).

Records live in one table (``id``, ``data`` jsonb, ``metadata`` jsonb, ``version``,
``created_at``, ``updated_at``), created on first use with the indexes the configuration
declares. Queries are translated to SQL by ``translator`` (nothing is filtered in Python);
records are encoded by ``serializer``; the statements are ``statements``'. What the adapter
does is ``core.PostgresCore``'s, shared with ``AsyncPostgresDatabase``; this module runs it
with psycopg2: batches go through ``execute_values`` or, from ``copy_threshold`` records on,
``COPY``, inside one transaction. See docs/backends/postgres.md.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from typing import Any

from ...domain.errors import BackendNotAvailableError
from ...domain.records import Record
from ...ports.database import SyncDatabase
from ...ports.flows import run_flow, stream_flow
from .core import CAPABILITIES, PostgresCore
from .pool import ConnectionPool
from .serializer import copy_lines, row_values
from .statements import COPY_CHUNK, PAGE_SIZE

INSTALL_HINT = "the postgres backend needs psycopg2: pip install 'dataknobs-data[postgres]'"

__all__ = ["CAPABILITIES", "INSTALL_HINT", "PostgresDatabase"]


def _psycopg2() -> Any:
    try:
        import psycopg2
        import psycopg2.extras
    except ImportError as err:  # pragma: no cover - the extra is installed in development
        raise BackendNotAvailableError(INSTALL_HINT) from err
    return psycopg2


class _CopyStream(io.RawIOBase):
    """A file-like object producing COPY text for records, encoded a chunk at a time while
    the server parses the previous one (``serializer`` errors stop the COPY)."""

    def __init__(self, records: Sequence[Record]) -> None:
        super().__init__()
        self._records = records
        self._next = 0
        # the current chunk's bytes and how far the driver has read them: a read hands out a
        # slice without copying the rest of the chunk each time
        self._buffer = b""
        self._pos = 0
        self.error: BaseException | None = None  # the driver reports only that read() failed

    def readable(self) -> bool:
        return True

    def _encode_next(self) -> bytes:
        chunk = self._records[self._next : self._next + COPY_CHUNK]
        self._next += len(chunk)
        try:
            return copy_lines(row_values(rec) for rec in chunk).encode("utf-8")
        except BaseException as err:
            self.error = err
            raise

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            parts = [self._buffer[self._pos :]]
            while self._next < len(self._records):
                parts.append(self._encode_next())
            self._buffer, self._pos = b"", 0
            return b"".join(parts)
        while self._pos >= len(self._buffer):
            if self._next >= len(self._records):
                return b""
            self._buffer, self._pos = self._encode_next(), 0
        out = self._buffer[self._pos : self._pos + size]
        self._pos += len(out)
        return out


class PostgresDatabase(PostgresCore, SyncDatabase):
    __doc__ = PostgresCore.__doc__
    capabilities = CAPABILITIES
    _pool_class = ConnectionPool

    _run_flow = staticmethod(run_flow)
    _run_stream = staticmethod(stream_flow)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PostgresDatabase]:
        """Operations in the block (on this thread) form one transaction: committed when
        the block ends, rolled back if it raises. Nested blocks are savepoints."""
        yield from stream_flow(self, self._transaction_flow())

    # -- psycopg2 ------------------------------------------------------------------------------
    def _new_connection(self) -> Any:
        psycopg2 = _psycopg2()
        try:
            conn = psycopg2.connect(**self.options.connection.connect_kwargs())
        except psycopg2.Error as err:
            raise self._translate(err, "connect") from None
        conn.autocommit = True
        return conn

    @staticmethod
    def _cursor(conn: Any) -> Any:
        return conn.cursor()

    @staticmethod
    def _copy(cur: Any, sql: str, records: Sequence[Record]) -> None:
        stream = _CopyStream(records)
        try:
            cur.copy_expert(sql, stream, size=1 << 16)
        except Exception:
            if stream.error is not None:
                raise stream.error from None
            raise

    def _execute_rows(self, cur: Any, sql: str, rows: list[Any], fetch: bool) -> Any:
        return _psycopg2().extras.execute_values(
            cur, sql, rows, template=self.statements.row_template, page_size=PAGE_SIZE,
            fetch=fetch)
