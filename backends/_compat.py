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

from ..domain.errors import ConfigurationError, QueryError
from ..domain.records import FieldType
from ..domain.schema import Schema
from ..domain.vectors import coerce_metric
from ..ports.base import PortBase
from ..ports.options import check_options

#: 0.11's option name -> this project's, per backend name (the one table of renamed options)
RENAMED_OPTIONS: dict[str, dict[str, str]] = {
    "s3": {"region_name": "region", "max_attempts": "retry_botocore_attempts"},
    "postgres": {"connection_string": "dsn", "schema_name": "table_schema",
                 "min_pool_size": "pool_min_size", "max_pool_size": "pool_max_size",
                 "auto_create_table": "create_table"},
    "elasticsearch": {"settings": "index_settings"},
}

#: 0.11's options that have no counterpart here, with the reason; given with the value
#: beside the reason (0.11's default, which changes nothing) they are accepted, any other
#: value raises ``ConfigurationError``
NOT_OFFERED: dict[str, tuple[str, Any]] = {
    "extra_client_kwargs": ("configure the client through the adapter's own options", {}),
    "ensure_database": ("the database must exist; this adapter creates only its table", False),
    "ssl": ("give sslmode in the dsn (connection_string)", None),
    "command_timeout": ("this adapter has connect_timeout and pool_timeout", None),
    "mappings": ("the adapter derives its mapping from the records", None),
    "client_cert": ("give the certificate through ca_certs or a client", None),
    "client_key": ("give the key through a client", None),
    "ssl_show_warn": ("TLS warnings follow the client's defaults", True),
    "journal_mode": ("the sqlite adapter always runs in WAL mode", None),
    "synchronous": ("the sqlite adapter keeps SQLite's default for WAL", None),
    "check_same_thread": ("the sqlite adapter keeps one connection per thread", False),
    "auto_create_table": ("the adapter always creates its table", True),
}


def renamed_options(backend: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with 0.11's option names of ``backend`` replaced by this project's and
    0.11's options that change nothing here removed; a key given under both names, or an
    option of ``NOT_OFFERED`` with another value, raises ``ConfigurationError``."""
    table = RENAMED_OPTIONS.get(backend, {})
    options: dict[str, Any] = {}
    for key, value in config.items():
        if key in NOT_OFFERED and key not in table:
            reason, harmless = NOT_OFFERED[key]
            if value == harmless:
                continue
            raise ConfigurationError(
                f"{backend} option {key!r} ({value!r}) is not offered here: {reason}")
        ours = table.get(key, key)
        if ours in options:
            raise ConfigurationError(
                f"{backend} option {ours!r} is given twice (as {key!r} and {ours!r})")
        options[ours] = value
    return options


#: 0.11's vector options: vector search is always on here; the metric (and dimensions)
#: become the declaration of the vector field in the database's schema
VECTOR_OPTIONS = ("vector_enabled", "vector_metric", "vector_dimensions", "default_vector_field")


def vector_schema(backend: str, config: dict[str, Any], schema: Any) -> Any:
    """``schema`` with 0.11's vector options of ``config`` applied (they are removed from
    ``config``): ``vector_metric`` and ``vector_dimensions`` declare ``default_vector_field``
    (default ``embedding``) a vector field with that metric and dimension count, which
    ``vector_search`` then uses when no metric is given. ``vector_enabled`` must be a bool
    and changes nothing (every database answers vector queries). A schema that declares
    the field already keeps its declaration; a conflicting one is a ``ConfigurationError``."""
    given = {key: config.pop(key) for key in VECTOR_OPTIONS if key in config}
    if not given:
        return schema
    enabled = given.get("vector_enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigurationError(f"{backend} option 'vector_enabled' must be true or false, "
                                 f"got {enabled!r}")
    name = given.get("default_vector_field", "embedding")
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"{backend} option 'default_vector_field' must be a field "
                                 f"name, got {name!r}")
    rules: dict[str, Any] = {}
    if "vector_metric" in given:
        try:
            rules["metric"] = coerce_metric(given["vector_metric"]).value
        except QueryError as err:
            raise ConfigurationError(f"{backend} option 'vector_metric': {err}") from None
    if "vector_dimensions" in given and (enabled or "vector_metric" in given):
        rules["dimensions"] = given["vector_dimensions"]
    if not rules:
        return schema
    declared = Schema.from_config(schema) or Schema()
    spec = declared.fields.get(name)
    if spec is None:
        declared.add_field(name, FieldType.VECTOR, **rules)
        return declared
    for option, value in rules.items():
        if spec.type is not FieldType.VECTOR or getattr(spec, option) not in (None, value):
            raise ConfigurationError(
                f"{backend} option 'vector_{'metric' if option == 'metric' else option}' "
                f"({value!r}) conflicts with the schema's declaration of {name!r}")
    return declared


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
    #: 0.11's defaults where they differ from the adapter's (applied when not given)
    defaults: ClassVar[Mapping[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        adapter = next((base for base in cls.__mro__[1:]
                        if issubclass(base, PortBase) and CompatConstructor not in base.__mro__),
                       None)
        if adapter is not None:  # None: a mixin of 0.11 conventions shared by two classes
            cls.adapter = adapter

    def __init__(self, config: Mapping[str, Any] | None = None, /, schema: Any = None,
                 **options: Any) -> None:
        if config is not None and not isinstance(config, Mapping):
            raise ConfigurationError(
                f"{type(self).__name__} takes a dict of options, got {type(config).__name__}")
        merged = {**self.defaults, **(config or {}), **options}
        schema = vector_schema(self.adapter.backend_name, merged, schema)
        given = renamed_options(self.adapter.backend_name, merged)
        if schema is not None:
            given["schema"] = schema
        given = self._defaults(given)
        cast(Any, super()).__init__(**check_options(self.adapter.backend_name,
                                                    self.adapter, given))

    def _defaults(self, options: dict[str, Any]) -> dict[str, Any]:
        """A hook for 0.11's conventions that depend on the values given (a temporary path
        when none is given, ``host`` and ``port`` making one URL)."""
        return options


__all__ = ["NOT_OFFERED", "RENAMED_OPTIONS", "VECTOR_OPTIONS", "CompatConstructor", "CompatMeta",
           "renamed_options", "vector_schema"]
