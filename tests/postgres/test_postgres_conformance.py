"""The PostgreSQL adapter through the whole conformance suite, sync and async, with and
without indexes (an index must never change an answer)."""

from __future__ import annotations

from typing import Any, ClassVar

from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.testing.conformance import DatabaseConformance

INDEXES: list[Any] = ["age", "score", "team.name", {"field": "name", "type": "text"},
                      {"type": "gin"}, {"field": "v", "type": "btree"}]


class TestPostgresConformance(DatabaseConformance):
    adapter = PostgresDatabase


class TestIndexedPostgresConformance(TestPostgresConformance):
    adapter_kwargs: ClassVar[dict[str, Any]] = {"indexes": INDEXES, "copy_threshold": 3}


class TestAsyncPostgresConformance(TestPostgresConformance):
    adapter = AsyncPostgresDatabase


class TestIndexedAsyncPostgresConformance(TestIndexedPostgresConformance):
    adapter = AsyncPostgresDatabase
