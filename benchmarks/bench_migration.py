"""Migration, DataFrame conversion and streaming memory, each beside hand-written code.

    python benchmarks/bench_migration.py [--records 100000] [--frame-records 1000000]
                                         [--stream-records 1000000] [--only migrate|frame|rss]

1. migrate: N records memory -> file (Parquet) -> PostgreSQL with ``Migrator`` (batches of
   10,000, then ``verify``), beside a raw copy per stage: pyarrow ``Table.from_pylist`` +
   ``write_table``, then ``read_table`` + psycopg2 ``COPY`` into a jsonb table; and beside
   the "adapter floor" (``stream_read`` + ``create_batch`` with nothing else), which
   separates the migration's own overhead from the adapters' cost. PostgreSQL is
   ``DATAKNOBS_TEST_POSTGRES_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/test``);
   without it (or without the adapter) that stage is reported as skipped.
2. frame: a DataFrame of M records with ``records_to_dataframe`` beside
   ``pandas.DataFrame(list_of_dicts)``, and back with ``dataframe_to_records`` beside
   ``df.to_dict("records")``.
3. rss: peak RSS (``ru_maxrss`` of a fresh subprocess per case) while streaming S records
   through a migration into a sink, beside holding all of them in a list; and, when
   PostgreSQL is reachable, ``stream_read`` of a PostgreSQL table beside ``search``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from dataknobs_data.testing.servers.postgres import PostgresTestServer

DSN = os.environ.get("DATAKNOBS_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
BASE = datetime(2024, 1, 1, tzinfo=UTC)
#: every PostgreSQL table of this run lives in one schema, dropped at the end
SCHEMA = f"dk_bench_mig_{uuid.uuid4().hex[:8]}"


def drop_schema() -> None:
    """Drop this run's PostgreSQL schema with its tables."""
    if postgres_available() is None:
        PostgresTestServer(DSN).drop_schema(SCHEMA)


def row(i: int) -> dict[str, Any]:
    return {"name": f"person {i}", "age": 18 + i % 60, "score": (i % 1000) / 7,
            "active": i % 3 != 0, "joined": BASE + timedelta(minutes=i),
            "team": {"name": ("core", "infra", "web")[i % 3]}, "tags": [i % 5, i % 7]}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def postgres_available() -> str | None:
    """None when PostgreSQL and the adapter are usable, else why not."""
    try:
        from dataknobs_data.adapters.postgres import PostgresDatabase  # noqa: F401
    except Exception as err:
        return f"adapter not importable: {err}"
    try:
        import psycopg2

        psycopg2.connect(DSN).close()
    except Exception as err:
        return f"server not reachable: {type(err).__name__}"
    return None


def adapter_floor(source: Any, target: Any) -> None:
    """The least any copy through the adapters costs: stream_read and create_batch in
    batches of 10,000, no transforms, checkpoints or reports (closing flushes files)."""
    batch: list[Any] = []
    for rec in source.stream_read():
        batch.append(rec)
        if len(batch) >= 10_000:
            target.create_batch(batch)
            batch = []
    if batch:
        target.create_batch(batch)
    target.close()


# -- 1. migrate ---------------------------------------------------------------------------------
def bench_migrate(n: int) -> None:
    import pandas  # noqa: F401  (imported up front: the Parquet snapshot uses it)
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dataknobs_data import MemoryDatabase, Record
    from dataknobs_data.adapters.file import FileDatabase
    from dataknobs_data.domain import codec
    from dataknobs_data.migration import Migrator

    print(f"\n== migrate {n:,} records: memory -> file (Parquet) -> PostgreSQL ==")
    source = MemoryDatabase()
    source.create_batch([Record(row(i), id=f"r{i:07d}") for i in range(n)])
    tmp = tempfile.mkdtemp(prefix="dk-bench-mig-")
    rows_out: list[tuple[str, float, float | None, str]] = []

    parquet = FileDatabase(path=os.path.join(tmp, "stage.parquet"), fsync=False)

    def stage1() -> Any:
        result = Migrator(source, parquet, batch_size=10_000).run(count_total=False)
        parquet.close()  # the snapshot is written here
        return result

    t1, r1 = timed(stage1)
    assert r1.ok and r1.written == n, r1.summary()
    t1v, report = timed(lambda: Migrator(source, parquet, batch_size=10_000).verify())
    assert report.ok, report.summary()

    def raw1() -> None:
        dicts = [{"id": rec.id, **codec.encode(rec.data)} for rec in source.stream_read()]
        # the raw copy keeps nested values as JSON text (pyarrow cannot hold mixed structs)
        table = pa.Table.from_pylist([{k: (json.dumps(v) if isinstance(v, dict | list) else v)
                                       for k, v in d.items()} for d in dicts])
        pq.write_table(table, os.path.join(tmp, "raw.parquet"))

    r1t, _ = timed(raw1)
    floor_db = FileDatabase(path=os.path.join(tmp, "floor.parquet"), fsync=False)
    f1, _ = timed(lambda: adapter_floor(source, floor_db))
    rows_out.append(("memory -> parquet", t1, r1t,
                     f"verify {t1v:.2f}s; adapter floor {f1:.2f}s"))

    why = postgres_available()
    if why is None:
        import psycopg2

        from dataknobs_data.adapters.postgres import PostgresDatabase

        table = f"bench_mig_{uuid.uuid4().hex[:8]}"
        target = PostgresDatabase(dsn=DSN, table=table, table_schema=SCHEMA)
        reopened = FileDatabase(path=os.path.join(tmp, "stage.parquet"), fsync=False)
        load, _ = timed(reopened.connect)  # reading the Parquet snapshot, timed on its own
        t2, r2 = timed(lambda: Migrator(reopened, target, batch_size=10_000).run(
            count_total=False))
        assert r2.ok and r2.written == n, r2.summary()
        t2v, report2 = timed(lambda: Migrator(reopened, target, batch_size=10_000).verify())
        assert report2.ok, report2.summary()

        raw_table = f"bench_raw_{uuid.uuid4().hex[:8]}"

        def raw2() -> None:
            import io

            rows = pq.read_table(os.path.join(tmp, "raw.parquet")).to_pylist()
            buf = io.StringIO()
            for d in rows:
                rid = d.pop("id")
                body = json.dumps(d, default=str).replace("\\", "\\\\")
                buf.write(f"{rid}\t{body}\n")
            buf.seek(0)
            conn = psycopg2.connect(DSN)
            with conn, conn.cursor() as cur:
                cur.execute(f'CREATE TABLE "{SCHEMA}".{raw_table} '
                            "(id text PRIMARY KEY, data jsonb)")
                cur.copy_expert(f'COPY "{SCHEMA}".{raw_table} (id, data) FROM STDIN', buf)
            conn.close()

        r2t, _ = timed(raw2)
        floor_pg = PostgresDatabase(dsn=DSN, table=f"{table}_floor", table_schema=SCHEMA)
        f2, _ = timed(lambda: adapter_floor(reopened, floor_pg))
        floor_pg.close()
        rows_out.append(("parquet -> PostgreSQL", t2, r2t,
                         f"verify {t2v:.2f}s; adapter floor {f2:.2f}s; "
                         f"Parquet load before it {load:.2f}s"))
        target.close()
    else:
        rows_out.append(("parquet -> PostgreSQL", float("nan"), None, f"SKIPPED: {why}"))

    print(f"{'stage':<24}{'Migrator':>12}{'raw copy':>12}{'ratio':>8}  note")
    for name, mine, raw, note in rows_out:
        ratio = f"{mine / raw:.2f}" if raw else "-"
        raw_s = f"{raw:.2f}s" if raw else "-"
        print(f"{name:<24}{mine:>11.2f}s{raw_s:>12}{ratio:>8}  {note}  "
              f"({n / mine:,.0f} rec/s)" if mine == mine else f"{name:<24}  {note}")


# -- 2. frame -----------------------------------------------------------------------------------
def bench_frame(m: int) -> None:
    import pandas as pd

    from dataknobs_data import Record
    from dataknobs_data.dataframes import dataframe_to_records, records_to_dataframe

    print(f"\n== DataFrame of {m:,} records ==")
    dicts = [row(i) for i in range(m)]
    records = [Record(d, id=f"r{i:07d}") for i, d in enumerate(dicts)]
    best = {}
    for _ in range(2):
        for name, fn in (("records_to_dataframe", lambda: records_to_dataframe(records)),
                         ("pandas.DataFrame(list_of_dicts)", lambda: pd.DataFrame(dicts))):
            t, df = timed(fn)
            best[name] = min(best.get(name, t), t)
            del df
    ours = records_to_dataframe(records)
    theirs = pd.DataFrame(dicts)
    for _ in range(2):
        for name, fn in (("dataframe_to_records", lambda: list(dataframe_to_records(ours))),
                         ('df.to_dict("records")', lambda: theirs.to_dict("records"))):
            t, out = timed(fn)
            best[name] = min(best.get(name, t), t)
            del out
    print(f"{'conversion':<34}{'time':>9}{'rec/s':>14}")
    for name, t in best.items():
        print(f"{name:<34}{t:>8.2f}s{m / t:>14,.0f}")
    print("dtypes (ours):   " + ", ".join(f"{c}={ours[c].dtype}" for c in ours.columns))
    print("dtypes (pandas): " + ", ".join(f"{c}={theirs[c].dtype}" for c in theirs.columns))


# -- 3. rss -------------------------------------------------------------------------------------
# VmHWM (peak resident set of this process image): unlike ru_maxrss it is not inherited
# from the forking parent across exec
CASE = r'''
import sys
sys.path[:0] = {path!r}
from bench_migration import rss_case
rss_case({case!r}, {n})
with open("/proc/self/status") as fh:
    print(next(line.split()[1] for line in fh if line.startswith("VmHWM:")))
'''


def generated_source(n: int) -> Any:
    from dataknobs_data import Record
    from dataknobs_data.adapters.memory import MemoryDatabase

    class Generated(MemoryDatabase):
        """A source of ``n`` records made on the fly (nothing held)."""

        def _count(self, query: Any) -> int:
            return n

        def _stream_read(self, query: Any, config: Any) -> Iterator[Record]:
            for i in range(n):
                yield Record(row(i), id=f"r{i:07d}")

    return Generated()


def sink() -> Any:
    from dataknobs_data.adapters.memory import MemoryDatabase

    class Sink(MemoryDatabase):
        """Accepts and forgets every record."""

        def _create_batch(self, records: list[Any]) -> dict[int, BaseException]:
            return {}

    return Sink()


def rss_case(case: str, n: int) -> None:
    """One measured case (run in its own subprocess)."""
    from dataknobs_data import Record

    if case == "baseline":
        import dataknobs_data.migration  # noqa: F401  (imports only)
    elif case == "migrate-stream":
        from dataknobs_data.migration import Migrator

        result = Migrator(generated_source(n), sink(), batch_size=1000).run()
        assert result.read == n
    elif case == "hold-all":
        held = [Record(row(i), id=f"r{i:07d}") for i in range(n)]
        assert len(held) == n
    elif case in ("stream_write", "stream_write-no-ids"):
        from dataknobs_data import StreamConfig

        cfg = StreamConfig(batch_size=1000, keep_ids=case == "stream_write")
        result = sink().stream_write((Record(row(i), id=f"r{i:07d}") for i in range(n)), cfg)
        assert result.successful == n
    elif case.startswith("pg-"):
        from dataknobs_data import StreamConfig
        from dataknobs_data.adapters.postgres import PostgresDatabase

        schema, table = case.split(":", 1)[1].split(".")
        db = PostgresDatabase(dsn=DSN, table=table, table_schema=schema)
        if case.startswith("pg-stream"):
            seen = sum(1 for _ in db.stream_read(None, StreamConfig(batch_size=1000)))
        else:
            seen = len(db.search())
        assert seen == n, seen
        db.close()


def measure(case: str, n: int) -> int:
    code = CASE.format(path=[os.path.dirname(os.path.abspath(__file__))], case=case, n=n)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True)
    return int(out.stdout.strip().splitlines()[-1])  # KiB


def bench_rss(n: int) -> None:
    print(f"\n== peak RSS, {n:,} records (fresh subprocess per case) ==")
    cases = [("baseline", "imports only"),
             ("migrate-stream", "Migrator: generated source -> sink, streamed"),
             ("stream_write", "stream_write of a generator into a sink"),
             ("stream_write-no-ids", "the same with StreamConfig(keep_ids=False)"),
             ("hold-all", "all records held in a list")]
    for case, label in cases:
        t0 = time.perf_counter()
        kib = measure(case, n)
        print(f"{label:<52}{kib / 1024:>9.0f} MiB   ({time.perf_counter() - t0:.1f}s)")
    why = postgres_available()
    if why is not None:
        print(f"PostgreSQL stream_read vs search: SKIPPED ({why})")
        return
    from dataknobs_data import Record, StreamConfig
    from dataknobs_data.adapters.postgres import PostgresDatabase

    table = f"bench_rss_{uuid.uuid4().hex[:8]}"
    db = PostgresDatabase(dsn=DSN, table=table, table_schema=SCHEMA)
    t0 = time.perf_counter()
    db.stream_write((Record(row(i), id=f"r{i:07d}") for i in range(n)),
                    StreamConfig(batch_size=10_000))
    print(f"(loaded {n:,} records into PostgreSQL in {time.perf_counter() - t0:.1f}s)")
    where = f"{SCHEMA}.{table}"
    for case, label in ((f"pg-stream:{where}", "PostgreSQL stream_read (batch 1,000)"),
                        (f"pg-search:{where}", "PostgreSQL search() of everything")):
        t0 = time.perf_counter()
        kib = measure(case, n)
        print(f"{label:<52}{kib / 1024:>9.0f} MiB   ({time.perf_counter() - t0:.1f}s)")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--frame-records", type=int, default=1_000_000)
    parser.add_argument("--stream-records", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["migrate", "frame", "rss"])
    args = parser.parse_args()
    try:
        if args.only in (None, "migrate"):
            bench_migrate(args.records)
        if args.only in (None, "frame"):
            bench_frame(args.frame_records)
        if args.only in (None, "rss"):
            bench_rss(args.stream_records)
    finally:
        drop_schema()


if __name__ == "__main__":
    main()
