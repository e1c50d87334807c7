"""Checks for an adapter's native nearest-neighbour path against the memory reference.

An adapter that ranks ``similar_to`` queries itself (DuckDB in SQL, SQLite with sqlite-vec)
must return exactly the reference's ids, order and scores. Its tests build the same records
in the adapter and in a ``MemoryDatabase`` (``random_vector_records``), ask both
(``vector_hits``) and compare (``assert_same_hits``); ``check_cache_follows_writes`` runs the
writes a per-handle vector cache must follow, comparing after each step.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from ..domain.errors import QueryError
from ..domain.query import Query
from ..domain.records import Record

#: the metrics a native path answers
METRICS = ("cosine", "dot_product", "euclidean")


def random_vector_records(rnd: random.Random, n: int, dim: int) -> list[Record]:
    """Vectors of a few shapes (small integers for exact ties, floats, duplicates), a team
    and a number to filter on."""
    out: list[Record] = []
    for i in range(n):
        shape = rnd.random()
        if shape < 0.2:
            vec: list[Any] = [rnd.randint(-2, 2) for _ in range(dim)]
        elif shape < 0.3 and out:
            vec = list(rnd.choice(out)["embedding"])  # a duplicate: ties broken by id
        else:
            vec = [rnd.uniform(-1, 1) for _ in range(dim)]
        out.append(Record({"team": rnd.choice("abc"), "n": i, "embedding": vec},
                          id=f"r{rnd.randrange(10 ** 6):06d}-{i}"))
    return out


def vector_hits(db: Any, probe: list[float], k: int, metric: str, flt: Query | None,
                threshold: float | None = None, field: str = "embedding"
                ) -> list[tuple[str, float]]:
    """``db.vector_search`` as (id, score) pairs."""
    return [(h.record.id or "", h.score) for h in db.vector_search(
        probe, field, k=k, metric=metric, filter=flt, score_threshold=threshold)]


def assert_same_hits(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    """The same ids in the same order, and the same scores to float64 rounding."""
    assert [rid for rid, _ in got] == [rid for rid, _ in want]
    for (_, a), (_, b) in zip(got, want, strict=True):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (a, b)


#: the filters ``check_random_sets`` draws from (over ``random_vector_records``)
RANDOM_FILTERS: tuple[Query | None, ...] = (
    None, Query().filter("team", "==", "a"),
    Query().filter("n", "<", 50).filter("team", "!=", "c"),
    Query().filter("n", ">=", 1000),  # matches nothing
    Query().filter("team", "in", ["a", "b"]).offset(3))


def check_random_sets(db: Any, mem: Any, rnd: random.Random, dim: int,
                      metrics: tuple[str, ...] = METRICS, rounds: int = 25) -> None:
    """``rounds`` random queries (metric, probe, filter, offset, k) on ``db`` and ``mem``,
    holding the same ``random_vector_records`` of dimension ``dim``, then a score threshold
    and the search form with a limit and a projection: every answer the reference's."""
    for _ in range(rounds):
        metric = rnd.choice(metrics)
        probe: list[Any] = ([rnd.randint(-2, 2) or 1 for _ in range(dim)]
                            if rnd.random() < 0.3 else [rnd.uniform(-1, 1) for _ in range(dim)])
        flt = rnd.choice(RANDOM_FILTERS)
        if rnd.random() < 0.3:
            flt = (flt or Query()).copy().offset(rnd.randint(0, 20))
        k = rnd.choice([1, 2, 5, 10, 50, 500])
        assert_same_hits(vector_hits(db, probe, k, metric, flt),
                         vector_hits(mem, probe, k, metric, flt))
    probe = [rnd.uniform(-1, 1) for _ in range(dim)]
    cut = vector_hits(mem, probe, 8, "cosine", None)[-1][1]
    assert_same_hits(vector_hits(db, probe, 20, "cosine", None, cut),
                     vector_hits(mem, probe, 20, "cosine", None, cut))
    q = Query().filter("team", "==", "b").similar_to(probe, k=9).limit(4).select("n")
    got, want = db.search(q), mem.search(q)
    assert [(r.id, r.data) for r in got] == [(r.id, r.data) for r in want]


def tied_records(rnd: random.Random) -> list[Record]:
    """200 ``random_vector_records`` of dimension 4 and 12 records on one vector: with small
    windows, ties at the boundary need a native path's second (bound) request."""
    records = random_vector_records(rnd, 200, 4)
    return records + [Record({"team": "z", "n": 999, "embedding": [1, 1, 1, 1]}, id=f"tie{i}")
                      for i in range(12)]


def check_small_windows(db: Any, mem: Any, metrics: tuple[str, ...] = METRICS) -> None:
    """Queries over ``tied_records`` (an inequality filter keeps few of a window, an offset
    on a range) whose answers are the reference's; run with small windows patched in."""
    for metric in metrics:
        for flt in (None, Query().filter("team", "!=", "a"),
                    Query().filter("n", ">", 150).offset(2)):
            for probe in ([1.0, 1.0, 1.0, 1.0], [0.3, -0.2, 0.9, 0.1]):
                assert_same_hits(vector_hits(db, probe, 7, metric, flt),
                                 vector_hits(mem, probe, 7, metric, flt))


#: values at a vector's path (dimension 4 where they are vectors) no native path may
#: mishandle: non-lists, non-numbers, booleans, 64-bit edges, overflow, underflow, zeros,
#: elements past float32's safe range, tagged objects, lone surrogates
HOSTILE_VALUES: tuple[Any, ...] = (
    None, "text", "", True, 0, 3.5, [], [None], [1.0, None, 2.0, 3.0], [True, 1, 2, 3],
    [1, 2, 3, False], ["1", "2", "3", "4"], [[1, 2], [3, 4], 5, 6], [{"a": 1}, 2, 3, 4],
    {"x": [1, 2, 3, 4]}, {"$datetime": "x"}, [2 ** 63 - 1, -(2 ** 63), 2 ** 53 + 1, 1],
    [1e308, -1e308, 1e308, 1e308], [5e-324, 0.0, 0.0, 0.0], [1e-200, 1e-200, 0.0, 1e-200],
    [0, 0, 0, 0], [0.0, -0.0, 0.0, 0.0], [1, 2, 3, 4], [0.5, 0.25, -1.0, 2.0],
    [1e16, 1.0, 1.0, 1.0], [1e-6, 1e-6, 1e-6, 1e-6], [3.0e38, 1.0, 1.0, 1.0],
    ["\ud800", 1, 2, 3], {"$object": [1, 2, 3, 4]},
)


def hostile_records(values: Iterable[Any] = HOSTILE_VALUES) -> list[Record]:
    """A record per hostile value in ``embedding`` (team ``h``) and ten plain vectors."""
    records = [Record({"team": "h", "embedding": v}, id=f"h{i:02d}")
               for i, v in enumerate(values)]
    return records + [Record({"team": "h", "embedding": [0.1 * i, -1.0, 2.0, 0.5]},
                             id=f"ok{i}") for i in range(10)]


def check_hostile(db: Any, mem: Any, metric: str) -> None:
    """Queries over ``hostile_records`` (tiny and mixed probes, offsets): the reference's."""
    for probe in ([1.0, 2.0, 3.0, 4.0], [1e-150, 0.0, 1.0, 0.0], [3.0, -1.0, 0.0, 0.5]):
        for k in (1, 5, 40):
            for flt in (None, Query().filter("team", "==", "h").offset(1)):
                assert_same_hits(vector_hits(db, probe, k, metric, flt),
                                 vector_hits(mem, probe, k, metric, flt))


#: two teams, one of them holding a vector of another dimension (``a2``)
OTHER_DIMENSION = (Record({"team": "a", "embedding": [1.0, 2.0, 3.0]}, id="a1"),
                   Record({"team": "a", "embedding": [1.0, 2.0]}, id="a2"),
                   Record({"team": "b", "embedding": [1.0, 2.0, 3.0, 4.0]}, id="b1"),
                   Record({"team": "b", "embedding": [4.0, 2.0, 3.0, 1.0]}, id="b2"))


def check_other_dimension(db: Any, mem: Any) -> None:
    """Over ``OTHER_DIMENSION``: a query of dimension 3, unfiltered or on team ``a``, raises
    the reference's ``QueryError`` (the same message) on ``db``."""
    for flt in (None, Query().filter("team", "==", "a")):
        with pytest.raises(QueryError) as want:
            vector_hits(mem, [1.0, 0.0, 0.0], 1, "cosine", flt)
        with pytest.raises(QueryError) as got:
            vector_hits(db, [1.0, 0.0, 0.0], 1, "cosine", flt)
        assert str(got.value) == str(want.value)


def nested_records() -> list[Record]:
    """Vectors at ``doc.vec``, half of them beside a ``$``-key (a typed-JSON wrapper)."""
    records = [Record({"doc": {"$meta": 1, "vec": [float(i), 1.0]}}, id=f"w{i}")
               for i in range(5)]
    return records + [Record({"doc": {"vec": [1.0, float(i)]}}, id=f"p{i}") for i in range(5)]


def check_nested(db: Any, mem: Any, metrics: tuple[str, ...] = METRICS) -> None:
    """``vector_search`` on ``doc.vec`` over ``nested_records``: the reference's."""
    for metric in metrics:
        got = [(h.record.id, h.score) for h in db.vector_search(
            [1.0, 0.2], "doc.vec", k=6, metric=metric)]
        want = [(h.record.id, h.score) for h in mem.vector_search(
            [1.0, 0.2], "doc.vec", k=6, metric=metric)]
        assert_same_hits(got, want)


def bound_case(dim: int) -> tuple[Any, list[Record], dict[str, Any]]:
    """Vectors of many magnitudes and near copies of a probe (cancellation), for the tests
    that a float32 path's bounds are below the exact keys: the probe, the records (ids
    ``r000``...) and each metric's float64 keys by row."""
    import numpy as np

    rnd = np.random.default_rng(dim)
    probe = rnd.standard_normal(dim)
    rows = [rnd.standard_normal(dim) * 10.0 ** rnd.integers(-8, 9) for _ in range(150)]
    rows += [probe * (1 + 1e-7 * rnd.standard_normal()) + 1e-7 * rnd.standard_normal(dim)
             for _ in range(150)]
    records = [Record({"embedding": [float(x) for x in v]}, id=f"r{i:03d}")
               for i, v in enumerate(rows)]
    matrix = np.asarray(rows, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    q_norm = float(np.sqrt(probe @ probe))
    return probe, records, {"cosine": -(matrix @ probe) / (norms * q_norm),
                            "dot_product": -(matrix @ probe),
                            "euclidean": np.sqrt(((matrix - probe) ** 2).sum(axis=1))}


def with_reference(db: Any, records: list[Record]) -> tuple[Any, Any]:
    """``db`` and a ``MemoryDatabase`` (the reference), each holding copies of ``records``."""
    from ..adapters.memory import MemoryDatabase

    mem = MemoryDatabase()
    for store in (db, mem):
        store.create_batch([r.copy() for r in records])
    return db, mem


def forbid_reference(monkeypatch: Any, adapter: type) -> None:
    """Make the port's reference path (it streams the matches through ``_stream_read``) an
    ``AssertionError`` on ``adapter``, so that a passing query was ranked natively."""

    def refuse(self: Any, query: Query, config: Any) -> Any:
        raise AssertionError("the reference path ran")

    monkeypatch.setattr(adapter, "_stream_read", refuse)


def check_cache_follows_writes(db: Any, other: Any, mem: Any, records: list[Record],
                               probe: list[float],
                               inside_rollback: Callable[[], None] | None = None) -> None:
    """Writes through ``db``, through ``other`` (another handle on the same store), inside a
    transaction of ``db`` and rolled back all show in ``db``'s next query, as in ``mem``
    (which holds ``records`` as ``db`` does); ``inside_rollback`` runs inside the block that
    is rolled back, after its writes."""

    def check() -> None:
        for metric in METRICS:
            assert_same_hits(vector_hits(db, probe, 10, metric, None),
                             vector_hits(mem, probe, 10, metric, None))

    check()
    near = Record({"team": "a", "n": -1, "embedding": list(probe)}, id="near")
    for store in (db, mem):
        store.create(near.copy())
    check()
    for store in (other, mem):
        store.update(records[0].id or "", Record({"embedding": [-x for x in probe]}))
        store.delete(records[1].id or "")
    check()
    with db.transaction():
        for store in (db, mem):
            store.upsert("inside", Record({"embedding": [2 * x for x in probe]}))
        check()
    check()
    try:
        with db.transaction():
            db.delete("near")
            db.upsert("gone", Record({"embedding": list(probe)}))
            if inside_rollback is not None:
                inside_rollback()
            raise _RollBack
    except _RollBack:
        pass
    check()


#: filtered queries over ``random_vector_records`` and what their matches hold
SCREENED: tuple[tuple[Query, Callable[[Record], bool]], ...] = (
    (Query().filter("team", "==", "a"), lambda rec: rec["team"] == "a"),
    (Query().filter("team", "==", "b").filter("n", "<=", 40),
     lambda rec: rec["team"] == "b" and rec["n"] <= 40),
    (Query().filter("team", "!=", "a").filter("n", ">=", 100),
     lambda rec: rec["team"] != "a" and rec["n"] >= 100),
)


def check_window_is_screened(db: Any, mem: Any, adapter: Any, monkeypatch: Any,
                             probe: list[float],
                             cases: tuple[tuple[Query, Callable[[Record], bool]], ...] = SCREENED
                             ) -> None:
    """A filtered query decodes only records its filter matches: ``adapter._record`` (the
    adapter's static row decoder) is watched while the ``cases``' queries run on ``db``
    (holding what ``mem`` holds, ``random_vector_records``); every decoded record holds the
    case's predicate, and the hits are the reference's."""
    decoded: list[Any] = []
    original = adapter._record  # a static method: a row in, its record out

    def watched(row: Any) -> Any:
        rec = original(row)
        decoded.append(rec)
        return rec

    monkeypatch.setattr(adapter, "_record", staticmethod(watched))
    for flt, holds in cases:
        for metric in METRICS:
            decoded.clear()
            assert_same_hits(vector_hits(db, probe, 5, metric, flt),
                             vector_hits(mem, probe, 5, metric, flt))
            assert decoded, "no record was decoded"
            assert all(holds(rec) for rec in decoded), [rec.id for rec in decoded
                                                          if not holds(rec)]


class _RollBack(Exception):
    """Raised to roll a transaction block back."""


__all__ = ["HOSTILE_VALUES", "METRICS", "OTHER_DIMENSION", "RANDOM_FILTERS", "SCREENED",
           "assert_same_hits", "bound_case", "check_cache_follows_writes", "check_hostile",
           "check_nested", "check_other_dimension", "check_random_sets", "check_small_windows",
           "check_window_is_screened", "forbid_reference", "hostile_records", "nested_records",
           "random_vector_records", "tied_records", "vector_hits", "with_reference"]
