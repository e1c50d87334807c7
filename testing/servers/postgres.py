"""The PostgreSQL server the tests use: reached through ``DATAKNOBS_TEST_POSTGRES_DSN``.

The project's machines run a server on 127.0.0.1:5432 (``.ci/run`` starts the Debian
cluster if it is down), so nothing is started here: ``postgres_dsn()`` names the server,
``check_server()`` says why it cannot be reached (or None), and ``PostgresTestServer`` hands
out fresh table names and runs admin statements (dropping test tables, terminating a
database's connections to simulate a server restart).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

DSN_ENV = "DATAKNOBS_TEST_POSTGRES_DSN"
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_dsn() -> str:
    """The DSN of the test server (``DATAKNOBS_TEST_POSTGRES_DSN`` or the local default)."""
    return os.environ.get(DSN_ENV) or DEFAULT_DSN


def check_server(dsn: str | None = None) -> str | None:
    """None when the server answers ``SELECT 1``; otherwise why not."""
    try:
        import psycopg2
    except ImportError as err:
        return f"psycopg2 is not installed ({err})"
    try:
        conn = psycopg2.connect(dsn or postgres_dsn(), connect_timeout=5)
    except psycopg2.Error as err:
        return f"{type(err).__name__}: {str(err).strip().splitlines()[0]}"
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
    finally:
        conn.close()
    return None


class PostgresTestServer:
    """Admin access to the test server for fixtures: fresh names, cleanup, fault injection."""

    def __init__(self, dsn: str | None = None) -> None:
        self.dsn = dsn or postgres_dsn()

    def new_table(self, prefix: str = "dk_test") -> str:
        """A table name no other test uses."""
        return f"{prefix}_{uuid.uuid4().hex[:12]}"

    def execute(self, sql: Any, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement (text or a ``psycopg2.sql`` composition) in autocommit on a
        fresh connection; rows if it returns any."""
        import psycopg2

        conn = psycopg2.connect(self.dsn, connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def create_schema(self, prefix: str = "dk_test") -> str:
        """Create a schema no other test uses and return its name."""
        from psycopg2 import sql

        schema = self.new_table(prefix)
        self.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        return schema

    def drop_table(self, table: str, schema: str = "public") -> None:
        """Drop a test table (and its version sequence, which it owns)."""
        from psycopg2 import sql

        self.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, table)))

    def drop_schema(self, schema: str) -> None:
        """Drop a schema and everything in it (benchmarks and streaming tests use one)."""
        from psycopg2 import sql

        self.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    def terminate_connections(self, application_name: str) -> int:
        """``pg_terminate_backend`` every connection with this application name (what a
        server restart does to a client's pooled connections); returns how many."""
        # PostgreSQL 14+ waits (up to 10 s) until each backend has really exited, so the
        # client's sockets are closed when this returns, as after a restart
        version = int(self.execute("SHOW server_version_num")[0][0])
        call = "pg_terminate_backend(pid, 10000)" if version >= 140000 else \
            "pg_terminate_backend(pid)"
        rows = self.execute(
            f"SELECT {call} FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()", (application_name,))
        return len(rows)

    def connections(self, application_name: str) -> int:
        """How many server connections carry this application name."""
        rows = self.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                            (application_name,))
        return int(rows[0][0])
