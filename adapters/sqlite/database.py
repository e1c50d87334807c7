"""The SQLite adapter: one table of one SQLite file, through the standard library's sqlite3
(with ``vectors="sqlite-vec"``: a sqlite3 that loads extensions, the standard library's or
pysqlite3's, and sqlite-vec loaded into it; see ``vectors``).

A row is ``(id, version, data, metadata)``: the id as its UTF-8 bytes (a BLOB, so any id,
NUL and lone surrogates included, is kept and orders by code point), a random version token,
and data and metadata as the typed codec's JSON (``domain.codec``) written in ASCII, so any
string survives. The connection runs in WAL mode with a busy timeout, so several processes can
share one file; every write runs in ``BEGIN IMMEDIATE`` (a conditional write reads the version
and writes in one transaction), and a batch is one transaction. Queries: see ``translator``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import uuid
import weakref
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

from ...domain.codec import decode, encode, json_encoder
from ...domain.errors import (
    ConfigurationError,
    DataknobsError,
    OperationalError,
    RecordExistsError,
    SerializationError,
    StorageError,
)
from ...domain.matcher import select, window
from ...domain.query import STORAGE_KEY, Query
from ...domain.records import Record
from ...domain.schema import Schema
from ...domain.values import lone_surrogate
from ...domain.vectors import DistanceMetric, VectorQuery
from ...ports.capabilities import Capabilities
from ...ports.database import SyncDatabase, check_version
from ...ports.streaming import StreamConfig
from ..async_bridge import SyncBackedAsyncDatabase
from ..row_writes import VersionedRowWrites
from .translator import (
    MAX_FREE_SEGMENTS,
    SPLIT_PAIR,
    Params,
    dk_instant,
    dk_text,
    dk_value,
    has_split_pair,
    id_bytes,
    id_text,
    index_columns,
    index_selects,
    indexed_count,
    keyset_order,
    order_by,
    predicate,
    value_expression,
    where_clause,
)
from .vectors import VectorCache, native_hits

Row = tuple[bytes, str, str]

#: the oldest SQLite library with the JSON operators ``->`` and ``->>`` the queries use
MIN_SQLITE = (3, 38, 0)
#: the values of the ``vectors`` option (None: the port's reference ranking)
VECTOR_MODES = ("sqlite-vec",)
SQLITE_VEC_HINT = "pip install 'dataknobs-data[sqlite-vec]'"


def dbapi_module(vectors: str | None) -> ModuleType:
    """The DB-API module of a ``vectors`` mode: the standard library's sqlite3 by default;
    for ``"sqlite-vec"``, the standard library's when it can load extensions, else
    ``pysqlite3.dbapi2`` (``pysqlite3-binary``), else ``ConfigurationError`` with the
    install hint. sqlite-vec itself must be importable too. Imported here, when a store
    asks for them."""
    if vectors is None:
        return sqlite3
    if vectors not in VECTOR_MODES:
        raise ConfigurationError(f"sqlite: unknown vectors mode {vectors!r}; valid: "
                                 f"{', '.join(VECTOR_MODES)} (or none: the reference ranking)")
    try:
        import sqlite_vec  # noqa: F401
    except ImportError as err:
        raise ConfigurationError(f"sqlite: vectors='sqlite-vec' needs the sqlite-vec package: "
                                 f"{SQLITE_VEC_HINT}") from err
    if (hasattr(sqlite3.Connection, "enable_load_extension")
            and sqlite3.sqlite_version_info >= MIN_SQLITE):
        return sqlite3
    try:
        import pysqlite3.dbapi2 as module
    except ImportError as err:
        raise ConfigurationError(
            f"sqlite: vectors='sqlite-vec': this Python's sqlite3 cannot load extensions "
            f"(SQLite {sqlite3.sqlite_version}) and pysqlite3 is not installed: "
            f"{SQLITE_VEC_HINT}") from err
    return module


#: files open in this process: real path -> (the DB-API module's name, open handles)
_OPEN_FILES: dict[str, tuple[str, int]] = {}
_OPEN_LOCK = threading.Lock()


def _claim_file(path: str, module: str) -> str | None:
    """Count a handle on ``path`` opened through ``module``'s SQLite library; a file open
    through another copy of SQLite in this process is a ``ConfigurationError`` (each copy
    keeps its own POSIX locks, and closing the file in one drops the other's: SQLite's
    "multiple copies of SQLite in the same program" hazard). The key to release, or None
    for a private database."""
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    key = os.path.realpath(path)
    with _OPEN_LOCK:
        owner, handles = _OPEN_FILES.get(key, (module, 0))
        if owner != module:
            raise ConfigurationError(
                f"sqlite: {path} is open in this process through {owner}'s SQLite library; "
                f"opening it through {module}'s too would break SQLite's file locks (two "
                "copies of SQLite in one process must not open the same file at once): "
                "use the same vectors mode for every handle on a file")
        _OPEN_FILES[key] = (module, handles + 1)
    return key


def _release_file(key: str | None) -> None:
    if key is None:
        return
    with _OPEN_LOCK:
        module, handles = _OPEN_FILES.pop(key)
        if handles > 1:
            _OPEN_FILES[key] = (module, handles - 1)


def _load_sqlite_vec(conn: Any) -> None:
    import sqlite_vec

    conn.enable_load_extension(True)
    try:
        sqlite_vec.load(conn)
    finally:
        conn.enable_load_extension(False)


#: one encoder for every row (``json.dumps`` with options builds a new one per call)
_ENCODE_JSON = json_encoder(ensure_ascii=True)
_DECODE_JSON = json.JSONDecoder().decode


def _dumps(value: Any, record_id: str, where: str) -> str:
    """The stored JSON of a record's data or metadata; ``SerializationError`` naming the
    path for a string or key holding a split pair (``translator.SPLIT_PAIR``), which the
    JSON text would turn into one character.

    A value with no datetime and no string starting with ``$`` (no key the codec escapes)
    is its own typed-codec form, so its JSON is written directly: JSON of any other value
    either fails (a datetime) or holds ``"$``, and takes the codec's way."""
    if type(value) is dict and not value:
        return "{}"
    try:
        text = _ENCODE_JSON(value)
    except (TypeError, ValueError):
        text = '"$'
    encoded = value
    if '"$' in text:
        encoded = encode(value)
        text = _ENCODE_JSON(encoded)
    if "\\ud" in text and has_split_pair(encoded):
        raise _split_pair_error(value, record_id, where)
    return text


def _split_pair_error(value: Any, record_id: str, where: str) -> SerializationError:
    path = _split_pair_path(value, where)
    return SerializationError(
        f"record {record_id!r}: {path}: a high surrogate followed by a low surrogate "
        "(two lone surrogates) cannot be stored by the sqlite backend: its JSON would "
        "read back as the one character they pair into")


def _split_pair_path(value: Any, path: str) -> str:
    if type(value) is str:
        return path if SPLIT_PAIR.search(value) else ""
    items: Any = ()
    if type(value) is dict:
        for key in value:
            if SPLIT_PAIR.search(key):
                return f"{path}: key {key!r}"
        items = ((f"{path}.{k}", v) for k, v in value.items())
    elif type(value) is list:
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    for where, item in items:
        found = _split_pair_path(item, where)
        if found:
            return found
    return ""


def _loads(text: str) -> Any:
    """The value of stored JSON: JSON without ``"$`` holds no codec tag, so it is its own
    value."""
    if text == "{}":
        return {}
    if '"$' in text:
        return decode(_DECODE_JSON(text), in_place=True)
    return _DECODE_JSON(text)


def quote_identifier(name: str) -> str:
    """An SQL identifier, quoted (``"`` doubled)."""
    if (not isinstance(name, str) or not name or "\x00" in name
            or lone_surrogate(name) is not None):
        raise ConfigurationError(f"sqlite: table must be a non-empty name without NUL or "
                                 f"lone surrogates, got {name!r}")
    return '"' + name.replace('"', '""') + '"'


class SQLiteDatabase(VersionedRowWrites, SyncDatabase):
    """A store in one table of an SQLite file (see docs/backends/sqlite.md).

    ``path``: the database file (``":memory:"``: private to this handle); ``table``: the
    table's name (created when missing); ``timeout``: seconds a write waits for another
    process's write to finish before ``OperationalError``; ``indexes``: data paths to index
    (expression indexes on the path's value, used by equality, IN and number range filters
    at the top level of a query); ``vectors``: ``"sqlite-vec"`` ranks ``similar_to`` queries
    in SQL with sqlite-vec (exactly as the reference; the ``sqlite-vec`` extra), None (the
    default): the port ranks the filter's matches itself."""

    backend_name = "sqlite"
    serializes_writes = True  # every write encodes its JSON before it returns
    #: every write is one SQLite transaction (a batch too); the async adapter uses threads
    capabilities = Capabilities(
        persistent=True, transactions=True, atomic_batches=True, conditional_writes=True)

    def __init__(
        self,
        *,
        path: str | os.PathLike[str],
        table: str = "records",
        timeout: float = 30.0,
        indexes: Sequence[str] = (),
        schema: Schema | dict[str, Any] | None = None,
        vectors: str | None = None,
    ) -> None:
        super().__init__(schema=schema)
        #: the DB-API module every connection, error and function comes from
        self._dbapi = dbapi_module(vectors)
        self.vectors = vectors
        self.path = os.fspath(path)
        self.table = table
        self._table_sql = quote_identifier(table)
        self.timeout = float(timeout)
        if self.timeout < 0:
            raise ConfigurationError(f"sqlite: timeout must be >= 0, got {timeout!r}")
        paths = [indexes] if isinstance(indexes, str) else list(indexes)
        self._index_sql = [self._index_statement(path) for path in paths]
        self._conn: sqlite3.Connection | None = None
        self._mutex = threading.RLock()
        self._depth = 0  # open transaction blocks (0: autocommit)
        self._release: Any = None  # drops this handle's count in _OPEN_FILES
        #: with sqlite-vec: each searched field's vectors, per state of the file
        self._vectors = VectorCache(self._table_sql, _loads)

    def _index_statement(self, path: str) -> str:
        expression = value_expression(path) if isinstance(path, str) else None
        if expression is None or path == STORAGE_KEY:
            raise ConfigurationError(
                f"sqlite: cannot index {path!r}: an index path is a data path of printable "
                "ASCII segments (no quote or backslash), at most "
                f"{MAX_FREE_SEGMENTS} of them not starting with '$' (the id is the primary "
                "key already)")
        name = quote_identifier(f"{self.table} index {path}")
        # the value's kind beside the value: a filter's type test (numbers are not booleans,
        # R-rules of docs/query-semantics.md) is answered from the index too, so a count or
        # a range never reads the table's rows to learn a matching value's kind; and the
        # row's NUL flag, so a string equality is answered from it as well
        return (f"CREATE INDEX IF NOT EXISTS {name} ON {self._table_sql} "
                f"({index_columns(path)})")

    def create_index(self, path: str) -> None:
        """Index the data path ``path`` (an expression index on its value, as the
        ``indexes`` option makes), if it is not indexed yet. The index lives in the file:
        every later handle's equality, IN and number range filters on ``path`` use it. An
        index of an earlier layout (the value alone, or without the NUL flag) is rebuilt in
        this layout."""
        statement = self._index_statement(path)
        name = f"{self.table} index {path}"
        with self._writing("create an index") as conn:
            row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                               "name = ?", (name,)).fetchone()
            if row is not None and not str(row[0]).endswith(f"({index_columns(path)})"):
                conn.execute(f"DROP INDEX {quote_identifier(name)}")
            conn.execute(statement)

    def indexed_paths(self) -> list[str]:
        """The data paths this table has indexes on (made by ``indexes`` or
        ``create_index``, by this handle or an earlier one), in name order."""
        prefix = f"{self.table} index "
        with self._cursor("list indexes") as conn:
            names = [row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "ORDER BY name", (self.table,))]
        return [name[len(prefix):] for name in names if name.startswith(prefix)]

    # -- the connection ---------------------------------------------------------------------
    def _fail(self, err: Exception, action: str) -> DataknobsError:
        where = f"sqlite {self.path} table {self.table}"
        text = str(err) or type(err).__name__
        if isinstance(err, self._dbapi.OperationalError):
            return OperationalError(f"{where}: {action}: {text}")
        return StorageError(f"{where}: {action}: {text}")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            db = self._dbapi
            if db.sqlite_version_info < MIN_SQLITE:
                raise OperationalError(
                    f"sqlite: the SQLite library is {db.sqlite_version}; this backend "
                    f"needs {'.'.join(map(str, MIN_SQLITE))} or newer (its JSON operators)")
            claim = _claim_file(self.path, db.__name__)
            try:
                conn = db.connect(self.path, timeout=self.timeout, isolation_level=None,
                                  check_same_thread=False)
            except db.Error as err:
                _release_file(claim)
                raise self._fail(err, "open") from err
            try:
                if self.vectors is not None:
                    _load_sqlite_vec(conn)
                conn.create_function("dk_match", 3, _RowMatcher(), deterministic=True)
                conn.create_function("dk_text", 1, dk_text, deterministic=True)
                conn.create_function("dk_value", 3, dk_value, deterministic=True)
                conn.create_function("dk_instant", 1, dk_instant, deterministic=True)
                if self.path != ":memory:":
                    conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {self._table_sql} (id BLOB PRIMARY KEY "
                    "NOT NULL, version TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT "
                    "NOT NULL)")
                for statement in self._index_sql:
                    conn.execute(statement)
            except BaseException as err:
                conn.close()
                _release_file(claim)
                if isinstance(err, db.Error):
                    raise self._fail(err, "set up") from err
                raise
            self._conn = conn
            # released on close, or when the handle is collected unclosed
            self._release = weakref.finalize(self, _release_file, claim)
        return self._conn

    @contextlib.contextmanager
    def _cursor(self, action: str) -> Iterator[sqlite3.Connection]:
        with self._mutex:
            try:
                yield self._connection()
            except self._dbapi.Error as err:
                raise self._fail(err, action) from err

    @contextlib.contextmanager
    def _writing(self, action: str) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``), or a savepoint inside a block."""
        with self.transaction(), self._cursor(action) as conn:
            yield conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[SQLiteDatabase]:
        """Operations in the block form one SQLite transaction (``BEGIN IMMEDIATE``): all take
        effect, or none if the block raises. The block holds this handle's lock (other
        threads wait) and the file's write lock (other processes' writes wait up to
        ``timeout``). A nested block is a savepoint."""
        with self._mutex:
            conn = self._connection()
            name = f"dk_{self._depth}"
            begin, commit = ((f"SAVEPOINT {name}", f"RELEASE {name}") if self._depth
                             else ("BEGIN IMMEDIATE", "COMMIT"))
            try:
                conn.execute(begin)
            except self._dbapi.Error as err:
                raise self._fail(err, "begin a transaction") from err
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                undo = ([f"ROLLBACK TO {name}", f"RELEASE {name}"] if self._depth
                        else ["ROLLBACK"])
                self._vectors.forget()  # the rollback undid the cache's rows too
                with contextlib.suppress(self._dbapi.Error):
                    for statement in undo:
                        conn.execute(statement)
                raise
            self._depth -= 1
            try:
                conn.execute(commit)
            except self._dbapi.Error as err:
                self._vectors.forget()
                with contextlib.suppress(self._dbapi.Error):
                    if not self._depth:
                        conn.execute("ROLLBACK")
                raise self._fail(err, "commit") from err

    def _connect(self) -> None:
        with self._mutex:
            self._connection()

    def _close(self) -> None:
        with self._mutex:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                self._depth = 0
                self._vectors.reset()
                with contextlib.suppress(self._dbapi.Error):
                    conn.close()
                if self._release is not None:
                    self._release()

    # -- rows -------------------------------------------------------------------------------
    @staticmethod
    def _record(row: Row) -> Record:
        rid, data, metadata = row
        return Record.trusted(_loads(data), _loads(metadata), id=id_text(rid))

    def _row(self, record_id: str, record: Record) -> tuple[bytes, str, str, str]:
        return (id_bytes(record_id), uuid.uuid4().hex,
                _dumps(record.data, record_id, "data"),
                _dumps(record.metadata, record_id, "metadata"))

    def _version_of(self, conn: sqlite3.Connection, record_id: str) -> str | None:
        row = conn.execute(f"SELECT version FROM {self._table_sql} WHERE id = ?",
                           (id_bytes(record_id),)).fetchone()
        return None if row is None else str(row[0])

    # -- writes -----------------------------------------------------------------------------
    def _create(self, record_id: str, record: Record) -> None:
        with self._writing("create") as conn:
            try:
                conn.execute(f"INSERT INTO {self._table_sql} VALUES (?, ?, ?, ?)",
                             self._row(record_id, record))
            except self._dbapi.IntegrityError as err:
                raise RecordExistsError(record_id) from err

    def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        failed: dict[int, BaseException] = {}
        # one random version for the batch: each record's token changes with this write,
        # and records never compare tokens with each other
        token = uuid.uuid4().hex

        def rows() -> Iterator[tuple[bytes, str, str, str]]:
            # fed to executemany as encoded, so no list of every row's JSON is built; a
            # record that cannot be stored is noted and skipped (the batch is rolled back)
            for i, rec in enumerate(records):
                rid = rec.id or ""
                metadata = rec.metadata
                try:
                    row = (rid.encode("utf-8", "surrogatepass"),  # id_bytes, inline: hot
                           token, _dumps(rec.data, rid, "data"),
                           _dumps(metadata, rid, "metadata") if metadata else "{}")
                except SerializationError as err:
                    failed[i] = err
                    continue
                yield row

        with self._writing("create a batch") as conn:
            # the common case in one statement; a taken id (the port has refused ids
            # repeated within the batch) or an unstorable record rolls the savepoint back
            conn.execute("SAVEPOINT dk_batch")
            pending = rows()
            taken = False
            try:
                conn.executemany(f"INSERT INTO {self._table_sql} VALUES (?, ?, ?, ?)",
                                 pending)
            except self._dbapi.IntegrityError:
                taken = True
                for _ in pending:  # the records after the taken id: which cannot be stored
                    pass
            if not (taken or failed):
                conn.execute("RELEASE dk_batch")
                return {}
            conn.execute("ROLLBACK TO dk_batch")
            conn.execute("RELEASE dk_batch")
            failed.update({
                i: RecordExistsError(rec.id or "") for i, rec in enumerate(records)
                if self._version_of(conn, rec.id or "") is not None})
            # atomic: a batch with a taken id or an unstorable record writes nothing
            return failed

    def _put(self, conn: sqlite3.Connection, record_id: str, record: Record) -> None:
        conn.execute(f"INSERT INTO {self._table_sql} VALUES (?, ?, ?, ?) ON CONFLICT(id) DO "
                     "UPDATE SET version = excluded.version, data = excluded.data, "
                     "metadata = excluded.metadata", self._row(record_id, record))

    def _delete(self, record_id: str, expected_version: str | None) -> bool:
        with self._writing("delete") as conn:
            check_version(record_id, expected_version, self._version_of(conn, record_id))
            cur = conn.execute(f"DELETE FROM {self._table_sql} WHERE id = ?",
                               (id_bytes(record_id),))
            return cur.rowcount > 0

    def _delete_batch(self, record_ids: list[str]) -> list[bool]:
        with self._writing("delete a batch") as conn:
            return [conn.execute(f"DELETE FROM {self._table_sql} WHERE id = ?",
                                 (id_bytes(rid),)).rowcount > 0 for rid in record_ids]

    def _clear(self) -> int:
        with self._writing("clear") as conn:
            return conn.execute(f"DELETE FROM {self._table_sql}").rowcount

    # -- reads ------------------------------------------------------------------------------
    def _read(self, record_id: str) -> Record | None:
        with self._cursor("read") as conn:
            row = conn.execute(f"SELECT id, data, metadata FROM {self._table_sql} WHERE id = ?",
                               (id_bytes(record_id),)).fetchone()
        return None if row is None else self._record(row)

    def _get_version(self, record_id: str) -> str | None:
        with self._cursor("read a version") as conn:
            return self._version_of(conn, record_id)

    def _rows(self, query: Query, order: str | None, extra: str = "",
              extra_params: tuple[Any, ...] = (), limit: int | None = None,
              offset: int = 0) -> list[Row]:
        clause = where_clause(query)
        assert clause is not None  # callers check ``where_clause`` first
        where, params = clause
        sql = f"SELECT id, data, metadata FROM {self._table_sql} WHERE ({where}){extra}"
        if order is not None:
            sql += f" ORDER BY {order} LIMIT ? OFFSET ?"
            params = [*params, *extra_params, -1 if limit is None else limit, offset]
        else:
            params = [*params, *extra_params]
        with self._cursor("search") as conn:
            return conn.execute(sql, params).fetchall()

    def _python_rows(self) -> Iterator[tuple[str, Record]]:
        """Every row, for a query SQL cannot carry (``where_clause`` is None)."""
        for row in self._rows(Query(), None):
            yield id_text(row[0]), self._record(row)

    def _search(self, query: Query) -> list[Record]:
        order = order_by(query)
        if where_clause(query) is None:
            found = [rec for _, rec in select(self._python_rows(), query)]
        elif order is not None:
            found = [self._record(row) for row in self._rows(
                query, order, limit=query.limit_value, offset=query.offset_value or 0)]
        else:  # sorted by a data field: the reference pipeline orders and pages
            rows = ((id_text(row[0]), self._record(row)) for row in self._rows(query, None))
            found = [rec for _, rec in select(rows, query, matched=True)]
        if query.fields:
            return [rec.project(query.fields) for rec in found]
        return found

    def _count(self, query: Query) -> int:
        clause = where_clause(query)
        if clause is None:
            return len(select(self._python_rows(), Query(filters=query.filters)))
        where, params = clause
        # no WHERE for no conditions: SQLite then counts the smallest index
        sql = f"SELECT count(*) FROM {self._table_sql}" + (
            "" if where == "1" else f" WHERE ({where})")
        with self._cursor("count") as conn:
            if len(query.filters) > 1:
                sql, params = self._indexed_count(conn, query, sql, params)
            row = conn.execute(sql, params).fetchone()
        return int(row[0])

    #: a filter matching fewer index entries than this is "selective" (``_indexed_count``)
    PROBE_ROWS = 2000

    def _indexed_count(self, conn: sqlite3.Connection, query: Query, sql: str,
                       params: Params) -> tuple[str, Params]:
        """The count statement of a query with two or more filters answered by indexes of
        the current layout (``translator.indexed_count``): each filter's matches are
        counted up to ``PROBE_ROWS`` from its index (a few thousand index entries at most),
        and the search starts from the fewest; with a selective one, its rows are read and
        tested, else the other filters' rowid sets are probed. Otherwise ``sql``,
        ``params`` as given (SQLite's plan: one index, each row it finds read)."""
        selects, rest = index_selects(query, self._layout_indexes(conn))
        if len(selects) < 2:
            return sql, params
        sizes = [int(conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {self._table_sql} "
                                  f"WHERE {where} LIMIT ?)",
                                  [*values, self.PROBE_ROWS]).fetchone()[0])
                 for where, values, _ in selects]
        ranked = [select for _, select in sorted(zip(sizes, selects, strict=True),
                                                 key=lambda pair: pair[0])]
        return indexed_count(self._table_sql, ranked, rest,
                             selective=min(sizes) < self.PROBE_ROWS)

    def _layout_indexes(self, conn: sqlite3.Connection) -> set[str]:
        """The data paths whose index (by this or any handle) has the current layout
        (``translator.index_columns``), which answers a filter's conditions on its own;
        none on a table of the earliest layout (``WITHOUT ROWID``: no rowids to intersect)."""
        prefix = f"{self.table} index "
        paths = set()
        for kind, name, sql in conn.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN "
                "('table', 'index')", (self.table,)):
            path = name[len(prefix):]
            if kind == "table" and "WITHOUT ROWID" in str(sql).upper():
                return set()
            if name.startswith(prefix) and str(sql).endswith(f"({index_columns(path)})"):
                paths.add(path)
        return paths

    def _vector_hits(self, query: Query, vq: VectorQuery, metric: DistanceMetric, skip: int,
                     take: int) -> list[tuple[Record, float]] | None:
        """With sqlite-vec: distances in SQL over the filter's matches, a candidate window
        re-ranked exactly (adapters/sqlite/vectors.py). Otherwise None: the port ranks."""
        if self.vectors is None:
            return None

        def execute(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
            with self._cursor("vector search") as conn:
                rows: list[tuple[Any, ...]] = conn.execute(sql, params).fetchall()
                return rows

        with self._cursor("vector search") as conn:
            cached = self._vectors.table(conn, vq.field)
            selects, rest = index_selects(query, self._layout_indexes(conn))
        # every filter answered from its index: the distances of its matches alone
        indexed = bool(selects) and not rest
        return native_hits(execute, lambda row: (id_text(row[0]), self._record(row)),
                           self._table_sql, cached, query, vq, metric, skip, take, indexed)

    def _stream_read(self, query: Query, config: StreamConfig) -> Iterator[Record]:
        order = keyset_order(query)
        if order is None or where_clause(query) is None:
            yield from self._search(query)
            return
        # keyset paging on the id: each page is one short statement, so no cursor stays
        # open between pages and memory stays bounded by the batch size
        unpaged = Query(filters=query.filters, sort_specs=query.sort_specs)
        records = self._keyset(unpaged, order, max(1, config.batch_size))
        for rec in window(records, query):
            yield rec.project(query.fields) if query.fields else rec

    def _keyset(self, query: Query, order: str, size: int) -> Iterator[Record]:
        descending = order.endswith("DESC")
        after: bytes | None = None
        while True:
            extra = "" if after is None else (" AND id < ?" if descending else " AND id > ?")
            rows = self._rows(query, order, extra, () if after is None else (after,),
                              limit=size)
            for row in rows:
                yield self._record(row)
            if len(rows) < size:
                return
            after = rows[-1][0]

    def __repr__(self) -> str:
        mode = "" if self.vectors is None else f", vectors={self.vectors!r}"
        return f"SQLiteDatabase(path={self.path!r}, table={self.table!r}{mode})"


class _RowMatcher:
    """``dk_match(condition, id, data)``: the reference predicate over a stored row. One per
    connection (used under the adapter's lock); it keeps the last row it decoded, so a query
    with several conditions evaluated in Python decodes each row once."""

    __slots__ = ("data", "key")

    def __init__(self) -> None:
        self.key: tuple[bytes, str] | None = None
        self.data: dict[str, Any] = {}

    def __call__(self, condition: str, rid: bytes, data: str) -> bool:
        if self.key != (rid, data):
            self.data, self.key = _loads(data), (rid, data)
        return predicate(condition)(self.data, id_text(rid))


class AsyncSQLiteDatabase(SyncBackedAsyncDatabase):
    """The SQLite adapter behind the async port: sqlite3 calls run in a bounded thread
    pool."""

    sync_class = SQLiteDatabase


__all__ = ["AsyncSQLiteDatabase", "SQLiteDatabase", "quote_identifier"]
