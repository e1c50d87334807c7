"""The differential suite (random records and queries against the memory reference) on the
real server, sync and async.

``excluded_characters``: PostgreSQL text and jsonb cannot hold U+0000, so the adapter refuses
records holding it (tests/postgres/test_postgres_bad_input.py); generated strings leave it out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.testing.differential import DifferentialSuite


class TestPostgresDifferential(DifferentialSuite):
    differential_examples = 60
    excluded_characters = "\x00"

    @pytest.fixture
    def database(self, pg_options: dict[str, Any]) -> Iterator[PostgresDatabase]:
        yield PostgresDatabase(**pg_options, indexes=["a", "o.x", {"type": "gin"}])


class TestAsyncPostgresDifferential(DifferentialSuite):
    differential_examples = 25
    excluded_characters = "\x00"

    @pytest.fixture
    def database(self, pg_options: dict[str, Any]) -> Iterator[AsyncPostgresDatabase]:
        yield AsyncPostgresDatabase(**pg_options)
