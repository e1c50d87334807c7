"""stream_read / stream_write beside search / create_batch, per backend, same data, same run.

    python benchmarks/bench_streaming.py [--records 100000] [--batch-size 1000]

For memory, a JSON Lines file store, a Parquet file store and (when reachable) PostgreSQL
(``DATAKNOBS_TEST_POSTGRES_DSN``): the time to write N records with ``stream_write`` vs
``create_batch`` in batches of the same size, and to read them all with ``stream_read`` vs
one ``search()``. Streaming should cost about the same as the bulk calls; its point is
memory (see bench_migration.py --only rss).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
from typing import Any

from bench_migration import DSN, postgres_available, row, timed

from dataknobs_data import Record, StreamConfig
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.adapters.memory import MemoryDatabase
from dataknobs_data.testing.servers.postgres import PostgresTestServer


def stores(tmp: str, schema: str) -> list[tuple[str, Any]]:
    """(name, factory) for each backend measured."""
    out: list[tuple[str, Any]] = [
        ("memory", MemoryDatabase),
        ("file (jsonl)", lambda: FileDatabase(path=os.path.join(
            tmp, f"{uuid.uuid4().hex}.jsonl"), fsync=False)),
        ("file (parquet)", lambda: FileDatabase(path=os.path.join(
            tmp, f"{uuid.uuid4().hex}.parquet"), fsync=False)),
    ]
    if postgres_available() is None:
        from dataknobs_data.adapters.postgres import PostgresDatabase

        out.append(("postgres", lambda: PostgresDatabase(
            dsn=DSN, table=f"s_{uuid.uuid4().hex[:8]}", table_schema=schema)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    import pandas  # noqa: F401  (imported before timing: the Parquet snapshot uses them)
    import pyarrow.parquet  # noqa: F401

    n, size = args.records, args.batch_size
    records = [Record(row(i), id=f"r{i:07d}") for i in range(n)]
    cfg = StreamConfig(batch_size=size)
    schema = f"dk_bench_stream_{uuid.uuid4().hex[:8]}"
    tmp = tempfile.mkdtemp(prefix="dk-bench-stream-")
    print(f"{n:,} records, batches of {size:,}")
    print(f"{'backend':<16}{'stream_write':>14}{'create_batch':>14}{'stream_read':>13}"
          f"{'search':>10}")
    try:
        for name, make in stores(tmp, schema):
            a, b = make(), make()
            tw, result = timed(lambda a=a: a.stream_write(records, cfg))
            assert result.successful == n

            def batches(b: Any = b) -> None:
                for start in range(0, n, size):
                    b.create_batch(records[start:start + size])

            tb, _ = timed(batches)
            tr, seen = timed(lambda a=a: sum(1 for _ in a.stream_read(None, cfg)))
            ts, found = timed(lambda a=a: len(a.search()))
            assert seen == found == n
            print(f"{name:<16}{tw:>13.2f}s{tb:>13.2f}s{tr:>12.2f}s{ts:>9.2f}s")
            a.close()
            b.close()
    finally:
        if postgres_available() is None:
            PostgresTestServer(DSN).drop_schema(schema)


if __name__ == "__main__":
    main()
