"""The programmatic factory: ``database_factory.create(backend="memory", **options)``.

It goes through the same registry and the same validation as the container and as every
adapter's ``from_config`` (``ports.options.check_options``), so a misspelt option fails the
same way everywhere: ``'pth' is not an option of file; did you mean 'path'?``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain.errors import ConfigurationError
from .config import build_entry, substitute
from .registry import available_backends


class DatabaseFactory:
    """Builds adapters by backend name (or ``class`` path) from keyword options.

    Nothing is connected: adapters open connections lazily (or on ``connect()``)."""

    def create(self, backend: str | None = "memory", *, use_async: bool = False,
               **options: Any) -> Any:
        """A new database of ``backend`` (a registry name; the memory adapter by default)
        with ``options``.

        ``class_="package.module.Class"`` names an adapter class instead of a backend;
        ``use_async=True`` gives the backend's async adapter."""
        entry: dict[str, Any] = dict(options)
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


database_factory = DatabaseFactory()
"""The shared :class:`DatabaseFactory`."""

__all__ = ["DatabaseFactory", "database_factory"]
