"""The fidelity suite on PostgreSQL, sync (psycopg2) and async (psycopg 3).

Each handle the suite opens is a new adapter with its own connection pool on the test's own
table, so "reopening" goes back to the server for every record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.testing.fidelity import FidelitySuite

#: The table's columns and the serializer's own keys (a datetime is ``{"$datetime": ...}``,
#: a user key starting with ``$`` is stored with one more ``$``).
ENVELOPE_NAMES = ("id", "data", "metadata", "version", "created_at", "updated_at",
                  "$datetime", "$$datetime")


class TestPostgresFidelity(FidelitySuite):
    fidelity_examples = 150
    envelope_names = ENVELOPE_NAMES
    max_depth = 100

    @pytest.fixture
    def open_database(self, pg_options: dict[str, Any]) -> Callable[[], Any]:
        return lambda: PostgresDatabase(**pg_options)


class TestAsyncPostgresFidelity(FidelitySuite):
    fidelity_examples = 80
    envelope_names = ENVELOPE_NAMES
    max_depth = 100

    @pytest.fixture
    def open_database(self, pg_options: dict[str, Any]) -> Callable[[], Any]:
        return lambda: AsyncPostgresDatabase(**pg_options)
