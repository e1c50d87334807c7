"""dataknobs-data 0.11's ``dataknobs_data.backends.postgres``: ``SyncPostgresDatabase``
(psycopg2) and ``AsyncPostgresDatabase`` (psycopg 3) with 0.11's positional configuration
dict (``SyncPostgresDatabase({"host": "db", "table": "people"})``); renamed options are in
``backends._compat.RENAMED_OPTIONS``. Importing this module needs no driver: psycopg is
imported when the adapter first connects."""

from __future__ import annotations

from typing import Any

from ..adapters.postgres import AsyncPostgresDatabase as _AsyncPostgres
from ..adapters.postgres import PostgresDatabase
from ..domain.errors import ConfigurationError
from ._compat import CompatConstructor


class _SchemaName(CompatConstructor):
    """0.11 reads a string ``schema`` as the SQL schema of the table (a mapping or a
    ``Schema`` is the record schema, as here)."""

    def _defaults(self, options: dict[str, Any]) -> dict[str, Any]:
        if isinstance(options.get("schema"), str):
            options = dict(options)
            name = options.pop("schema")
            if options.setdefault("table_schema", name) != name:
                raise ConfigurationError(
                    f"postgres: schema {name!r} and schema_name "
                    f"{options['table_schema']!r} disagree")
        return options


class SyncPostgresDatabase(_SchemaName, PostgresDatabase):
    """``PostgresDatabase`` with 0.11's constructor."""


class AsyncPostgresDatabase(_SchemaName, _AsyncPostgres):
    """``adapters.postgres.AsyncPostgresDatabase`` with 0.11's constructor."""


__all__ = ["AsyncPostgresDatabase", "SyncPostgresDatabase"]
