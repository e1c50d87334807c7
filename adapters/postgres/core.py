"""What the two PostgreSQL adapters do, written once as sans-I/O flows (``ports.flows``).

``PostgresCore`` holds the options, the connection pool, table setup, the retry and
transaction rules and every repository hook. Each step that touches the driver is yielded
as a ``Call`` -- ``cur.execute``, ``cur.fetchone``, ``pool.acquire`` -- or, where psycopg2
and psycopg 3 differ, as a ``Call`` of one of the driver hooks an adapter supplies:

- ``_run_flow`` / ``_run_stream``: ``run_flow``/``stream_flow`` in the sync adapter,
  ``arun_flow``/``astream_flow`` in the async one;
- ``_new_connection()``, ``_cursor(conn)``: open a connection (autocommit) and a cursor;
- ``_copy(cur, sql, records)``: ``COPY ... FROM STDIN`` of the records' rows;
- ``_execute_rows(cur, sql, rows, fetch)``: a multi-row ``VALUES %s`` statement, returning
  the rows it returns when ``fetch``.

So ``database.py`` (psycopg2) and ``async_database.py`` (psycopg 3) hold only those hooks;
the hooks of the ports (``_create``, ``_search``, ...) are flows defined here once, each
``@driven``: it returns what ``_drive`` returns, a value for the sync adapter and a coroutine
for the async one.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import itertools
import threading
from collections.abc import Callable, Generator, Sequence
from typing import Any

from ...domain.errors import (
    DataknobsError,
    InvalidRecordIdError,
    RecordExistsError,
    SerializationError,
    StorageError,
)
from ...domain.query import Query
from ...domain.records import Record
from ...domain.schema import Schema
from ...domain.vectors import DistanceMetric, VectorQuery
from ...ports.capabilities import Capabilities
from ...ports.flows import Call, Emit, Flow
from ...ports.streaming import StreamConfig
from ..vector_window import first_window
from .errors import UNDEFINED_TABLE, UNIQUE_VIOLATION, is_connection_error, sqlstate, translate
from .serializer import row_values, storable_id, to_record
from .settings import PostgresOptions
from .statements import (
    ID_CHUNK,
    Statements,
    chunks,
    create_rows,
    deleted_flags,
    last_rows,
    taken_failures,
    unique_in_order,
)
from .vectors import (
    EXTENSION_QUERY,
    PUSHDOWN_AFTER,
    VectorStatements,
    query_in_range,
    rerank,
    scans,
)

STATUS_IDLE = 0
_names = itertools.count(1)
Work = Callable[[Any], Generator[Any, Any, Any]]

CAPABILITIES = Capabilities(persistent=True, atomic_batches=True, transactions=True,
                            conditional_writes=True, native_async=False, query_pushdown=True)


def _execute(cur: Any, sql: str, params: Sequence[Any] = ()) -> Call:
    return Call("execute", (sql, params), on=cur)


def _fetchall(cur: Any) -> Call:
    return Call("fetchall", on=cur)


def driven(flow: Callable[..., Flow]) -> Callable[..., Any]:
    """A hook of the ports that runs the flow ``flow`` builds with the adapter's driver: it
    returns the result (sync adapter) or a coroutine of it (async adapter)."""

    @functools.wraps(flow)
    def hook(self: PostgresCore, *args: Any) -> Any:
        return self._drive(flow(self, *args))

    return hook


def _ours(err: BaseException) -> bool:
    """Whether a driver error is the server's or the connection's (translated), rather than
    a programming error (raised as it is)."""
    return sqlstate(err) is not None or is_connection_error(err)


class PostgresCore:
    """Records in a PostgreSQL table (see docs/backends/postgres.md for every option).

    Connect with ``dsn`` (``postgresql://user@host:5432/db`` or libpq ``key=value``) and/or
    ``host``, ``port``, ``database``, ``user``, ``password`` (explicit options win; the password
    is never shown). ``table`` in ``table_schema`` is created on first use unless
    ``create_table`` is false; ``indexes`` lists field paths (or ``{field, type}`` with type
    ``btree``, ``text`` or ``gin``). ``pool_min_size``..``pool_max_size`` connections are
    pooled; ``pool_timeout`` bounds the wait for one. Batches of ``copy_threshold`` records
    or more are created with ``COPY``. Vector search uses pgvector when the database has
    the extension (``vector_extension``: ``"auto"``, true to require it, false never);
    ``vector_indexes`` maps fields to stored generated vector columns and HNSW (or, with
    ``method: ivfflat``, IVFFlat) indexes on them (``{embedding: {dimensions: 384, metric:
    cosine}}``), which make unfiltered queries approximate (filtered ones too with
    ``filtered: index``); ``method: none`` keeps the columns only (exact)."""

    backend_name = "postgres"
    #: every write turns its records into JSON text before it returns and keeps no reference
    #: to them, so the port checks plain values instead of copying them
    serializes_writes = True
    _pool_class: Any  # ConnectionPool or AsyncConnectionPool

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
        vector_extension: bool | str = "auto",
        vector_indexes: dict[str, Any] | None = None,
        schema: Schema | dict[str, Any] | None = None,
    ) -> None:
        given = dict(locals())  # the options exactly as named in this signature
        super().__init__(schema=schema)  # type: ignore[call-arg]  # the port's __init__
        self.options = PostgresOptions.build(**{
            name: value for name, value in given.items()
            if name not in ("self", "schema", "__class__")})
        self.statements = Statements(self.options.table_schema, self.options.table,
                                     self.options.indexes)
        self._pool: Any = None
        self._ready = False
        self._pgvector = False  # whether the database has pgvector (learnt with the pool)
        self._vector_columns: frozenset[str] = frozenset()  # fields with generated columns
        if self.options.vectors.approximate:
            # an HNSW or IVFFlat index answers queries approximately, for this instance
            setattr(self, "capabilities", dataclasses.replace(  # noqa: B010 - a ClassVar
                type(self).capabilities, approximate_vectors=True))  # type: ignore[attr-defined]
        self._setup_lock = threading.Lock()
        # the open transaction's connection: per thread (sync) or per task (async)
        self._tx: contextvars.ContextVar[Any] = contextvars.ContextVar(
            f"dk_pg_tx_{id(self)}", default=None)

    # -- driver hooks (see the module docstring) ---------------------------------------------
    _run_flow: Callable[[Any, Flow], Any]  # run_flow or arun_flow
    _run_stream: Callable[[Any, Flow], Any]  # stream_flow or astream_flow

    def _drive(self, flow: Flow) -> Any:
        return self._run_flow(self, flow)

    def _new_connection(self) -> Any:  # pragma: no cover
        raise NotImplementedError

    # -- connections -----------------------------------------------------------------------
    @property
    def _table_name(self) -> str:
        return f"{self.options.table_schema}.{self.options.table}"

    def _describe_table(self) -> str:
        return f"{self.options.connection.describe()} table {self._table_name}"

    def _translate(self, err: BaseException, action: str) -> DataknobsError:
        return translate(err, self.options.connection, self._table_name, action)

    @property
    def pool(self) -> Any:
        """The connection pool (created on first use)."""
        if self._pool is None:
            with self._setup_lock:
                if self._pool is None:
                    self._pool = self._pool_class(
                        self._new_connection, min_size=self.options.pool_min_size,
                        max_size=self.options.pool_max_size, timeout=self.options.pool_timeout,
                        describe=self.options.connection.describe())
        return self._pool

    def _on_cursor(self, conn: Any, work: Work) -> Flow:
        """``work(cursor)`` on a new cursor of ``conn``, closed afterwards."""
        cur = yield Call("_cursor", (conn,))
        try:
            return (yield from work(cur))
        finally:
            yield Call("close", on=cur)

    def _statement(self, conn: Any, sql: str) -> Flow:
        def work(cur: Any) -> Flow:
            yield _execute(cur, sql)

        yield from self._on_cursor(conn, work)

    def _setup(self, cur: Any) -> Flow:
        if not (yield from self._fetch_one(cur, self.statements.icu_available))[0]:
            self.statements = self.statements.without_icu()
        st = self.statements
        installed = (yield from self._fetch_one(cur, EXTENSION_QUERY)) is not None
        self._pgvector = self.options.vectors.decide(installed, self._describe_table())
        vs = VectorStatements(st, self.options.vectors)
        if not self.options.create_table:
            row = yield from self._fetch_one(cur, st.table_exists, [st.regclass_name])
            if not row or not row[0]:
                raise StorageError(f"postgres table {self._table_name} does not exist and "
                                   "create_table is false")
            if self._pgvector:
                yield from self._learn_vector_columns(cur, vs)
            return
        # several clients may get here at once: the DDL is idempotent and serialised on the
        # server by an advisory lock
        yield _execute(cur, "BEGIN")
        yield _execute(cur, *st.ddl_lock())
        exists_sql, create_sql, params = st.create_schema()
        if not (yield from self._fetch_one(cur, exists_sql, params))[0]:
            yield _execute(cur, create_sql)
        for statement in st.create_table():
            yield _execute(cur, statement)
        if self._pgvector and self.options.vectors.indexes:
            # the generated columns a spec names and the table lacks (ALTER TABLE rewrites
            # it), then the HNSW indexes on them
            have = yield from self._learn_vector_columns(cur, vs)
            for spec in self.options.vectors.indexes:
                if not set(spec.columns()) <= have:
                    yield _execute(cur, vs.add_columns(spec))
            self._vector_columns = frozenset(spec.field for spec in self.options.vectors.indexes)
            vs = VectorStatements(st, self.options.vectors, self._vector_columns)
            for statement in vs.create_indexes():
                yield _execute(cur, statement)
        yield _execute(cur, "COMMIT")

    def _learn_vector_columns(self, cur: Any, vs: VectorStatements) -> Flow:
        """Look up which specs' generated columns the table has (``_vector_columns``);
        returns the table's column names."""
        q = vs.existing_columns()
        yield _execute(cur, q.text, q.params)
        have = {row[0] for row in (yield _fetchall(cur))}
        self._vector_columns = frozenset(
            spec.field for spec in self.options.vectors.indexes if set(spec.columns()) <= have)
        return have

    @staticmethod
    def _fetch_one(cur: Any, sql: str, params: Sequence[Any] = ()) -> Flow:
        yield _execute(cur, sql, params)
        return (yield Call("fetchone", on=cur))

    def _ensure_ready(self) -> Flow:
        if self._ready:
            return
        pool = self.pool
        yield Call("fill", on=pool)
        conn = yield Call("acquire", on=pool)
        broken = True
        try:
            yield from self._on_cursor(conn, self._setup)
            broken = False
            self._ready = True
        except DataknobsError:
            broken = False
            raise
        except Exception as err:
            if not _ours(err):
                raise
            broken = is_connection_error(err)
            raise self._translate(err, "create table") from None
        finally:
            if not broken:
                yield from self._rollback_quietly(conn)
            yield Call("release", (conn, broken or bool(conn.closed)), on=pool)

    @driven
    def _connect(self) -> Flow:
        yield from self._ensure_ready()

    @driven
    def _close(self) -> Flow:
        pool, self._pool, self._ready = self._pool, None, False
        if pool is not None:
            yield Call("close", on=pool)

    def _rollback_quietly(self, conn: Any) -> Flow:
        """Roll back an open transaction; False when the connection is unusable."""
        if conn.closed:
            return False
        try:
            if conn.info.transaction_status != STATUS_IDLE:
                yield from self._statement(conn, "ROLLBACK")
            return True
        except Exception:
            return False

    # -- running work ----------------------------------------------------------------------
    def _run(self, action: str, work: Work, *, atomic: bool = False,
             retry: bool = False) -> Flow:
        """Run ``work(cursor)`` on a pooled connection (or the open transaction's), inside
        a transaction when ``atomic``, translating driver errors. ``retry`` allows one more
        attempt after a lost connection (reads only: a write may have landed)."""
        tx = self._tx.get()
        if tx is not None:
            return (yield from self._run_in_transaction(tx, action, work))
        for attempt in (0, 1):
            if not self._ready:
                yield from self._ensure_ready()
            pool = self.pool
            conn = yield Call("acquire", on=pool)
            broken = False
            began = False  # a connection lost before BEGIN went through wrote nothing

            def in_transaction(cur: Any) -> Flow:
                nonlocal began
                yield _execute(cur, "BEGIN")
                began = True
                result = yield from work(cur)
                yield _execute(cur, "COMMIT")
                return result

            try:  # reads and single writes run without the extra generator level
                return (yield from self._on_cursor(conn, in_transaction if atomic else work))
            except DataknobsError:
                broken = not (yield from self._rollback_quietly(conn))
                raise
            except Exception as err:
                if not _ours(err):
                    broken = not (yield from self._rollback_quietly(conn))
                    raise
                broken = bool(conn.closed) or is_connection_error(err) or \
                    not (yield from self._rollback_quietly(conn))
                if broken:
                    yield Call("drop_idle", on=pool)
                if attempt == 0 and broken and (retry or (atomic and not began)):
                    continue
                if attempt == 0 and sqlstate(err) == UNDEFINED_TABLE and \
                        self.options.create_table:
                    self._ready = False  # dropped behind our back: create it again
                    continue
                raise self._translate(err, action) from (None if broken else err)
            finally:
                yield Call("release", (conn, broken), on=pool)
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_in_transaction(self, conn: Any, action: str, work: Work) -> Flow:
        # a savepoint per operation: a failed operation leaves the transaction usable
        cur = yield Call("_cursor", (conn,))
        try:
            yield _execute(cur, "SAVEPOINT dk_op")
            result = yield from work(cur)
            yield _execute(cur, "RELEASE SAVEPOINT dk_op")
            return result
        except Exception as err:
            if not conn.closed:
                with contextlib.suppress(Exception):  # the operation's own error is reported
                    yield _execute(cur, "ROLLBACK TO SAVEPOINT dk_op")
                    yield _execute(cur, "RELEASE SAVEPOINT dk_op")
            if isinstance(err, DataknobsError) or not _ours(err):
                raise
            raise self._translate(err, action) from None
        finally:
            yield Call("close", on=cur)

    def _transaction_flow(self) -> Flow:
        """Emits the adapter once: the block of ``transaction()`` runs there."""
        outer = self._tx.get()
        if outer is not None:  # nested: a savepoint
            name = f"dk_tx_{next(_names)}"
            yield from self._statement(outer, f"SAVEPOINT {name}")
            try:
                yield Emit(self)
            except BaseException:
                with contextlib.suppress(Exception):  # the block's own error is reported
                    yield from self._statement(outer, f"ROLLBACK TO SAVEPOINT {name}")
                raise
            yield from self._statement(outer, f"RELEASE SAVEPOINT {name}")
            return
        yield from self._ensure_ready()
        pool = self.pool
        conn = yield Call("acquire", on=pool)
        broken = False
        token = None
        try:
            yield from self._statement(conn, "BEGIN")
            token = self._tx.set(conn)
            try:
                yield Emit(self)
            except BaseException:
                broken = not (yield from self._rollback_quietly(conn))
                raise
            yield from self._statement(conn, "COMMIT")
        except DataknobsError:
            raise
        except Exception as err:
            if not _ours(err):
                raise
            broken = broken or bool(conn.closed) or not (yield from self._rollback_quietly(conn))
            raise self._translate(err, "transaction") from None
        finally:
            if token is not None:
                self._tx.reset(token)
            yield Call("release", (conn, broken), on=pool)

    # -- single records ----------------------------------------------------------------------
    @driven
    def _create(self, record_id: str, record: Record) -> Flow:
        row = row_values(record)

        def work(cur: Any) -> Flow:
            try:
                yield _execute(cur, self.statements.insert_one, row)
            except Exception as err:
                if sqlstate(err) == UNIQUE_VIOLATION:
                    raise RecordExistsError(record_id) from None
                raise

        yield from self._run("create", work)

    def _lookup(self, action: str, sql: str, record_id: str, convert: Callable[[Any], Any],
                absent: Any = None) -> Flow:
        """``convert`` of the row ``sql`` finds for the id (None when there is none);
        ``absent`` for an id the table cannot hold (no stored id can be it)."""
        if not storable_id(record_id):
            return absent

        def work(cur: Any) -> Flow:
            return convert((yield from self._fetch_one(cur, sql, (record_id,))))

        return (yield from self._run(action, work, retry=True))

    @driven
    def _read(self, record_id: str) -> Flow:
        return (yield from self._lookup(
            "read", self.statements.read_one, record_id,
            lambda row: None if row is None else to_record(record_id, row[0], row[1])))

    def _conditional(self, cur: Any, sql: str, params: tuple[Any, ...], record_id: str,
                     expected: str) -> Flow:
        version = Statements.parse_version(expected)
        if version is not None:
            yield _execute(cur, sql, (*params, version))
            if cur.rowcount == 1:
                return
        row = yield from self._fetch_one(cur, self.statements.version, (record_id,))
        raise Statements.concurrency_error(record_id, expected, row[0] if row else None)

    def _change_one(self, action: str, sql: str, versioned_sql: str, params: tuple[Any, ...],
                    record_id: str, expected_version: str | None) -> Flow:
        """An update or delete of one row: whether it found the row (without a version),
        or True after the conditional write (``ConcurrencyError`` when it did not apply)."""
        def work(cur: Any) -> Flow:
            if expected_version is None:
                yield _execute(cur, sql, params)
                return bool(cur.rowcount == 1)
            yield from self._conditional(cur, versioned_sql, params, record_id,
                                         expected_version)
            return True

        return (yield from self._run(action, work))

    @driven
    def _update(self, record_id: str, record: Record, expected_version: str | None) -> Flow:
        if not storable_id(record_id):  # no such record
            return Statements.missing_write(record_id, expected_version)
        _, data, metadata = row_values(record)
        st = self.statements
        return (yield from self._change_one("update", st.update_one, st.update_one_versioned,
                                            (data, metadata, record_id), record_id,
                                            expected_version))

    @driven
    def _delete(self, record_id: str, expected_version: str | None) -> Flow:
        if not storable_id(record_id):
            return Statements.missing_write(record_id, expected_version)
        st = self.statements
        return (yield from self._change_one("delete", st.delete_one, st.delete_one_versioned,
                                            (record_id,), record_id, expected_version))

    @driven
    def _upsert(self, record_id: str, record: Record, expected_version: str | None) -> Flow:
        row = row_values(record)
        st = self.statements

        def work(cur: Any) -> Flow:
            if expected_version is None:
                yield _execute(cur, st.upsert_one, row)
            else:
                yield from self._conditional(cur, st.update_one_versioned,
                                             (row[1], row[2], record_id), record_id,
                                             expected_version)

        yield from self._run("upsert", work)

    @driven
    def _get_version(self, record_id: str) -> Flow:
        return (yield from self._lookup(
            "get_version", self.statements.version, record_id,
            lambda row: Statements.version_token(row[0] if row else None)))

    @driven
    def _exists(self, record_id: str) -> Flow:
        return (yield from self._lookup("exists", self.statements.exists, record_id,
                                        lambda row: row is not None, absent=False))

    # -- batches -------------------------------------------------------------------------------
    @driven
    def _create_batch(self, records: list[Record]) -> Flow:
        if not records:
            return {}
        st = self.statements
        use_copy = len(records) >= self.options.copy_threshold
        rows: list[tuple[str, str, str]] = []
        if not use_copy:
            rows, failures = create_rows(records)
            if failures:
                return failures  # atomic: nothing is written

        def work(cur: Any) -> Flow:
            if use_copy:
                yield Call("_copy", (cur, st.copy, records))
            else:
                yield Call("_execute_rows", (cur, st.insert_values, rows, False))

        try:
            yield from self._run("create_batch", work, atomic=True)
        except (SerializationError, InvalidRecordIdError):
            # a record or id COPY could not encode (the COPY was aborted): report each one
            return create_rows(records)[1]
        except StorageError as err:
            if not isinstance(err.__cause__, Exception) or \
                    sqlstate(err.__cause__) != UNIQUE_VIOLATION:
                raise
            ids = [rec.id or "" for rec in records]
            rows = yield from self._by_chunks(st.existing, ids, "create_batch", retry=True)
            taken = {row[0] for row in rows}
            if not taken:
                raise
            return taken_failures(ids, taken)
        return {}

    def _by_chunks(self, sql: str, ids: list[str], action: str, *, atomic: bool = False,
                   retry: bool = False) -> Flow:
        """The rows ``sql`` returns for ``ids``, ``ID_CHUNK`` ids at a time."""
        if not ids:
            return []

        def work(cur: Any) -> Flow:
            out: list[Any] = []
            for chunk in chunks(ids, ID_CHUNK):
                yield _execute(cur, sql, (list(chunk),))
                out += (yield _fetchall(cur))
            return out

        return (yield from self._run(action, work, atomic=atomic, retry=retry))

    @driven
    def _read_batch(self, record_ids: list[str]) -> Flow:
        wanted = [rid for rid in unique_in_order(record_ids) if storable_id(rid)]
        rows = yield from self._by_chunks(self.statements.read_many, wanted, "read_batch",
                                          retry=True)
        found = {rid: (data, metadata) for rid, data, metadata in rows}
        # decoded per position: a repeated id gets its own copy
        return [None if (row := found.get(rid)) is None else to_record(rid, row[0], row[1])
                for rid in record_ids]

    @driven
    def _update_batch(self, updates: list[tuple[str, Record]]) -> Flow:
        rows = last_rows(rec for rid, rec in updates if storable_id(rid))
        updated: set[str] = set()
        if rows:
            returned = yield from self._run("update_batch", self._rows_work(
                self.statements.update_values, rows, fetch=True), atomic=True)
            updated = {row[0] for row in returned}
        return [rid in updated for rid, _ in updates]

    @staticmethod
    def _rows_work(sql: str, rows: list[Any], *, fetch: bool) -> Work:
        def work(cur: Any) -> Flow:
            return (yield Call("_execute_rows", (cur, sql, rows, fetch)))

        return work

    @driven
    def _delete_batch(self, record_ids: list[str]) -> Flow:
        wanted = [rid for rid in unique_in_order(record_ids) if storable_id(rid)]
        rows = yield from self._by_chunks(self.statements.delete_many, wanted, "delete_batch",
                                          atomic=True)
        return deleted_flags(record_ids, {row[0] for row in rows})

    @driven
    def _upsert_batch(self, records: list[Record]) -> Flow:
        rows = last_rows(records)
        if rows:
            yield from self._run("upsert_batch", self._rows_work(
                self.statements.upsert_values, rows, fetch=False), atomic=True)

    # -- queries -------------------------------------------------------------------------------
    # the SQL is built inside the work, after _ensure_ready learnt the server's collations
    @driven
    def _search(self, query: Query) -> Flow:
        def work(cur: Any) -> Flow:
            sql = self.statements.search(query)
            yield _execute(cur, sql.text, sql.params)
            return [Statements.record_from_row(row, query) for row in (yield _fetchall(cur))]

        return (yield from self._run("search", work, retry=True))

    @driven
    def _count(self, query: Query) -> Flow:
        def work(cur: Any) -> Flow:
            sql = self.statements.count(query)
            return int((yield from self._fetch_one(cur, sql.text, sql.params))[0])

        return (yield from self._run("count", work, retry=True))

    @driven
    def _clear(self) -> Flow:
        def work(cur: Any) -> Flow:
            yield _execute(cur, self.statements.clear)
            return int(cur.rowcount)

        return (yield from self._run("clear", work))

    @driven
    def _vector_hits(self, query: Query, vq: VectorQuery, metric: DistanceMetric, skip: int,
                     take: int) -> Flow:
        """pgvector's nearest neighbours re-ranked exactly (``vectors``), or None (the port's
        reference path) without the extension or for a query vector float4 cannot hold."""
        yield from self._ensure_ready()
        if not self._pgvector or not query_in_range(vq.vector):
            return None
        vs = VectorStatements(self.statements, self.options.vectors, self._vector_columns)
        size = first_window(skip + take)
        spec = vs.index_for(query, vq, metric)
        if spec is not None and query.filters:
            # the first skip + take matches in the index's order: the filter reads each
            # candidate's record, so it stops there
            size = skip + take
        setting = spec.setting(size) if spec is not None else None

        def exact(cur: Any) -> Flow:
            # with the field's vector column and a filter no index answers, the window is
            # taken over every row and screened by the filter (only its rows' jsonb is read)
            screened = False
            if query.filters and vs.column_for(vq) is not None:
                plan = vs.filter_plan(query)
                yield _execute(cur, plan.text, plan.params)
                screened = scans((yield _fetchall(cur))[0][0])
            wanted = first_window(skip + take, screened)
            while True:
                screened = screened and wanted <= PUSHDOWN_AFTER
                window = vs.exact_window(query, vq, metric, wanted, screened)
                yield _execute(cur, window.sql.text, window.sql.params)
                done, hits = rerank((yield _fetchall(cur)), window, vq, metric, skip, take)
                if done:
                    return hits
                wanted *= 2

        if spec is not None and setting is not None:
            window = vs.index_window(spec, vq, size, query)

            # set_config(..., true) lasts until the transaction ends: it and the window
            # must share one (atomic), else the index is scanned with pgvector's default
            def approximate(cur: Any) -> Flow:
                yield _execute(cur, "SELECT set_config(%s, %s, true)", list(setting))
                yield _execute(cur, window.sql.text, window.sql.params)
                hits = rerank((yield _fetchall(cur)), window, vq, metric, skip, take)[1]
                if hits is not None and len(hits) < take:
                    # the index gave fewer rows than asked for (the IVFFlat lists read hold
                    # fewer, a small graph, or the filter kept fewer of the candidates): the
                    # exact path answers, in this transaction
                    return (yield from exact(cur))
                return hits

            return (yield from self._run("vector_search", approximate, atomic=True,
                                         retry=True))
        return (yield from self._run("vector_search", exact, retry=True))

    def _stream_read(self, query: Query, config: StreamConfig) -> Any:
        """A server-side cursor (``DECLARE ... CURSOR``) fetched ``batch_size`` rows at a
        time: memory stays flat however many records match."""
        return self._run_stream(self, self._stream_flow(query, config))

    def _stream_flow(self, query: Query, config: StreamConfig) -> Flow:
        yield from self._ensure_ready()
        tx = self._tx.get()
        if tx is not None:
            yield from self._stream_on(tx, query, config, False)
            return
        pool = self.pool
        conn = yield Call("acquire", on=pool)
        broken = True
        try:
            yield from self._stream_on(conn, query, config, True)
            broken = False
        finally:
            if broken:
                broken = not (yield from self._rollback_quietly(conn))
            yield Call("release", (conn, broken), on=pool)

    def _stream_on(self, conn: Any, query: Query, config: StreamConfig,
                   own_transaction: bool) -> Flow:
        sql = self.statements.search(query)
        name = f"dk_stream_{next(_names)}"

        def work(cur: Any) -> Flow:
            if own_transaction:
                yield _execute(cur, "BEGIN")
            yield _execute(cur, f"DECLARE {name} NO SCROLL CURSOR FOR {sql.text}", sql.params)
            fetch = f"FETCH FORWARD {int(config.batch_size)} FROM {name}"
            while True:
                yield _execute(cur, fetch)
                rows = yield _fetchall(cur)
                for row in rows:
                    yield Emit(Statements.record_from_row(row, query))
                if len(rows) < config.batch_size:
                    break
            yield _execute(cur, f"CLOSE {name}")
            if own_transaction:
                yield _execute(cur, "COMMIT")

        try:
            yield from self._on_cursor(conn, work)
        except DataknobsError:
            raise
        except Exception as err:
            if not _ours(err):
                raise
            raise self._translate(err, "stream_read") from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.options.describe()})"
