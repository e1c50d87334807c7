"""dataknobs-data: one record store over memory, files, PostgreSQL, Elasticsearch and S3.

The public facade. Applications write ``Record``s and ask ``Query``s through a
``SyncDatabase`` or ``AsyncDatabase``; which adapter serves them is configuration
(``dataknobs_data.containers``)::

    from dataknobs_data import MemoryDatabase, Operator, Query, Record

    db = MemoryDatabase()
    db.create(Record({"name": "Ada", "age": 36}))
    db.search(Query().filter("age", Operator.GTE, 30))
"""

from typing import TYPE_CHECKING

from . import domain
from ._lazy import lazy_names
from .adapters.memory import AsyncMemoryDatabase, MemoryDatabase
from .domain import *  # noqa: F403 - the domain's public names, listed in its __all__
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

if TYPE_CHECKING:
    from . import migration, validation
    from .containers.factory import (
        AsyncDatabaseFactory,
        DatabaseFactory,
        async_database_factory,
        database_factory,
    )
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

__version__ = "0.1.0"

#: Names imported on first use (PEP 562), not with the package: the command line starts
#: without paying for the migration framework, validation, the configuration loader or the
#: backend registry.
__getattr__, __dir__ = lazy_names(__name__, {
    "migration": (".migration", None),
    "validation": (".validation", None),
    "AsyncDatabaseFactory": (".containers.factory", "AsyncDatabaseFactory"),
    "DatabaseFactory": (".containers.factory", "DatabaseFactory"),
    "async_database_factory": (".containers.factory", "async_database_factory"),
    "database_factory": (".containers.factory", "database_factory"),
    "DEFAULT_BACKEND": (".factory", "DEFAULT_BACKEND"),
    "available_backends": (".factory", "available_backends"),
    "backend_available": (".factory", "backend_available"),
    "backend_info": (".factory", "backend_info"),
    "build_backend": (".factory", "build_backend"),
    "is_default_backend": (".factory", "is_default_backend"),
    "module_installed": (".factory", "module_installed"),
    "normalize_backend": (".factory", "normalize_backend"),
    "register_backend": (".factory", "register_backend"),
    "select_backend": (".factory", "select_backend"),
})

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
