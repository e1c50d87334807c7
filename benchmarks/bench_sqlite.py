"""SQLite adapter against raw sqlite3 on the same kind of file in the same run, with the file
adapter (JSON Lines) beside them.

    python benchmarks/bench_sqlite.py [--records 100000] [--search-records 1000000]
                                      [--reads 20000] [--repeat 3]

Both SQLite sides write a table of the same shape (``id BLOB PRIMARY KEY``, ``version``,
``data``, ``metadata`` text, a rowid table) in WAL mode, each with one expression index
on ``json_extract(data, '$."group"')`` (the adapter's also holds the value's JSON kind); the
raw side binds ``json.dumps`` of the same rows.

1. create_batch of ``--records`` records vs raw ``executemany`` of the same JSON rows in one
   transaction. Target: >= 0.7x raw throughput. Both sides get their input built beforehand
   (the adapter ``Record`` objects, raw ``(id, dict)`` pairs); a second row builds the
   ``Record`` objects inside the timing, as an application turning dicts into records would.
2. read by id vs a raw primary-key ``SELECT`` + ``json.loads``. Target: >= 0.6x.
3. count() and count(group == x) vs raw ``SELECT count(*)`` with the same ``WHERE``.
4. indexed equality search returning 100 of ``--search-records`` records (``group == x``,
   ``--search-records / 100`` groups) vs raw ``SELECT ... WHERE json_extract(...) = ? ORDER BY
   id`` + ``json.loads``; both sides return the same ids first. Target: under 5 ms a query.
The file adapter (``.jsonl``, fsync on) does create_batch, read by id and count of the same
records. Each timing is the best of ``--repeat`` rounds; create_batch's three SQLite rows
take turns within each round (load on a shared machine then falls on all of them).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from typing import Any

from dataknobs_data import Operator, Query, Record
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.adapters.sqlite import SQLiteDatabase

PER_GROUP = 100
TABLE = '"records"'
INDEX_EXPR = "json_extract(data, '$.\"group\"')"


def make_rows(n: int, groups: int, start: int = 0) -> list[tuple[str, dict[str, Any]]]:
    return [(f"r{i:07d}", {"name": f"user {i}", "age": i % 90, "group": f"g{i % groups}",
                           "score": i * 0.5, "active": i % 3 == 0, "tags": ["a", "b", str(i % 7)],
                           "address": {"city": f"city{i % 50}", "zip": f"{i % 10000:05d}"}})
            for i in range(start, start + n)]


def best(fn: Callable[[], Any], repeat: int, before: Callable[[], Any] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def best_alternating(sides: list[tuple[Callable[[], Any], Callable[[], Any]]],
                     repeat: int) -> list[float]:
    """The best time of each ``(run, reset)`` side over ``repeat`` rounds, the sides taking
    turns within each round, so a burst of load on a shared machine falls on both sides
    rather than on all of one side's rounds."""
    times: list[list[float]] = [[] for _ in sides]
    for _ in range(repeat):
        for spent, (fn, reset) in zip(times, sides, strict=True):
            reset()
            gc.collect()
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return [min(spent) for spent in times]


class Raw:
    """Plain sqlite3 on a table of the adapter's shape, with the same index."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id BLOB PRIMARY KEY NOT NULL, "
                          "version TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL)")
        self.conn.execute(f'CREATE INDEX IF NOT EXISTS "raw group" ON {TABLE} ({INDEX_EXPR})')

    def insert(self, rows: list[tuple[str, dict[str, Any]]]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(f"INSERT INTO {TABLE} VALUES (?, '1', ?, '{{}}')",
                              [(rid.encode(), json.dumps(data)) for rid, data in rows])
        self.conn.execute("COMMIT")

    def clear(self) -> None:
        self.conn.execute(f"DELETE FROM {TABLE}")

    def read(self, rid: str) -> tuple[dict[str, Any], dict[str, Any]]:
        row = self.conn.execute(f"SELECT data, metadata FROM {TABLE} WHERE id = ?",
                                (rid.encode(),)).fetchone()
        return json.loads(row[0]), json.loads(row[1])

    def search(self, group: str) -> list[tuple[str, dict[str, Any]]]:
        rows = self.conn.execute(f"SELECT id, data, metadata FROM {TABLE} WHERE {INDEX_EXPR} = ? "
                                 "ORDER BY id", (group,)).fetchall()
        return [(rid.decode(), json.loads(data)) for rid, data, _ in rows]

    def count(self, group: str | None = None) -> int:
        if group is None:
            return int(self.conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])
        return int(self.conn.execute(f"SELECT count(*) FROM {TABLE} WHERE {INDEX_EXPR} = ?",
                                     (group,)).fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--search-records", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=20_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="bench_sqlite_")
    n = args.records
    rows = make_rows(n, max(1, n // PER_GROUP))
    results: list[tuple[str, float, float, float | None, str]] = []
    db = SQLiteDatabase(path=os.path.join(work, "ours.db"), indexes=["group"])
    raw = Raw(os.path.join(work, "raw.db"))
    jsonl_path = os.path.join(work, "file.jsonl")
    try:
        # 1. create_batch vs executemany
        records = [Record(data, id=rid) for rid, data in rows]  # raw's rows exist beforehand too

        def adapter_create() -> None:
            db.create_batch(records)

        def adapter_create_building() -> None:
            db.create_batch([Record(data, id=rid) for rid, data in rows])

        def file_create() -> None:
            fdb = FileDatabase(path=jsonl_path)
            fdb.create_batch([Record(data, id=rid) for rid, data in rows])
            fdb.close()

        def file_reset() -> None:
            if os.path.exists(jsonl_path):
                os.remove(jsonl_path)

        db.connect()
        t_ours, t_building, t_raw = best_alternating(
            [(adapter_create, db.clear), (adapter_create_building, db.clear),
             (lambda: raw.insert(rows), raw.clear)], args.repeat)
        t_file = best(file_create, args.repeat, file_reset)
        results.append((f"create_batch {n:,}", n / t_ours, n / t_raw, n / t_file, ">= 0.7x"))
        results.append(("create_batch, Records built inside", n / t_building, n / t_raw,
                        None, ""))

        # 2. read by id
        ids = [random.Random(7).choice(rows)[0] for _ in range(args.reads)]
        expected = dict(rows)
        first = db.read(ids[0])
        assert first is not None and first.data == expected[ids[0]] == raw.read(ids[0])[0]
        fdb = FileDatabase(path=jsonl_path)
        first = fdb.read(ids[0])
        assert first is not None and first.data == expected[ids[0]]

        def reads(read: Callable[[str], Any]) -> Callable[[], None]:
            def run() -> None:
                for rid in ids:
                    read(rid)
            return run

        t_ours = best(reads(db.read), args.repeat)
        t_raw = best(reads(raw.read), args.repeat)
        t_file = best(reads(fdb.read), args.repeat)
        results.append(("read by id", args.reads / t_ours, args.reads / t_raw,
                        args.reads / t_file, ">= 0.6x"))

        # 3. count
        group = rows[n // 2][1]["group"]
        query = Query().filter("group", Operator.EQ, group)
        assert db.count() == raw.count() == fdb.count() == n
        assert db.count(query) == raw.count(group) == fdb.count(query)
        rounds = 50
        t_ours = best(lambda: [db.count() for _ in range(rounds)], args.repeat)
        t_raw = best(lambda: [raw.count() for _ in range(rounds)], args.repeat)
        t_file = best(lambda: [fdb.count() for _ in range(rounds)], args.repeat)
        results.append(("count()", rounds / t_ours, rounds / t_raw, rounds / t_file, ""))
        rounds = 1000
        t_ours = best(lambda: [db.count(query) for _ in range(rounds)], args.repeat)
        t_raw = best(lambda: [raw.count(group) for _ in range(rounds)], args.repeat)
        t_file = best(lambda: [fdb.count(query) for _ in range(rounds // 100)], args.repeat)
        results.append((f"count(group == x), {PER_GROUP} of {n:,}", rounds / t_ours,
                        rounds / t_raw, rounds // 100 / t_file, ""))
        fdb.close()

        # 4. indexed equality search, 100 of --search-records
        big = args.search_records
        groups = max(1, big // PER_GROUP)
        big_db = SQLiteDatabase(path=os.path.join(work, "big.db"), indexes=["group"])
        big_raw = Raw(os.path.join(work, "big_raw.db"))
        chunk = 100_000
        for start in range(0, big, chunk):
            part = make_rows(min(chunk, big - start), groups, start)
            big_db.create_batch([Record(data, id=rid) for rid, data in part])
            big_raw.insert(part)
            del part
        picks = [f"g{random.Random(11).randrange(groups)}" for _ in range(args.searches)]
        for g in picks[:5]:
            found = big_db.search(Query().filter("group", Operator.EQ, g))
            assert [(r.id, r.data) for r in found] == big_raw.search(g), g
            assert len(found) == PER_GROUP
        t_ours = best(lambda: [big_db.search(Query().filter("group", Operator.EQ, g))
                               for g in picks], args.repeat)
        t_raw = best(lambda: [big_raw.search(g) for g in picks], args.repeat)
        results.append((f"search group == x, {PER_GROUP} of {big:,}", len(picks) / t_ours,
                        len(picks) / t_raw, None, "< 5 ms"))
        big_db.close()
        big_raw.conn.close()
    finally:
        db.close()
        raw.conn.close()
        shutil.rmtree(work, ignore_errors=True)

    print(f"SQLite adapter vs raw sqlite3 {sqlite3.sqlite_version}, file adapter (JSON Lines) "
          f"beside ({n:,} records, best of {args.repeat})\n")
    print(f"| {'operation':<36} | {'adapter ops/s':>13} | {'raw ops/s':>11} | "
          f"{'adapter/raw':>11} | {'adapter ms/op':>13} | {'file adapter ops/s':>18} | target |")
    print(f"|{'-' * 38}|{'-' * 15}:|{'-' * 12}:|{'-' * 12}:|{'-' * 14}:|{'-' * 19}:|--------|")
    for name, ours_speed, raw_speed, file_speed, target in results:
        shown_file = "" if file_speed is None else f"{file_speed:,.0f}"
        print(f"| {name:<36} | {ours_speed:>13,.0f} | {raw_speed:>11,.0f} | "
              f"{ours_speed / raw_speed:>10.2f}x | {1000 / ours_speed:>13.3f} | "
              f"{shown_file:>18} | {target} |")


if __name__ == "__main__":
    main()
