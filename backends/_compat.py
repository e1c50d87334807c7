"""dataknobs-data 0.11's backend classes as thin constructors over this project's adapters.

0.11 builds a backend from one positional configuration dict, ``SyncFileDatabase({"path":
"people.json"})``, and names a few options differently. ``CompatConstructor`` gives an
adapter class exactly that constructor and nothing else: the class it is mixed into is the
adapter (every method, every behaviour is the adapter's own). ``isinstance(db,
SyncMemoryDatabase)`` holds for any ``MemoryDatabase`` as well, so what the factory or the
container builds passes 0.11's type checks.

The option names of 0.11 that differ from this project's are in one table,
``RENAMED_OPTIONS``; any key that is neither renamed nor an option of the adapter raises
``ConfigurationError`` naming it (``ports.options.check_options``).
"""

from __future__ import annotations

from abc import ABCMeta
from collections.abc import Mapping
from typing import Any, ClassVar, cast

from ..domain.errors import ConfigurationError
from ..ports.base import PortBase
from ..ports.options import check_options

#: 0.11's option name -> this project's, per backend name (the one table of renamed options)
RENAMED_OPTIONS: dict[str, dict[str, str]] = {
    "s3": {"region_name": "region", "endpoint": "endpoint_url"},
    "postgres": {"connection_string": "dsn", "table_name": "table", "schema_name":
                 "table_schema", "min_pool_size": "pool_min_size",
                 "max_pool_size": "pool_max_size"},
    "elasticsearch": {"index_name": "index", "host_list": "hosts"},
}


def renamed_options(backend: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with 0.11's option names of ``backend`` replaced by this project's; a key
    given under both names raises ``ConfigurationError``."""
    table = RENAMED_OPTIONS.get(backend, {})
    options: dict[str, Any] = {}
    for key, value in config.items():
        ours = table.get(key, key)
        if ours in options:
            raise ConfigurationError(
                f"{backend} option {ours!r} is given twice (as {key!r} and {ours!r})")
        options[ours] = value
    return options


class CompatMeta(ABCMeta):
    """Makes ``isinstance`` against a 0.11 class ask about its adapter."""

    def __instancecheck__(cls, instance: Any) -> bool:
        adapter = cls.__dict__.get("adapter")
        if adapter is None:
            return super().__instancecheck__(instance)
        return isinstance(instance, adapter)


class CompatConstructor(metaclass=CompatMeta):
    """0.11's constructor, ``Class(config=None, schema=None, **options)``, over an adapter
    (the next base class). ``config`` is a dict of options; keyword options are merged over
    it."""

    #: the adapter class this 0.11 name stands for (set for each subclass)
    adapter: ClassVar[type[PortBase]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.adapter = next(base for base in cls.__mro__[1:]
                           if issubclass(base, PortBase) and CompatConstructor not in base.__mro__)

    def __init__(self, config: Mapping[str, Any] | None = None, /, schema: Any = None,
                 **options: Any) -> None:
        if config is not None and not isinstance(config, Mapping):
            raise ConfigurationError(
                f"{type(self).__name__} takes a dict of options, got {type(config).__name__}")
        given = renamed_options(self.adapter.backend_name, {**(config or {}), **options})
        if schema is not None:
            given["schema"] = schema
        given = self._defaults(given)
        cast(Any, super()).__init__(**check_options(self.adapter.backend_name,
                                                    self.adapter, given))

    def _defaults(self, options: dict[str, Any]) -> dict[str, Any]:
        """The options with 0.11's defaults for those it does not require (a hook)."""
        return options


__all__ = ["RENAMED_OPTIONS", "CompatConstructor", "CompatMeta", "renamed_options"]
