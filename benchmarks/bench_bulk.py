"""Bulk paths (issue 17's table) beside the raw driver or library, in the same run.

    python benchmarks/bench_bulk.py [--n 100000] [--only NAME ...]

Rows (adapter side / raw side):

1. ``pg-create``: PostgreSQL ``create_batch`` of N JSON records / ``json.dumps`` per row and
   one psycopg2 ``COPY`` into a table of the same shape (``bench_postgres.raw_table``).
2. ``mem-parquet``: ``Migrator`` memory -> file (Parquet) / pyarrow ``Table.from_pylist`` +
   ``write_table`` of the same records (nested values as JSON text).
3. ``parquet-pg``: ``Migrator`` file (Parquet, the file written in row 2) -> PostgreSQL /
   ``read_table().to_pylist()`` + ``json.dumps`` + one ``COPY`` of row 2's raw file (its
   datetimes and nested values are JSON text: the raw rows hold strings there).
3b. ``parquet-pg-same``: the same adapter side / the same raw copy of the adapter's own
   file (pyarrow makes the datetimes, ``json.dumps(default=str)`` writes them).
4. ``parquet-load``: opening the Parquet file of row 2 with the file adapter /
   ``pyarrow.parquet.read_table(path).to_pylist()`` of row 2's raw file (its datetimes and
   nested values are JSON text, so pyarrow makes strings of them, no datetimes, no lists).
4b. ``parquet-read``: the same adapter side / ``read_table(path).to_pylist()`` of the
   adapter's own file, the one it opens (timestamp columns: pyarrow makes the datetimes;
   nested values stay JSON text, which the adapter parses and pyarrow does not).
5. ``frame``: ``records_to_dataframe`` of N records / ``pandas.DataFrame(list_of_dicts)``.
6. ``mem-create``: memory ``create`` one by one / a dict store (``store[id] = dict(row)``).
7. ``arrow-pg`` (the columnar path): PostgreSQL ``write_arrow`` of a pyarrow table of N rows
   (``id_column="id"``) / the same COPY fed from that table by hand (``to_pylist`` +
   ``json.dumps`` per row + one ``COPY``).
8. ``arrow-mem``: memory ``to_arrow()`` of N records (the layout, natively) / pyarrow
   ``Table.from_pylist`` of the same records' dicts (nested values as JSON text).
9. ``arrow-stream``: a columnar migration with flat memory: every ``read_arrow`` batch of an
   SQLite store of N records (built beforehand in its own process) handed to PostgreSQL's
   ``write_arrow`` / raw ``sqlite3`` ``fetchmany`` of the stored JSON text into one ``COPY``
   per batch (no decoding at all). Batches of 2,000 rows. The figure to watch is the peak.
10. ``rows-stream``: the same copy through ``Migrator(source, target, batch_size=10_000)``
   (records read, handed over untransformed) / the same raw copy.

Every case runs in a fresh subprocess which reports its time and its peak resident set
(``VmHWM``), so the migration rows show peak memory beside the raw copy's. Setting up the
source (building the records, the memory database) is outside the timed part but inside
the peak. The issue's figures for load and DataFrame are at ``--n 1000000``. PostgreSQL is
``DATAKNOBS_TEST_POSTGRES_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/test``);
without it the PostgreSQL rows are reported as skipped.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

from bench_migration import DSN, SCHEMA, drop_schema, postgres_available, row, timed
from bench_postgres import make_rows, raw_table

HERE = os.path.dirname(os.path.abspath(__file__))

#: (name, label, target as "adapter/raw speed >= x" or "adapter time <= x * raw")
ROWS: list[tuple[str, str, str]] = [
    ("pg-create", "PostgreSQL create_batch", ">= 0.8x"),
    ("mem-parquet", "migrate memory -> Parquet", "<= 1.3x time"),
    ("parquet-pg", "migrate Parquet -> PostgreSQL", "<= 1.3x time"),
    ("parquet-pg-same", "Parquet -> PG (raw: same file)", "<= 1.3x time"),
    ("parquet-load", "Parquet load", "<= 1.3x time"),
    ("parquet-read", "Parquet load (raw: same file)", "<= 1.3x time"),
    ("frame", "DataFrame of N records", "<= 1.3x time"),
    ("mem-create", "memory create one by one", ">= 150,000/s"),
    ("arrow-pg", "PostgreSQL write_arrow", ">= 0.8x"),
    ("arrow-mem", "memory to_arrow", "<= 1.3x time"),
    ("arrow-stream", "stream SQLite -> PostgreSQL (Arrow)", "peak < 200 MiB"),
    ("rows-stream", "migrate SQLite -> PostgreSQL (rows)", "peak < 200 MiB"),
]
NEEDS_PG = {"pg-create", "parquet-pg", "parquet-pg-same", "arrow-pg", "arrow-stream", "rows-stream"}


def _memory_source(n: int) -> Any:
    from dataknobs_data import MemoryDatabase, Record

    source = MemoryDatabase()
    source.create_batch([Record(row(i), id=f"r{i:07d}") for i in range(n)])
    return source


def _raw_dicts(n: int) -> list[dict[str, Any]]:
    """The records of ``row`` as the raw side writes them (encoded by the project's codec, so
    both sides store the same values; nested values as JSON text, as pyarrow cannot hold the
    mixed structs)."""
    from dataknobs_data.domain import codec

    out = []
    for i in range(n):
        enc = codec.encode(row(i))
        out.append({"id": f"r{i:07d}", **{k: json.dumps(v) if isinstance(v, dict | list) else v
                                          for k, v in enc.items()}})
    return out


def _copy_json(cur: Any, table: str, rows: list[dict[str, Any]], id_key: str = "id") -> None:
    """``json.dumps`` per row and one ``COPY`` (text format: backslashes doubled)."""
    buf = io.StringIO()
    for d in rows:
        rid = d[id_key]
        body = json.dumps(d, default=str).replace("\\", "\\\\")
        buf.write(f"{rid}\t{body}\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} (id, data) FROM STDIN", buf)


def _raw_copy(server: Any, table: str, rows: Any) -> float:
    """The raw side of a PostgreSQL write: a table of the adapter's shape, then ``rows()``
    (timed: building the rows is part of the raw work) as one ``COPY``; the table dropped."""
    import psycopg2

    raw_table(server, table, team_index=False)  # the adapter sides create no index
    conn = psycopg2.connect(DSN)
    try:
        with conn, conn.cursor() as cur:
            seconds, _ = timed(lambda: _copy_json(cur, f'"{table}"', rows()))
    finally:
        conn.close()
        server.drop_table(table)
        server.execute(f'DROP SEQUENCE IF EXISTS "{table}_v"', ())
    return seconds


def case(name: str, side: str, n: int, tmp: str) -> float:
    """Run one side of one row; returns the timed seconds."""
    stage = os.path.join(tmp, "stage.parquet")
    raw_parquet = os.path.join(tmp, "raw.parquet")
    if name == "pg-create":
        import psycopg2

        from dataknobs_data import Record
        from dataknobs_data.adapters.postgres import PostgresDatabase
        from dataknobs_data.testing.servers.postgres import PostgresTestServer

        rows = make_rows(n)
        table = f"bench_bulk_{side}_{uuid.uuid4().hex[:8]}"
        server = PostgresTestServer(DSN)
        if side == "adapter":
            db = PostgresDatabase(dsn=DSN, table=table)
            db.connect()
            records = [Record(dict(r)) for r in rows]
            try:
                seconds, _ = timed(lambda: db.create_batch(records))
                assert db.count() == n
            finally:
                db.close()
                server.drop_table(table)
            return seconds
        return _raw_copy(server, table, lambda: rows)
    if name == "mem-parquet":
        import pandas  # imported up front: the Parquet snapshot uses it
        import pyarrow as pa
        import pyarrow.parquet as pq

        if side == "adapter":
            from dataknobs_data.adapters.file import FileDatabase
            from dataknobs_data.migration import Migrator

            source = _memory_source(n)
            target = FileDatabase(path=stage, fsync=False)

            def run() -> None:
                result = Migrator(source, target, batch_size=10_000).run(count_total=False)
                target.close()  # the snapshot is written here
                assert result.ok and result.written == n, result.summary()

            return timed(run)[0]
        source = _memory_source(n)  # the same heap as the adapter side holds

        def raw() -> None:
            from dataknobs_data.domain import codec

            dicts = [{"id": rec.id, **{k: json.dumps(v) if isinstance(v, dict | list) else v
                                       for k, v in codec.encode(rec.data).items()}}
                     for rec in source.stream_read()]
            pq.write_table(pa.Table.from_pylist(dicts), raw_parquet)

        return timed(raw)[0]
    if name in ("parquet-pg", "parquet-pg-same"):
        import psycopg2
        import pyarrow.parquet as pq

        from dataknobs_data.testing.servers.postgres import PostgresTestServer

        table = f"bench_bulk_{side}_{uuid.uuid4().hex[:8]}"
        PostgresTestServer(DSN).execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"', ())
        if side == "adapter":
            from dataknobs_data.adapters.file import FileDatabase
            from dataknobs_data.adapters.postgres import PostgresDatabase
            from dataknobs_data.migration import Migrator

            source = FileDatabase(path=stage, fsync=False)
            target = PostgresDatabase(dsn=DSN, table=table, table_schema=SCHEMA)

            def run() -> None:
                result = Migrator(source, target, batch_size=10_000).run(count_total=False)
                assert result.ok and result.written == n, result.summary()
                target.close()

            return timed(run)[0]

        def raw() -> None:
            same = name == "parquet-pg-same"  # the adapter's file: ids in its $id column
            rows = pq.read_table(stage if same else raw_parquet).to_pylist()
            conn = psycopg2.connect(DSN)
            with conn, conn.cursor() as cur:
                cur.execute(f'CREATE TABLE "{SCHEMA}"."{table}" (id text PRIMARY KEY, data jsonb)')
                _copy_json(cur, f'"{SCHEMA}"."{table}"', rows, "$id" if same else "id")
            conn.close()

        return timed(raw)[0]
    if name in ("parquet-load", "parquet-read"):
        import pandas  # noqa: F401
        import pyarrow.parquet as pq

        if side == "adapter":
            from dataknobs_data.adapters.file import FileDatabase

            db = FileDatabase(path=stage, fsync=False)
            seconds, _ = timed(db.connect)
            assert db.count() == n
            return seconds
        read = raw_parquet if name == "parquet-load" else stage
        seconds, out = timed(lambda: pq.read_table(read).to_pylist())
        assert len(out) == n
        return seconds
    if name == "frame":
        import pandas as pd

        from dataknobs_data import Record

        dicts = [row(i) for i in range(n)]
        if side == "adapter":
            from dataknobs_data.dataframes import records_to_dataframe

            records = [Record(d, id=f"r{i:07d}") for i, d in enumerate(dicts)]
            return timed(lambda: records_to_dataframe(records))[0]
        return timed(lambda: pd.DataFrame(dicts))[0]
    if name == "mem-create":
        from bench_memory import make_rows as memory_rows
        from bench_memory import no_gc

        from dataknobs_data import MemoryDatabase, Record

        pairs = memory_rows(n)
        with no_gc():
            if side == "adapter":
                mdb = MemoryDatabase()
                start = time.perf_counter()
                for rid, r in pairs:
                    mdb.create(Record(r, id=rid))
                return time.perf_counter() - start
            store: dict[str, dict[str, Any]] = {}
            start = time.perf_counter()
            for rid, r in pairs:
                store[rid] = dict(r)
            return time.perf_counter() - start
    if name == "arrow-pg":
        import psycopg2
        import pyarrow as pa

        from dataknobs_data.adapters.postgres import PostgresDatabase
        from dataknobs_data.testing.servers.postgres import PostgresTestServer

        arrow = pa.Table.from_pylist(make_rows(n))
        table = f"bench_bulk_{side}_{uuid.uuid4().hex[:8]}"
        server = PostgresTestServer(DSN)
        if side == "adapter":
            db = PostgresDatabase(dsn=DSN, table=table)
            db.connect()
            try:
                seconds, written = timed(lambda: db.write_arrow(arrow, id_column="id"))
                assert written == n and db.count() == n
            finally:
                db.close()
                server.drop_table(table)
            return seconds
        return _raw_copy(server, table, arrow.to_pylist)
    if name == "arrow-mem":
        import pyarrow as pa

        source = _memory_source(n)
        if side == "adapter":
            seconds, out = timed(source.to_arrow)
            assert out.num_rows == n
            return seconds
        from dataknobs_data.domain import codec

        held = [(rec.id, rec.data) for rec in source.stream_read()]

        def raw() -> Any:
            return pa.Table.from_pylist([
                {"id": rid, **{k: json.dumps(v) if isinstance(v, dict | list) else v
                               for k, v in codec.encode(data).items()}} for rid, data in held])

        seconds, out = timed(raw)
        assert out.num_rows == n
        return seconds
    if name in ("arrow-stream", "rows-stream"):
        import sqlite3

        import psycopg2

        from dataknobs_data import Record
        from dataknobs_data.adapters.postgres import PostgresDatabase
        from dataknobs_data.adapters.sqlite import SQLiteDatabase
        from dataknobs_data.testing.servers.postgres import PostgresTestServer

        path = os.path.join(tmp, "stream.sqlite")
        if side == "prepare":
            store = SQLiteDatabase(path=path)
            for start in range(0, n, 50_000):
                store.create_batch([Record(row(i), id=f"r{i:07d}")
                                    for i in range(start, min(n, start + 50_000))])
            store.close()
            return 0.0
        table = f"bench_bulk_{side}_{uuid.uuid4().hex[:8]}"
        server = PostgresTestServer(DSN)
        if side == "adapter":
            source = SQLiteDatabase(path=path)
            target = PostgresDatabase(dsn=DSN, table=table)

            def run() -> int:
                if name == "rows-stream":
                    from dataknobs_data.migration import Migrator

                    result = Migrator(source, target, batch_size=10_000).run(count_total=False)
                    assert result.ok, result.summary()
                    return result.written
                return sum(target.write_arrow(batch)
                           for batch in source.read_arrow(batch_size=2_000))

            try:
                seconds, written = timed(run)
                assert written == n and target.count() == n
            finally:
                source.close()
                target.close()
                server.drop_table(table)
            return seconds
        raw_table(server, table, team_index=False)
        lite = sqlite3.connect(path)
        conn = psycopg2.connect(DSN)

        def raw_copy(cur: Any) -> None:
            rows = lite.execute("SELECT id, data FROM records ORDER BY id")
            while chunk := rows.fetchmany(10_000):
                buf = io.StringIO()
                for rid, data in chunk:
                    buf.write(f"{rid.decode()}\t{data.replace(chr(92), chr(92) * 2)}\n")
                buf.seek(0)
                cur.copy_expert(f'COPY "{table}" (id, data) FROM STDIN', buf)

        try:
            with conn, conn.cursor() as cur:
                seconds, _ = timed(lambda: raw_copy(cur))
        finally:
            conn.close()
            lite.close()
            server.drop_table(table)
            server.execute(f'DROP SEQUENCE IF EXISTS "{table}_v"', ())
        return seconds
    raise ValueError(f"unknown case {name!r}")


CHILD = r'''
import json, sys
sys.path[:0] = {path!r}
from bench_bulk import case
seconds = case({name!r}, {side!r}, {n}, {tmp!r})
with open("/proc/self/status") as fh:
    peak = int(next(line.split()[1] for line in fh if line.startswith("VmHWM:")))
print(json.dumps({{"seconds": seconds, "peak_kib": peak}}))
'''


def measure(name: str, side: str, n: int, tmp: str) -> tuple[float, float]:
    """(seconds, peak MiB) of one side of one row, in a fresh subprocess."""
    code = CHILD.format(path=[HERE], name=name, side=side, n=n, tmp=tmp)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return float(got["seconds"]), got["peak_kib"] / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="records per row")
    parser.add_argument("--only", nargs="*", choices=[r[0] for r in ROWS],
                        help="run only these rows (the parquet-* rows need mem-parquet's "
                             "files, which are then written first)")
    args = parser.parse_args()
    wanted = set(args.only or [r[0] for r in ROWS])
    if wanted & {"parquet-pg", "parquet-pg-same", "parquet-load", "parquet-read"}:
        wanted.add("mem-parquet")
    why = postgres_available()
    tmp = tempfile.mkdtemp(prefix="dk-bench-bulk-")
    results: list[tuple[str, str, float, float, float, float, str]] = []
    try:
        for name, label, target in ROWS:
            if name not in wanted:
                continue
            if name in NEEDS_PG and why is not None:
                print(f"{label}: SKIPPED ({why})")
                continue
            t0 = time.perf_counter()
            if name in ("arrow-stream", "rows-stream") and \
                    not os.path.exists(os.path.join(tmp, "stream.sqlite")):
                measure(name, "prepare", args.n, tmp)  # the source store, in its own process
            ours, ours_peak = measure(name, "adapter", args.n, tmp)
            raw, raw_peak = measure(name, "raw", args.n, tmp)
            print(f"  {label}: adapter {ours:.2f}s, raw {raw:.2f}s "
                  f"({time.perf_counter() - t0:.0f}s with set-up)", file=sys.stderr)
            results.append((name, label, ours, raw, ours_peak, raw_peak, target))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        drop_schema()

    print(f"\nBulk paths vs raw, {args.n:,} records (one subprocess per side; peak = VmHWM)\n")
    print(f"| {'path':<30} | {'adapter':>9} | {'raw':>9} | {'adapter rec/s':>13} | "
          f"{'raw rec/s':>11} | {'ratio':>12} | {'peak MiB':>13} | target |")
    print(f"|{'-' * 32}|{'-' * 10}:|{'-' * 10}:|{'-' * 14}:|{'-' * 12}:|{'-' * 13}:|"
          f"{'-' * 14}:|--------|")
    for _name, label, ours, raw, ours_peak, raw_peak, target in results:
        shown = f"{raw / ours:.2f}x" if "time" not in target else f"{ours / raw:.2f}x time"
        peak = f"{ours_peak:.0f} / {raw_peak:.0f}"
        print(f"| {label:<30} | {ours:>8.2f}s | {raw:>8.2f}s | {args.n / ours:>13,.0f} | "
              f"{args.n / raw:>11,.0f} | {shown:>12} | {peak:>13} | {target} |")


if __name__ == "__main__":
    main()
