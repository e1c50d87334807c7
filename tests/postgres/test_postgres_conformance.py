"""The PostgreSQL adapter through the whole conformance suite, sync and async, with and
without indexes (an index must never change an answer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.testing.conformance import DatabaseConformance

INDEXES: list[Any] = ["age", "score", "team.name", {"field": "name", "type": "text"},
                      {"type": "gin"}, {"field": "v", "type": "btree"}]


class TestPostgresConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, pg_options: dict[str, Any]) -> Iterator[PostgresDatabase]:
        yield PostgresDatabase(**pg_options)


class TestIndexedPostgresConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, pg_options: dict[str, Any]) -> Iterator[PostgresDatabase]:
        yield PostgresDatabase(**pg_options, indexes=INDEXES, copy_threshold=3)


class TestAsyncPostgresConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, pg_options: dict[str, Any]) -> Iterator[AsyncPostgresDatabase]:
        yield AsyncPostgresDatabase(**pg_options)


class TestIndexedAsyncPostgresConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, pg_options: dict[str, Any]) -> Iterator[AsyncPostgresDatabase]:
        yield AsyncPostgresDatabase(**pg_options, indexes=INDEXES, copy_threshold=3)
