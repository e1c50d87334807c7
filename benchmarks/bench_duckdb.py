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

Source mode (``--source-records``, default 1,000,000; 0 skips it): a Parquet file of rows of
the same shape (native columns), opened with ``source=``, beside raw duckdb SQL over
``read_parquet`` on the same file, and beside how source mode worked before (every row read
into Python records at open, every query evaluated over them: ``--no-before`` skips it):

6. open (schema, row count, the id column's uniqueness) vs raw ``count(*), count(DISTINCT id)``;
7. read by id vs a raw ``WHERE id = ?``;
8. count ``team == x`` vs raw ``count(*) ... WHERE team = ?``;
9. search ``team == x`` vs the raw rows as dicts;
10. range + sort + limit 10 vs raw ``WHERE age BETWEEN ... ORDER BY score DESC, id LIMIT 10``;
11. count ``name ILIKE ...``, which SQL leaves to the Python check, vs raw ``ILIKE``.
Each timing is the best of ``--repeat`` rounds (the "before" column: one round).
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
from dataknobs_data.adapters.duckdb.source import _value
from dataknobs_data.domain.matcher import select

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


def once(fn: Callable[[], Any]) -> tuple[float, Any]:
    return best(fn, 1)


class Before:
    """Source mode as it was: every row of the files read into records at open, each query
    run by the reference pipeline over all of them."""

    def __init__(self, path: Path) -> None:
        conn = duckdb.connect()
        cur = conn.execute(f"SELECT * FROM read_parquet('{path}')")
        columns = [d[0] for d in cur.description]
        self.records: dict[str, Record] = {}
        for row in cur.fetchall():
            data = {c: _value(v, c) for c, v in zip(columns, row, strict=True)}
            rid = str(data["id"])
            self.records[rid] = Record.trusted(data, {}, id=rid)
        conn.close()

    def _pairs(self) -> Any:
        for rid, rec in self.records.items():
            yield rid, Record.trusted({**rec.data}, {}, id=rid)

    def read(self, rid: str) -> Record | None:
        rec = self.records.get(rid)
        return None if rec is None else Record.trusted({**rec.data}, {}, id=rid)

    def search(self, query: Query) -> list[Record]:
        return [rec for _, rec in select(self._pairs(), query)]

    def count(self, query: Query) -> int:
        return len(select(self._pairs(), Query(filters=query.filters)))


def source_rows(work: Path, n: int, reads: int, repeat: int, before: bool
                ) -> list[tuple[str, float, float, float | None]]:
    """Source mode over an n-row Parquet file, raw duckdb on the same file beside it."""
    path = work / "events.parquet"
    setup = duckdb.connect()
    setup.execute(f"""COPY (SELECT 'r' || lpad(i::VARCHAR, 7, '0') AS id, 'user ' || i AS name,
        i % 90 AS age, 'team' || (i % {TEAMS}) AS team,
        ((i * 7919) % 100003) * CAST(0.5 AS DOUBLE) AS score, ['a', (i % 7)::VARCHAR] AS tags
        FROM range({n}) t(i)) TO '{path}' (FORMAT parquet)""")
    setup.close()
    scan = f"read_parquet('{path}')"
    rows: list[tuple[str, float, float, float | None]] = []
    old = None
    t_b = None
    if before:
        t_b, old = once(lambda: Before(path))

    def adapter_open() -> DuckDBDatabase:
        db = DuckDBDatabase(source=path)
        db.connect()
        return db

    def raw_open() -> Any:
        conn = duckdb.connect()
        conn.execute(f"SELECT * FROM {scan} LIMIT 0").fetchall()
        conn.execute(f"SELECT count(*), count(DISTINCT id) FROM {scan}").fetchall()
        return conn

    t_a, db = best(adapter_open, repeat)
    t_r, conn = best(raw_open, repeat)
    rows.append(("open", t_a, t_r, t_b))
    columns = [d[0] for d in conn.execute(f"SELECT * FROM {scan} LIMIT 0").description]
    conn.fetchall()

    def as_dicts(found: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        return [dict(zip(columns, row, strict=True)) for row in found]

    ids = [f"r{random.randrange(n):07d}" for _ in range(reads)]
    t_a, _ = best(lambda: [db.read(i) for i in ids], repeat)
    t_r, _ = best(lambda: [as_dicts(conn.execute(f"SELECT * FROM {scan} WHERE id = ?",
                                                 [i]).fetchall()) for i in ids], repeat)
    t_b = None if old is None else once(lambda: [old.read(i) for i in ids])[0]
    rows.append((f"read by id x{reads:,}", t_a, t_r, t_b))

    team = Query().filter("team", Operator.EQ, "team7")
    t_a, got = best(lambda: db.count(team), repeat)
    t_r, raw = best(lambda: conn.execute(f"SELECT count(*) FROM {scan} WHERE team = ?",
                                         ["team7"]).fetchall()[0][0], repeat)
    assert got == raw
    t_b = None if old is None else once(lambda: old.count(team))[0]
    rows.append((f"count team == x ({got:,})", t_a, t_r, t_b))

    t_a, hits = best(lambda: db.search(team), repeat)
    t_r, raw_hits = best(lambda: as_dicts(conn.execute(
        f"SELECT * FROM {scan} WHERE team = ? ORDER BY id", ["team7"]).fetchall()), repeat)
    assert [r.id for r in hits] == [r["id"] for r in raw_hits]
    t_b = None if old is None else once(lambda: old.search(team))[0]
    rows.append((f"search team == x ({len(hits):,} hits)", t_a, t_r, t_b))

    agg = (Query().filter("age", Operator.BETWEEN, [20, 40])
           .sort_by("score", "desc").limit(10))
    t_a, hits = best(lambda: db.search(agg), repeat)
    t_r, raw_hits = best(lambda: as_dicts(conn.execute(
        f"SELECT * FROM {scan} WHERE age BETWEEN 20 AND 40 ORDER BY score DESC, id LIMIT 10"
    ).fetchall()), repeat)
    assert [r.id for r in hits] == [r["id"] for r in raw_hits]
    t_b = None if old is None else once(lambda: old.search(agg))[0]
    rows.append(("range + sort + limit 10", t_a, t_r, t_b))

    loose = Query().filter("name", Operator.ILIKE, "USER 12345%")
    t_a, got = best(lambda: db.count(loose), repeat)
    t_r, raw = best(lambda: conn.execute(f"SELECT count(*) FROM {scan} WHERE name ILIKE ?",
                                         ["USER 12345%"]).fetchall()[0][0], repeat)
    assert got == raw
    t_b = None if old is None else once(lambda: old.count(loose))[0]
    rows.append(("count name ILIKE (Python check)", t_a, t_r, t_b))
    db.close()
    conn.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--source-records", type=int, default=1_000_000)
    parser.add_argument("--no-before", action="store_true")
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
    if args.source_records:
        source = source_rows(work, args.source_records, args.reads, args.repeat,
                             not args.no_before)
        print(f"\nSource mode, a {args.source_records:,}-row Parquet file, best of {args.repeat}")
        print(f"| {'operation':<34} | {'adapter s':>10} | {'raw duckdb s':>12} | "
              f"{'adapter/raw time':>16} | {'before s':>10} |")
        print(f"|{'-' * 36}|{'-' * 12}:|{'-' * 14}:|{'-' * 18}:|{'-' * 12}:|")
        for name, a, r, b in source:
            was = "-" if b is None else f"{b:.4f}"
            print(f"| {name:<34} | {a:>10.4f} | {r:>12.4f} | {a / r:>15.2f}x | {was:>10} |")


if __name__ == "__main__":
    main()
