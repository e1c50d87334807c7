"""The programmatic factory: ``database_factory.create(backend="memory", **options)``.

It goes through the same registry and the same validation as the container and as every
adapter's ``from_config`` (``ports.options.check_options``), so a misspelt option fails the
same way everywhere: ``'pth' is not an option of file; did you mean 'path'?``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..backends._compat import renamed_options, vector_schema
from ..domain.errors import ConfigurationError
from ..ports.base import install_backend_builder
from ..ports.options import option_defaults
from .config import build_entry, substitute
from .registry import BackendSpec, available_backends, get_spec, resolve_backend


def _spec(backend_type: str) -> BackendSpec | None:
    try:
        return get_spec(backend_type)
    except ConfigurationError:
        return None


class DatabaseFactory:
    """Builds adapters by backend name (or ``class`` path) from keyword options.

    Nothing is connected: adapters open connections lazily (or on ``connect()``)."""

    def create(self, backend: str | None = "memory", *, use_async: bool = False,
               **options: Any) -> Any:
        """A new database of ``backend`` (a registry name; the memory adapter by default)
        with ``options``.

        ``class_="package.module.Class"`` names an adapter class instead of a backend;
        ``use_async=True`` gives the backend's async adapter. A backend's options may be
        given under dataknobs-data 0.11's names (``backends._compat.RENAMED_OPTIONS``)."""
        entry: dict[str, Any] = dict(options)
        spec = _spec(backend) if isinstance(backend, str) and "class_" not in entry else None
        if spec is not None:
            schema = vector_schema(spec.name, entry, entry.pop("schema", None))
            entry = renamed_options(spec.name, entry)
            if schema is not None:
                entry["schema"] = schema
        class_path = entry.pop("class_", None)
        if class_path is not None:
            entry["class"] = class_path
            if backend == "memory" and "backend" not in options:
                backend = None      # the default backend gives way to an explicit class
        if backend is not None:
            entry["backend"] = backend
        if "backend" not in entry and "class" not in entry:
            raise ConfigurationError(
                f"give backend= (one of {', '.join(available_backends())}) or class_="
            )
        return self.from_config(entry, use_async=use_async)

    def create_async(self, backend: str | None = "memory", **options: Any) -> Any:
        """``create(backend, use_async=True, **options)``: the backend's async adapter."""
        return self.create(backend, use_async=True, **options)

    def from_config(self, config: Mapping[str, Any], *, use_async: bool = False,
                    environ: Mapping[str, str] | None = None) -> Any:
        """A database from one configuration entry (``backend`` or ``class`` plus options,
        ``${VAR}`` placeholders substituted from ``environ``)."""
        values = substitute(dict(config), environ, where=str(config.get("name", "database")))
        built = build_entry(values, default_async=use_async)
        return built.create()

    # -- discovery (dataknobs-data 0.11's factory API) ---------------------------------------
    _use_async = False

    def get_available_backends(self) -> list[str]:
        """Names of the backends whose adapter this factory builds and whose drivers are
        installed, sorted."""
        return [name for name in available_backends() if self.is_backend_available(name)]

    def is_backend_available(self, backend_type: str) -> bool:
        """Whether ``backend_type`` is known, has an adapter of this factory's kind and has
        its drivers installed (nothing is imported); aliases and any case are accepted."""
        spec = _spec(backend_type)
        if spec is None or (spec.async_ if self._use_async else spec.sync) is None:
            return False
        return not spec.missing_drivers(self._use_async)

    def get_backend_info(self, backend_type: str) -> dict[str, Any]:
        """What dataknobs-data 0.11 reports of a backend: ``description``, ``persistent``
        (None until the adapter can be imported), ``requires_install`` (False, or the pip
        command), ``requires_module`` (the driver modules) and ``config_options`` (each
        option of the adapter with its default). An unknown name gives ``description``
        ``"Unknown backend"`` and ``error``."""
        spec = _spec(backend_type)
        if spec is None:
            return {"description": "Unknown backend",
                    "error": f"Backend {backend_type!r} not recognized"}
        missing = spec.missing_drivers(self._use_async)
        info: dict[str, Any] = {
            "description": spec.description,
            "persistent": None,
            "requires_install": spec.install_hint if missing else False,
            "requires_module": spec.needed_drivers(self._use_async),
            "config_options": {},
        }
        if not missing and (spec.async_ if self._use_async else spec.sync) is not None:
            adapter = resolve_backend(spec.name, use_async=self._use_async)
            info["persistent"] = adapter.capabilities.persistent  # type: ignore[attr-defined]
            info["config_options"] = option_defaults(adapter)
        return info


class AsyncDatabaseFactory(DatabaseFactory):
    """``DatabaseFactory`` for the async adapters: ``create`` builds a backend's async
    adapter, and the discovery methods speak of those."""

    _use_async = True

    def create(self, backend: str | None = "memory", *, use_async: bool = True,
               **options: Any) -> Any:
        """A new async database of ``backend`` (the memory adapter by default)."""
        return super().create(backend, use_async=use_async, **options)


database_factory = DatabaseFactory()
"""The shared :class:`DatabaseFactory`."""

async_database_factory = AsyncDatabaseFactory()
"""The shared :class:`AsyncDatabaseFactory`."""

install_backend_builder(lambda backend, options, use_async: database_factory.create(
    backend, use_async=use_async, **options))

__all__ = ["AsyncDatabaseFactory", "DatabaseFactory", "async_database_factory",
           "database_factory"]
