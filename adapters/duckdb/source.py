"""Source mode: Parquet, CSV or JSON files opened read-only and queried in place by DuckDB.

Each row is a record whose data is the row's columns (a NULL stays a null), converted by
``_value``. The id is the ``id_field`` column's value as text (default ``id`` when the files
have that column), else the row's number, zero-padded so ids order as rows do. DuckDB reads
the files with its built-in readers (``read_parquet``, ``read_csv_auto``, ``read_json_auto``)
at every statement; nothing is loaded into Python when the source opens.

Opening reads the schema and counts the rows (Parquet: from its metadata): an id column is
checked unique with ``count(DISTINCT ...)`` over its text (and only when that finds a
repeat, a second statement names the first one in file order). Row numbers are, for Parquet,
DuckDB's ``file_row_number`` plus the rows of the files before (``file_index``, the glob's
order), and for CSV and JSON ``row_number() OVER ()`` over the reader, whose rows come in
file order (DuckDB's ``preserve_insertion_order``, on by default): the numbers a full read in
file order gives, as before.

A query's conditions become a necessary condition in SQL over the native columns
(prefilter.py's ``condition``); the reference pipeline (``domain.matcher``) then checks
every row DuckDB returns, so answers are the specification's. When SQL can order the rows
exactly as the sort keys (and the id) do (``order_keys``), it orders them, and pages them
too when the condition is exact; otherwise the reference pipeline sorts the rows the
condition keeps. Only the columns a projected query reads are fetched.
"""

from __future__ import annotations

import bisect
import datetime as dt
import decimal
import math
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from ...domain.errors import ConfigurationError, SerializationError
from ...domain.matcher import RecordPredicate, compile_query, select, window
from ...domain.query import STORAGE_KEY, Condition, Filter, Query, reads_storage_key
from ...domain.records import Record
from ...domain.values import lone_surrogate
from ..sqlite.database import quote_identifier
from ..sqlite.translator import sql_literal
from .prefilter import (
    INTEGER_TYPES,
    MISSING,
    Pushed,
    Target,
    column_target,
    condition,
    conjunction,
    id_target,
    order_keys,
)

_READERS = {".parquet": "read_parquet", ".csv": "read_csv_auto", ".tsv": "read_csv_auto",
            ".json": "read_json_auto", ".jsonl": "read_json_auto", ".ndjson": "read_json_auto"}
#: the ids an integer column's values have as text
_CANONICAL_INT = re.compile(r"0|-?[1-9][0-9]*")
_INT_BITS = {"TINYINT": 8, "SMALLINT": 16, "INTEGER": 32, "BIGINT": 64, "HUGEINT": 128}
#: the types whose values DuckDB gives as ``_value`` keeps them (str, int, bool, datetime)
_AS_IS = INTEGER_TYPES | {"VARCHAR", "JSON", "BOOLEAN", "TIMESTAMP", "TIMESTAMP_S",
                          "TIMESTAMP_MS", "TIMESTAMP WITH TIME ZONE"}


def _reader(source: str) -> str:
    for suffix, reader in _READERS.items():
        if source.lower().endswith(suffix):
            return reader
    raise ConfigurationError(f"duckdb: source {source!r} must end in one of "
                             f"{', '.join(_READERS)}")


def _value(value: Any, column: str) -> Any:
    """A DuckDB value as a storable one: DATE as a naive datetime at midnight, DECIMAL as
    int or float, UUID, TIME and INTERVAL as text, NaN and infinities as null."""
    if value is None or type(value) in (str, bool, int, dt.datetime):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID | dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _value(v, column) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_value(v, column) for v in value]
    raise SerializationError(f"duckdb source column {column!r}: a {type(value).__name__} "
                             "value is not storable")


def _holds_blob(typ: Any) -> bool:
    if typ.id == "blob":
        return True
    return typ.id in ("struct", "list", "array", "map", "union") and any(
        _holds_blob(child) for _, child in typ.children if hasattr(child, "id"))


def _fresh(base: str, taken: Iterable[str]) -> str:
    folded = {n.lower() for n in taken}
    name, n = base, 0
    while name.lower() in folded:
        n += 1
        name = f"{base}_{n}"
    return name


def _int_range(name: str) -> tuple[int, int]:
    if name.startswith("U"):
        return 0, 2 ** _INT_BITS[name[1:]] - 1
    half = 2 ** (_INT_BITS[name] - 1)
    return -half, half - 1


def _paths(conditions: Iterable[Condition]) -> Iterator[str]:
    for cond in conditions:
        if isinstance(cond, Filter):
            yield cond.field
        else:
            yield from _paths(cond.conditions)


class SourceRows:
    """A source opened in place: its columns, the SQL of its rows' ids, and the statements
    that read its records (each method takes the DuckDB connection)."""

    #: the fewest rows an ordered, limited search fetches first (more when the Python check
    #: drops rows)
    fetch_min = 256

    def __init__(self, source: str, reader: str) -> None:
        self.source = source
        #: the reader's call, and the FROM clause of the rows (with their number, if needed)
        self.reader = self.relation = reader
        self.columns: list[str] = []
        self.types: dict[str, Any] = {}
        #: the columns whose values need ``_value`` (the others are storable as they come)
        self.converted: set[str] = set()
        self.rows = 0
        #: the id column (None: ids are row numbers) and its DuckDB type
        self.key: str | None = None
        self.key_type: Any = None
        self.key_nulls = False
        #: each row's id as SQL text, and an SQL key in id order
        self.id_text = self.id_order = ""
        #: row numbers: the ids' width, and per file with rows (file_index, first row) when
        #: DuckDB's ``file_row_number`` numbers them (else the reader's order does)
        self.width = 1
        self.files: list[tuple[int, int]] | None = None

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def load(cls, conn: Any, source: str, id_field: str | None) -> SourceRows:
        """Open ``source``: its schema, row count and ids (no row is read into Python)."""
        self = cls(source, f"{_reader(source)}({sql_literal(source)})")
        cur = conn.execute(f"SELECT * FROM {self.reader} LIMIT 0")
        described = [(d[0], d[1]) for d in cur.description]
        cur.fetchall()
        self.columns = [name for name, _ in described]
        # DuckDB's readers rename repeated names (ignoring case, as its identifiers do)
        self.types = dict(described)
        self.converted = {n for n, t in described if str(t) not in _AS_IS and t.id != "enum"}
        key = id_field if id_field is not None else ("id" if "id" in self.columns else None)
        if key is not None and key not in self.columns:
            raise ConfigurationError(f"duckdb: source {source!r} has no id_field column "
                                     f"{key!r} (columns: {self.columns})")
        for name, typ in described:
            if _holds_blob(typ):
                raise SerializationError(f"duckdb source column {name!r}: a {typ} column "
                                         "(bytes values) is not storable")
        numbered = self.reader.startswith("read_parquet") and not (
            {"file_index", "file_row_number"} & {c.lower() for c in self.columns})
        if numbered:  # virtual columns of DuckDB's Parquet reader (from 1.2)
            import duckdb  # present: the adapter connected with it

            try:
                conn.execute(f"SELECT file_index, file_row_number FROM {self.reader} "
                             "LIMIT 0").fetchall()
            except duckdb.Error:
                numbered = False
        if key is None:
            self._number_rows(conn, numbered)
        else:
            self._identify(conn, key, numbered)
        return self

    def _number_rows(self, conn: Any, numbered: bool) -> None:
        if numbered:
            counts = conn.execute(f"SELECT file_index, count(*) FROM {self.reader} "
                                  "GROUP BY file_index ORDER BY file_index").fetchall()
            self.files, first = [], 0
            for index, n in counts:
                self.files.append((int(index), first))
                first += int(n)
            self.rows = first
            if len(self.files) <= 1:
                number = "file_row_number"
            else:  # the rows of the files before: computed here, not values of a query
                starts = [0] * (self.files[-1][0] + 1)
                for index, start in self.files:
                    starts[index] = start
                number = (f"(file_row_number + CAST({starts}[CAST(file_index AS BIGINT) + 1] "
                          "AS BIGINT))")
        else:
            self.rows = int(conn.execute(f"SELECT count(*) FROM {self.reader}").fetchall()[0][0])
            number = quote_identifier(_fresh("dk_row", self.columns))
            self.relation = (f"(SELECT *, row_number() OVER () - 1 AS {number} "
                             f"FROM {self.reader}) AS dk_source")
        self.width = len(str(max(self.rows - 1, 0)))
        self.id_text = f"lpad(CAST({number} AS VARCHAR), {self.width}, '0')"
        self.id_order = number

    def _identify(self, conn: Any, key: str, numbered: bool) -> None:
        self.key, self.key_type = key, self.types[key]
        col, name = quote_identifier(key), str(self.key_type)
        if name == "VARCHAR":
            text = col
        elif name in INTEGER_TYPES or name == "UUID" or self.key_type.id == "enum":
            text = f"CAST({col} AS VARCHAR)"  # the text Python's str gives
        elif name == "BOOLEAN":
            text = f"CASE WHEN {col} THEN 'True' WHEN NOT {col} THEN 'False' END"
        else:  # any other type: the id Python makes of the converted value
            conn.create_function("dk_source_id", lambda v: str(_value(v, key)),
                                 [self.key_type], "VARCHAR")
            text = f"dk_source_id({col})"
        rows, present, distinct = conn.execute(
            f"SELECT count(*), count({col}), count(DISTINCT COALESCE({text}, 'None')) "
            f"FROM {self.reader}").fetchall()[0]
        self.rows, self.key_nulls = int(rows), present < rows
        self.id_text = self.id_order = (f"COALESCE({text}, 'None')" if self.key_nulls
                                        else text)
        if distinct < rows:
            raise ConfigurationError(f"duckdb: source {self.source!r}: id "
                                     f"{self._repeated(conn, numbered)!r} appears twice in "
                                     f"column {key!r}")

    def _repeated(self, conn: Any, numbered: bool) -> str:
        """The first id in file order that a row before it has too."""
        if numbered:
            inner = (f"SELECT {self.id_text} AS dk_id, file_index AS dk_file, "
                     f"file_row_number AS dk_row FROM {self.reader}")
            order = "dk_file, dk_row"
        else:
            inner = (f"SELECT {self.id_text} AS dk_id, row_number() OVER () AS dk_row "
                     f"FROM {self.reader}")
            order = "dk_row"
        found = conn.execute(
            f"SELECT dk_id FROM (SELECT dk_id, {order}, row_number() OVER (PARTITION BY dk_id "
            f"ORDER BY {order}) AS dk_seen FROM ({inner}) AS a) AS b WHERE dk_seen = 2 "
            f"ORDER BY {order} LIMIT 1").fetchall()
        return str(found[0][0])

    # -- translation --------------------------------------------------------------------------
    def target(self, path: str) -> Target:
        """What SQL can tell of the values at ``path`` (``id``: the record ids)."""
        if path == STORAGE_KEY:
            return id_target(self.id_text, self.id_order)
        head, *rest = path.split(".")
        if head not in self.types:
            return MISSING
        sql, typ = quote_identifier(head), self.types[head]
        for segment in rest:
            if typ.id != "struct":  # a dict SQL cannot name (MAP, UNION), else no object
                return Target() if typ.id in ("map", "union") else MISSING
            fields = dict(typ.children)
            if segment not in fields:
                return MISSING
            sql, typ = f"struct_extract({sql}, {sql_literal(segment)})", fields[segment]
        return column_target(sql, typ)

    def where(self, query: Query) -> Pushed:
        """The query's necessary condition over the columns, with whether it is exact."""
        return conjunction([condition(c, self.target) for c in query.filters])

    def needed(self, query: Query, *, counting: bool = False) -> list[str]:
        """The columns the query reads: those its conditions, sort keys and projection name
        (counting: its conditions), or every column."""
        if not (counting or query.fields):
            return list(self.columns)
        paths = [p for p in _paths(query.filters) if p != STORAGE_KEY]
        if not counting:
            paths += [s.field for s in query.sort_specs if s.field != STORAGE_KEY]
            paths += query.fields or []  # a projected ``id`` is the data field
        heads = {p.split(".")[0] for p in paths}
        return [c for c in self.columns if c in heads]

    def statement(self, names: list[str], where: str, params: list[Any],
                  order: list[str] | None = None, limit: int | None = None,
                  offset: int = 0, *, ids: bool = True) -> tuple[str, list[Any]]:
        """SELECT the columns ``names`` and the id (``ids``; else NULL) of the rows
        ``WHERE where``."""
        sql = (f"SELECT {self._listed(names)}{self.id_text if ids else 'NULL'} "
               f"FROM {self.relation} WHERE {where}")
        params = list(params)
        if order:
            sql += f" ORDER BY {', '.join(order)}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        if offset:
            sql += " OFFSET ?"
            params.append(offset)
        return sql, params

    @staticmethod
    def _listed(names: list[str]) -> str:
        return "".join(f"{quote_identifier(c)}, " for c in names)

    def _converted(self, rows: list[tuple[Any, ...]], names: list[str]
                   ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(id, data) of fetched rows: the columns ``names``, then the id last."""
        convert = [(i, c) for i, c in enumerate(names) if c in self.converted]
        for row in rows:
            data = dict(zip(names, row, strict=False))  # the id, one more, is left out
            for i, c in convert:
                if row[i] is not None:
                    data[c] = _value(row[i], c)
            yield row[-1], data

    def _records(self, rows: list[tuple[Any, ...]], names: list[str]
                 ) -> list[tuple[str, Record]]:
        return [(rid, Record.trusted(data, {}, id=rid))
                for rid, data in self._converted(rows, names)]

    # -- ids -------------------------------------------------------------------------------
    def _row_number(self, rid: str) -> int | None:
        if len(rid) != self.width or not rid.isascii() or not rid.isdigit():
            return None
        n = int(rid)
        return n if n < self.rows else None

    def _lookup(self, rid: str) -> tuple[str, list[Any]] | None:
        """A condition true for the row whose id is ``rid`` (and maybe a few others), or
        None when no row can have it."""
        if self.key is None:
            n = self._row_number(rid)
            if n is None or self.files is None:
                return None
            index, first = self.files[bisect.bisect_right([f for _, f in self.files], n) - 1]
            return ("file_index = CAST(? AS BIGINT) AND file_row_number = CAST(? AS BIGINT)",
                    [index, n - first])
        col, name = quote_identifier(self.key), str(self.key_type)
        parts = [f"{col} IS NULL"] if rid == "None" and self.key_nulls else []
        params: list[Any] = []
        if name in INTEGER_TYPES:
            low, high = _int_range(name)
            if _CANONICAL_INT.fullmatch(rid) and low <= int(rid) <= high:
                parts.append(f"{col} = CAST(? AS {name})")
                params.append(int(rid))
        elif lone_surrogate(rid) is None:  # DuckDB's text is UTF-8: no id has one
            parts.append(f"{col if name == 'VARCHAR' else self.id_text} = CAST(? AS VARCHAR)")
            params.append(rid)
        return (" OR ".join(parts), params) if parts else None

    def read(self, conn: Any, rid: str) -> Record | None:
        if self.key is None and self.files is None:  # rows in the reader's order
            n = self._row_number(rid)
            if n is None:
                return None
            rows = conn.execute(f"SELECT {self._listed(self.columns)}CAST(? AS VARCHAR) FROM "
                                f"{self.reader} LIMIT 1 OFFSET ?", [rid, n]).fetchall()
        else:
            found = self._lookup(rid)
            if found is None:
                return None
            rows = conn.execute(*self.statement(self.columns, *found)).fetchall()
        return next((rec for got, rec in self._records(rows, self.columns) if got == rid),
                    None)

    def exists(self, conn: Any, rid: str) -> bool:
        if self.key is None:
            return self._row_number(rid) is not None
        found = self._lookup(rid)
        if found is None:
            return False
        sql, params = self.statement([], *found)
        return any(row[-1] == rid for row in conn.execute(sql, params).fetchall())

    # -- queries ---------------------------------------------------------------------------
    def count(self, conn: Any, query: Query) -> int:
        if not query.filters:
            return self.rows
        where, params, exact = self.where(query)
        if exact:
            return int(conn.execute(f"SELECT count(*) FROM {self.relation} WHERE {where}",
                                    params).fetchall()[0][0])
        names = self.needed(query, counting=True)
        ids = any(reads_storage_key(c) for c in query.filters)
        rows = conn.execute(*self.statement(names, where, params, ids=ids)).fetchall()
        check = compile_query(query)
        return sum(1 for rid, data in self._converted(rows, names) if check(data, rid))

    def search(self, conn: Any, query: Query) -> list[Record]:
        """The query's records in order, paged (the caller projects them)."""
        names, (where, params, exact) = self.needed(query), self.where(query)
        order = order_keys(query.sort_specs, self.target)
        if order is None:  # the reference pipeline sorts what the condition keeps
            rows = conn.execute(*self.statement(names, where, params)).fetchall()
            return [rec for _, rec in select(self._records(rows, names), query)]
        start, limit = query.offset_value or 0, query.limit_value
        if limit == 0:
            return []
        check = compile_query(query)
        if exact:  # SQL orders and pages: the check keeps every row
            rows = conn.execute(*self.statement(names, where, params, order, limit,
                                                start)).fetchall()
            return self._checked(rows, names, check)
        want = None if limit is None else start + limit
        size = None if want is None else max(4 * want, self.fetch_min)
        found: list[Record] = []
        done = 0
        while True:  # rows in query order until ``want`` pass the check
            rows = conn.execute(*self.statement(names, where, params, order, size,
                                                done)).fetchall()
            found += self._checked(rows, names, check)
            done += len(rows)
            if want is None or size is None or len(rows) < size or len(found) >= want:
                break
            size *= 4
        return found[start:] if limit is None else found[start:start + limit]

    def _checked(self, rows: list[tuple[Any, ...]], names: list[str], check: RecordPredicate
                 ) -> list[Record]:
        return [rec for rid, rec in self._records(rows, names) if check(rec.data, rid)]

    def stream(self, conn: Any, query: Query, size: int) -> Iterator[Record] | None:
        """The query's records in order (the caller projects them), fetched ``size`` rows at
        a time on a cursor of its own, which this call opens; None when SQL cannot order
        them (``search`` then sorts them all)."""
        order = order_keys(query.sort_specs, self.target)
        if order is None:
            return None
        names, (where, params, exact) = self.needed(query), self.where(query)
        if query.limit_value == 0:
            return iter(())
        paged = (query.limit_value, query.offset_value or 0) if exact else (None, 0)
        cursor = conn.cursor()
        try:
            cursor.execute(*self.statement(names, where, params, order, *paged))
        except BaseException:
            cursor.close()
            raise
        return self._pages(cursor, names, query, size, exact)

    def _pages(self, cursor: Any, names: list[str], query: Query, size: int, exact: bool
               ) -> Iterator[Record]:
        check = compile_query(query)
        try:
            matched = (rec for rows in iter(lambda: cursor.fetchmany(size), [])
                       for rec in self._checked(rows, names, check))
            yield from matched if exact else window(matched, query)
        finally:
            cursor.close()


__all__ = ["SourceRows"]
