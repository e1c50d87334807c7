"""The PostgreSQL backend: records in a jsonb table, every query pushed down to SQL.

``PostgresDatabase`` (sync, psycopg2) and ``AsyncPostgresDatabase`` (async, psycopg 3's
native async API) share ``translator`` (Query -> SQL), ``serializer`` (records <-> jsonb)
and ``statements`` (the SQL they send). Drivers are imported on first use; without them the
adapter raises ``BackendNotAvailableError`` with the install hint
``pip install 'dataknobs-data[postgres]'``. See docs/backends/postgres.md.
"""

from .async_database import AsyncPostgresDatabase
from .database import PostgresDatabase
from .settings import ConnectionSettings, IndexSpec, PostgresOptions

__all__ = ["AsyncPostgresDatabase", "ConnectionSettings", "IndexSpec", "PostgresDatabase",
           "PostgresOptions"]
