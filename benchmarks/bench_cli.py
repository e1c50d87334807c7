"""The command line on a large embedded default store: wall time per call, process start
included (issue 16: ``dataknobs-data count --where ...`` on 1,000,000 records under 0.5 s).

Builds ``.dataknobs/default.sqlite`` (the CLI's embedded default) in a scratch directory with
``SQLiteDatabase.create_batch`` once (kept between runs with ``--keep DIR``), then runs each
command as a new process several times and prints the best and median wall time, beside the
same count done by the raw ``sqlite3`` module in a new process (the floor: interpreter start
plus SQLite's own scan) and an empty interpreter start.

    python benchmarks/bench_cli.py                      # 1,000,000 records, 5 runs each
    python benchmarks/bench_cli.py --records 100000 --runs 3 --keep scratch-dir

After the calls on the store as built (no index), it runs ``dataknobs-data index age
team.name`` once and times the filtered counts again (a number range, a number and a string
equality, and both paths at once, which the adapter answers by intersecting the two
indexes), beside raw ``sqlite3`` counting through the same index.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CITIES = ["Oslo", "Rome", "Lima", "Paris", "Tokyo", "Quito", "Accra", "Hanoi"]
TEAMS = ["core", "infra", "ui", "data"]


def build(path: Path, records: int, batch: int = 10_000) -> float:
    """Write ``records`` people into the SQLite file ``path``; returns the seconds taken."""
    from dataknobs_data.adapters.sqlite import SQLiteDatabase
    from dataknobs_data.domain.records import Record

    rng = random.Random(16)
    started = time.perf_counter()
    with SQLiteDatabase(path=path) as db:
        for start in range(0, records, batch):
            db.create_batch([
                Record({"name": f"person {i}", "age": rng.randrange(18, 100),
                        "city": rng.choice(CITIES), "active": rng.random() < 0.6,
                        "score": round(rng.random() * 100, 1),
                        "team": {"name": rng.choice(TEAMS)}}, id=f"p{i:07d}")
                for i in range(start, min(start + batch, records))])
    return time.perf_counter() - started


def wall(argv: list[str], cwd: Path, runs: int) -> tuple[float, float, str]:
    """Best and median wall seconds of ``argv`` run ``runs`` times in ``cwd``, and its output."""
    times: list[float] = []
    out = ""
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr}")
        out = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return min(times), statistics.median(times), out


RAW_COUNT = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
print(conn.execute("SELECT count(*) FROM records WHERE json_extract(data, '$.age') >= 80")
      .fetchone()[0])
"""

#: the same count through the index ``dataknobs-data index age`` makes (its expression)
RAW_INDEXED_COUNT = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
age = "COALESCE(json_extract(data, '$.\\"age\\"'), json_extract(data, '$.\\"$object\\".\\"age\\"'))"
print(conn.execute(f"SELECT count(*) FROM records WHERE {age} >= 80 AND {age} < ''")
      .fetchone()[0])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None,
                        help="scratch directory to build in and keep (reused when present)")
    args = parser.parse_args()
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="bench-cli-"))
    store = scratch / ".dataknobs" / "default.sqlite"
    try:
        if not store.exists():
            store.parent.mkdir(parents=True, exist_ok=True)
            seconds = build(store, args.records)
            print(f"built {store.name}: {args.records:,} records in {seconds:.1f} s "
                  f"({store.stat().st_size / 2**20:.0f} MiB)")
        cli = [str(Path(sys.executable).parent / "dataknobs-data")]
        if not Path(cli[0]).exists():
            cli = [sys.executable, "-m", "dataknobs_data.cli.main"]
        env_note = f"python {sys.version.split()[0]}, {os.cpu_count()} cpus"
        rows = [
            ("python -c pass (interpreter start)", [sys.executable, "-c", "pass"]),
            ("dataknobs-data --version", [*cli, "--version"]),
            ("dataknobs-data count", [*cli, "count"]),
            ('dataknobs-data count --where "age>=80"', [*cli, "count", "--where", "age>=80"]),
            ('dataknobs-data count --where team.name=core --where "age<30"',
             [*cli, "count", "--where", "team.name=core", "--where", "age<30"]),
            ("raw sqlite3 count (json_extract age >= 80)",
             [sys.executable, "-c", RAW_COUNT, str(store)]),
        ]
        print(f"\nCLI wall time per call, {args.records:,} records, best / median of "
              f"{args.runs} ({env_note})\n")
        print(f"| {'command':<62} | {'best s':>7} | {'median s':>8} | {'output':>8} |")
        print(f"|{'-' * 64}|{'-' * 9}|{'-' * 10}|{'-' * 10}|")
        for label, argv in rows:
            best, median, out = wall(argv, scratch, args.runs)
            print(f"| {label:<62} | {best:7.3f} | {median:8.3f} | {out[:8]:>8} |")
        started = time.perf_counter()
        subprocess.run([*cli, "index", "age", "team.name"], cwd=scratch, check=True,
                       capture_output=True)
        print(f"| {'dataknobs-data index age team.name (once)':<62} | "
              f"{time.perf_counter() - started:7.3f} | {'':>8} | {'':>8} |")
        indexed = [
            ('indexed: dataknobs-data count --where "age>=80"',
             [*cli, "count", "--where", "age>=80"]),
            ("indexed: dataknobs-data count --where age=99", [*cli, "count", "--where", "age=99"]),
            ("indexed: dataknobs-data count --where team.name=core",
             [*cli, "count", "--where", "team.name=core"]),
            ('indexed: count --where team.name=core --where "age<30"',
             [*cli, "count", "--where", "team.name=core", "--where", "age<30"]),
            ("indexed: raw sqlite3 count (index range, numbers >= 80)",
             [sys.executable, "-c", RAW_INDEXED_COUNT, str(store)]),
        ]
        for label, argv in indexed:
            best, median, out = wall(argv, scratch, args.runs)
            print(f"| {label:<62} | {best:7.3f} | {median:8.3f} | {out[:8]:>8} |")
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
