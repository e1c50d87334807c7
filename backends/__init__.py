"""dataknobs-data 0.11's backend modules: ``dataknobs_data.backends.<name>`` with its
``Sync*``/``Async*`` class names, each a thin constructor over this project's adapter
(``dataknobs_data.adapters``). Importing a module needs no driver; the driver is imported
when the adapter first connects."""

from typing import Any

from .memory import AsyncMemoryDatabase, SyncMemoryDatabase

__all__ = ["AsyncMemoryDatabase", "SyncMemoryDatabase", "async_backends", "register_backend",
           "sync_backends"]


def __getattr__(name: str) -> Any:
    """0.11's registry names, from ``dataknobs_data.factory`` on first use (the registry
    loads these modules, so importing the factory here would be a cycle)."""
    if name in ("async_backends", "register_backend", "sync_backends"):
        from .. import factory

        return getattr(factory, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
