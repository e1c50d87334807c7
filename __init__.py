"""dataknobs-data: one record store over memory, files, PostgreSQL, Elasticsearch and S3.

The public facade. Applications write ``Record``s and ask ``Query``s through a
``SyncDatabase`` or ``AsyncDatabase``; which adapter serves them is configuration
(``dataknobs_data.containers``)::

    from dataknobs_data import MemoryDatabase, Operator, Query, Record

    db = MemoryDatabase()
    db.create(Record({"name": "Ada", "age": 36}))
    db.search(Query().filter("age", Operator.GTE, 30))
"""

from . import domain, migration, validation
from .adapters.memory import AsyncMemoryDatabase, MemoryDatabase
from .containers.factory import (
    AsyncDatabaseFactory,
    DatabaseFactory,
    async_database_factory,
    database_factory,
)
from .domain import *  # noqa: F403 - the domain's public names, listed in its __all__
from .factory import (
    DEFAULT_BACKEND,
    available_backends,
    backend_available,
    backend_info,
    build_backend,
    is_default_backend,
    module_installed,
    normalize_backend,
    register_backend,
    select_backend,
)
from .ports import (
    AsyncDatabase,
    Capabilities,
    ConflictPolicy,
    StreamConfig,
    StreamFailure,
    StreamProcessor,
    StreamResult,
    SyncDatabase,
)
from .query_logic import FilterCondition, QueryBuilder

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_BACKEND",
    "AsyncDatabase",
    "AsyncDatabaseFactory",
    "AsyncMemoryDatabase",
    "Capabilities",
    "ConflictPolicy",
    "DatabaseFactory",
    "FilterCondition",
    "MemoryDatabase",
    "QueryBuilder",
    "StreamConfig",
    "StreamFailure",
    "StreamProcessor",
    "StreamResult",
    "SyncDatabase",
    "__version__",
    "async_database_factory",
    "available_backends",
    "backend_available",
    "backend_info",
    "build_backend",
    "database_factory",
    "is_default_backend",
    "migration",
    "module_installed",
    "normalize_backend",
    "register_backend",
    "select_backend",
    "validation",
]
__all__ += domain.__all__
