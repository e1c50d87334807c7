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
from collections.abc import Callable
from typing import Any

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


__all__ = ["METRICS", "SCREENED", "assert_same_hits", "check_cache_follows_writes",
           "check_window_is_screened", "forbid_reference", "random_vector_records",
           "vector_hits", "with_reference"]
