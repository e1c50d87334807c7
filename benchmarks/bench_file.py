"""Benchmark of the file adapter in each format, beside raw ``json`` / ``csv`` / ``pyarrow``
doing the same work and the memory adapter answering the same queries.

    python benchmarks/bench_file.py                 # default sizes (a couple of minutes)
    python benchmarks/bench_file.py --records 20000 --parquet-records 200000 --no-fsync

Per format: 10,000 single creates, each durable when it returns (fsync'd log append) and
without fsync, beside raw ``json.dumps`` + append (+ fsync) per record, interleaved in chunks
of 500 so both meet the same disk; read by id after load;
a search over ``--records`` records beside the memory adapter (best of 3 for both); load time
beside the raw library reading the same file into Python objects. Then Parquet: loading
``--parquet-records`` records beside ``pyarrow.parquet.read_table(...).to_pylist()``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from dataknobs_data import MemoryDatabase, Operator, Query, Record, SortOrder
from dataknobs_data.adapters.file import FileDatabase

CITIES = ["Oslo", "Rome", "Lima", "Pune", "Kyiv", "Oaxaca", "Perth", "Quito"]


def make_people(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` people with strings, ints, floats, booleans, datetimes and a nested object."""
    rnd = random.Random(seed)
    base = datetime(2020, 1, 1, tzinfo=UTC)
    return [
        {
            "id": f"p{i:07d}",
            "name": f"person {rnd.randrange(10**6):06d}",
            "age": rnd.randrange(18, 90),
            "score": round(rnd.random() * 100, 3),
            "active": rnd.random() < 0.5,
            "city": rnd.choice(CITIES),
            "joined": base + timedelta(minutes=rnd.randrange(2_000_000)),
            "team": {"name": rnd.choice(["core", "infra", "web"]), "size": rnd.randrange(9)},
        }
        for i in range(n)
    ]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def best_of(n: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    runs = [timed(fn) for _ in range(n)]
    return min(r[0] for r in runs), runs[-1][1]


def fmt_s(seconds: float) -> str:
    return f"{seconds:8.3f} s"


def fmt_rate(count: int, seconds: float) -> str:
    return f"{count / seconds:10,.0f}/s"


QUERY = (Query().filter("age", Operator.GTE, 40).filter("city", Operator.IN, ["Oslo", "Rome"])
         .filter("active", Operator.EQ, True).sort("score", SortOrder.DESC).limit(50))


class RawAppender:
    """Raw json: one ``json.dumps`` + append (+ fsync) per record: the same durability."""

    def __init__(self, path: str, fsync: bool) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.fsync = fsync

    def append(self, row: dict[str, Any]) -> None:
        os.write(self.fd, (json.dumps(row, default=str) + "\n").encode())
        if self.fsync:
            os.fsync(self.fd)

    def close(self) -> None:
        os.close(self.fd)


def interleaved_creates(db: FileDatabase, rows: list[dict[str, Any]], raw: RawAppender,
                        chunk: int = 500) -> tuple[float, float]:
    """Single creates through the adapter and raw appends, alternating in chunks so both
    see the same disk conditions (fsync latency on shared machines varies tenfold)."""
    ours = theirs = 0.0
    records = [Record(dict(r)) for r in rows]
    for start in range(0, len(rows), chunk):
        t0 = time.perf_counter()
        for rec in records[start:start + chunk]:
            db.create(rec)
        t1 = time.perf_counter()
        for row in rows[start:start + chunk]:
            raw.append(row)
        t2 = time.perf_counter()
        ours += t1 - t0
        theirs += t2 - t1
    return ours, theirs


def raw_load(fmt: str, path: str) -> Callable[[], Any]:
    """The raw library reading the same file into Python objects."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return lambda: pq.read_table(path).to_pylist()
    opener: Callable[..., Any] = gzip.open if path.endswith(".gz") else open
    if fmt == "json":
        return lambda: json.load(opener(path, "rt", encoding="utf-8"))
    if fmt == "jsonl":
        return lambda: [json.loads(line) for line in opener(path, "rt", encoding="utf-8")]
    return lambda: list(csv.DictReader(opener(path, "rt", encoding="utf-8", newline="")))


def bench_format(fmt: str, rows: list[dict[str, Any]], creates: int, reads: int,
                 directory: str, fsync: bool) -> list[list[str]]:
    out: list[list[str]] = []
    suffix = fmt
    # 1. single creates, durable (fsync per write) and not
    for sync in (True, False) if fsync else (False,):
        path = os.path.join(directory, f"creates-{sync}.{suffix}")
        db = FileDatabase(path=path, fsync=sync)
        appender = RawAppender(os.path.join(directory, f"raw-{sync}-{suffix}.jsonl"), sync)
        seconds, raw = interleaved_creates(db, rows[:creates], appender)
        appender.close()
        close_s, _ = timed(db.close)
        label = "fsync" if sync else "no fsync"
        out.append([fmt, f"{creates:,} single creates ({label})", fmt_s(seconds),
                    f"raw json append ({label}): {fmt_s(raw)}",
                    f"+ close/compact {close_s:.3f} s"])

    # 2. load a store of len(rows) records
    path = os.path.join(directory, f"big.{suffix}")
    seed = FileDatabase(path=path, fsync=False)
    seed.create_batch([Record(dict(r)) for r in rows])
    seed.close()
    size = os.path.getsize(path)
    db = FileDatabase(path=path)
    load_s, _ = timed(db.connect)
    raw_s, _ = timed(raw_load(fmt, path))
    # the reference, built now so that both stores' objects are of the same age in the heap
    memory = MemoryDatabase()
    memory.create_batch([Record(dict(r)) for r in rows])
    out.append([fmt, f"load {len(rows):,} records ({size / 1e6:.1f} MB)", fmt_s(load_s),
                f"raw {fmt} to Python: {fmt_s(raw_s)}", f"ratio {load_s / raw_s:.2f}x"])

    # 3. read by id after load
    rnd = random.Random(3)
    ids = [rows[rnd.randrange(len(rows))]["id"] for _ in range(reads)]
    read_s, _ = timed(lambda: [db.read(i) for i in ids])
    mem_s, _ = timed(lambda: [memory.read(i) for i in ids])
    out.append([fmt, f"read by id x{reads:,}", fmt_rate(reads, read_s),
                f"memory adapter: {fmt_rate(reads, mem_s)}", f"ratio {read_s / mem_s:.2f}x"])

    # 4. search: best of 3 (the first run also computes string hashes of fresh data)
    search_s, got = best_of(3, lambda: db.search(QUERY))
    mem_search_s, expected = best_of(3, lambda: memory.search(QUERY))
    assert [r.id for r in got] == [r.id for r in expected]
    out.append([fmt, f"search over {len(rows):,}", fmt_s(search_s),
                f"memory adapter: {fmt_s(mem_search_s)}",
                f"ratio {search_s / mem_search_s:.2f}x"])
    db.close()
    return out


def bench_parquet_load(n: int, directory: str) -> list[str]:
    import pyarrow.parquet as pq

    rows = make_people(n, seed=11)
    path = os.path.join(directory, "million.parquet")
    seed = FileDatabase(path=path, fsync=False)
    seed.create_batch([Record(r) for r in rows])
    seed.close()
    del rows
    raw_s, raw_rows = timed(lambda: pq.read_table(path).to_pylist())
    del raw_rows
    db = FileDatabase(path=path)
    load_s, _ = timed(db.connect)
    assert db.count() == n
    db.close()
    return ["parquet", f"load {n:,} records", fmt_s(load_s),
            f"pq.read_table().to_pylist(): {fmt_s(raw_s)}", f"ratio {load_s / raw_s:.2f}x"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000,
                        help="records in the store searched and loaded (default 100,000)")
    parser.add_argument("--creates", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=100_000)
    parser.add_argument("--parquet-records", type=int, default=1_000_000,
                        help="records for the Parquet load comparison (0 to skip)")
    parser.add_argument("--formats", default="json,jsonl,csv,parquet,jsonl.gz")
    parser.add_argument("--no-fsync", action="store_true",
                        help="only measure single creates without fsync")
    args = parser.parse_args()

    import pyarrow.parquet  # noqa: F401 - imported up front so no timing includes it

    directory = tempfile.mkdtemp(prefix="bench-file-")
    try:
        rows = make_people(args.records)
        table: list[list[str]] = []
        for fmt in args.formats.split(","):
            table += bench_format(fmt, rows, args.creates, args.reads, directory,
                                  not args.no_fsync)
        if args.parquet_records:
            table.append(bench_parquet_load(args.parquet_records, directory))
        widths = [max(len(row[i]) for row in table) for i in range(5)]
        header = ["format", "work", "file adapter", "raw / reference", "note"]
        widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
        print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        print("-|-".join("-" * w for w in widths))
        for row in table:
            print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
