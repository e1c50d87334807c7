"""PostgreSQL adapter against raw psycopg2, on the same server in the same run.

    python benchmarks/bench_postgres.py [--records 100000] [--reads 5000] [--repeat 3]

Both sides write to tables of the same shape (``id text COLLATE "C"`` primary key, ``data``
and ``metadata`` jsonb, ``version`` from a sequence, ``created_at``/``updated_at``) with the
same index (btree on ``data->'team'``), and both decode jsonb into Python dicts.

1. create_batch of N records vs raw ``execute_values`` (``json.dumps`` per row, one
   transaction, 1,000 rows per statement). Target: adapter >= 0.6x raw throughput.
2. read by id vs a raw primary-key ``SELECT`` on one autocommit connection. Target >= 0.5x.
3. indexed search returning ~1,000 records (``team == x`` over N records, 100 teams) vs the
   raw SQL ``WHERE data->'team' = %s::jsonb ORDER BY id``. Target: at most 2x raw time.
Each timing is the best of ``--repeat`` rounds. The DSN comes from
``DATAKNOBS_TEST_POSTGRES_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from typing import Any

from bench_sqlite import best  # a sibling script: run from benchmarks/

from dataknobs_data import Operator, Query, Record
from dataknobs_data.adapters.postgres import PostgresDatabase
from dataknobs_data.testing.servers.postgres import PostgresTestServer, postgres_dsn

TEAMS = 100


def make_rows(n: int) -> list[dict[str, Any]]:
    return [{"id": f"r{i:07d}", "name": f"user {i}", "age": i % 90, "team": f"team{i % TEAMS}",
             "score": i * 0.5, "active": i % 3 == 0, "tags": ["a", "b", str(i % 7)],
             "address": {"city": f"city{i % 50}", "zip": f"{i % 10000:05d}"}}
            for i in range(n)]


def raw_table(server: PostgresTestServer, table: str, team_index: bool = True) -> None:
    """A table of the adapter's shape; ``team_index``: with the expression index the
    adapter's ``indexes=["team"]`` makes."""
    server.execute(f'CREATE SEQUENCE "{table}_v"', ())
    server.execute(
        f'CREATE TABLE "{table}" (id text COLLATE "C" PRIMARY KEY, data jsonb NOT NULL, '
        "metadata jsonb NOT NULL DEFAULT '{}'::jsonb, "
        f"version bigint NOT NULL DEFAULT nextval('\"{table}_v\"'::regclass), "
        "created_at timestamptz NOT NULL DEFAULT now(), "
        "updated_at timestamptz NOT NULL DEFAULT now())", ())
    if team_index:
        server.execute(f"CREATE INDEX \"{table}_team\" ON \"{table}\" ((data->'team'))", ())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import psycopg2
    import psycopg2.extras

    server = PostgresTestServer(postgres_dsn())
    rows = make_rows(args.records)
    ours = f"bench_dk_{uuid.uuid4().hex[:8]}"
    raw = f"bench_raw_{uuid.uuid4().hex[:8]}"
    db = PostgresDatabase(dsn=server.dsn, table=ours, indexes=["team"])
    raw_table(server, raw)
    conn = psycopg2.connect(server.dsn)
    conn.autocommit = True
    cur = conn.cursor()
    results: list[tuple[str, float, float, str]] = []
    try:
        # 1. create_batch vs execute_values
        def adapter_create() -> None:
            db.create_batch([Record(dict(r)) for r in rows])

        def raw_create() -> None:
            cur.execute("BEGIN")
            psycopg2.extras.execute_values(
                cur, f'INSERT INTO "{raw}" (id, data, metadata) VALUES %s',
                [(r["id"], json.dumps(r), "{}") for r in rows],
                template="(%s, %s::jsonb, %s::jsonb)", page_size=1000)
            cur.execute("COMMIT")

        def reset() -> None:
            db.clear()
            cur.execute(f'TRUNCATE "{ours}"')
            cur.execute(f'TRUNCATE "{raw}"')
            cur.execute(f'VACUUM ANALYZE "{ours}"')
            cur.execute(f'VACUUM ANALYZE "{raw}"')

        db.connect()
        t_ours = best(adapter_create, args.repeat, reset)
        t_raw = best(raw_create, args.repeat, lambda: cur.execute(f'TRUNCATE "{raw}"'))
        adapter_create_speed = args.records / t_ours
        raw_create_speed = args.records / t_raw
        results.append((f"create_batch {args.records:,}", adapter_create_speed,
                        raw_create_speed, ">= 0.6x"))
        # the last round of each side left its table loaded
        cur.execute(f'VACUUM ANALYZE "{ours}"')
        cur.execute(f'VACUUM ANALYZE "{raw}"')

        # 2. read by id
        ids = [random.Random(7).choice(rows)["id"] for _ in range(args.reads)]
        assert db.read(ids[0]).data == next(r for r in rows if r["id"] == ids[0])

        def adapter_reads() -> None:
            for rid in ids:
                db.read(rid)

        def raw_reads() -> None:
            for rid in ids:
                cur.execute(f'SELECT data, metadata FROM "{raw}" WHERE id = %s', (rid,))
                cur.fetchone()

        t_ours = best(adapter_reads, args.repeat)
        t_raw = best(raw_reads, args.repeat)
        results.append(("read by id", args.reads / t_ours, args.reads / t_raw, ">= 0.5x"))

        # 3. indexed search returning ~1,000 records
        teams = [f"team{i}" for i in range(0, TEAMS, 10)]

        def adapter_search() -> int:
            return sum(len(db.search(Query().filter("team", Operator.EQ, t))) for t in teams)

        def raw_search() -> int:
            n = 0
            for t in teams:
                cur.execute(f"SELECT id, data, metadata FROM \"{raw}\" "
                            "WHERE data->'team' = %s::jsonb ORDER BY id", (json.dumps(t),))
                n += len(cur.fetchall())
            return n

        found = adapter_search()
        assert found == raw_search(), "both sides must return the same records"
        t_ours = best(adapter_search, args.repeat)
        t_raw = best(raw_search, args.repeat)
        per_query = found // len(teams)
        results.append((f"indexed search (~{per_query:,} records)", len(teams) / t_ours,
                        len(teams) / t_raw, "<= 2x time"))
    finally:
        cur.close()
        conn.close()
        db.close()
        server.drop_table(ours)
        server.drop_table(raw)
        server.execute(f'DROP SEQUENCE IF EXISTS "{raw}_v"', ())

    print(f"PostgreSQL adapter vs raw psycopg2 ({args.records:,} records, best of "
          f"{args.repeat})\n")
    print(f"| {'operation':<34} | {'adapter ops/s':>13} | {'raw ops/s':>11} | "
          f"{'adapter/raw':>11} | target |")
    print(f"|{'-' * 36}|{'-' * 15}:|{'-' * 12}:|{'-' * 12}:|--------|")
    for name, ours_speed, raw_speed, target in results:
        ratio = ours_speed / raw_speed
        shown = f"{ratio:.2f}x" if "time" not in target else f"{1 / ratio:.2f}x time"
        print(f"| {name:<34} | {ours_speed:>13,.0f} | {raw_speed:>11,.0f} | {shown:>11} | "
              f"{target} |")


if __name__ == "__main__":
    main()
