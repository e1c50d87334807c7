"""Elasticsearch adapter against the raw client, on the same server in the same run.

    python benchmarks/bench_elasticsearch.py [--records 10000] [--stream 25000] [--repeat 2]

The server is the one ``DATAKNOBS_TEST_ES_URL`` names, else an osmem-server started here.

1. create_batch of N records vs raw ``elasticsearch.helpers.bulk`` of the same records
   (plain JSON, dynamic mapping, same chunk size, one refresh at the end on both sides so
   both leave the records searchable). Each round writes to fresh indexes; adapter and raw
   runs are interleaved; the best round counts. Target: adapter >= 0.8x raw throughput.
2. stream_read of M records (batch 1,000: search_after beyond the 10,000 window, in a
   point in time where the server has one): every record exactly once, against a raw
   search_after loop over the raw index.
"""

from __future__ import annotations

import argparse
import gc
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from dataknobs_data import Record
from dataknobs_data.adapters.elasticsearch import ElasticsearchDatabase
from dataknobs_data.ports.streaming import StreamConfig
from dataknobs_data.testing.servers.elasticsearch import ElasticsearchTestServer, start_server

CHUNK = 500
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


def make_records(n: int, prefix: str = "r") -> list[Record]:
    return [Record({"name": f"user {i}", "age": i % 90, "score": i * 0.5,
                    "active": i % 3 == 0, "team": {"name": f"team-{i % 17}", "size": i % 9},
                    "tags": ["a", "b"][: i % 3], "joined": BASE_TIME + timedelta(minutes=i)},
                   metadata={"src": "bench"}, id=f"{prefix}{i:06d}") for i in range(n)]


def raw_doc(record: Record) -> dict[str, Any]:
    data = dict(record.data)
    data["joined"] = data["joined"].isoformat()
    data["rid"] = record.id
    return data


def timed(fn: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def index_name(stem: str) -> str:
    return f"bench-{stem}-{uuid.uuid4().hex[:8]}"


def bench_create(server: ElasticsearchTestServer, n: int, repeat: int) -> dict[str, float]:
    from elasticsearch import helpers

    records = make_records(n)
    best = {"adapter": float("inf"), "raw": float("inf")}
    for _round in range(repeat):
        raw_db = ElasticsearchDatabase(**server.options(index_name("raw")))
        client = raw_db.client
        raw_index = raw_db.index
        docs = [raw_doc(r) for r in records]

        def raw(client: Any = client, raw_index: str = raw_index, docs: Any = docs) -> None:
            helpers.bulk(client, ({"_index": raw_index, "_id": d["rid"], "_source": d}
                                  for d in docs), chunk_size=CHUNK)
            client.indices.refresh(index=raw_index)

        seconds, _ = timed(raw)
        best["raw"] = min(best["raw"], seconds)
        assert client.count(index=raw_index)["count"] == n
        client.indices.delete(index=raw_index)

        db = ElasticsearchDatabase(chunk_size=CHUNK, **server.options(index_name("dk")))
        db.connect()  # the index exists before the clock starts, as the raw side's would
        seconds, ids = timed(lambda db=db: db.create_batch(records))
        best["adapter"] = min(best["adapter"], seconds)
        assert len(ids) == n and db.count() == n
        db.client.indices.delete(index=db.index)
        db.close()
        raw_db.close()
    return best


def bench_stream(server: ElasticsearchTestServer, m: int) -> dict[str, Any]:
    from elasticsearch import helpers

    records = make_records(m, "s")
    db = ElasticsearchDatabase(chunk_size=CHUNK, **server.options(index_name("stream")))
    load_seconds, _ = timed(lambda: db.create_batch(records))
    seconds, seen = timed(lambda: [r.id for r in db.stream_read(
        None, StreamConfig(batch_size=1000))])
    exactly_once = len(seen) == m and len(set(seen)) == m

    client = db.client
    raw_index = index_name("stream-raw")
    helpers.bulk(client, ({"_index": raw_index, "_id": r.id, "_source": raw_doc(r)}
                          for r in records), chunk_size=CHUNK)
    client.indices.refresh(index=raw_index)

    def raw_stream() -> list[str]:
        out: list[str] = []
        after: list[Any] | None = None
        while True:
            kwargs: dict[str, Any] = {"index": raw_index, "size": 1000,
                                      "sort": [{"rid.keyword": "asc"}],
                                      "track_total_hits": False}
            if after is not None:
                kwargs["search_after"] = after
            hits = client.search(**kwargs)["hits"]["hits"]
            out.extend(h["_id"] for h in hits)
            if len(hits) < 1000:
                return out
            after = hits[-1]["sort"]

    raw_seconds, raw_seen = timed(raw_stream)
    result = {"load": load_seconds, "adapter": seconds, "raw": raw_seconds,
              "exactly_once": exactly_once, "raw_count": len(raw_seen),
              "pit": db.operations.pit_api}
    client.indices.delete(index=raw_index)
    client.indices.delete(index=db.index)
    db.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--stream", type=int, default=25_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    server = start_server()
    try:
        create = bench_create(server, args.records, args.repeat)
        stream = bench_stream(server, args.stream)
    finally:
        server.stop()
    n, m = args.records, args.stream
    ratio = create["raw"] / create["adapter"]
    print(f"server: {server.name} ({server.compatibility} mode)")
    print("| operation | adapter | raw client | adapter / raw |")
    print("|---|---:|---:|---:|")
    print(f"| create_batch {n:,} (records/s) | {n / create['adapter']:,.0f} "
          f"| {n / create['raw']:,.0f} (helpers.bulk) | {ratio:.2f}x |")
    print(f"| stream_read {m:,} (records/s) | {m / stream['adapter']:,.0f} "
          f"| {m / stream['raw']:,.0f} (search_after loop) "
          f"| {stream['raw'] / stream['adapter']:.2f}x |")
    print(f"| load {m:,} with create_batch (records/s) | {m / stream['load']:,.0f} | | |")
    print(f"stream_read returned every one of {m:,} records exactly once: "
          f"{stream['exactly_once']} (point in time: {stream['pit']}); "
          f"create_batch target >= 0.8x raw: {'met' if ratio >= 0.8 else 'NOT met'}")


if __name__ == "__main__":
    main()
