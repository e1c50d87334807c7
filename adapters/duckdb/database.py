"""The DuckDB adapter: one table ``(id BLOB, version, data BLOB, metadata BLOB)``.

The id is its UTF-8 bytes (``surrogatepass``: any string, NUL and lone surrogates included,
orders by code point as a BLOB); data and metadata are the typed codec's JSON
(``domain.codec``) as UTF-8 bytes with ``surrogatepass``, so every string survives. SQL
drops the rows that cannot match (``prefilter.necessary_where``: top-level filters on the
path ``id`` exactly, through the sqlite translator's ``_id_filter``, whose SQL DuckDB shares,
and on data paths with string or number operands through DuckDB's JSON functions); every
condition is then evaluated by the reference pipeline (``domain.matcher.select``) over the
rows SQL returns. ``source`` opens Parquet, CSV or JSON files read-only and queries them in
place (source.py: the conditions pushed down to DuckDB over the files' native columns).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from ...domain.codec import decode, dumps
from ...domain.errors import (
    BackendNotAvailableError,
    ConfigurationError,
    DataknobsError,
    OperationalError,
    RecordExistsError,
    StorageError,
)
from ...domain.matcher import compile_condition, select, window
from ...domain.query import STORAGE_KEY, And, Query
from ...domain.records import Record
from ...domain.schema import Schema
from ...domain.vectors import DistanceMetric, VectorQuery
from ...ports.capabilities import Capabilities
from ...ports.database import SyncDatabase, check_version
from ...ports.streaming import StreamConfig
from ..async_bridge import SyncBackedAsyncDatabase
from ..row_writes import VersionedRowWrites
from ..sqlite.database import quote_identifier
from ..sqlite.translator import _variants, id_bytes, id_text
from .prefilter import necessary_where, rows_sql, sort_keys
from .source import SourceRows
from .vectors import VectorCache, native_hits

INSTALL_HINT = 'the duckdb backend needs duckdb: pip install "dataknobs-data[duckdb]"'
Row = tuple[bytes, bytes, bytes]


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as err:
        raise BackendNotAvailableError(INSTALL_HINT) from err
    return duckdb


def _blob(value: Any) -> bytes:
    return dumps(value).encode("utf-8", "surrogatepass")


def _loads(blob: bytes) -> Any:
    return decode(json.loads(blob.decode("utf-8", "surrogatepass")), in_place=True)


def _index_paths(indexes: Sequence[str] | str, source: bool) -> tuple[str, ...]:
    """The ``indexes`` option, each path checked: a data path SQL can name."""
    paths = (indexes,) if isinstance(indexes, str) else tuple(indexes)
    if paths and source:
        raise ConfigurationError("duckdb: indexes is an option of table mode only (source "
                                 "mode reads the files' own columns)")
    for path in paths:
        if not isinstance(path, str) or path == STORAGE_KEY or _variants(path) is None:
            raise ConfigurationError(
                f"duckdb: cannot index {path!r}: an index path is a data path of printable "
                "ASCII segments (no double quote or backslash), other than the id")
    return paths


class ReadOnlyError(StorageError):
    """A write to a read-only (``source``) DuckDB database."""


class DuckDBDatabase(VersionedRowWrites, SyncDatabase):
    """A store in one table of a DuckDB file (see docs/backends/duckdb.md).

    ``path``: the database file (``":memory:"``: private to this handle); ``table``: the
    table's name; ``source``: instead, a Parquet, CSV or JSON/JSONL file or glob opened
    read-only; ``id_field``: the source column holding ids (default ``id`` when present,
    else the zero-padded row number); ``indexes``: data paths whose values the handle's
    vector cache keeps beside each row's parsed vector, so the EQ, IN, STARTS_WITH and
    number range filters of a ``similar_to`` query on them pick the rows to rank without
    reading any row's JSON (DuckDB has no index on a JSON path that its planner uses for
    these filters; other queries are unchanged)."""

    backend_name = "duckdb"
    #: the fewest rows a sorted, limited search first fetches in SQL order (``_top``)
    top_fetch = 256
    capabilities = Capabilities(
        persistent=True, transactions=True, atomic_batches=True, conditional_writes=True)

    def __init__(self, *, path: str | os.PathLike[str] = ":memory:", table: str = "records",
                 source: str | os.PathLike[str] | None = None, id_field: str | None = None,
                 indexes: Sequence[str] | str = (),
                 schema: Schema | dict[str, Any] | None = None) -> None:
        super().__init__(schema=schema)
        self.path = os.fspath(path)
        self.table = table
        self._table_sql = quote_identifier(table)
        self.source = None if source is None else os.fspath(source)
        if id_field is not None and self.source is None:
            raise ConfigurationError("duckdb: id_field is an option of source mode only")
        self.id_field = id_field
        self.indexes = _index_paths(indexes, self.source is not None)
        self._conn: Any = None
        self._rows_cache: SourceRows | None = None
        self._mutex = threading.RLock()
        self._depth = 0
        #: per nested block: id -> the row before the block's first write (None: absent)
        self._undo: list[dict[bytes, Row | None]] = []
        #: the parsed vectors of the fields searched, per state of the table
        self._vectors = VectorCache(self._table_sql, self.indexes)

    # -- the connection -----------------------------------------------------------------
    def _fail(self, err: Exception, action: str) -> DataknobsError:
        return StorageError(f"duckdb {self.source or self.path} table {self.table}: "
                            f"{action}: {err}")

    def _connection(self) -> Any:
        if self._conn is None:
            duckdb = _duckdb()
            # only the extensions built into the wheel (json, parquet): never a download
            config = {"autoinstall_known_extensions": False,
                      "autoload_known_extensions": False}
            try:
                if self.source is not None:
                    # row numbers follow the readers' order (source.py): DuckDB's default
                    conn = duckdb.connect(":memory:", config={
                        **config, "preserve_insertion_order": True})
                    try:
                        self._rows_cache = SourceRows.load(conn, self.source, self.id_field)
                    except BaseException:
                        conn.close()
                        raise
                else:
                    conn = duckdb.connect(self.path, config=config)
                    conn.execute(f"CREATE TABLE IF NOT EXISTS {self._table_sql} (id BLOB "
                                 "PRIMARY KEY, version VARCHAR NOT NULL, data BLOB NOT NULL, "
                                 "metadata BLOB NOT NULL)")
            except duckdb.Error as err:
                raise self._fail(err, "open") from err
            self._conn = conn
        return self._conn

    @contextlib.contextmanager
    def _cursor(self, action: str) -> Iterator[Any]:
        duckdb = _duckdb()
        with self._mutex:
            try:
                yield self._connection()
            except duckdb.Error as err:
                raise self._fail(err, action) from err

    def _refuse_writes(self, action: str) -> None:
        if self.source is not None:
            raise ReadOnlyError(f"duckdb source {self.source!r} is read-only: cannot {action}")

    @contextlib.contextmanager
    def _writing(self, action: str) -> Iterator[Any]:
        self._refuse_writes(action)
        with self.transaction(), self._cursor(action) as conn:
            yield conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[DuckDBDatabase]:
        """Operations in the block form one DuckDB transaction; a nested block is a savepoint
        (DuckDB has none: the adapter keeps the rows a nested block overwrote and puts them
        back when it raises)."""
        duckdb = _duckdb()
        with self._mutex:
            conn = self._connection()
            outer = self._depth == 0
            if outer and self.source is None:
                conn.execute("BEGIN TRANSACTION")
            elif not outer:
                self._undo.append({})
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                with contextlib.suppress(duckdb.Error):
                    if outer and self.source is None:
                        conn.execute("ROLLBACK")
                    elif not outer:
                        self._restore(conn, self._undo.pop())
                raise
            self._depth -= 1
            if not outer:
                done = self._undo.pop()
                if self._undo:  # the enclosing savepoint keeps the oldest rows
                    for key, row in done.items():
                        self._undo[-1].setdefault(key, row)
                return
            if self.source is None:
                try:
                    conn.execute("COMMIT")
                except duckdb.Error as err:
                    with contextlib.suppress(duckdb.Error):
                        conn.execute("ROLLBACK")
                    raise self._fail(err, "commit") from err

    def _restore(self, conn: Any, undo: dict[bytes, Row | None]) -> None:
        for key, row in undo.items():
            conn.execute(f"DELETE FROM {self._table_sql} WHERE id = ?", [key])
            if row is not None:
                conn.execute(f"INSERT INTO {self._table_sql} VALUES (?, ?, ?, ?)", list(row))

    def _remember(self, conn: Any, keys: list[bytes]) -> None:
        """Before a write inside a nested block: the rows it is about to change."""
        if not self._undo:
            return
        top = self._undo[-1]
        for key in keys:
            if key not in top:
                top[key] = conn.execute(f"SELECT id, version, data, metadata FROM "
                                        f"{self._table_sql} WHERE id = ?", [key]).fetchone()

    def _connect(self) -> None:
        with self._mutex:
            self._connection()

    def _close(self) -> None:
        with self._mutex:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                self._depth, self._undo, self._rows_cache = 0, [], None
                self._vectors = VectorCache(self._table_sql, self.indexes)
                with contextlib.suppress(Exception):
                    conn.close()

    # -- rows ---------------------------------------------------------------------------
    @staticmethod
    def _record(row: Row) -> Record:
        return Record.trusted(_loads(row[1]), _loads(row[2]), id=id_text(row[0]))

    @staticmethod
    def _row(record_id: str, record: Record) -> list[Any]:
        return [id_bytes(record_id), uuid.uuid4().hex, _blob(record.data),
                _blob(record.metadata)]

    def _version_of(self, conn: Any, record_id: str) -> str | None:
        row = conn.execute(f"SELECT version FROM {self._table_sql} WHERE id = ?",
                           [id_bytes(record_id)]).fetchone()
        return None if row is None else str(row[0])

    # -- writes -------------------------------------------------------------------------
    def _insert(self, conn: Any, rows: list[list[Any]]) -> None:
        self._remember(conn, [row[0] for row in rows])
        if len(rows) > 64:
            try:
                import pyarrow as pa
            except ImportError:
                pa = None
            if pa is not None:  # a bulk load through Arrow (executemany is row by row)
                batch = pa.table({name: [row[i] for row in rows] for i, name in
                                  enumerate(("id", "version", "data", "metadata"))})
                conn.register("dk_batch", batch)
                try:
                    conn.execute(f"INSERT INTO {self._table_sql} SELECT * FROM dk_batch")
                finally:
                    conn.unregister("dk_batch")
                return
        for row in rows:
            conn.execute(f"INSERT INTO {self._table_sql} VALUES (?, ?, ?, ?)", row)

    def _put(self, conn: Any, record_id: str, record: Record) -> None:
        row = self._row(record_id, record)
        self._remember(conn, [row[0]])
        conn.execute(f"INSERT OR REPLACE INTO {self._table_sql} VALUES (?, ?, ?, ?)", row)

    def _create(self, record_id: str, record: Record) -> None:
        duckdb = _duckdb()
        with self._writing("create") as conn:
            if self._version_of(conn, record_id) is not None:
                raise RecordExistsError(record_id)
            try:
                self._insert(conn, [self._row(record_id, record)])
            except duckdb.ConstraintException as err:
                raise RecordExistsError(record_id) from err

    def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        rows = [self._row(rec.id or "", rec) for rec in records]
        with self._writing("create a batch") as conn:
            taken = {bytes(r[0]) for r in conn.execute(
                f"SELECT id FROM {self._table_sql} WHERE id IN (SELECT unnest(?))",
                [[row[0] for row in rows]]).fetchall()} if rows else set()
            failed: dict[int, BaseException] = {
                i: RecordExistsError(rec.id or "") for i, rec in enumerate(records)
                if rows[i][0] in taken}
            if failed:  # atomic: a batch with a taken id writes nothing
                return failed
            self._insert(conn, rows)
            return {}

    def _delete(self, record_id: str, expected_version: str | None) -> bool:
        with self._writing("delete") as conn:
            current = self._version_of(conn, record_id)
            check_version(record_id, expected_version, current)
            if current is None:
                return False
            self._remember(conn, [id_bytes(record_id)])
            conn.execute(f"DELETE FROM {self._table_sql} WHERE id = ?", [id_bytes(record_id)])
            return True

    def _delete_batch(self, record_ids: list[str]) -> list[bool]:
        with self._writing("delete a batch"):
            return [self._delete(rid, None) for rid in record_ids]

    def _clear(self) -> int:
        with self._writing("clear") as conn:
            keys = [r[0] for r in conn.execute(f"SELECT id FROM {self._table_sql}").fetchall()]
            self._remember(conn, keys)
            conn.execute(f"DELETE FROM {self._table_sql}")
            return len(keys)

    # -- reads --------------------------------------------------------------------------
    def _read(self, record_id: str) -> Record | None:
        if self.source is not None:
            with self._cursor("read") as conn:
                assert self._rows_cache is not None
                return self._rows_cache.read(conn, record_id)
        with self._cursor("read") as conn:
            row = conn.execute(f"SELECT id, data, metadata FROM {self._table_sql} "
                               "WHERE id = ?", [id_bytes(record_id)]).fetchone()
        return None if row is None else self._record(row)

    def _get_version(self, record_id: str) -> str | None:
        if self.source is not None:
            with self._cursor("read a version") as conn:
                assert self._rows_cache is not None
                return "source" if self._rows_cache.exists(conn, record_id) else None
        with self._cursor("read a version") as conn:
            return self._version_of(conn, record_id)

    def _pairs(self, query: Query, extra: str = "", extra_params: tuple[Any, ...] = (),
               limit: int | None = None) -> Iterator[tuple[str, Record]]:
        where, params = necessary_where(query)
        sql = f"SELECT id, data, metadata FROM {rows_sql(self._table_sql)} WHERE {where}{extra}"
        if limit is not None:
            sql += f" ORDER BY id LIMIT {int(limit)}"
        with self._cursor("search") as conn:
            rows = conn.execute(sql, [*params, *extra_params]).fetchall()
        for row in rows:
            yield id_text(row[0]), self._record(row)

    def _top(self, query: Query) -> list[Record] | None:
        """A sorted, limited search through SQL's own ORDER BY ... LIMIT. Rows come in the
        order of ``sort_keys``: first those it cannot place, then the others in an order
        that never contradicts the exact one. They are fetched until ``k`` (offset + limit)
        placed rows pass the exact filter; the candidates are then the unplaced rows and
        every row whose keys are at most the k-th's, a superset of the exact top k, which
        the reference pipeline filters, orders and pages. None: not such a query."""
        if query.limit_value is None or not query.sort_specs:
            return None
        keys = sort_keys(query.sort_specs[0])
        if keys is None:
            return None
        k = (query.offset_value or 0) + query.limit_value
        if k == 0:
            return []
        where, params = necessary_where(query)
        listed = ", ".join(keys)
        base = (f"SELECT id, data, metadata, {listed} FROM {rows_sql(self._table_sql)} "
                f"WHERE {where}")
        exact = compile_condition(And(*query.filters)) if query.filters else None
        size = max(4 * k, self.top_fetch)
        while True:
            with self._cursor("search") as conn:
                rows = conn.execute(f"{base} ORDER BY {listed}, id LIMIT {size}",
                                    params).fetchall()
            pairs = [(id_text(row[0]), self._record(row)) for row in rows]  # decoded once
            placed = [row for row, (rid, rec) in zip(rows, pairs, strict=True) if row[3] == 1 and (
                exact is None or exact(rec.data, rid))]
            if len(rows) < size or len(placed) >= k:
                break
            size *= 4
        if len(rows) == size:  # not every row was read: the k-th placed row bounds the rest
            bound = tuple(placed[k - 1][3:7])
            if tuple(rows[-1][3:7]) <= bound:  # ties with the bound may lie beyond the last
                with self._cursor("search") as conn:
                    rows = conn.execute(f"{base} AND (({keys[0]}) = 0 OR ({listed}) <= "
                                        f"(?, ?, ?, ?))", [*params, *bound]).fetchall()
                pairs = [(id_text(row[0]), self._record(row)) for row in rows]
        return [rec for _, rec in select(iter(pairs), query)]

    def _search(self, query: Query) -> list[Record]:
        if self.source is not None:
            with self._cursor("search") as conn:
                assert self._rows_cache is not None
                found = self._rows_cache.search(conn, query)
            return [rec.project(query.fields) for rec in found] if query.fields else found
        top = self._top(query)
        if top is not None:
            return [rec.project(query.fields) for rec in top] if query.fields else top
        found = [rec for _, rec in select(self._pairs(query), query)]
        if query.fields:
            return [rec.project(query.fields) for rec in found]
        return found

    def _vector_hits(self, query: Query, vq: VectorQuery, metric: DistanceMetric, skip: int,
                     take: int) -> list[tuple[Record, float]] | None:
        """Distances in SQL over the filter's matches, a candidate window re-ranked exactly
        (adapters/duckdb/vectors.py). Source mode: None (the port ranks the records that
        ``_stream_read`` fetches: the filter's rows, the vector column and the filter's)."""
        if self.source is not None:
            return None

        def execute(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
            with self._cursor("vector search") as conn:
                rows: list[tuple[Any, ...]] = conn.execute(sql, params).fetchall()
                return rows

        with self._cursor("vector search") as conn:
            # outside a transaction only: a rollback would drop the temporary table
            cached = None if self._depth else self._vectors.table(conn, vq.field)
        return native_hits(execute, lambda row: (id_text(row[0]), self._record(row)),
                           self._table_sql, cached, query, vq, metric, skip, take,
                           self._vectors.columns)

    def _count(self, query: Query) -> int:
        if self.source is not None:
            with self._cursor("count") as conn:
                assert self._rows_cache is not None
                return self._rows_cache.count(conn, query)
        if not query.filters:
            with self._cursor("count") as conn:
                return int(conn.execute(f"SELECT count(*) FROM {self._table_sql}").fetchone()[0])
        return len(select(self._pairs(query), Query(filters=query.filters)))

    def _stream_read(self, query: Query, config: StreamConfig) -> Iterator[Record]:
        if self.source is not None:
            yield from self._source_stream(query, config)
            return
        if query.sort_specs:
            yield from self._search(query)
            return
        # keyset paging on the id: memory stays bounded by the batch size
        unpaged = Query(filters=query.filters)
        size = max(1, config.batch_size)

        def pages() -> Iterator[Record]:
            after: bytes | None = None
            while True:
                extra = "" if after is None else " AND id > ?"
                page = list(self._pairs(unpaged, extra, () if after is None else (after,),
                                        limit=size))
                for _, rec in select(page, unpaged):
                    yield rec
                if len(page) < size:
                    return
                after = id_bytes(page[-1][0])

        for rec in window(pages(), query):
            yield rec.project(query.fields) if query.fields else rec

    def _source_stream(self, query: Query, config: StreamConfig) -> Iterator[Record]:
        """Source mode: the rows in query order from a cursor of their own (the connection's
        lock is held to open it, not while the caller reads), else ``_search``."""
        duckdb = _duckdb()
        with self._cursor("stream") as conn:
            assert self._rows_cache is not None
            records = self._rows_cache.stream(conn, query, max(1, config.batch_size))
        if records is None:
            yield from self._search(query)
            return
        try:
            for rec in records:
                yield rec.project(query.fields) if query.fields else rec
        except duckdb.Error as err:
            raise self._fail(err, "stream") from err
        finally:
            close = getattr(records, "close", None)
            if close is not None:
                close()

    def __repr__(self) -> str:
        if self.source is not None:
            return f"DuckDBDatabase(source={self.source!r})"
        return f"DuckDBDatabase(path={self.path!r}, table={self.table!r})"


class AsyncDuckDBDatabase(SyncBackedAsyncDatabase):
    """The DuckDB adapter behind the async port: duckdb calls run in a bounded thread pool."""

    sync_class = DuckDBDatabase


__all__ = ["INSTALL_HINT", "AsyncDuckDBDatabase", "DuckDBDatabase", "OperationalError",
           "ReadOnlyError"]
