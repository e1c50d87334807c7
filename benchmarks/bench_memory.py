"""Benchmark: the memory adapter beside hand-written plain-dict code doing the same work.

Prints one table of operations per second: each row runs an operation through
``MemoryDatabase`` and the equivalent plain Python (a dict of dicts, a list comprehension)
in the same process, on the same data, and gives the ratio (adapter time / plain time; 1.0
means no overhead, below 1.0 means the adapter is faster). The search rows also check that
both sides return the same records, so the comparison is of equal work::

    python benchmarks/bench_memory.py               # 100,000 records
    python benchmarks/bench_memory.py --records 20000
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import random
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from dataknobs_data import MemoryDatabase, Operator, Query, Record

TEAMS = 20
SEARCH_LIMIT = 10


def make_rows(n: int, seed: int = 7) -> list[tuple[str, dict[str, Any]]]:
    """``n`` (id, row) pairs; ids are zero-padded so insertion order is id order."""
    rnd = random.Random(seed)
    cities = ["Oslo", "Rome", "Lima", "Pune", "Kyiv", "Graz"]
    return [
        (f"r{i:07d}", {
            "name": f"user{i}",
            "team": f"team{rnd.randrange(TEAMS):02d}",
            "age": rnd.randrange(18, 80),
            "score": round(rnd.random() * 100, 3),
            "city": rnd.choice(cities),
            "active": rnd.random() < 0.5,
        })
        for i in range(n)
    ]


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Time without the cyclic garbage collector, as ``timeit`` does: a full collection
    over a 100,000-record heap would land on whichever side happens to trigger it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def rate(fn: Callable[[int], Any], count: int, min_seconds: float = 0.3) -> float:
    """Operations per second of ``fn(i)`` for i in range(count), repeated until the run
    lasts ``min_seconds`` (the best of the repetitions is kept)."""
    with no_gc():
        return _rate(fn, count, min_seconds)


def _rate(fn: Callable[[int], Any], count: int, min_seconds: float) -> float:
    best = float("inf")
    spent = 0.0
    while True:
        start = time.perf_counter()
        for i in range(count):
            fn(i)
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        spent += elapsed
        if spent >= min_seconds:
            return count / best


def once(fn: Callable[[], None], count: int) -> float:
    """Operations per second of one call doing ``count`` operations."""
    with no_gc():
        start = time.perf_counter()
        fn()
        return count / (time.perf_counter() - start)


def search_params(i: int) -> tuple[str, int]:
    return f"team{i % TEAMS:02d}", 30 + (i * 7) % 40


def run(n: int) -> list[tuple[str, float, float]]:
    rows = make_rows(n)
    results: list[tuple[str, float, float]] = []

    # -- create one by one --------------------------------------------------------------
    singles = min(n, 20_000)
    db = MemoryDatabase()
    plain: dict[str, dict[str, Any]] = {}

    def create_plain() -> None:
        for rid, row in rows[:singles]:
            plain[rid] = dict(row)

    def create_db() -> None:
        for rid, row in rows[:singles]:
            db.create(Record(row, id=rid))

    results.append(("create (one by one)", once(create_db, singles),
                    once(create_plain, singles)))

    # -- create_batch (the whole data set) ----------------------------------------------
    db = MemoryDatabase()
    indexed = MemoryDatabase(indexes=["team"])
    plain = {}

    def batch_plain() -> None:
        plain.update((rid, dict(row)) for rid, row in rows)

    def batch_db() -> None:
        db.create_batch([Record(row, id=rid) for rid, row in rows])

    results.append((f"create_batch ({n:,})", once(batch_db, n), once(batch_plain, n)))
    indexed.create_batch([Record(row, id=rid) for rid, row in rows])
    plain_rows = list(plain.values())  # what the comprehension scans

    # -- read by id ---------------------------------------------------------------------
    rnd = random.Random(1)
    ids = [rows[rnd.randrange(n)][0] for _ in range(20_000)]
    results.append(("read by id",
                    rate(lambda i: db.read(ids[i]), len(ids)),
                    rate(lambda i: dict(plain[ids[i]]), len(ids))))

    # -- search: equality + range + sort + limit --------------------------------------
    def query(i: int) -> Query:
        team, age = search_params(i)
        return (Query().filter("team", Operator.EQ, team).filter("age", Operator.GTE, age)
                .sort("age").limit(SEARCH_LIMIT))

    def comprehension(i: int) -> list[dict[str, Any]]:
        team, age = search_params(i)
        top = sorted([r for r in plain_rows if r["team"] == team and r["age"] >= age],
                     key=lambda r: r["age"])[:SEARCH_LIMIT]
        return [dict(r) for r in top]  # the adapter hands out copies too

    for i in range(TEAMS):  # same work: the same records in the same order
        got = [r.data for r in db.search(query(i))]
        assert got == comprehension(i), f"search {i} differs from the comprehension"
        assert [r.data for r in indexed.search(query(i))] == got
    reps, spend = TEAMS, 1.5  # best of several passes over every team
    plain_search = rate(comprehension, reps, spend)
    results.append((f"search eq+range+sort+limit ({n:,})",
                    rate(lambda i: db.search(query(i)), reps, spend), plain_search))
    results.append(("  same, hash index on team",
                    rate(lambda i: indexed.search(query(i)), reps, spend), plain_search))

    # -- count(query) -------------------------------------------------------------------
    def count_plain(i: int) -> int:
        team, age = search_params(i)
        return sum(1 for r in plain_rows if r["team"] == team and r["age"] >= age)

    for i in range(TEAMS):
        assert db.count(query(i)) == count_plain(i)
    plain_count = rate(count_plain, reps, spend)
    results.append(("count(query)", rate(lambda i: db.count(query(i)), reps, spend), plain_count))
    results.append(("  same, hash index on team",
                    rate(lambda i: indexed.count(query(i)), reps, spend), plain_count))

    # -- update / delete ----------------------------------------------------------------
    changes = 20_000
    new_rows = [(rows[i][0], {**rows[i][1], "age": rows[i][1]["age"] + 1})
                for i in range(min(n, changes))]

    def update_plain(i: int) -> None:
        rid, row = new_rows[i]
        plain[rid] = dict(row)

    results.append(("update",
                    rate(lambda i: db.update(new_rows[i][0], Record(new_rows[i][1])),
                         len(new_rows), 0.0),
                    rate(update_plain, len(new_rows), 0.0)))

    def delete_plain() -> None:
        for rid, _ in new_rows:
            del plain[rid]

    def delete_db() -> None:
        for rid, _ in new_rows:
            db.delete(rid)

    results.append(("delete", once(delete_db, len(new_rows)),
                    once(delete_plain, len(new_rows))))
    return results


def print_table(results: list[tuple[str, float, float]], n: int) -> None:
    """The table: operation, adapter ops/s, plain ops/s, ratio (adapter time / plain)."""
    print(f"memory adapter vs plain dict/list code, {n:,} records, "
          f"Python {sys.version.split()[0]}")
    header = f"{'operation':<36} {'adapter ops/s':>14} {'plain ops/s':>14} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for name, ours, theirs in results:
        print(f"{name:<36} {ours:>14,.0f} {theirs:>14,.0f} {theirs / ours:>6.2f}x")
    print("ratio = adapter time per op / plain time per op (below 1.0: adapter is faster)")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000,
                        help="records in the data set (default 100,000)")
    args = parser.parse_args(argv)
    print_table(run(args.records), args.records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
