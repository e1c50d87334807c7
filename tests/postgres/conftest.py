"""Fixtures for the PostgreSQL adapter's tests: one server (``DATAKNOBS_TEST_POSTGRES_DSN``),
one fresh table per test, dropped afterwards, so tests never see each other's data."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.testing.servers import require_server
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


@pytest.fixture
def pg_table(pg_server: PostgresTestServer) -> Iterator[str]:
    """A fresh table name, dropped after the test."""
    table = pg_server.new_table()
    yield table
    pg_server.drop_table(table)


@pytest.fixture
def pg_options(pg_server: PostgresTestServer, pg_table: str) -> dict[str, Any]:
    """Adapter options for the test's own table, with an application name of its own (so a
    test can terminate exactly its connections)."""
    return {"dsn": pg_server.dsn, "table": pg_table, "pool_max_size": 4,
            "application_name": f"dk-test-{uuid.uuid4().hex[:8]}"}


@pytest.fixture
def make_db(pg_options: dict[str, Any]) -> Iterator[Callable[..., PostgresDatabase]]:
    """Build sync adapters over the test's table (closed after the test)."""
    made: list[PostgresDatabase] = []

    def make(**overrides: Any) -> PostgresDatabase:
        db = PostgresDatabase(**{**pg_options, **overrides})
        made.append(db)
        return db

    yield make
    for db in made:
        db.close()


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
