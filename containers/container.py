"""The composition root: a dependency-injector container with one provider per database.

::

    container = DatabasesContainer.from_yaml("config.yaml")   # validates; does no I/O
    container.wire(modules=["myapp.handlers"])

    @inject
    def handler(db: SyncDatabase = Provide["people"]): ...

    with container.people.override(providers.Singleton(MemoryDatabase)):   # in a test
        handler()

    container.shutdown_resources()      # closes every database that was opened

Each configured database is a ``providers.Resource``: the adapter is built on first use
(through its ``from_config``) and closed by ``shutdown_resources()``; async adapters are
async resources (``await container.people()``, ``await container.shutdown_resources()``).
``container.config`` is a strict ``providers.Configuration`` holding the substituted
options; ``container.database`` is a ``providers.Selector`` over ``config.default``
(the default database, or the one ``config.default`` is overridden to name).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from dependency_injector import containers, providers

from .config import DatabaseEntry, DatabasesConfig, load_config, parse_config, redact


def _open_sync(entry: DatabaseEntry, options: Mapping[str, Any]) -> Iterator[Any]:
    db = DatabaseEntry(entry.name, entry.backend, entry.adapter, dict(options),
                       entry.is_async).create()
    try:
        yield db
    finally:
        db.close()


async def _open_async(entry: DatabaseEntry, options: Mapping[str, Any]) -> AsyncIterator[Any]:
    db = DatabaseEntry(entry.name, entry.backend, entry.adapter, dict(options),
                       entry.is_async).create()
    try:
        yield db
    finally:
        await db.close()


class DatabasesContainer(containers.DynamicContainer):
    """A container whose providers are the configured databases (one per name).

    Build it with :meth:`from_yaml` or :meth:`from_dict`; both validate everything and
    do no I/O."""

    def __repr__(self) -> str:
        entries: DatabasesConfig | None = getattr(self, "_dk_config", None)
        if entries is None:
            return "DatabasesContainer()"
        parts = [f"{e.name}={e.backend}({redact(e.options)!r})" for e in entries.entries.values()]
        return f"DatabasesContainer({', '.join(parts)})"

    @classmethod
    def from_config(cls, config: DatabasesConfig) -> DatabasesContainer:
        """A container for an already validated :class:`DatabasesConfig`."""
        container = cls()
        container._dk_config = config
        container.config = providers.Configuration(strict=True)
        container.config.from_dict({
            "default": config.default,
            "databases": {name: dict(e.options) for name, e in config.entries.items()},
        })
        for name, entry in config.entries.items():
            opener = _open_async if entry.is_async else _open_sync
            options = getattr(container.config.databases, name) if entry.options else {}
            setattr(container, name, providers.Resource(opener, entry, options))
        if config.default is not None:
            container.database = providers.Selector(
                container.config.default,
                **{name: getattr(container, name) for name in config.entries},
            )
        return container

    @classmethod
    def from_dict(cls, data: Mapping[str, Any],
                  environ: Mapping[str, str] | None = None) -> DatabasesContainer:
        """Validate a configuration mapping (the YAML's structure) and build the container."""
        return cls.from_config(parse_config(data, environ))

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str],
                  environ: Mapping[str, str] | None = None) -> DatabasesContainer:
        """Read, validate and build from a YAML file (``${VAR}`` taken from ``environ``,
        default ``os.environ``)."""
        return cls.from_config(load_config(path, environ))

    @property
    def databases(self) -> DatabasesConfig:
        """The validated configuration this container was built from."""
        config = self._dk_config
        assert isinstance(config, DatabasesConfig)
        return config

    @property
    def names(self) -> list[str]:
        """The configured database names, in configuration order."""
        return list(self.databases.entries)


__all__ = ["DatabasesContainer"]
