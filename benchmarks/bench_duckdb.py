"""DuckDB adapter against raw duckdb, on the same kind of table in the same run.

    python benchmarks/bench_duckdb.py [--records 100000] [--reads 2000] [--repeat 3]

Both sides use a table ``(id BLOB PRIMARY KEY, version VARCHAR, data BLOB, metadata BLOB)``
holding the codec's JSON, and both decode the JSON of what they return into Python dicts.

1. create_batch of N records vs raw: one Arrow table inserted in one transaction.
2. read by id vs a raw primary-key ``SELECT``.
3. search ``team == x`` (about N/100 records) vs the raw SQL with ``json_extract``.
4. count of everything vs raw ``count(*)``.
5. aggregate-style search: ``age`` in a range, sorted by ``score`` descending, limit 10, vs the
   same SQL in raw duckdb (``json_extract`` in WHERE and ORDER BY). Issue target: within 2x.
Each timing is the best of ``--repeat`` rounds.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dataknobs_data import Operator, Query, Record
from dataknobs_data.adapters.duckdb import DuckDBDatabase

TEAMS = 100


def make_rows(n: int) -> list[dict[str, Any]]:
    return [{"id": f"r{i:07d}", "name": f"user {i}", "age": i % 90, "team": f"team{i % TEAMS}",
             "score": (i * 7919) % 100003 * 0.5, "tags": ["a", str(i % 7)]}
            for i in range(n)]


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.records
    rows = make_rows(n)
    work = Path(tempfile.mkdtemp())
    results: list[tuple[str, float, float]] = []

    def adapter_load() -> DuckDBDatabase:
        db = DuckDBDatabase(path=work / f"a{time.perf_counter_ns()}.duckdb")
        db.create_batch([Record({k: v for k, v in r.items() if k != "id"}, id=r["id"])
                         for r in rows])
        return db

    def raw_load() -> Any:
        conn = duckdb.connect(str(work / f"r{time.perf_counter_ns()}.duckdb"))
        conn.execute("CREATE TABLE t (id BLOB PRIMARY KEY, version VARCHAR, data BLOB, "
                     "metadata BLOB)")
        table = pa.table({
            "id": [r["id"].encode() for r in rows], "version": ["v"] * n,
            "data": [json.dumps({k: v for k, v in r.items() if k != "id"}).encode()
                     for r in rows], "metadata": [b"{}"] * n})
        conn.execute("BEGIN TRANSACTION")
        conn.register("b", table)
        conn.execute("INSERT INTO t SELECT * FROM b")
        conn.execute("COMMIT")
        return conn

    t_a, db = best(adapter_load, args.repeat)
    t_r, conn = best(raw_load, args.repeat)
    results.append((f"create_batch {n:,}", t_a, t_r))

    ids = [f"r{random.randrange(n):07d}" for _ in range(args.reads)]
    t_a, _ = best(lambda: [db.read(i) for i in ids], args.repeat)
    t_r, _ = best(lambda: [json.loads(conn.execute(
        "SELECT data FROM t WHERE id = ?", [i.encode()]).fetchone()[0]) for i in ids],
        args.repeat)
    results.append((f"read by id x{args.reads:,}", t_a, t_r))

    q = Query().filter("team", Operator.EQ, "team7")
    t_a, hits = best(lambda: db.search(q), args.repeat)
    t_r, raw_hits = best(lambda: [json.loads(d) for (d,) in conn.execute(
        "SELECT data FROM t WHERE json_extract_string(decode(data), '$.team') = 'team7' "
        "ORDER BY id").fetchall()], args.repeat)
    assert len(hits) == len(raw_hits)
    results.append((f"search team == x ({len(hits):,} hits)", t_a, t_r))

    t_a, _ = best(lambda: db.count(), args.repeat)
    t_r, _ = best(lambda: conn.execute("SELECT count(*) FROM t").fetchone(), args.repeat)
    results.append(("count()", t_a, t_r))

    agg = (Query().filter("age", Operator.BETWEEN, [20, 40])
           .sort_by("score", "desc").limit(10))
    t_a, hits = best(lambda: db.search(agg), args.repeat)
    t_r, raw_hits = best(lambda: [json.loads(d) for (d,) in conn.execute(
        "SELECT data FROM t WHERE CAST(json_extract(decode(data), '$.age') AS BIGINT) BETWEEN 20 "
        "AND 40 ORDER BY CAST(json_extract(decode(data), '$.score') AS DOUBLE) DESC, id LIMIT 10"
    ).fetchall()], args.repeat)
    assert [r["score"] for r in hits] == [r["score"] for r in raw_hits]
    results.append(("range + sort + limit 10", t_a, t_r))

    print(f"DuckDB {duckdb.__version__}, {n:,} records, best of {args.repeat}")
    print(f"| {'operation':<34} | {'adapter s':>10} | {'raw duckdb s':>12} | "
          f"{'adapter/raw time':>16} |")
    print(f"|{'-' * 36}|{'-' * 12}:|{'-' * 14}:|{'-' * 18}:|")
    for name, a, r in results:
        print(f"| {name:<34} | {a:>10.4f} | {r:>12.4f} | {a / r:>15.2f}x |")


if __name__ == "__main__":
    main()
