"""The synchronous PostgreSQL adapter (psycopg2).

Records live in one table (``id``, ``data`` jsonb, ``metadata`` jsonb, ``version``,
``created_at``, ``updated_at``), created on first use with the indexes the configuration
declares. Queries are translated to SQL by ``translator`` (nothing is filtered in Python);
records are encoded by ``serializer``; the statements are ``statements``' -- all three are
shared with ``AsyncPostgresDatabase``. Batches go through ``execute_values`` or, from
``copy_threshold`` records on, ``COPY``, inside one transaction. See docs/backends/postgres.md.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
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
from ...ports.capabilities import Capabilities
from ...ports.database import SyncDatabase
from ...ports.streaming import StreamConfig
from .errors import UNDEFINED_TABLE, UNIQUE_VIOLATION, is_connection_error, sqlstate, translate
from .pool import ConnectionPool
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
    taken_failures,
    unique_in_order,
)

T = TypeVar("T")
INSTALL_HINT = "the postgres backend needs psycopg2: pip install 'dataknobs-data[postgres]'"
STATUS_IDLE = 0
_cursor_names = itertools.count(1)

CAPABILITIES = Capabilities(
    persistent=True,
    atomic_batches=True,
    transactions=True,
    conditional_writes=True,
    native_async=False,
    query_pushdown=True,
)


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
        self._buffer = b""
        self.error: BaseException | None = None  # the driver reports only that read() failed

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self._buffer) < size) and self._next < len(self._records):
            chunk = self._records[self._next : self._next + COPY_CHUNK]
            self._next += len(chunk)
            try:
                text = copy_lines(row_values(rec) for rec in chunk)
            except BaseException as err:
                self.error = err
                raise
            self._buffer += text.encode("utf-8")
        if size < 0:
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


class PostgresDatabase(SyncDatabase):
    """Records in a PostgreSQL table (see docs/backends/postgres.md for every option).

    Connect with ``dsn`` (``postgresql://user@host:5432/db`` or libpq ``key=value``) and/or
    ``host``, ``port``, ``database``, ``user``, ``password`` (explicit options win; the password
    is never shown). ``table`` in ``table_schema`` is created on first use unless
    ``create_table`` is false; ``indexes`` lists field paths (or ``{field, type}`` with type
    ``btree``, ``text`` or ``gin``). ``pool_min_size``..``pool_max_size`` connections are
    pooled; ``pool_timeout`` bounds the wait for one. Batches of ``copy_threshold`` records
    or more are created with ``COPY``."""

    backend_name = "postgres"
    capabilities = CAPABILITIES

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
        self._pool: ConnectionPool | None = None
        self._ready = False
        self._setup_lock = threading.Lock()
        self._local = threading.local()

    # -- connections -----------------------------------------------------------------------
    def _new_connection(self) -> Any:
        psycopg2 = _psycopg2()
        try:
            conn = psycopg2.connect(**self.options.connection.connect_kwargs())
        except psycopg2.Error as err:
            raise translate(err, self.options.connection, self._table_name, "connect") from None
        conn.autocommit = True
        return conn

    @property
    def _table_name(self) -> str:
        return f"{self.options.table_schema}.{self.options.table}"

    @property
    def pool(self) -> ConnectionPool:
        """The connection pool (created on first use)."""
        if self._pool is None:
            with self._setup_lock:
                if self._pool is None:
                    self._pool = ConnectionPool(
                        self._new_connection, min_size=self.options.pool_min_size,
                        max_size=self.options.pool_max_size, timeout=self.options.pool_timeout,
                        describe=self.options.connection.describe())
        return self._pool

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        # several threads may get here at once: the DDL is idempotent and serialised on
        # the server by an advisory lock
        self.pool.fill()
        conn = self.pool.acquire()
        broken = True
        try:
            with conn.cursor() as cur:
                cur.execute(self.statements.icu_available, [])
                if not cur.fetchone()[0]:
                    self.statements.translator.ilike_collation = None
                if self.options.create_table:
                    cur.execute("BEGIN", [])
                    sql, params = self.statements.ddl_lock()
                    cur.execute(sql, params)
                    exists_sql, create_sql, params = self.statements.create_schema()
                    cur.execute(exists_sql, params)
                    if not (cur.fetchone())[0]:
                        cur.execute(create_sql, [])
                    for statement in self.statements.create_table():
                        cur.execute(statement, [])
                    cur.execute("COMMIT", [])
                else:
                    cur.execute(self.statements.table_exists, [self.statements.regclass_name])
                    row = cur.fetchone()
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
            raise translate(err, self.options.connection, self._table_name,
                            "create table") from None
        finally:
            if not broken:
                self._rollback_quietly(conn)
            self.pool.release(conn, broken=broken or bool(conn.closed))

    def _connect(self) -> None:
        self._ensure_ready()

    def _close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        self._ready = False

    @staticmethod
    def _rollback_quietly(conn: Any) -> bool:
        """Roll back an open transaction; False when the connection is unusable."""
        if conn.closed:
            return False
        try:
            if conn.info.transaction_status != STATUS_IDLE:
                with conn.cursor() as cur:
                    cur.execute("ROLLBACK", [])
            return True
        except Exception:
            return False

    # -- running work ------------------------------------------------------------------------
    def _run(self, action: str, work: Callable[[Any], T], *, atomic: bool = False,
             retry: bool = False) -> T:
        """Run ``work(cursor)`` on a pooled connection (or the open transaction's), inside
        a transaction when ``atomic``, translating driver errors. ``retry`` allows one more
        attempt after a lost connection (reads only: a write may have landed)."""
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            return self._run_in_transaction(tx, action, work)
        for attempt in (0, 1):
            self._ensure_ready()
            conn = self.pool.acquire()
            broken = False
            began = False  # a connection lost before BEGIN went through wrote nothing
            try:
                with conn.cursor() as cur:
                    if atomic:
                        cur.execute("BEGIN", [])
                        began = True
                        result = work(cur)
                        cur.execute("COMMIT", [])
                    else:
                        result = work(cur)
                return result
            except DataknobsError:
                broken = not self._rollback_quietly(conn)
                raise
            except Exception as err:
                if sqlstate(err) is None and not is_connection_error(err):
                    broken = not self._rollback_quietly(conn)
                    raise
                broken = bool(conn.closed) or is_connection_error(err) or not \
                    self._rollback_quietly(conn)
                if broken:
                    self.pool.drop_idle()
                if attempt == 0 and broken and (retry or (atomic and not began)):
                    continue
                if attempt == 0 and sqlstate(err) == UNDEFINED_TABLE and \
                        self.options.create_table:
                    self._ready = False  # dropped behind our back: create it again
                    continue
                raise translate(err, self.options.connection, self._table_name,
                                action) from (None if broken else err)
            finally:
                self.pool.release(conn, broken=broken)
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_in_transaction(self, conn: Any, action: str, work: Callable[[Any], T]) -> T:
        # a savepoint per operation: a failed operation leaves the transaction usable
        with conn.cursor() as cur:
            try:
                cur.execute("SAVEPOINT dk_op", [])
                result = work(cur)
                cur.execute("RELEASE SAVEPOINT dk_op", [])
                return result
            except Exception as err:
                if not conn.closed:
                    with contextlib.suppress(Exception):
                        cur.execute("ROLLBACK TO SAVEPOINT dk_op", [])
                        cur.execute("RELEASE SAVEPOINT dk_op", [])
                if isinstance(err, DataknobsError) or (
                        sqlstate(err) is None and not is_connection_error(err)):
                    raise
                raise translate(err, self.options.connection, self._table_name,
                                action) from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PostgresDatabase]:
        """Operations in the block (on this thread) form one transaction: committed when
        the block ends, rolled back if it raises. Nested blocks are savepoints."""
        outer = getattr(self._local, "tx", None)
        if outer is not None:
            name = f"dk_tx_{next(_cursor_names)}"
            with outer.cursor() as cur:
                cur.execute(f"SAVEPOINT {name}", [])
            try:
                yield self
            except BaseException:
                with outer.cursor() as cur, contextlib.suppress(Exception):
                    cur.execute(f"ROLLBACK TO SAVEPOINT {name}", [])
                raise
            with outer.cursor() as cur:
                cur.execute(f"RELEASE SAVEPOINT {name}", [])
            return
        self._ensure_ready()
        conn = self.pool.acquire()
        broken = False
        try:
            with conn.cursor() as cur:
                cur.execute("BEGIN", [])
            self._local.tx = conn
            try:
                yield self
            except BaseException:
                broken = not self._rollback_quietly(conn)
                raise
            with conn.cursor() as cur:
                cur.execute("COMMIT", [])
        except DataknobsError:
            raise
        except Exception as err:
            if sqlstate(err) is None and not is_connection_error(err):
                raise
            broken = broken or bool(conn.closed) or not self._rollback_quietly(conn)
            raise translate(err, self.options.connection, self._table_name,
                            "transaction") from None
        finally:
            self._local.tx = None
            self.pool.release(conn, broken=broken)

    # -- single records ------------------------------------------------------------------------
    def _create(self, record_id: str, record: Record) -> None:
        row = row_values(record)

        def work(cur: Any) -> None:
            try:
                cur.execute(self.statements.insert_one, row)
            except Exception as err:
                if sqlstate(err) == UNIQUE_VIOLATION:
                    raise RecordExistsError(record_id) from None
                raise

        self._run("create", work)

    def _read(self, record_id: str) -> Record | None:
        if not storable_id(record_id):
            return None  # no stored id can be this one

        def work(cur: Any) -> Record | None:
            cur.execute(self.statements.read_one, (record_id,))
            row = cur.fetchone()
            return None if row is None else to_record(record_id, row[0], row[1])

        return self._run("read", work, retry=True)

    def _update(self, record_id: str, record: Record, expected_version: str | None) -> bool:
        if not storable_id(record_id):
            return Statements.missing_write(record_id, expected_version)  # no such record
        _, data, metadata = row_values(record)
        st = self.statements

        def work(cur: Any) -> bool:
            if expected_version is None:
                cur.execute(st.update_one, (data, metadata, record_id))
                return bool(cur.rowcount == 1)
            self._conditional(cur, st.update_one_versioned, (data, metadata, record_id),
                              record_id, expected_version)
            return True

        return self._run("update", work)

    def _conditional(self, cur: Any, sql: str, params: tuple[Any, ...], record_id: str,
                     expected: str) -> None:
        version = Statements.parse_version(expected)
        if version is not None:
            cur.execute(sql, (*params, version))
            if cur.rowcount == 1:
                return
        cur.execute(self.statements.version, (record_id,))
        row = cur.fetchone()
        raise Statements.concurrency_error(record_id, expected, row[0] if row else None)

    def _delete(self, record_id: str, expected_version: str | None) -> bool:
        if not storable_id(record_id):
            return Statements.missing_write(record_id, expected_version)
        st = self.statements

        def work(cur: Any) -> bool:
            if expected_version is None:
                cur.execute(st.delete_one, (record_id,))
                return bool(cur.rowcount == 1)
            self._conditional(cur, st.delete_one_versioned, (record_id,), record_id,
                              expected_version)
            return True

        return self._run("delete", work)

    def _upsert(self, record_id: str, record: Record, expected_version: str | None) -> None:
        row = row_values(record)
        st = self.statements

        def work(cur: Any) -> None:
            if expected_version is None:
                cur.execute(st.upsert_one, row)
            else:
                self._conditional(cur, st.update_one_versioned, (row[1], row[2], record_id),
                                  record_id, expected_version)

        self._run("upsert", work)

    def _get_version(self, record_id: str) -> str | None:
        if not storable_id(record_id):
            return None

        def work(cur: Any) -> str | None:
            cur.execute(self.statements.version, (record_id,))
            row = cur.fetchone()
            return Statements.version_token(row[0] if row else None)

        return self._run("get_version", work, retry=True)

    def _exists(self, record_id: str) -> bool:
        if not storable_id(record_id):
            return False

        def work(cur: Any) -> bool:
            cur.execute(self.statements.exists, (record_id,))
            return cur.fetchone() is not None

        return self._run("exists", work, retry=True)

    # -- batches -------------------------------------------------------------------------------
    def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        if not records:
            return {}
        psycopg2 = _psycopg2()
        st = self.statements
        use_copy = len(records) >= self.options.copy_threshold
        rows: list[tuple[str, str, str]] = []
        if not use_copy:
            rows, failures = create_rows(records)
            if failures:
                return failures  # atomic: nothing is written

        def work(cur: Any) -> None:
            if use_copy:
                stream = _CopyStream(records)
                try:
                    cur.copy_expert(st.copy, stream, size=1 << 16)
                except Exception:
                    if stream.error is not None:
                        raise stream.error from None
                    raise
            else:
                psycopg2.extras.execute_values(cur, st.insert_values, rows,
                                               template=st.row_template, page_size=PAGE_SIZE)

        try:
            self._run("create_batch", work, atomic=True)
        except (SerializationError, InvalidRecordIdError):
            # a record or id COPY could not encode (the COPY was aborted): report each one
            return create_rows(records)[1]
        except StorageError as err:
            if not isinstance(err.__cause__, Exception) or \
                    sqlstate(err.__cause__) != UNIQUE_VIOLATION:
                raise
            ids = [rec.id or "" for rec in records]
            taken = set(self._existing(ids))
            if not taken:
                raise
            return taken_failures(ids, taken)
        return {}

    def _existing(self, ids: list[str]) -> list[str]:
        def work(cur: Any) -> list[str]:
            found: list[str] = []
            for chunk in chunks(ids, ID_CHUNK):
                cur.execute(self.statements.existing, (list(chunk),))
                found += [row[0] for row in cur.fetchall()]
            return found

        return self._run("create_batch", work, retry=True)

    def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        wanted = [rid for rid in unique_in_order(record_ids) if storable_id(rid)]

        def work(cur: Any) -> dict[str, tuple[str, str]]:
            found: dict[str, tuple[str, str]] = {}
            for chunk in chunks(wanted, ID_CHUNK):
                cur.execute(self.statements.read_many, (list(chunk),))
                for rid, data, metadata in cur.fetchall():
                    found[rid] = (data, metadata)
            return found

        found = self._run("read_batch", work, retry=True) if wanted else {}
        # decoded per position: a repeated id gets its own copy
        return [None if (row := found.get(rid)) is None else to_record(rid, row[0], row[1])
                for rid in record_ids]

    def _update_batch(self, updates: list[tuple[str, Record]]) -> list[bool]:
        rows = last_rows(rec for rid, rec in updates if storable_id(rid))
        psycopg2 = _psycopg2()
        st = self.statements

        def work(cur: Any) -> set[str]:
            returned = psycopg2.extras.execute_values(
                cur, st.update_values, rows, template=st.row_template, page_size=PAGE_SIZE,
                fetch=True)
            return {row[0] for row in returned}

        updated = self._run("update_batch", work, atomic=True) if rows else set()
        return [rid in updated for rid, _ in updates]

    def _delete_batch(self, record_ids: list[str]) -> list[bool]:
        wanted = [rid for rid in unique_in_order(record_ids) if storable_id(rid)]

        def work(cur: Any) -> set[str]:
            deleted: set[str] = set()
            for chunk in chunks(wanted, ID_CHUNK):
                cur.execute(self.statements.delete_many, (list(chunk),))
                deleted.update(row[0] for row in cur.fetchall())
            return deleted

        deleted = self._run("delete_batch", work, atomic=True) if wanted else set()
        return deleted_flags(record_ids, deleted)

    def _upsert_batch(self, records: list[Record]) -> None:
        rows = last_rows(records)
        if not rows:
            return
        psycopg2 = _psycopg2()
        st = self.statements

        def work(cur: Any) -> None:
            psycopg2.extras.execute_values(cur, st.upsert_values, rows,
                                           template=st.row_template, page_size=PAGE_SIZE)

        self._run("upsert_batch", work, atomic=True)

    # -- queries -------------------------------------------------------------------------------
    def _search(self, query: Query) -> list[Record]:
        self._ensure_ready()  # the translator's collation depends on the server
        sql = self.statements.search(query)

        def work(cur: Any) -> list[Record]:
            cur.execute(sql.text, sql.params)
            rows = cur.fetchall()
            return [Statements.record_from_row(row, query) for row in rows]

        return self._run("search", work, retry=True)

    def _count(self, query: Query) -> int:
        self._ensure_ready()
        sql = self.statements.count(query)

        def work(cur: Any) -> int:
            cur.execute(sql.text, sql.params)
            return int(cur.fetchone()[0])

        return self._run("count", work, retry=True)

    def _clear(self) -> int:
        def work(cur: Any) -> int:
            cur.execute(self.statements.clear, [])
            return int(cur.rowcount)

        return self._run("clear", work)

    def _stream_read(self, query: Query, config: StreamConfig) -> Iterator[Record]:
        """A server-side cursor (``DECLARE ... CURSOR``) fetched ``batch_size`` rows at a
        time: memory stays flat however many records match."""
        self._ensure_ready()
        sql = self.statements.search(query)
        name = f"dk_stream_{next(_cursor_names)}"
        tx = getattr(self._local, "tx", None)
        if tx is not None:
            yield from self._stream_on(tx, name, sql.text, sql.params, query, config, False)
            return
        self._ensure_ready()
        conn = self.pool.acquire()
        broken = True
        try:
            yield from self._stream_on(conn, name, sql.text, sql.params, query, config, True)
            broken = False
        finally:
            if broken:
                broken = not self._rollback_quietly(conn)
            self.pool.release(conn, broken=broken)

    def _stream_on(self, conn: Any, name: str, text: str, params: list[Any], query: Query,
                   config: StreamConfig, own_transaction: bool) -> Iterator[Record]:
        try:
            with conn.cursor() as cur:
                if own_transaction:
                    cur.execute("BEGIN", [])
                cur.execute(f"DECLARE {name} NO SCROLL CURSOR FOR {text}", params)
                fetch = f"FETCH FORWARD {int(config.batch_size)} FROM {name}"
                while True:
                    cur.execute(fetch, [])
                    rows = cur.fetchall()
                    for row in rows:
                        yield Statements.record_from_row(row, query)
                    if len(rows) < config.batch_size:
                        break
                cur.execute(f"CLOSE {name}", [])
                if own_transaction:
                    cur.execute("COMMIT", [])
        except DataknobsError:
            raise
        except Exception as err:
            if sqlstate(err) is None and not is_connection_error(err):
                raise
            raise translate(err, self.options.connection, self._table_name,
                            "stream_read") from None

    def __repr__(self) -> str:
        return f"PostgresDatabase({self.options.describe()})"
