"""S3 adapter against raw boto3, on the same server in the same run.

    python benchmarks/bench_s3.py [--server moto|seaweedfs|both] [--records 2000]

1. create_batch of N records vs raw threaded ``put_object`` of the same bodies (same worker
   count, same connection pool size). Target: adapter >= 0.8x raw throughput.
2. search over N records: cold (empty cache) vs warm (cache filled), and raw boto3 list +
   threaded GETs + json + filter. Requests are counted by type through botocore's event
   hooks. Target: the warm search sends LIST requests only and is >= 10x faster than cold.
Each timing is the best of ``--repeat`` rounds; adapter and raw runs are interleaved.
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dataknobs_data import Operator, Query, Record
from dataknobs_data.adapters.s3 import S3Database
from dataknobs_data.testing.servers.s3 import STARTERS, S3TestServer


class Counter:
    """S3 calls by operation, through botocore's ``before-call`` event."""

    def __init__(self, client: Any) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        client.meta.events.register("before-call.s3.*", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def summary(self) -> str:
        names = {"ListObjectsV2": "LIST", "GetObject": "GET", "PutObject": "PUT",
                 "HeadObject": "HEAD", "DeleteObjects": "DELETE"}
        return " ".join(f"{names.get(k, k)}={v}" for k, v in sorted(self.calls.items())) or "-"


def raw_client(server: S3TestServer, workers: int) -> Any:
    from botocore.config import Config

    return server.session().client("s3", config=Config(
        s3={"addressing_style": "path"}, max_pool_connections=workers + 4,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required"))


def timed(fn: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def records(n: int) -> list[Record]:
    return [Record({"name": f"user{i}", "age": 18 + i % 60, "team": {"name": f"t{i % 10}"},
                    "tags": ["a", "b"][: i % 3]}, metadata={"src": "bench"}, id=f"r{i:05d}")
            for i in range(n)]


def bench(server: S3TestServer, n: int, workers: int, repeat: int) -> list[tuple[str, ...]]:
    bucket = server.new_bucket("dk-bench")
    raw = raw_client(server, workers)
    rows: list[tuple[str, ...]] = []
    recs = records(n)
    bodies = [(r.id, json.dumps({"id": r.id, "data": r.data, "metadata": r.metadata}).encode())
              for r in recs]

    def raw_put(prefix: str) -> None:
        def one(item: tuple[str | None, bytes]) -> None:
            raw.put_object(Bucket=bucket, Key=f"{prefix}{item[0]}", Body=item[1],
                           ContentType="application/json")

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, bodies))

    best_raw = best_db = float("inf")
    db: S3Database | None = None
    for _ in range(repeat):
        t_raw, _ = timed(lambda: raw_put(f"raw-{uuid.uuid4().hex[:8]}/"))
        db = S3Database(bucket=bucket, prefix=f"db-{uuid.uuid4().hex[:8]}/",
                        batch_workers=workers, **server.options())
        db.connect()
        db._conditions_native()  # the one-off probe is not part of the batch
        fresh = [r.copy() for r in recs]
        t_db, _ = timed(lambda d=db, f=fresh: d.create_batch(f))
        best_raw, best_db = min(best_raw, t_raw), min(best_db, t_db)
    assert db is not None
    rows.append((server.name, f"create_batch {n}", f"{n / best_db:,.0f} rec/s",
                 f"{n / best_raw:,.0f} rec/s", f"{best_raw / best_db:.2f}x", "PUT per record"))

    # search: cold vs warm, requests counted
    counter = Counter(db.client)
    query = Query().filter("age", Operator.GTE, 40).filter("team.name", Operator.IN,
                                                            ["t1", "t2", "t3"]).sort("age")
    cold_best = warm_best = float("inf")
    cold_calls = warm_calls = ""
    for _ in range(repeat):
        db.cache.clear()
        counter.calls.clear()
        t_cold, hits = timed(lambda d=db: d.search(query))
        cold_calls = counter.summary()
        counter.calls.clear()
        t_warm, hits2 = timed(lambda d=db: d.search(query))
        warm_calls = counter.summary()
        assert [r.id for r in hits] == [r.id for r in hits2]
        cold_best, warm_best = min(cold_best, t_cold), min(warm_best, t_warm)
        assert set(counter.calls) == {"ListObjectsV2"}, counter.calls

    def raw_search() -> int:
        keys: list[str] = []
        for page in raw.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=db.layout.prefix):
            keys += [o["Key"] for o in page.get("Contents", [])]

        def get(key: str) -> dict[str, Any]:
            return dict(json.loads(raw.get_object(Bucket=bucket, Key=key)["Body"].read()))

        with ThreadPoolExecutor(workers) as pool:
            docs = list(pool.map(get, keys))
        return sum(1 for d in docs if d["data"]["age"] >= 40)

    raw_best = min(timed(raw_search)[0] for _ in range(repeat))
    rows.append((server.name, f"search {n} cold", f"{cold_best * 1000:,.0f} ms",
                 f"{raw_best * 1000:,.0f} ms", f"{raw_best / cold_best:.2f}x", cold_calls))
    rows.append((server.name, f"search {n} warm", f"{warm_best * 1000:,.1f} ms", "",
                 f"{cold_best / warm_best:.1f}x vs cold", warm_calls))
    db.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["moto", "seaweedfs", "both"], default="both")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    names = ["moto", "seaweedfs"] if args.server == "both" else [args.server]
    rows: list[tuple[str, ...]] = []
    for name in names:
        server = STARTERS[name]()
        try:
            rows += bench(server, args.records, args.workers, args.repeat)
        finally:
            server.stop()
    header = ("server", "operation", "dataknobs S3Database", "raw boto3", "ratio", "requests")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
