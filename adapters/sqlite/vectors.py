"""Native nearest-neighbour search of the SQLite adapter with sqlite-vec (``vectors``).

SQLite ranks a *lower bound* of each row's ranking key (``domain.vectors``: the negated
cosine similarity or dot product, or the Euclidean distance) with sqlite-vec's
``vec_distance_cosine`` and ``vec_distance_l2``, over the filter's matches (the translator's
exact WHERE clause, when it has one); the candidate window is re-ranked exactly in float64 and
widened until certain by ``adapters.vector_window.window_hits``, the loop the DuckDB adapter
uses too. A filter answered from indexes alone joins the statement from the first window
(SQLite searches the index; only its matches' distances are computed). Any other filter's
SQL reads every row's JSON, so it joins the statement only once the window passes
``PUSHDOWN_AFTER`` rows (the filter keeps few of the nearest); below that the exact filter is
applied to the candidates alone. sqlite-vec has no dot-product distance:
the dot product is the cosine times the two norms, ``(1 - vec_distance_cosine) * |v| *
|q|``, with the row's norm kept exactly (below).

The vectors come from a per-connection temporary table (``VectorCache``): per row, its id and
version, the length of the vector (NULL: the row has no vector for the reference,
``stored_vector``), its float64 norm and the vector as sqlite-vec's float32 blob (NULL: the
row is *unplaced*, below). Python fills it from each row's decoded JSON, with the reference's
own reading of a vector, so a row's JSON is parsed once per version. It is brought up to
date (rows whose (id, version) the table no longer holds are dropped, rows it lacks are
read) whenever the file may have changed: ``PRAGMA data_version`` (another connection
committed) or this connection's ``total_changes()`` moved; a rolled-back block forgets that
it is up to date (its temporary rows were rolled back with it).

Rows come in the kinds ``window_hits`` reads: 0, *unplaced*, always a candidate: an element
of magnitude above 1e15 (or an integer no float64 holds), a norm outside [1e-10, 1e10] for
cosine and dot product (float32 products then underflow or overflow), or a distance SQL
returns as NULL; 1, *placed*; 2, another dimension, always a candidate; rows without a
vector, and zero vectors for cosine, are never candidates.

The bounds. sqlite-vec converts both vectors to float32 (relative error u = 2^-24 per
element, within the ranges above) and sums in float32 (any order: the error of a sum of d
products is at most about d u times the sum of their magnitudes, at most |v| |q|). Its cosine
distance is then within 2 (d + 4) u + 3 u of the exact one, its Euclidean distance within
(d / 2 + 4) u D + 2 u |q| of the exact D (the norm of v is at most D + |q|), and the dot
product above within (3 d + 14) u |v| |q| of the exact one. Each bound subtracts at least
twice that (``slack``: 4 (d + 8) u, doubled for the cosine's), so the exact key of a row is
never below its bound; the exact re-rank makes the result the reference's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ...domain.query import Query
from ...domain.records import Record, lookup
from ...domain.values import MISSING
from ...domain.vectors import DistanceMetric, TopK, VectorQuery, numpy, stored_vector
from ..vector_window import (
    MAX_ELEMENT,
    MAX_NORM,
    MIN_NORM,
    Decode,
    first_window,
    float32_safe,
    rows_by_id,
    slack,
    window_hits,
)
from .translator import where_clause

#: a window past this size applies the filter's SQL too (it keeps few of the nearest rows);
#: below it, the filter is applied to the candidates only (its SQL reads every row's JSON)
PUSHDOWN_AFTER = 4096
#: rows read per statement while the cache is filled, and candidates' ids per fetch
FILL_BATCH = FETCH_CHUNK = 500


def vector_entry(value: Any) -> tuple[int | None, float | None, bytes | None]:
    """The cache's ``(n, norm, v)`` of a stored value: ``n`` None when the reference sees no
    vector (``stored_vector``); ``v`` None when the row is unplaced (an element outside
    float32's safe range, or no float64 value)."""
    vec = None if value is MISSING else stored_vector(value)
    if vec is None:
        return None, None, None
    a = float32_safe(vec)
    if a is None:
        return len(vec), None, None
    np = numpy()
    return len(vec), float(np.sqrt(a @ a)), a.astype(np.float32).tobytes()


class VectorCache:
    """Per connection: each searched field's ``(id, version, n, norm, v)`` rows in a
    temporary table, brought up to date when the file may have changed (module doc)."""

    def __init__(self, table_sql: str, loads: Callable[[str], Any]) -> None:
        self.table_sql = table_sql
        self.loads = loads
        #: field -> (the (data_version, total_changes) it is up to date at, or None; table)
        self.tables: dict[str, tuple[tuple[int, int] | None, str]] = {}

    def forget(self) -> None:
        """A rollback may have undone the temporary tables' rows: refresh before use."""
        self.tables = {field: (None, name) for field, (_, name) in self.tables.items()}

    def reset(self) -> None:
        """The connection closed: its temporary tables are gone."""
        self.tables.clear()

    def table(self, conn: Any, field: str) -> str:
        """The name of ``field``'s up-to-date temporary table (refreshed when stale)."""
        version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        entry = self.tables.get(field)
        if entry is not None and entry[0] == (version, conn.total_changes):
            return entry[1]
        name = entry[1] if entry is not None else f"dk_vectors_{len(self.tables)}"
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (id BLOB PRIMARY KEY, "
                     "version TEXT NOT NULL, n INTEGER, norm REAL, v BLOB)")
        conn.execute(f"DELETE FROM temp.{name} WHERE NOT EXISTS (SELECT 1 FROM "
                     f"main.{self.table_sql} AS t WHERE t.id = temp.{name}.id "
                     f"AND t.version = temp.{name}.version)")
        missing = [row[0] for row in conn.execute(
            f"SELECT id FROM main.{self.table_sql} AS t WHERE NOT EXISTS (SELECT 1 FROM "
            f"temp.{name} AS c WHERE c.id = t.id AND c.version = t.version)")]
        for lo in range(0, len(missing), FILL_BATCH):
            chunk = missing[lo:lo + FILL_BATCH]
            rows = conn.execute(f"SELECT id, version, data FROM main.{self.table_sql} "
                                f"WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
            conn.executemany(f"INSERT OR REPLACE INTO temp.{name} VALUES (?, ?, ?, ?, ?)",
                             list(self._entries(rows, field)))
        # the version read before the refresh: a commit by another connection meanwhile
        # shows as a change next time; total_changes after it: its own rows are not one
        self.tables[field] = ((version, conn.total_changes), name)
        return name

    def _entries(self, rows: Iterable[tuple[Any, ...]], field: str
                 ) -> Iterable[tuple[Any, ...]]:
        for rid, version, data in rows:
            yield (rid, version, *vector_entry(lookup(self.loads(data), field)))


def statement(table_sql: str, cache: str, metric: DistanceMetric, dim: int, where: str,
              tail: str) -> str:
    """The candidates' statement over the cache table ``cache``: rows ``(id, kind, bound)``.
    Parameters: the query vector's float32 blob and the bound's constants (``constants``),
    those of ``where`` (over the store's table ``table_sql``; ``1``: every row), then the
    tail's (the placed rows' ORDER BY with a LIMIT, or a bound)."""
    if metric is DistanceMetric.EUCLIDEAN:
        bound, placeable, keep = "vec_distance_l2(v, ?) * ? - ?", "", ""
    else:
        placeable = f" AND norm BETWEEN {MIN_NORM!r} AND {MAX_NORM!r}"
        if metric is DistanceMetric.COSINE:
            bound, keep = "vec_distance_cosine(v, ?) - 1 - ?", " AND norm IS NOT 0"  # no direction
        else:
            bound, keep = "(vec_distance_cosine(v, ?) - 1 - ?) * norm * ?", ""
    rows = "" if where == "1" else f" AND c.id IN (SELECT id FROM main.{table_sql} WHERE {where})"
    # OFFSET 0: the subquery is not flattened, so each row's distance is computed once
    return f"""
WITH k AS MATERIALIZED (
  SELECT id, CASE WHEN n <> {dim:d} THEN 2
      WHEN b IS NULL OR b NOT BETWEEN -1e300 AND 1e300 THEN 0 ELSE 1 END AS kind, b AS bound
  FROM (SELECT id, n, CASE WHEN n = {dim:d} AND v IS NOT NULL{placeable} THEN {bound} END AS b
        FROM temp.{cache} AS c WHERE n IS NOT NULL{keep}{rows} LIMIT -1 OFFSET 0) AS d)
SELECT id, kind, bound FROM k WHERE kind <> 1
UNION ALL SELECT * FROM (SELECT id, kind, bound FROM k WHERE kind = 1 {tail})"""


def constants(metric: DistanceMetric, dim: int, q_norm: float) -> list[float]:
    """The bound's parameters after the query vector (``statement``)."""
    s = slack(dim)
    if metric is DistanceMetric.EUCLIDEAN:  # D (1 - s) - 2 s |q|, and float32's underflow
        return [1.0 - s, 2.0 * s * q_norm + 1e-18]
    if metric is DistanceMetric.COSINE:
        return [2.0 * s]
    return [2.0 * s, q_norm]


def native_hits(execute: Callable[[str, list[Any]], list[tuple[Any, ...]]], decode: Decode,
                table_sql: str, cached: str, query: Query, vq: VectorQuery,
                metric: DistanceMetric, skip: int, take: int, indexed: bool = False
                ) -> list[tuple[Record, float]] | None:
    """The ``take`` ranked (record, score) hits after ``skip`` (``SyncDatabase._vector_hits``),
    exactly the reference's; None when the query vector is outside the ranges the float32
    bounds hold for (the port then ranks the matches itself). ``execute`` runs a statement
    with parameters; ``decode`` turns a ``(id, data, metadata)`` row into its (id, record)
    pair (the candidates' rows are read with the filter's SQL, ``rows_by_id``);
    ``cached``: the field's ``VectorCache`` table. ``indexed``: an index answers the filter
    (``translator.index_selects``), so its SQL joins the statement from the first window:
    SQLite then searches the index and computes the distances of its matches alone, and
    every candidate matches (the window of an unfiltered query is enough)."""
    np = numpy()
    dim, want = len(vq.vector), skip + take
    top = TopK(vq, metric, want)  # checks the query vector (a zero one for cosine)
    q_norm = top.q_norm
    if float(np.abs(top.q).max()) > MAX_ELEMENT or (
            metric is not DistanceMetric.EUCLIDEAN and not MIN_NORM <= q_norm <= MAX_NORM):
        return None
    clause = where_clause(query)
    where, where_params = ("1", []) if clause is None else (clause[0], list(clause[1]))
    # the filter's exact SQL screens the window: only its matches are decoded
    fetch = rows_by_id(execute, table_sql, decode, FETCH_CHUNK, (where, where_params))
    pushed = indexed and clause is not None
    size = first_window(want, bool(query.filters) and not pushed)
    head = [top.q.astype(np.float32).tobytes(), *constants(metric, dim, q_norm)]

    def candidates(size: int, cut_at: float | None) -> list[tuple[Any, ...]]:
        nonlocal pushed
        pushed = pushed or size > PUSHDOWN_AFTER  # never undone: the bound round follows
        tail, tail_params = (("ORDER BY bound, id LIMIT ?", [size]) if cut_at is None
                             else ("AND bound <= ?", [cut_at]))
        sql_where, params = (where, where_params) if pushed else ("1", [])
        return execute(statement(table_sql, cached, metric, dim, sql_where, tail),
                       [*head, *params, *tail_params])

    return window_hits(candidates, fetch, query, vq, metric, skip, take, size)


__all__ = ["VectorCache", "constants", "native_hits", "slack", "statement", "vector_entry"]
