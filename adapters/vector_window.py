"""The candidate window of a native nearest-neighbour search, re-ranked exactly.

An adapter whose database computes a *lower bound* of each row's ranking key
(``domain.vectors``: the negated cosine similarity or dot product, or the Euclidean distance)
hands ``window_hits`` a ``candidates`` statement; this module decides how many rows to
fetch, ranks them exactly and widens the window until the result is certain. The DuckDB
adapter (float64 distances, adapters/duckdb/vectors.py), the SQLite adapter with
sqlite-vec and the Elasticsearch adapter (float32 distances, adapters/sqlite/vectors.py,
adapters/elasticsearch/vectors.py; the latter drives the loop as a generator from its flows,
``window_steps``) share it; each derives its own bound and the slack that makes it one.
PostgreSQL's pgvector path (adapters/postgres/vectors.py) runs its own loop as a flow, with
this module's first window.

``candidates(size, cut_at)`` returns rows ``(id, kind, bound)``, or None when the database
cannot answer after all (the port then ranks the matches itself). Kinds:

- 0, *unplaced*: the database cannot bound the row; always returned;
- 1, *placed*: a numeric vector of the query's dimension with a finite bound; with
  ``cut_at`` None, the ``size`` placed rows with the smallest (bound, id), else every placed
  row whose bound is at most ``cut_at``;
- 2, *another dimension*: a numeric vector of another length; always returned, so that one
  matching the exact filter raises the reference's ``QueryError``.

Rows with no vector for the reference (``stored_vector``: missing, not a list of numbers
only, or a zero vector for cosine) may be left out. ``fetch`` reads the (id, record) pairs
of row ids (those still stored; with a filter, only those SQL cannot rule out).

The reference pipeline decodes the candidates, applies the exact filter and ranks them
exactly (``TopK``, float64, ties by id). The window is enough when the want-th exact key
(or the score threshold's key, when fewer rows qualify) is below the last bound fetched:
every row left out has a key at least its own bound, so none can enter or tie. Otherwise
every placed row whose bound is at most that key is fetched (one more statement), or, when
the filter kept too few of the window, the window grows fourfold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from typing import Any, cast

from ..domain.matcher import select
from ..domain.query import Query
from ..domain.records import Record
from ..domain.vectors import DistanceMetric, TopK, VectorQuery, numpy, vectors_of

#: candidate window: at least ``WINDOW_FACTOR`` x (skip + take) + ``WINDOW_EXTRA`` rows
WINDOW_FACTOR = 2
WINDOW_EXTRA = 32
#: the first window of a query with a filter is this many times larger
FILTERED_FACTOR = 4
#: the WHERE bodies that hold for every row
TRUE_SQL = ("1", "TRUE")

#: float32 distances (sqlite-vec's, a search server's): elements up to this magnitude
#: convert to float32 and multiply without overflow
MAX_ELEMENT = 1e15
#: the norms the float32 cosine and dot-product bounds hold for (no underflow or overflow)
MIN_NORM, MAX_NORM = 1e-10, 1e10
#: the float32 unit roundoff
_U = 2.0 ** -24


def slack(dim: int) -> float:
    """The relative error allowance of a float32 distance of dimension ``dim`` (both vectors
    converted to float32, products summed in float32 in any order) against numpy's float64
    key: four times (dimension + 8) units of float32 roundoff, twice the worst case
    (derived in adapters/sqlite/vectors.py)."""
    return 4.0 * (dim + 8) * _U


def float32_safe(vector: Sequence[Any]) -> Any:
    """A stored vector (``stored_vector``) as a float64 array when a float32 distance can
    bound it: every element finite and at most ``MAX_ELEMENT`` in magnitude; None otherwise
    (an integer beyond float64 included), and the row is then *unplaced*."""
    np = numpy()
    try:
        a = np.asarray(vector, dtype=np.float64)
    except OverflowError:  # an integer beyond float64: the reference's own error
        return None
    if not bool(np.isfinite(a).all()) or float(np.abs(a).max()) > MAX_ELEMENT:
        return None
    return a


#: the candidate rows ``(id, kind, bound)`` of a window of ``size`` placed rows, or of the
#: placed rows up to a bound; None: the database cannot answer
Candidates = Callable[[int, "float | None"], "list[tuple[Any, ...]] | None"]
#: the (id, record) pairs of row ids, for those still stored
Fetch = Callable[[list[bytes]], dict[bytes, tuple[str, Record]]]
#: a row ``(id, data, metadata)`` as its (id, record) pair
Decode = Callable[[tuple[Any, ...]], tuple[str, Record]]


def first_window(want: int, filtered: bool = False) -> int:
    """The placed rows of the first window for ``want`` (skip + take) hits: a filter keeps
    some of the nearest rows only, so a filtered query starts with a larger window."""
    size = WINDOW_FACTOR * want + WINDOW_EXTRA
    return size * FILTERED_FACTOR if filtered else size


def rows_by_id(execute: Callable[[str, list[Any]], list[tuple[Any, ...]]], rows_from: str,
               decode: Decode, chunk: int,
               screen: tuple[str, Sequence[Any]] | None = None) -> Fetch:
    """A ``fetch`` over a table (or a parenthesised subquery with an alias) of ``(id BLOB,
    data, metadata, ...)`` rows: ``execute`` runs a statement with parameters, ``decode`` turns
    a ``(id, data, metadata)`` row into its (id, record) pair; ``chunk`` ids are bound per
    ``IN`` list. ``screen``: a WHERE body and its parameters true for every row the query's
    filter matches (exact or merely necessary): rows it rules out are not read, so a
    filtered window decodes only the rows that may match (``window_hits`` applies the exact
    filter to the rest)."""
    where, params = ("", []) if screen is None or screen[0] in TRUE_SQL else (
        f" AND ({screen[0]})", list(screen[1]))

    def fetch(keys: list[bytes]) -> dict[bytes, tuple[str, Record]]:
        out = {}
        for lo in range(0, len(keys), chunk):
            part = keys[lo:lo + chunk]
            for row in execute(f"SELECT id, data, metadata FROM {rows_from} WHERE "
                               f"id IN ({', '.join('?' * len(part))}){where}",
                               [*part, *params]):
                out[bytes(row[0])] = decode(row)
        return out

    return fetch


#: a request of ``window_steps``: ``("candidates", size, cut_at)`` or ``("fetch", keys)``
Ask = tuple[Any, ...]


def window_steps(query: Query, vq: VectorQuery, metric: DistanceMetric, skip: int, take: int,
                 size: int) -> Generator[Ask, Any, list[tuple[Record, float]] | None]:
    """The loop of ``window_hits`` as a generator of its requests, for adapters whose I/O
    runs as flows (sync and async alike): it yields ``("candidates", size, cut_at)`` and
    ``("fetch", keys)`` and is sent what ``Candidates`` and ``Fetch`` would return; its
    value is ``window_hits``'."""
    np = numpy()
    want = skip + take
    exact = Query(list(query.filters))
    seen: dict[bytes, tuple[str, Record]] = {}  # rows fetched by an earlier round
    asked: set[bytes] = set()  # and the ids asked for (gone, or ruled out by the screen)
    cut_at: float | None = None  # the second statement's bound on the placed rows
    while True:
        rows = yield ("candidates", size, cut_at)
        if rows is None:
            return None
        placed = [row for row in rows if row[1] == 1]
        top = TopK(vq, metric, want)
        # the exact filter, in id order: the first record of another dimension is named
        keys = [bytes(row[0]) for row in rows]
        ask = [key for key in keys if key not in asked]
        asked.update(ask)
        seen.update((yield ("fetch", ask)))
        matched = select([seen[key] for key in keys if key in seen], exact)
        ids, vectors, records = vectors_of([rec for _, rec in matched], vq)
        if ids:
            top.add(ids, np.asarray(vectors, dtype=np.float64), records)
        if cut_at is not None or len(placed) < size:
            break  # every placed row that can rank was fetched
        last = max(float(row[2]) for row in placed)
        cut = top.cut()
        if cut < last:
            break  # every row left out has a key above the cut: none can enter or tie
        if math.isfinite(cut):
            cut_at = cut
        else:
            size *= 4
    return [(rec, score) for rec, score in top.hits(skip)[:take]]


def window_hits(candidates: Candidates, fetch: Fetch, query: Query, vq: VectorQuery,
                metric: DistanceMetric, skip: int, take: int, size: int
                ) -> list[tuple[Record, float]] | None:
    """The ``take`` ranked (record, score) hits after ``skip``, exactly the reference's
    (``SyncDatabase._vector_hits``), from windows of candidates starting at ``size`` placed
    rows; None when ``candidates`` returns None."""
    steps = window_steps(query, vq, metric, skip, take, size)
    answer: Any = None
    try:
        while True:
            ask = steps.send(answer)
            answer = candidates(ask[1], ask[2]) if ask[0] == "candidates" else fetch(ask[1])
    except StopIteration as stop:
        return cast("list[tuple[Record, float]] | None", stop.value)


__all__ = ["FILTERED_FACTOR", "MAX_ELEMENT", "MAX_NORM", "MIN_NORM", "WINDOW_EXTRA",
           "WINDOW_FACTOR", "Ask", "Candidates", "Decode",
           "Fetch", "first_window", "float32_safe", "rows_by_id", "slack", "window_hits",
           "window_steps"]
