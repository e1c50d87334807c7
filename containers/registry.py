"""The backend registry: backend name -> adapter classes, imported only when asked for.

Built-in backends are registered as ``"module:Class"`` strings, so naming ``s3`` in a config
never imports boto3 until an S3 database is actually resolved, and resolving a backend whose
driver is missing raises ``BackendNotAvailableError`` carrying the install hint
(``pip install 'dataknobs-data[s3]'``). Third-party adapters register themselves with
:func:`register_backend` or through the ``dataknobs_data.backends`` entry-point group::

    # a third-party package's pyproject.toml
    [project.entry-points."dataknobs_data.backends"]
    mystore = "mystore.adapter:MyStoreDatabase"            # the sync class
    "mystore.async" = "mystore.adapter:AsyncMyStoreDatabase"  # optional async class
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata

from ..domain.errors import BackendNotAvailableError, ConfigurationError
from ..ports.options import suggest

#: entry-point group third-party adapters use to make themselves known
ENTRY_POINT_GROUP = "dataknobs_data.backends"

#: an adapter class, its ``"module:Class"`` path, or a function that imports and returns it
ClassRef = type | str | Callable[[], type]


@dataclass(frozen=True)
class BackendSpec:
    """How to find one backend's adapters.

    ``sync`` / ``async_``: a class, or a ``"module:Class"`` (or dotted ``module.Class``) path
    imported on first use; ``extra``: the pip extra that installs its driver; ``drivers``:
    the modules the sync adapter needs (checked with ``importlib.util.find_spec``, not
    imported) and ``async_drivers`` those of the async adapter (None: the same);
    ``source``: ``"built-in"``, ``"registered"`` or the entry point's distribution;
    ``aliases``: other names it answers to (dataknobs-data 0.11's ``mem``, ``pg``...)."""

    name: str
    sync: ClassRef | None
    async_: ClassRef | None = None
    extra: str | None = None
    drivers: tuple[str, ...] = ()
    source: str = "registered"
    description: str = ""
    async_drivers: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()

    @property
    def install_hint(self) -> str:
        """The command that installs this backend's driver (empty when none is needed)."""
        return f"pip install 'dataknobs-data[{self.extra}]'" if self.extra else ""

    def needed_drivers(self, use_async: bool | None = None) -> tuple[str, ...]:
        """The driver modules of the sync (``False``) or async (``True``) adapter, or of
        both (``None``)."""
        async_side = self.drivers if self.async_drivers is None else self.async_drivers
        if use_async is None:
            return tuple(dict.fromkeys((*self.drivers, *async_side)))
        return async_side if use_async else self.drivers

    def missing_drivers(self, use_async: bool | None = None) -> list[str]:
        """Driver modules that are not installed (nothing is imported): of one adapter
        (``use_async`` true or false) or of both (None)."""
        return [mod for mod in self.needed_drivers(use_async) if not module_installed(mod)]

    @property
    def driver_installed(self) -> bool:
        """Whether every driver module this backend needs can be imported."""
        return not self.missing_drivers()


_BUILTINS: tuple[BackendSpec, ...] = (
    BackendSpec("memory", "dataknobs_data.adapters.memory:MemoryDatabase",
                "dataknobs_data.adapters.memory:AsyncMemoryDatabase", source="built-in",
                description="in-process, the reference semantics", aliases=("mem",)),
    BackendSpec("file", "dataknobs_data.adapters.file:FileDatabase",
                "dataknobs_data.adapters.file:AsyncFileDatabase", source="built-in",
                description="JSON, JSON Lines, CSV or Parquet file (Parquet needs pyarrow)"),
    BackendSpec("sqlite", "dataknobs_data.adapters.sqlite:SQLiteDatabase",
                "dataknobs_data.adapters.sqlite:AsyncSQLiteDatabase", source="built-in",
                description="one table of an SQLite file (standard library sqlite3)",
                aliases=("sqlite3",)),
    BackendSpec("duckdb", "dataknobs_data.adapters.duckdb:DuckDBDatabase",
                "dataknobs_data.adapters.duckdb:AsyncDuckDBDatabase", extra="duckdb",
                drivers=("duckdb",), source="built-in",
                description="one table of a DuckDB file, or Parquet/CSV/JSON files read-only"),
    BackendSpec("postgres", "dataknobs_data.adapters.postgres:PostgresDatabase",
                "dataknobs_data.adapters.postgres:AsyncPostgresDatabase", extra="postgres",
                drivers=("psycopg2",), async_drivers=("psycopg",), source="built-in",
                description="PostgreSQL", aliases=("postgresql", "pg")),
    BackendSpec("s3", "dataknobs_data.adapters.s3:S3Database",
                "dataknobs_data.adapters.s3:AsyncS3Database", extra="s3",
                drivers=("boto3",), source="built-in", description="S3 or S3-compatible"),
    BackendSpec("elasticsearch", "dataknobs_data.adapters.elasticsearch:ElasticsearchDatabase",
                "dataknobs_data.adapters.elasticsearch:AsyncElasticsearchDatabase",
                extra="elasticsearch", drivers=("elasticsearch",), source="built-in",
                description="Elasticsearch or OpenSearch-compatible", aliases=("es",)),
)

_lock = threading.Lock()
_registered: dict[str, BackendSpec] = {spec.name: spec for spec in _BUILTINS}


def module_installed(name: str) -> bool:
    """Whether module ``name`` can be imported (found without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def register_backend(
    name: str,
    sync_cls_or_path: ClassRef | None,
    async_cls_or_path: ClassRef | None = None,
    *,
    extra: str | None = None,
    drivers: Iterable[str] = (),
    description: str = "",
    async_drivers: Iterable[str] | None = None,
    aliases: Iterable[str] = (),
) -> BackendSpec:
    """Make ``name`` resolve to the given adapter classes (replacing any earlier entry).

    Classes may be given as objects, as ``"module:Class"`` paths or as functions returning
    the class, imported lazily; ``drivers`` are the modules the sync adapter needs,
    ``async_drivers`` those of the async one (default: the same); ``aliases`` are other
    names for it."""
    if not name or not isinstance(name, str):
        raise ConfigurationError(f"a backend name must be a non-empty string, not {name!r}")
    if sync_cls_or_path is None and async_cls_or_path is None:
        raise ConfigurationError(f"backend {name!r} needs a sync or an async class")
    spec = BackendSpec(name, sync_cls_or_path, async_cls_or_path, extra=extra,
                       drivers=tuple(drivers), source="registered", description=description,
                       async_drivers=None if async_drivers is None else tuple(async_drivers),
                       aliases=tuple(aliases))
    with _lock:
        _registered[name] = spec
    return spec


def unregister_backend(name: str) -> None:
    """Forget a backend registered with :func:`register_backend` (built-ins come back)."""
    with _lock:
        _registered.pop(name, None)
        for spec in _BUILTINS:
            if spec.name == name:
                _registered[name] = spec


def _entry_point_specs() -> dict[str, BackendSpec]:
    """Backends declared by installed distributions (read from metadata; nothing imported)."""
    sync_refs: dict[str, tuple[str, str]] = {}
    async_refs: dict[str, str] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(getattr(ep, "dist", None), "name", None) or "entry point"
        if ep.name.endswith(".async"):
            async_refs[ep.name[: -len(".async")]] = ep.value
        else:
            sync_refs[ep.name] = (ep.value, dist)
    specs: dict[str, BackendSpec] = {}
    for name in sorted(set(sync_refs) | set(async_refs)):
        sync_value, dist = sync_refs.get(name, (None, "entry point"))
        specs[name] = BackendSpec(name, sync_value, async_refs.get(name),
                                  source=f"entry point ({dist})")
    return specs


def backend_specs() -> dict[str, BackendSpec]:
    """Every known backend: entry points, then built-ins and explicit registrations (which
    win, so a plugin cannot take over a name already in use)."""
    with _lock:
        registered = dict(_registered)
    plugins = _entry_point_specs()
    return {**registered, **{k: v for k, v in plugins.items() if k not in registered}}


def available_backends() -> list[str]:
    """Names of every known backend, sorted."""
    return sorted(backend_specs())


def _by_alias(name: str, specs: Iterable[BackendSpec]) -> BackendSpec | None:
    folded = name.strip().lower()
    for spec in specs:
        if spec.name.lower() == folded or folded in spec.aliases:
            return spec
    return None


def get_spec(name: str) -> BackendSpec:
    """The spec of backend ``name`` (or of an alias, in any case: ``"MEM"`` is memory);
    unknown names raise naming the choices and nearest.

    Built-in and registered names are found without reading any package metadata; only
    other names are looked up among the installed entry points."""
    with _lock:
        spec = _registered.get(name) or (
            _by_alias(name, _registered.values()) if isinstance(name, str) else None)
    if spec is not None:
        return spec
    specs = backend_specs()
    try:
        return specs[name]
    except KeyError:
        spec = _by_alias(name, specs.values()) if isinstance(name, str) else None
        if spec is not None:
            return spec
        raise ConfigurationError(
            f"unknown backend {name!r}{suggest(str(name), specs)} "
            f"(valid: {', '.join(sorted(specs))})"
        ) from None


def import_class(path: str, *, hint: str = "") -> type:
    """Import ``"module:Class"`` or ``"package.module.Class"``; failures raise clearly."""
    if ":" in path:
        module_name, _, attr = path.partition(":")
    else:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ConfigurationError(
            f"{path!r} is not a class path (expected 'package.module.Class' or 'module:Class')"
        )
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        missing = err.name or module_name
        if hint and not module_name.startswith(missing):
            raise BackendNotAvailableError(
                f"{path} needs the module {missing!r}, which is not installed: {hint}"
            ) from None
        raise ConfigurationError(f"cannot import {module_name!r} for {path!r}") from None
    obj = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigurationError(f"{module_name!r} has no attribute {attr!r}") from None
    if not isinstance(obj, type):
        raise ConfigurationError(f"{path!r} is not a class")
    return obj


def resolve_backend(name: str, *, use_async: bool = False) -> type:
    """The adapter class of backend ``name`` (sync by default), imported now.

    Raises ``ConfigurationError`` for an unknown name, ``BackendNotAvailableError`` (with
    the install hint) when the backend's driver or its adapter is not installed."""
    spec = get_spec(name)
    missing = spec.missing_drivers(use_async)  # only the driver this adapter uses
    if missing:
        raise BackendNotAvailableError(
            f"backend {name!r} needs {' and '.join(missing)}, which is not installed: "
            f"{spec.install_hint}"
        )
    ref = spec.async_ if use_async else spec.sync
    if ref is None:
        kind = "async" if use_async else "sync"
        raise ConfigurationError(f"backend {name!r} has no {kind} adapter")
    if isinstance(ref, type):
        return ref
    if callable(ref):
        try:
            return ref()
        except ImportError as err:
            raise BackendNotAvailableError(
                f"backend {name!r} is not available in this installation ({err})") from None
    try:
        return import_class(ref, hint=spec.install_hint)
    except BackendNotAvailableError:
        raise
    except ConfigurationError as err:
        raise BackendNotAvailableError(
            f"backend {name!r} is not available in this installation ({err})"
            + (f"; {spec.install_hint}" if spec.install_hint else "")
        ) from None


def resolve_class(path: str) -> type:
    """A class named by a config's ``class:`` key (a dotted path or ``module:Class``)."""
    return import_class(path)


__all__ = [
    "ENTRY_POINT_GROUP",
    "BackendSpec",
    "available_backends",
    "backend_specs",
    "get_spec",
    "import_class",
    "module_installed",
    "register_backend",
    "resolve_backend",
    "resolve_class",
    "unregister_backend",
]
