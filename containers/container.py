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

import difflib
import importlib.util
import inspect
import os
import sys
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from types import ModuleType
from typing import Any

from dependency_injector import containers, providers, wiring

from ..domain.errors import ConfigurationError
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


def _module_callables(module: ModuleType) -> Iterator[Any]:
    """The functions and methods a module defines at its top level (what ``wire`` patches;
    a function nested in another is wired wherever its author wired it, so not judged)."""
    for member in list(vars(module).values()):
        if inspect.isfunction(member) and member.__module__ == module.__name__:
            yield member
        elif inspect.isclass(member) and member.__module__ == module.__name__:
            for attr in vars(member).values():
                fn = attr.__func__ if isinstance(attr, classmethod | staticmethod) else attr
                if inspect.isfunction(fn):
                    yield fn


class UnknownProviderError(ConfigurationError, AttributeError):
    """``container.peopel``: no provider of that name (an ``AttributeError`` too, so
    ``hasattr`` and ``getattr(..., default)`` keep working)."""


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

    def wire(self, modules: Iterable[ModuleType | str] | None = None,
             packages: Iterable[ModuleType | str] | None = None,
             from_package: str | None = None, keep_cache: bool | None = None,
             warn_unresolved: bool = False) -> None:
        """Wire as dependency-injector does, then refuse a ``Provide["name"]`` in the wired
        modules whose name is not a provider of this container (dependency-injector would
        inject the marker object itself), naming the nearest ones."""
        modules = list(modules or [])
        packages = list(packages or [])
        if from_package is None:
            caller = inspect.currentframe()
            caller = caller.f_back if caller is not None else None
            from_package = caller.f_globals.get("__package__") if caller else None
        super().wire(modules=modules, packages=packages, from_package=from_package,
                     keep_cache=keep_cache, warn_unresolved=warn_unresolved)
        self.check_markers([*modules, *packages], from_package)

    def check_markers(self, targets: Iterable[ModuleType | str],
                      from_package: str | None = None) -> None:
        """Raise ``ConfigurationError`` for the first ``Provide["name"]`` in these modules
        (packages: with their submodules) whose name this container does not provide."""
        names = set(self.providers)
        prefixes = []
        for target in targets:
            if isinstance(target, ModuleType):
                prefixes.append(target.__name__)
            else:
                prefixes.append(importlib.util.resolve_name(target, from_package)
                                if target.startswith(".") else target)
        wired = [m for name, m in list(sys.modules.items()) if isinstance(m, ModuleType)
                 and any(name == p or name.startswith(p + ".") for p in prefixes)]
        registry = wiring._patched_registry
        for module in wired:
            for fn in _module_callables(module):
                patched = registry.get_callable(fn)
                if patched is None:
                    continue
                for param, marker in patched.reference_injections.items():
                    ref = getattr(marker, "provider", None)
                    if not isinstance(ref, str) or ref.split(".")[0] in names:
                        continue
                    shown = sorted(n for n in names if not n.startswith("_"))
                    near = difflib.get_close_matches(ref.split(".")[0], shown, 3)
                    hint = (f"did you mean {' or '.join(repr(n) for n in near)}?" if near
                            else f"it provides {', '.join(shown)}")
                    raise ConfigurationError(
                        f"{fn.__module__}.{fn.__qualname__}: parameter {param!r} asks for "
                        f"Provide[{ref!r}], which this container does not provide; {hint}")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            names = sorted(n for n in object.__getattribute__(self, "providers")
                           if not n.startswith("_"))
        except AttributeError:
            raise AttributeError(name) from None
        near = difflib.get_close_matches(name, names, 3)
        hint = (f"did you mean {' or '.join(repr(n) for n in near)}?" if near
                else f"it provides {', '.join(names)}")
        raise UnknownProviderError(f"this container has no database or provider {name!r}; "
                                   f"{hint}")

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


__all__ = ["DatabasesContainer", "UnknownProviderError"]
