"""Fixtures for the PostgreSQL adapter's tests: one server (``DATAKNOBS_TEST_POSTGRES_DSN``),
one fresh table per test, dropped afterwards, so tests never see each other's data; and a
pgserver with pgvector (``pgvector_*``), started once per session for test_pgvector.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.testing.servers import require_server
from dataknobs_data.testing.servers.pgvector import PgvectorServer, check_pgvector
from dataknobs_data.testing.servers.postgres import (
    PostgresTestServer,
    check_server,
    postgres_dsn,
)


@pytest.fixture(scope="session")
def pg_server() -> PostgresTestServer:
    """The test server (a failure in CI, a skip elsewhere, when it cannot be reached)."""
    problem = check_server()
    if problem is not None:
        require_server("postgres", problem)
    return PostgresTestServer(postgres_dsn())


def fresh_table(server: PostgresTestServer) -> Iterator[str]:
    """A fresh table name on ``server``, dropped when the fixture ends."""
    table = server.new_table()
    yield table
    server.drop_table(table)


def table_options(server: PostgresTestServer, table: str, tag: str) -> dict[str, Any]:
    """Adapter options for a test's own table, with an application name of its own (so a
    test can terminate exactly its connections)."""
    return {"dsn": server.dsn, "table": table, "pool_max_size": 4,
            "application_name": f"{tag}-{uuid.uuid4().hex[:8]}"}


@pytest.fixture
def pg_table(pg_server: PostgresTestServer) -> Iterator[str]:
    """A fresh table name, dropped after the test."""
    yield from fresh_table(pg_server)


@pytest.fixture
def pg_options(pg_server: PostgresTestServer, pg_table: str) -> dict[str, Any]:
    """Adapter options for the test's own table."""
    return table_options(pg_server, pg_table, "dk-test")


def adapters_over(options: dict[str, Any]) -> Iterator[Callable[..., PostgresDatabase]]:
    """A builder of sync adapters over ``options`` (with overrides), each closed when the
    fixture ends."""
    made: list[PostgresDatabase] = []

    def make(**overrides: Any) -> PostgresDatabase:
        db = PostgresDatabase(**{**options, **overrides})
        made.append(db)
        return db

    yield make
    for db in made:
        db.close()


@pytest.fixture
def make_db(pg_options: dict[str, Any]) -> Iterator[Callable[..., PostgresDatabase]]:
    """Build sync adapters over the test's table (closed after the test)."""
    yield from adapters_over(pg_options)


@pytest.fixture
def make_async_db(pg_options: dict[str, Any]) -> Callable[..., AsyncPostgresDatabase]:
    """Build async adapters over the test's table (the test closes them)."""

    def make(**overrides: Any) -> AsyncPostgresDatabase:
        return AsyncPostgresDatabase(**{**pg_options, **overrides})

    return make


@pytest.fixture
def adapter_options(pg_options: dict[str, Any]) -> dict[str, Any]:
    """What the shipped suites pass to a declared ``adapter`` here: ``pg_options``."""
    return pg_options


# -- a server with pgvector (test_pgvector.py) ----------------------------------------------
@pytest.fixture(scope="session")
def pgvector_server() -> Iterator[PgvectorServer]:
    """A pgserver (PostgreSQL 16 + pgvector) started on first use, stopped at the session's
    end (a failure in CI, a skip elsewhere, when it cannot start)."""
    server, problem = check_pgvector()
    if server is None:
        require_server("pgvector (pgserver)", problem or "it did not start")
    assert server is not None
    yield server
    server.stop()


@pytest.fixture
def pgvector_table(pgvector_server: PgvectorServer) -> Iterator[str]:
    """A fresh table name on the pgvector server, dropped after the test."""
    yield from fresh_table(pgvector_server)


@pytest.fixture
def pgvector_options(pgvector_server: PgvectorServer, pgvector_table: str) -> dict[str, Any]:
    """Adapter options for the test's own table on the pgvector server."""
    return table_options(pgvector_server, pgvector_table, "dk-vec")


@pytest.fixture
def make_vdb(pgvector_options: dict[str, Any]) -> Iterator[Callable[..., PostgresDatabase]]:
    """Build sync adapters over the test's table on the pgvector server."""
    yield from adapters_over(pgvector_options)
