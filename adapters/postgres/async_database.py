"""The asynchronous PostgreSQL adapter: psycopg 3's native async API.

Why psycopg 3 and not asyncpg: it speaks the same ``%s`` parameter style as psycopg2, so
both adapters send the very same SQL from ``statements`` and ``translator``; it has ``COPY``
from an async writer, server-side cursors and the SQLSTATE-typed errors that ``errors``
translates for both drivers; and it is one driver family with psycopg2 (libpq underneath,
the same connection parameters and the same behaviour on a lost connection). What the
adapter does is ``core.PostgresCore``'s, shared with ``PostgresDatabase``; this module runs it
on the event loop without threads (``capabilities.native_async``). See
docs/backends/postgres.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

from ...domain.errors import BackendNotAvailableError
from ...domain.records import Record
from ...ports.async_database import AsyncDatabase
from ...ports.capabilities import Capabilities
from ...ports.flows import arun_flow, astream_flow
from .core import CAPABILITIES, PostgresCore
from .pool import AsyncConnectionPool
from .serializer import copy_lines, row_values
from .statements import COPY_CHUNK, PAGE_SIZE, chunks, multi_row

INSTALL_HINT = ("the async postgres backend needs psycopg 3: "
                "pip install 'dataknobs-data[postgres]'")

__all__ = ["INSTALL_HINT", "AsyncPostgresDatabase"]


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as err:  # pragma: no cover - the extra is installed in development
        raise BackendNotAvailableError(INSTALL_HINT) from err
    return psycopg


class AsyncPostgresDatabase(PostgresCore, AsyncDatabase):
    """``PostgresDatabase``'s contract and options, every operation a coroutine."""

    capabilities = Capabilities(**{**CAPABILITIES.__dict__, "native_async": True})
    _pool_class = AsyncConnectionPool

    _run_flow = staticmethod(arun_flow)
    _run_stream = staticmethod(astream_flow)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncPostgresDatabase]:
        """Operations in the block (in this task and tasks it starts) form one transaction:
        committed when the block ends, rolled back if it raises. Nested blocks are
        savepoints."""
        flow = astream_flow(self, self._transaction_flow())
        try:
            db = await anext(flow)
            try:
                yield db
            except BaseException as err:
                await flow.athrow(err)
                raise
            await anext(flow, None)
        finally:
            await flow.aclose()

    # -- psycopg 3 -----------------------------------------------------------------------------
    async def _new_connection(self) -> Any:
        psycopg = _psycopg()
        try:
            return await psycopg.AsyncConnection.connect(
                **self.options.connection.connect_kwargs(), autocommit=True)
        except psycopg.Error as err:
            raise self._translate(err, "connect") from None

    @staticmethod
    async def _cursor(conn: Any) -> Any:
        return conn.cursor()

    @staticmethod
    async def _copy(cur: Any, sql: str, records: Sequence[Record]) -> None:
        # encoded a chunk at a time while the server parses the previous one
        async with cur.copy(sql) as copy:
            for chunk in chunks(records, COPY_CHUNK):
                await copy.write(copy_lines(row_values(rec) for rec in chunk).encode("utf-8"))

    async def _execute_rows(self, cur: Any, sql: str, rows: list[Any], fetch: bool) -> Any:
        returned: list[Any] = []
        for part in chunks(rows, PAGE_SIZE):
            await cur.execute(multi_row(sql, self.statements.row_template, len(part)),
                              [value for row in part for value in row])
            if fetch:
                returned += await cur.fetchall()
        return returned
