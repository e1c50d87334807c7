"""dataknobs-data 0.11's ``dataknobs_data.factory``: the database factories and the backend
registries with 0.11's function signatures, over this project's one registry
(``dataknobs_data.containers.registry``).

0.11 keeps two ``PluginRegistry`` objects, ``sync_backends`` and ``async_backends``, and
passes one to each helper (``backend_info(sync_backends, "memory")``). Here both are views of
the same registry, one per kind of adapter: registering through either records the adapter
there, so the container, the factories and the command line see it too::

    from dataknobs_data.factory import backend_available, database_factory, sync_backends

    backend_available(sync_backends, "mem")        # True: 0.11's alias of memory
    db = database_factory.create(backend="memory")
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .containers.factory import (
    AsyncDatabaseFactory,
    DatabaseFactory,
    async_database_factory,
    database_factory,
)
from .containers.registry import (
    BackendSpec,
    backend_specs,
    get_spec,
    module_installed,
    resolve_backend,
)
from .containers.registry import register_backend as _register
from .domain.errors import ConfigurationError

log = logging.getLogger(__name__)

#: the backend a configuration without ``backend`` gets (as in 0.11)
DEFAULT_BACKEND = "memory"


class BackendRegistry:
    """One kind (sync or async) of the backend registry, with the methods of 0.11's
    ``PluginRegistry`` that its factory helpers use. Names are case-insensitive and
    aliases (``mem``, ``pg``, ``postgresql``, ``es``) resolve to their backend."""

    def __init__(self, use_async: bool) -> None:
        self.use_async = use_async
        self._factory = async_database_factory if use_async else database_factory

    def _spec(self, key: str) -> BackendSpec | None:
        try:
            return get_spec(key)
        except ConfigurationError:
            return None

    def _ref(self, spec: BackendSpec) -> Any:
        return spec.async_ if self.use_async else spec.sync

    def is_known(self, key: str) -> bool:
        """Whether ``key`` names a backend with an adapter of this kind (installed or
        not)."""
        spec = self._spec(key)
        return spec is not None and self._ref(spec) is not None

    def is_registered(self, key: str) -> bool:
        """Whether a backend of this kind can be built here (its drivers are installed)."""
        return self._factory.is_backend_available(key)

    def get_factory(self, key: str) -> type | None:
        """The adapter class of ``key`` (imported now), or None when it cannot be built."""
        spec = self._spec(key)
        if spec is None or not self.is_registered(key):
            return None
        return resolve_backend(spec.name, use_async=self.use_async)

    def get_metadata(self, key: str, follow_alias: bool = True) -> dict[str, Any]:
        """What ``get_backend_info`` reports of ``key``, or ``{}`` when it is unknown (an
        alias answers only with ``follow_alias``)."""
        spec = self._spec(key)
        if spec is None or (not follow_alias and spec.name != key.strip().lower()):
            return {}
        return self._factory.get_backend_info(spec.name)

    def list_canonical_keys(self) -> list[str]:
        """The names of the backends of this kind that can be built here, sorted."""
        return self._factory.get_available_backends()

    def list_keys(self) -> list[str]:
        """Those names and their aliases, sorted."""
        specs = backend_specs()
        return sorted(key for name in self.list_canonical_keys()
                      for key in (name, *specs[name].aliases))

    def register(self, key: str, factory: type | Callable[[], type], *,
                 metadata: Mapping[str, Any] | None = None, override: bool = False,
                 drivers: Sequence[str] = (), aliases: Sequence[str] = ()) -> None:
        """Record ``factory`` (a class, or a function returning it) as the adapter of this
        kind for ``key``; the other kind's adapter of ``key`` is kept. A name already used
        by this kind raises ``ConfigurationError`` unless ``override``."""
        spec = self._spec(key)
        if spec is not None and self._ref(spec) is not None and not override:
            raise ConfigurationError(
                f"backend {key!r} already has an {'async' if self.use_async else 'sync'} "
                "adapter (pass override=True to replace it)")
        other = None if spec is None else (spec.sync if self.use_async else spec.async_)
        sync_ref, async_ref = (other, factory) if self.use_async else (factory, other)
        _register(key, sync_ref, async_ref, drivers=drivers,
                  description=str((metadata or {}).get("description", "")),
                  aliases=(*(spec.aliases if spec else ()), *aliases))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.is_registered(key)

    def __repr__(self) -> str:
        return f"BackendRegistry({'async' if self.use_async else 'sync'})"


sync_backends = BackendRegistry(use_async=False)
"""The sync adapters of every backend."""

async_backends = BackendRegistry(use_async=True)
"""The async adapters of every backend."""


def normalize_backend(raw: Any) -> str:
    """The backend name of a configuration's ``backend`` value, stripped and lower-cased;
    ``ConfigurationError`` when it is not a non-empty string."""
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigurationError(
            f"'backend' must be a string naming a backend, got {raw!r}; remove the key for "
            f"the default ({DEFAULT_BACKEND!r})")
    return raw.strip().lower()


def is_default_backend(config: Mapping[str, Any],
                       registry: BackendRegistry | None = None) -> bool:
    """Whether ``config`` gets the default backend: no ``backend`` key, or one naming
    memory (with a ``registry``, also through an alias)."""
    if "backend" not in config:
        return True
    named = normalize_backend(config["backend"])
    if named == DEFAULT_BACKEND:
        return True
    if registry is None:
        return False
    spec = registry._spec(named)
    return spec is not None and spec.name == DEFAULT_BACKEND


def register_backend(registry: BackendRegistry, key: str, load: Callable[[], type], *,
                     metadata: Mapping[str, Any], aliases: Sequence[str] = (),
                     installed: Callable[[str], bool] = module_installed,
                     override: bool = False) -> None:
    """Register the adapter that ``load`` imports and returns under ``key`` (and
    ``aliases``). ``metadata["requires_module"]`` names its drivers: while one is missing
    (as ``installed`` says) the backend stays known but cannot be built, and ``load`` is
    not called; otherwise ``load`` runs when the backend is first built."""
    required = metadata.get("requires_module") or ()
    drivers = (required,) if isinstance(required, str) else tuple(required)
    missing = [module for module in drivers if not installed(module)]
    if missing:
        log.debug("backend %r is unavailable: %s not installed", key, ", ".join(missing))
    registry.register(key, load, metadata=metadata, override=override, drivers=drivers,
                      aliases=aliases)


def available_backends(registry: BackendRegistry) -> list[str]:
    """The names of the backends ``registry`` can build here, sorted (aliases collapsed)."""
    return registry.list_canonical_keys()


def backend_available(registry: BackendRegistry, backend_type: str) -> bool:
    """Whether ``registry`` can build ``backend_type`` (a name or an alias) here."""
    return registry.is_registered(backend_type)


def backend_info(registry: BackendRegistry, backend_type: str) -> dict[str, Any]:
    """What is known of ``backend_type``: ``description``, ``persistent``,
    ``requires_install``, ``requires_module`` and ``config_options``; for an unknown name,
    ``description`` and ``error``."""
    return registry.get_metadata(backend_type) or {
        "description": "Unknown backend",
        "error": f"Backend {backend_type!r} not recognized"}


def select_backend(config: Mapping[str, Any], registry: BackendRegistry, *, kind: str,
                   unknown_message: Callable[[str, str], str] | None = None
                   ) -> tuple[type, str, dict[str, Any]]:
    """The adapter class named by ``config["backend"]`` (the default backend when absent),
    the backend's name and the other options. A name that cannot be built raises
    ``ConfigurationError`` (a ``ValueError``): ``Unknown backend type: ...`` with the
    available ones, ``unknown_message(name, available)`` when given, or the install hint
    for a known backend whose driver is missing."""
    remaining = {key: value for key, value in config.items() if key != "backend"}
    if "backend" in config:
        backend_type = normalize_backend(config["backend"])
    else:
        backend_type = DEFAULT_BACKEND
        log.warning("no 'backend' in this %s config; using %r", kind, DEFAULT_BACKEND)
    adapter = registry.get_factory(backend_type)
    if adapter is not None:
        return adapter, registry._spec(backend_type).name, remaining  # type: ignore[union-attr]
    rendered = ", ".join(available_backends(registry))
    hint = registry.get_metadata(backend_type).get("requires_install")
    if hint:
        raise ConfigurationError(
            f"Backend {backend_type!r} is known but not available here. Install with: {hint}")
    if unknown_message is not None:
        raise ConfigurationError(unknown_message(backend_type, rendered))
    raise ConfigurationError(
        f"Unknown backend type: {backend_type}. Available backends: {rendered}")


def build_backend(backend_class: Any, options: Mapping[str, Any], *, kind: str,
                  backend_type: str) -> Any:
    """An adapter of ``backend_class`` built with ``from_config(options)``; a registered
    object without ``from_config`` raises ``ConfigurationError`` naming the registration."""
    from_config = getattr(backend_class, "from_config", None)
    if from_config is None:
        name = getattr(backend_class, "__name__", type(backend_class).__name__)
        raise ConfigurationError(
            f"the {kind} backend registered as {backend_type!r} cannot be built from a "
            f"config: {name} has no from_config classmethod")
    return from_config(options)


#: the names dataknobs-data 0.11 also exports from the package's top level
TOP_LEVEL = ["DEFAULT_BACKEND", "available_backends", "backend_available", "backend_info",
             "build_backend", "is_default_backend", "module_installed", "normalize_backend",
             "register_backend", "select_backend"]

__all__ = ["AsyncDatabaseFactory", "BackendRegistry", "DatabaseFactory", "async_backends",
           "async_database_factory", "database_factory", "sync_backends", *TOP_LEVEL]
