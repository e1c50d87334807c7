"""Native nearest-neighbour search for the DuckDB adapter: distances in SQL, exact re-rank.

DuckDB computes a *lower bound* of each row's ranking key (``domain.vectors``: the negated
cosine similarity or dot product, or the Euclidean distance) in double precision with its
built-in list functions (``list_inner_product``, ``list_distance``), from the vector at the
field's path read out of the row's JSON as ``DOUBLE[]`` (``parsed_sql``). The bound is the
SQL key minus a slack far above the rounding error either side can make (``slack``: 1e-12 x
(dimension + 8), relative to the magnitudes involved, thousands of times the worst case of
both summation orders), so the exact key of a row is never below its bound.

The parsed vectors come from a per-handle temporary table (``VectorCache``), brought up to
date when the table's fingerprint changes, so a row's JSON is parsed once per version; inside a
transaction, or when a filter SQL can narrow keeps few of the nearest rows, from the JSON of
the rows the filter's necessary condition keeps (``prefilter``). With the adapter's
``indexes``, the cache keeps those paths' values too, and the filters on them pick the cache
rows to rank (``prefilter.columns_where``): a selective filter ranks only its share.

Rows come in one of four kinds:

- 0, *unplaced*: SQL cannot bound the row (its bytes are not valid UTF-8, or the bound is
  not finite: values near the double range's ends); always a candidate;
- 1, *placed*: a numeric vector of the query's dimension with a finite bound;
- 2, *another dimension*: a numeric vector of another length; always a candidate, so that
  one matching the exact filter raises the reference's ``QueryError``;
- 3, no vector: the field is missing, null, empty, or not a list of numbers only
  (booleans, strings, nulls, nested lists and objects are not numbers), or a zero vector
  for cosine; never a candidate (``stored_vector`` and the reference agree: the row is
  never ranked).

The candidates are every row of kinds 0 and 2 and the placed rows with the smallest bounds,
a window larger than skip + take, re-ranked exactly and widened until certain by
``adapters.vector_window.window_hits`` (shared with the SQLite adapter's sqlite-vec path).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...domain.query import Query
from ...domain.records import Record
from ...domain.vectors import DistanceMetric, TopK, VectorQuery
from ..sqlite.translator import _variants, sql_literal
from ..vector_window import TRUE_SQL, Decode, first_window, rows_by_id, window_hits
from .prefilter import _TEXT, columns_where, json_values, necessary_where, rows_sql

#: a window past this size with a filter SQL can narrow reads the filtered rows' JSON instead
#: of the cache (the filter keeps few of the nearest rows)
PUSHDOWN_AFTER = 4096
#: the JSON structures of a non-empty array of numbers (json_structure merges the kinds)
_NUMERIC = "('[\"DOUBLE\"]', '[\"UBIGINT\"]', '[\"BIGINT\"]', '[\"HUGEINT\"]')"
#: squared norms SQL handles without underflow or overflow in the error bound
_TINY, _HUGE = 1e-280, 1e280


def slack(dim: int) -> float:
    """The relative error allowance of a key computed in SQL against numpy's float64 key."""
    return 1e-12 * (dim + 8)


def _bound_sql(metric: DistanceMetric, dim: int) -> str:
    """A lower bound of the exact ranking key of a row of the query's dimension (``v0``: its
    vector, ``vv``: its squared norm, ``p.q``: the query vector, ``p.qn``: its norm)."""
    s = repr(slack(dim))
    if metric is DistanceMetric.COSINE:
        return f"(-(list_inner_product(v0, p.q) / (sqrt(vv) * p.qn)) - {s} * 4)"
    if metric is DistanceMetric.DOT_PRODUCT:
        return f"(-list_inner_product(v0, p.q) - {s} * 2 * sqrt(vv) * p.qn - 1e-300)"
    return f"(list_distance(v0, p.q) * (1 - {s}) - 1e-150)"


def parsed_sql(table_sql: str, field: str, where: str, *, versions: bool = False,
               values: Sequence[tuple[str, str]] = ()) -> str | None:
    """The rows ``WHERE where`` as ``(id, unreadable, numeric, v0, n, vv)``: whether the
    row's bytes are not valid UTF-8, whether the field holds a JSON array of numbers only
    (no null), that array as ``DOUBLE[]``, its length when non-empty and its squared norm
    (``versions``: with the rows' ``version`` after the id, and ``where`` over the table's
    own columns; ``values``: (name, SQL over the row's text) columns after the version).
    None: SQL cannot name the path."""
    variants = _variants(field)
    if variants is None:
        return None
    calls = [f"json_extract({_TEXT}, {sql_literal(v)})" for v in variants]
    at = calls[0] if len(calls) == 1 else f"COALESCE({', '.join(calls)})"
    keep = "".join([", version" if versions else "", *(f", {name}" for name, _ in values)])
    computed = "".join([", version" if versions else "",
                        *(f", {sql} AS {name}" for name, sql in values)])
    rows = (f"(SELECT id, version, try(decode(data)) AS {_TEXT} FROM {table_sql} AS t "
            f"WHERE {where}) AS dk_rows WHERE TRUE" if versions
            else f"{rows_sql(table_sql)} WHERE {where}")
    # a CASE yielding a list trips the list functions' NULL check (the unselected rows'
    # elements stay in the vector): the JSON is masked before the cast, never the list
    return f"""SELECT id{keep}, unreadable, numeric, v0, n,
    CASE WHEN n IS NOT NULL THEN list_inner_product(v0, v0) END AS vv
  FROM (SELECT *, CASE WHEN len(v0) > 0 AND list_count(v0) = len(v0) THEN len(v0) END AS n
    FROM (SELECT id{keep}, unreadable, numeric,
            TRY_CAST(CASE WHEN numeric THEN j END AS DOUBLE[]) AS v0
      FROM (SELECT *, COALESCE(NOT unreadable AND json_type(j) = 'ARRAY'
                               AND json_structure(j) IN {_NUMERIC}
                               AND NOT contains(CAST(j AS VARCHAR), 'null'), FALSE) AS numeric
        FROM (SELECT id{computed}, {_TEXT} IS NULL AS unreadable, {at} AS j
              FROM {rows}) AS m) AS m1) AS a) AS b"""


def statement(parsed: str, metric: DistanceMetric, dim: int, tail: str) -> str:
    """The candidates' statement over ``parsed`` (``parsed_sql`` in parentheses, or the
    cache's table), rows ``(id, kind, bound)``; ``tail`` closes the placed
    rows' clause (an ORDER BY with a LIMIT, or a bound). Parameters: the query vector, its
    norm, those of ``parsed``, then the tail's."""
    checks = ""
    if metric is not DistanceMetric.EUCLIDEAN:  # the distance's bound needs no norm
        zero = "3" if metric is DistanceMetric.COSINE else "0"  # cosine: no direction
        checks = (f"WHEN vv = 0 THEN {zero} "
                  f"WHEN NOT isfinite(vv) OR vv < {_TINY!r} OR vv > {_HUGE!r} THEN 0 ")
    return f"""
WITH p AS (SELECT CAST(? AS DOUBLE[]) AS q, CAST(? AS DOUBLE) AS qn),
d AS (SELECT id, unreadable, numeric, v0, n, vv,
        CASE WHEN n = {dim} THEN {_bound_sql(metric, dim)} END AS bound
      FROM {parsed} AS c, p),
k AS MATERIALIZED (
  SELECT id, kind, bound FROM (
    SELECT id, bound, CASE
        WHEN unreadable THEN 0
        WHEN NOT numeric THEN 3
        WHEN v0 IS NULL THEN 0
        WHEN n IS NULL THEN 3
        WHEN n <> {dim} THEN 2
        {checks}WHEN bound IS NULL OR NOT isfinite(bound) THEN 0
        ELSE 1 END AS kind
    FROM d) AS d1
  WHERE kind < 3)
SELECT id, kind, bound FROM k WHERE kind <> 1
UNION ALL (SELECT id, kind, bound FROM k WHERE kind = 1 {tail})"""


class VectorCache:
    """Per handle: each field's ``parsed_sql`` over the whole table, with each row's version,
    in a temporary table. It is used while the table's fingerprint (its row count and a hash
    of every id and version: each write gives its row a new random version) is unchanged;
    when it changes, whoever wrote, the rows whose (id, version) the table no longer holds
    are dropped and the table's rows the cache lacks are parsed and added, so the JSON of a
    row is parsed once per version. Never used inside a transaction (a rollback would drop
    what it added).

    ``paths`` (the adapter's ``indexes``): data paths whose values each row of the cache
    keeps beside its vector, as the two ``prefilter.json_values`` columns of each path
    (``columns``: a path's ``_variants`` -> their names), so a search's filters on them
    pick the rows to rank in the cache itself, without reading any row's JSON."""

    def __init__(self, table_sql: str, paths: Sequence[str] = ()) -> None:
        self.table_sql = table_sql
        self.tables: dict[str, tuple[tuple[Any, ...], str]] = {}
        self.columns: dict[tuple[str, ...], tuple[str, str]] = {}
        self.values: list[tuple[str, str]] = []
        for path in paths:
            variants = _variants(path)
            if variants is None or variants in self.columns:
                continue  # the adapter refuses the first; the second is a repeat
            names = (f"dk_s{len(self.columns)}", f"dk_d{len(self.columns)}")
            self.columns[variants] = names
            self.values += zip(names, json_values(variants), strict=True)

    def table(self, conn: Any, field: str) -> str | None:
        """The name of ``field``'s up-to-date temporary table (refreshed when stale), or
        None when SQL cannot name the path."""
        if _variants(field) is None:
            return None
        mark = tuple(conn.execute(f"SELECT count(*), bit_xor(hash(id, version)) "
                                  f"FROM {self.table_sql}").fetchone())
        entry = self.tables.get(field)
        if entry is not None and entry[0] == mark:
            return entry[1]
        if entry is None:
            name = f"dk_vectors_{len(self.tables)}"
            rows = parsed_sql(self.table_sql, field, "TRUE", versions=True, values=self.values)
            conn.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {rows}")
        else:
            name = entry[1]
            conn.execute(f"DELETE FROM {name} AS c WHERE NOT EXISTS (SELECT 1 FROM "
                         f"{self.table_sql} AS t WHERE t.id = c.id AND t.version = c.version)")
            missing = (f"NOT EXISTS (SELECT 1 FROM {name} AS c WHERE c.id = t.id "
                       "AND c.version = t.version)")
            rows = parsed_sql(self.table_sql, field, missing, versions=True,
                              values=self.values)
            conn.execute(f"INSERT INTO {name} {rows}")
        self.tables[field] = (mark, name)
        return name


def native_hits(execute: Callable[[str, list[Any]], list[tuple[Any, ...]]],
                decode: Decode, table_sql: str, cached: str | None, query: Query,
                vq: VectorQuery, metric: DistanceMetric, skip: int, take: int,
                columns: Mapping[tuple[str, ...], tuple[str, str]] | None = None
                ) -> list[tuple[Record, float]] | None:
    """The ``take`` ranked (record, score) hits after ``skip`` (``SyncDatabase._vector_hits``),
    exactly the reference's; None when SQL cannot name the field's path or the query
    vector's norm is too near the ends of the double range for the bounds. ``execute`` runs
    a statement with parameters; ``decode`` turns a ``(id, data, metadata)`` row into its
    (id, record) pair (the candidates' rows are read by id, IN lists of constants: index
    lookups, screened by the filter's necessary condition: ``rows_by_id``); ``cached``: the
    field's ``VectorCache`` table, or None to parse the JSON of the rows the filter's
    necessary condition keeps; ``columns``: the paths whose values that table keeps
    (``VectorCache.columns``): the filters on them pick the rows to rank there, and when
    they are all of the query's conditions, the window is an unfiltered one's. The window
    loop is ``vector_window.window_hits``."""
    dim, want = len(vq.vector), skip + take
    top = TopK(vq, metric, want)  # checks the query vector (a zero one for cosine)
    qq = float(top.q @ top.q)
    if metric is not DistanceMetric.EUCLIDEAN and not _TINY <= qq <= _HUGE:
        return None
    where, where_params = necessary_where(query)
    kept, kept_params, covered = "TRUE", list[Any](), not query.filters
    if cached is not None and columns:
        kept, kept_params, covered = columns_where(query, columns, "c.unreadable")
    # only the candidates the necessary condition keeps are decoded; those the cache's
    # columns picked hold it already (the same SQL over the cached versions; the exact
    # filter judges whatever is fetched), so they are read without it
    screen = None if covered else (where, where_params)
    fetch = rows_by_id(execute, rows_sql(table_sql), decode, 1000, screen)
    size = first_window(want, not covered)
    source = cached

    def candidates(size: int, cut_at: float | None) -> list[tuple[Any, ...]] | None:
        nonlocal source
        if source is not None and where != "TRUE" and size > PUSHDOWN_AFTER:
            source = None  # a selective filter: parse only the rows SQL keeps
        if source is None:
            parsed = parsed_sql(table_sql, vq.field, where)
            if parsed is None:
                return None
            rows_from, params = f"({parsed})", where_params
        elif kept in TRUE_SQL:
            rows_from, params = source, []
        else:  # the filters on the paths the cache keeps pick its rows
            rows_from, params = f"(SELECT * FROM {source} AS c WHERE {kept})", kept_params
        tail, tail_params = ((f"ORDER BY bound, id LIMIT {size}", []) if cut_at is None
                             else ("AND bound <= ?", [cut_at]))
        return execute(statement(rows_from, metric, dim, tail),
                       [list(vq.vector), math.sqrt(qq), *params, *tail_params])

    return window_hits(candidates, fetch, query, vq, metric, skip, take, size)
