"""The asynchronous PostgreSQL adapter: psycopg 3's native async API.

Why psycopg 3 and not asyncpg: it speaks the same ``%s`` parameter style as psycopg2, so
both adapters send the very same SQL from ``statements`` and ``translator``; it has ``COPY``
from an async writer, server-side cursors and the SQLSTATE-typed errors that ``errors``
translates for both drivers; and it is one driver family with psycopg2 (libpq underneath,
the same connection parameters and the same behaviour on a lost connection). It runs on the
event loop without threads (``capabilities.native_async``). See docs/backends/postgres.md.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from ...domain.errors import (
    BackendNotAvailableError,
    DataknobsError,
    InvalidRecordIdError,
    RecordExistsError,
    SerializationError,
    StorageError,
)
from ...domain.query import Query
from ...domain.records import Record
from ...domain.schema import Schema
from ...ports.async_database import AsyncDatabase
from ...ports.capabilities import Capabilities
from ...ports.streaming import StreamConfig
from .database import CAPABILITIES
from .errors import UNDEFINED_TABLE, UNIQUE_VIOLATION, is_connection_error, sqlstate, translate
from .pool import AsyncConnectionPool
from .serializer import copy_lines, row_values, storable_id, to_record
from .settings import PostgresOptions
from .statements import (
    COPY_CHUNK,
    ID_CHUNK,
    PAGE_SIZE,
    Statements,
    chunks,
    create_rows,
    deleted_flags,
    last_rows,
    multi_row,
    taken_failures,
    unique_in_order,
)

T = TypeVar("T")
INSTALL_HINT = ("the async postgres backend needs psycopg 3: "
                "pip install 'dataknobs-data[postgres]'")
STATUS_IDLE = 0
_names = itertools.count(1)
Work = Callable[[Any], Awaitable[T]]


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as err:  # pragma: no cover - the extra is installed in development
        raise BackendNotAvailableError(INSTALL_HINT) from err
    return psycopg


class AsyncPostgresDatabase(AsyncDatabase):
    """``PostgresDatabase``'s contract and options, every operation a coroutine."""

    backend_name = "postgres"
    capabilities = Capabilities(**{**CAPABILITIES.__dict__, "native_async": True})

    def __init__(
        self,
        *,
        dsn: str | None = None,
        host: str | None = None,
        port: int | str | None = None,
        database: str | None = None,
        user: str | None = None,
        password: str | None = None,
        table: str = "records",
        table_schema: str = "public",
        indexes: Sequence[Any] | str | None = None,
        create_table: bool = True,
        pool_min_size: int = 1,
        pool_max_size: int = 10,
        pool_timeout: float = 30.0,
        connect_timeout: float | None = None,
        application_name: str | None = None,
        copy_threshold: int = 2000,
        schema: Schema | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(schema=schema)
        self.options = PostgresOptions.build(
            dsn=dsn, host=host, port=port, database=database, user=user, password=password,
            table=table, table_schema=table_schema, indexes=indexes, create_table=create_table,
            pool_min_size=pool_min_size, pool_max_size=pool_max_size, pool_timeout=pool_timeout,
            connect_timeout=connect_timeout, application_name=application_name,
            copy_threshold=copy_threshold)
        self.statements = Statements(self.options.table_schema, self.options.table,
                                     self.options.indexes)
        self._pool: AsyncConnectionPool | None = None
        self._ready = False
        self._tx: contextvars.ContextVar[Any] = contextvars.ContextVar(
            f"dk_pg_tx_{id(self)}", default=None)

    @property
    def _table_name(self) -> str:
        return f"{self.options.table_schema}.{self.options.table}"

    def _translate(self, err: BaseException, action: str) -> DataknobsError:
        return translate(err, self.options.connection, self._table_name, action)

    # -- connections -----------------------------------------------------------------------
    async def _new_connection(self) -> Any:
        psycopg = _psycopg()
        try:
            return await psycopg.AsyncConnection.connect(
                **self.options.connection.connect_kwargs(), autocommit=True)
        except psycopg.Error as err:
            raise self._translate(err, "connect") from None

    @property
    def pool(self) -> AsyncConnectionPool:
        """The connection pool (created on first use)."""
        if self._pool is None:
            self._pool = AsyncConnectionPool(
                self._new_connection, min_size=self.options.pool_min_size,
                max_size=self.options.pool_max_size, timeout=self.options.pool_timeout,
                describe=self.options.connection.describe())
        return self._pool

    async def _ensure_ready(self) -> None:
        if self._ready:
            return
        await self.pool.fill()
        conn = await self.pool.acquire()
        broken = True
        try:
            async with conn.cursor() as cur:
                await cur.execute(self.statements.icu_available, [])
                row = await cur.fetchone()
                if not row[0]:
                    self.statements.translator.ilike_collation = None
                if self.options.create_table:
                    await cur.execute("BEGIN", [])
                    sql, params = self.statements.ddl_lock()
                    await cur.execute(sql, params)
                    exists_sql, create_sql, params = self.statements.create_schema()
                    await cur.execute(exists_sql, params)
                    if not (await cur.fetchone())[0]:
                        await cur.execute(create_sql, [])
                    for statement in self.statements.create_table():
                        await cur.execute(statement, [])
                    await cur.execute("COMMIT", [])
                else:
                    await cur.execute(self.statements.table_exists,
                                      [self.statements.regclass_name])
                    row = await cur.fetchone()
                    if not row or not row[0]:
                        broken = False
                        raise StorageError(
                            f"postgres table {self._table_name} does not exist and "
                            "create_table is false")
            broken = False
            self._ready = True
        except DataknobsError:
            raise
        except Exception as err:
            if sqlstate(err) is None and not is_connection_error(err):
                raise
            broken = broken and is_connection_error(err)
            raise self._translate(err, "create table") from None
        finally:
            if not broken:
                await self._rollback_quietly(conn)
            await self.pool.release(conn, broken=broken or bool(conn.closed))

    async def _connect(self) -> None:
        await self._ensure_ready()

    async def _close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        self._ready = False

    @staticmethod
    async def _rollback_quietly(conn: Any) -> bool:
        if conn.closed:
            return False
        try:
            if conn.info.transaction_status != STATUS_IDLE:
                async with conn.cursor() as cur:
                    await cur.execute("ROLLBACK", [])
            return True
        except Exception:
            return False

    # -- running work (the same steps as PostgresDatabase._run) ------------------------------
    async def _run(self, action: str, work: Work[T], *, atomic: bool = False,
                   retry: bool = False) -> T:
        tx = self._tx.get()
        if tx is not None:
            return await self._run_in_transaction(tx, action, work)
        for attempt in (0, 1):
            await self._ensure_ready()
            conn = await self.pool.acquire()
            broken = False
            began = False  # a connection lost before BEGIN went through wrote nothing
            try:
                async with conn.cursor() as cur:
                    if atomic:
                        await cur.execute("BEGIN", [])
                        began = True
                        result = await work(cur)
                        await cur.execute("COMMIT", [])
                    else:
                        result = await work(cur)
                return result
            except DataknobsError:
                broken = not await self._rollback_quietly(conn)
                raise
            except Exception as err:
                if sqlstate(err) is None and not is_connection_error(err):
                    broken = not await self._rollback_quietly(conn)
                    raise
                broken = bool(conn.closed) or is_connection_error(err) or not \
                    await self._rollback_quietly(conn)
                if broken:
                    await self.pool.drop_idle()
                if attempt == 0 and broken and (retry or (atomic and not began)):
                    continue
                if attempt == 0 and sqlstate(err) == UNDEFINED_TABLE and \
                        self.options.create_table:
                    self._ready = False
                    continue
                raise self._translate(err, action) from (None if broken else err)
            finally:
                await self.pool.release(conn, broken=broken)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _run_in_transaction(self, conn: Any, action: str, work: Work[T]) -> T:
        async with conn.cursor() as cur:
            try:
                await cur.execute("SAVEPOINT dk_op", [])
                result = await work(cur)
                await cur.execute("RELEASE SAVEPOINT dk_op", [])
                return result
            except Exception as err:
                if not conn.closed:
                    with contextlib.suppress(Exception):
                        await cur.execute("ROLLBACK TO SAVEPOINT dk_op", [])
                        await cur.execute("RELEASE SAVEPOINT dk_op", [])
                if isinstance(err, DataknobsError) or (
                        sqlstate(err) is None and not is_connection_error(err)):
                    raise
                raise self._translate(err, action) from None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncPostgresDatabase]:
        """Operations in the block (in this task and tasks it starts) form one transaction:
        committed when the block ends, rolled back if it raises. Nested blocks are
        savepoints."""
        outer = self._tx.get()
        if outer is not None:
            name = f"dk_tx_{next(_names)}"
            async with outer.cursor() as cur:
                await cur.execute(f"SAVEPOINT {name}", [])
            try:
                yield self
            except BaseException:
                async with outer.cursor() as cur:
                    with contextlib.suppress(Exception):
                        await cur.execute(f"ROLLBACK TO SAVEPOINT {name}", [])
                raise
            async with outer.cursor() as cur:
                await cur.execute(f"RELEASE SAVEPOINT {name}", [])
            return
        await self._ensure_ready()
        conn = await self.pool.acquire()
        broken = False
        token = None
        try:
            async with conn.cursor() as cur:
                await cur.execute("BEGIN", [])
            token = self._tx.set(conn)
            try:
                yield self
            except BaseException:
                broken = not await self._rollback_quietly(conn)
                raise
            async with conn.cursor() as cur:
                await cur.execute("COMMIT", [])
        except DataknobsError:
            raise
        except Exception as err:
            if sqlstate(err) is None and not is_connection_error(err):
                raise
            broken = broken or bool(conn.closed) or not await self._rollback_quietly(conn)
            raise self._translate(err, "transaction") from None
        finally:
            if token is not None:
                self._tx.reset(token)
            await self.pool.release(conn, broken=broken)

    # -- single records ------------------------------------------------------------------------
    async def _create(self, record_id: str, record: Record) -> None:
        row = row_values(record)

        async def work(cur: Any) -> None:
            try:
                await cur.execute(self.statements.insert_one, row)
            except Exception as err:
                if sqlstate(err) == UNIQUE_VIOLATION:
                    raise RecordExistsError(record_id) from None
                raise

        await self._run("create", work)

    async def _read(self, record_id: str) -> Record | None:
        if not storable_id(record_id):
            return None

        async def work(cur: Any) -> Record | None:
            await cur.execute(self.statements.read_one, (record_id,))
            row = await cur.fetchone()
            return None if row is None else to_record(record_id, row[0], row[1])

        return await self._run("read", work, retry=True)

    async def _conditional(self, cur: Any, sql: str, params: tuple[Any, ...], record_id: str,
                           expected: str) -> None:
        version = Statements.parse_version(expected)
        if version is not None:
            await cur.execute(sql, (*params, version))
            if cur.rowcount == 1:
                return
        await cur.execute(self.statements.version, (record_id,))
        row = await cur.fetchone()
        raise Statements.concurrency_error(record_id, expected, row[0] if row else None)

    async def _update(self, record_id: str, record: Record, expected_version: str | None
                      ) -> bool:
        if not storable_id(record_id):
            return Statements.missing_write(record_id, expected_version)  # no such record
        _, data, metadata = row_values(record)
        st = self.statements

        async def work(cur: Any) -> bool:
            if expected_version is None:
                await cur.execute(st.update_one, (data, metadata, record_id))
                return bool(cur.rowcount == 1)
            await self._conditional(cur, st.update_one_versioned, (data, metadata, record_id),
                                    record_id, expected_version)
            return True

        return await self._run("update", work)

    async def _delete(self, record_id: str, expected_version: str | None) -> bool:
        if not storable_id(record_id):
            return Statements.missing_write(record_id, expected_version)
        st = self.statements

        async def work(cur: Any) -> bool:
            if expected_version is None:
                await cur.execute(st.delete_one, (record_id,))
                return bool(cur.rowcount == 1)
            await self._conditional(cur, st.delete_one_versioned, (record_id,), record_id,
                                    expected_version)
            return True

        return await self._run("delete", work)

    async def _upsert(self, record_id: str, record: Record, expected_version: str | None
                      ) -> None:
        row = row_values(record)
        st = self.statements

        async def work(cur: Any) -> None:
            if expected_version is None:
                await cur.execute(st.upsert_one, row)
            else:
                await self._conditional(cur, st.update_one_versioned,
                                        (row[1], row[2], record_id), record_id,
                                        expected_version)

        await self._run("upsert", work)

    async def _get_version(self, record_id: str) -> str | None:
        if not storable_id(record_id):
            return None

        async def work(cur: Any) -> str | None:
            await cur.execute(self.statements.version, (record_id,))
            row = await cur.fetchone()
            return Statements.version_token(row[0] if row else None)

        return await self._run("get_version", work, retry=True)

    async def _exists(self, record_id: str) -> bool:
        if not storable_id(record_id):
            return False

        async def work(cur: Any) -> bool:
            await cur.execute(self.statements.exists, (record_id,))
            return await cur.fetchone() is not None

        return await self._run("exists", work, retry=True)

    # -- batches -------------------------------------------------------------------------------
    async def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        if not records:
            return {}
        st = self.statements
        use_copy = len(records) >= self.options.copy_threshold
        rows: list[tuple[str, str, str]] = []
        if not use_copy:
            rows, failures = create_rows(records)
            if failures:
                return failures  # atomic: nothing is written

        async def work(cur: Any) -> None:
            if use_copy:
                # encoded a chunk at a time while the server parses the previous one
                async with cur.copy(st.copy) as copy:
                    for chunk in chunks(records, COPY_CHUNK):
                        text = copy_lines(row_values(rec) for rec in chunk)
                        await copy.write(text.encode("utf-8"))
            else:
                for part in chunks(rows, PAGE_SIZE):
                    await cur.execute(multi_row(st.insert_values, st.row_template, len(part)),
                                      [value for row in part for value in row])

        try:
            await self._run("create_batch", work, atomic=True)
        except (SerializationError, InvalidRecordIdError):
            return create_rows(records)[1]
        except StorageError as err:
            if not isinstance(err.__cause__, Exception) or \
                    sqlstate(err.__cause__) != UNIQUE_VIOLATION:
                raise
            ids = [rec.id or "" for rec in records]
            taken = set(await self._existing(ids))
            if not taken:
                raise
            return taken_failures(ids, taken)
        return {}

    async def _existing(self, ids: list[str]) -> list[str]:
        async def work(cur: Any) -> list[str]:
            found: list[str] = []
            for chunk in chunks(ids, ID_CHUNK):
                await cur.execute(self.statements.existing, (list(chunk),))
                found += [row[0] for row in await cur.fetchall()]
            return found

        return await self._run("create_batch", work, retry=True)

    async def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        wanted = [rid for rid in unique_in_order(record_ids) if storable_id(rid)]

        async def work(cur: Any) -> dict[str, tuple[str, str]]:
            found: dict[str, tuple[str, str]] = {}
            for chunk in chunks(wanted, ID_CHUNK):
                await cur.execute(self.statements.read_many, (list(chunk),))
                for rid, data, metadata in await cur.fetchall():
                    found[rid] = (data, metadata)
            return found

        found = await self._run("read_batch", work, retry=True) if wanted else {}
        return [None if (row := found.get(rid)) is None else to_record(rid, row[0], row[1])
                for rid in record_ids]

    async def _update_batch(self, updates: list[tuple[str, Record]]) -> list[bool]:
        rows = last_rows(rec for rid, rec in updates if storable_id(rid))
        st = self.statements

        async def work(cur: Any) -> set[str]:
            updated: set[str] = set()
            for chunk in chunks(rows, PAGE_SIZE):
                await cur.execute(multi_row(st.update_values, st.row_template, len(chunk)),
                                  [value for row in chunk for value in row])
                updated.update(row[0] for row in await cur.fetchall())
            return updated

        updated = await self._run("update_batch", work, atomic=True) if rows else set()
        return [rid in updated for rid, _ in updates]

    async def _delete_batch(self, record_ids: list[str]) -> list[bool]:
        wanted = [rid for rid in unique_in_order(record_ids) if storable_id(rid)]

        async def work(cur: Any) -> set[str]:
            deleted: set[str] = set()
            for chunk in chunks(wanted, ID_CHUNK):
                await cur.execute(self.statements.delete_many, (list(chunk),))
                deleted.update(row[0] for row in await cur.fetchall())
            return deleted

        deleted = await self._run("delete_batch", work, atomic=True) if wanted else set()
        return deleted_flags(record_ids, deleted)

    async def _upsert_batch(self, records: list[Record]) -> None:
        rows = last_rows(records)
        if not rows:
            return
        st = self.statements

        async def work(cur: Any) -> None:
            for chunk in chunks(rows, PAGE_SIZE):
                await cur.execute(multi_row(st.upsert_values, st.row_template, len(chunk)),
                                  [value for row in chunk for value in row])

        await self._run("upsert_batch", work, atomic=True)

    # -- queries -------------------------------------------------------------------------------
    async def _search(self, query: Query) -> list[Record]:
        await self._ensure_ready()
        sql = self.statements.search(query)

        async def work(cur: Any) -> list[Record]:
            await cur.execute(sql.text, sql.params)
            return [Statements.record_from_row(row, query) for row in await cur.fetchall()]

        return await self._run("search", work, retry=True)

    async def _count(self, query: Query) -> int:
        await self._ensure_ready()
        sql = self.statements.count(query)

        async def work(cur: Any) -> int:
            await cur.execute(sql.text, sql.params)
            row = await cur.fetchone()
            return int(row[0])

        return await self._run("count", work, retry=True)

    async def _clear(self) -> int:
        async def work(cur: Any) -> int:
            await cur.execute(self.statements.clear, [])
            return int(cur.rowcount)

        return await self._run("clear", work)

    async def _stream_read(self, query: Query, config: StreamConfig) -> AsyncIterator[Record]:
        await self._ensure_ready()
        sql = self.statements.search(query)
        name = f"dk_stream_{next(_names)}"
        tx = self._tx.get()
        if tx is not None:
            async for record in self._stream_on(tx, name, sql.text, sql.params, query,
                                                config, False):
                yield record
            return
        conn = await self.pool.acquire()
        broken = True
        try:
            async for record in self._stream_on(conn, name, sql.text, sql.params, query,
                                                config, True):
                yield record
            broken = False
        finally:
            if broken:
                broken = not await self._rollback_quietly(conn)
            await self.pool.release(conn, broken=broken)

    async def _stream_on(self, conn: Any, name: str, text: str, params: list[Any],
                         query: Query, config: StreamConfig, own_transaction: bool
                         ) -> AsyncIterator[Record]:
        try:
            async with conn.cursor() as cur:
                if own_transaction:
                    await cur.execute("BEGIN", [])
                await cur.execute(f"DECLARE {name} NO SCROLL CURSOR FOR {text}", params)
                fetch = f"FETCH FORWARD {int(config.batch_size)} FROM {name}"
                while True:
                    await cur.execute(fetch, [])
                    rows = await cur.fetchall()
                    for row in rows:
                        yield Statements.record_from_row(row, query)
                    if len(rows) < config.batch_size:
                        break
                await cur.execute(f"CLOSE {name}", [])
                if own_transaction:
                    await cur.execute("COMMIT", [])
        except DataknobsError:
            raise
        except Exception as err:
            if sqlstate(err) is None and not is_connection_error(err):
                raise
            raise self._translate(err, "stream_read") from None

    def __repr__(self) -> str:
        return f"AsyncPostgresDatabase({self.options.describe()})"
