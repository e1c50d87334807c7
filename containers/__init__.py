"""Wiring: the backend registry, YAML configuration, the factory and the DI container.

::

    from dataknobs_data.containers import DatabasesContainer, database_factory

    container = DatabasesContainer.from_yaml("config.yaml")     # validates, no I/O
    db = database_factory.create(backend="file", path="people.jsonl")

See docs/configuration.md.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .container import DatabasesContainer, UnknownProviderError

from .config import (
    DatabaseEntry,
    DatabasesConfig,
    load_config,
    parse_config,
    read_yaml,
    redact,
    substitute,
)
from .factory import (
    AsyncDatabaseFactory,
    DatabaseFactory,
    async_database_factory,
    database_factory,
)
from .registry import (
    ENTRY_POINT_GROUP,
    BackendSpec,
    available_backends,
    backend_specs,
    get_spec,
    register_backend,
    resolve_backend,
    unregister_backend,
)


def __getattr__(name: str) -> object:
    # the container pulls in dependency-injector (a few hundred ms); import it on first use
    if name in ("DatabasesContainer", "UnknownProviderError"):
        from . import container

        return getattr(container, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ENTRY_POINT_GROUP",
    "AsyncDatabaseFactory",
    "BackendSpec",
    "DatabaseEntry",
    "DatabaseFactory",
    "DatabasesConfig",
    "DatabasesContainer",
    "UnknownProviderError",
    "async_database_factory",
    "available_backends",
    "backend_specs",
    "database_factory",
    "get_spec",
    "load_config",
    "parse_config",
    "read_yaml",
    "redact",
    "register_backend",
    "resolve_backend",
    "substitute",
    "unregister_backend",
]
