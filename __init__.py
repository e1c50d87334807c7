"""dataknobs-data: one record store over memory, files, PostgreSQL, Elasticsearch and S3.

The public facade. Applications write ``Record``s and ask ``Query``s through a
``SyncDatabase`` or ``AsyncDatabase``; which adapter serves them is configuration
(``dataknobs_data.containers``)::

    from dataknobs_data import MemoryDatabase, Operator, Query, Record

    db = MemoryDatabase()
    db.create(Record({"name": "Ada", "age": 36}))
    db.search(Query().filter("age", Operator.GTE, 30))
"""

from . import domain
from .adapters.memory import AsyncMemoryDatabase, MemoryDatabase
from .containers.factory import (
    AsyncDatabaseFactory,
    DatabaseFactory,
    async_database_factory,
    database_factory,
)
from .domain import *  # noqa: F403 - the domain's public names, listed in its __all__
from .ports import (
    AsyncDatabase,
    Capabilities,
    StreamConfig,
    StreamFailure,
    StreamResult,
    SyncDatabase,
)
from .query_logic import FilterCondition, QueryBuilder

__version__ = "0.1.0"

__all__ = [
    "AsyncDatabase",
    "AsyncDatabaseFactory",
    "AsyncMemoryDatabase",
    "Capabilities",
    "DatabaseFactory",
    "FilterCondition",
    "MemoryDatabase",
    "QueryBuilder",
    "StreamConfig",
    "StreamFailure",
    "StreamResult",
    "SyncDatabase",
    "__version__",
    "async_database_factory",
    "database_factory",
]
__all__ += domain.__all__
