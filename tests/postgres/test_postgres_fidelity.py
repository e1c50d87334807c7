"""The fidelity suite on PostgreSQL, sync (psycopg2) and async (psycopg 3).

Each handle the suite opens is a new adapter with its own connection pool on the test's own
table, so "reopening" goes back to the server for every record."""

from __future__ import annotations

from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.testing.fidelity import FidelitySuite


class TestPostgresFidelity(FidelitySuite):
    adapter = PostgresDatabase
    fidelity_examples = 150
    #: The table's columns and the serializer's own keys (a datetime is
    #: ``{"$datetime": ...}``, a user key starting with ``$`` is stored with one more ``$``).
    envelope_names = ("id", "data", "metadata", "version", "created_at", "updated_at",
                      "$datetime", "$$datetime")
    max_depth = 100


class TestAsyncPostgresFidelity(TestPostgresFidelity):
    adapter = AsyncPostgresDatabase
    fidelity_examples = 80
