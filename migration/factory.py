"""0.11's configuration factories: ``migration_factory``, ``transformer_factory`` and
``migrator_factory``, each ``create(**config)``.

A migration: ``from_version``, ``to_version``, ``description`` and ``operations``, each a
mapping with a ``type`` (``add_field``, ``remove_field``, ``rename_field``,
``transform_field``, ``composite``) and 0.11's argument names. A ``transform_field``'s
``transform`` / ``reverse`` is ``uppercase``, ``lowercase``, ``trim``, ``{multiply: n}``,
``{divide: n}`` or ``package.module:function``. A transformer: ``rules``, each ``map``
(``source``, ``target``), ``rename`` (``old_name``, ``new_name``), ``exclude`` (``fields``)
or ``add`` (``field_name``, ``value``). An unknown key or type is a ``ConfigurationError``
naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..domain.errors import ConfigurationError
from ..validation.factory import check_keys
from .evolution import (
    AddField,
    CompositeOperation,
    Operation,
    RemoveField,
    RenameField,
    TransformField,
)
from .migration import Migration
from .migrator import Migrator
from .transforms import Transformer, load_callable


def _needed(what: str, config: Mapping[str, Any], key: str) -> Any:
    if not config.get(key):
        raise ConfigurationError(f"{what} needs {key!r}")
    return config[key]


def _keep(fn: Callable[[Any], Any], kind: type | tuple[type, ...]) -> Callable[[Any], Any]:
    """``fn`` for values of ``kind``; other values pass unchanged (as 0.11's do)."""
    return lambda value: fn(value) if isinstance(value, kind) else value


_NAMED: dict[str, Callable[[Any], Any]] = {
    "uppercase": _keep(str.upper, str),
    "lowercase": _keep(str.lower, str),
    "trim": _keep(str.strip, str),
}


def value_function(spec: Any) -> Callable[[Any], Any] | None:
    """The value function a ``transform`` / ``reverse`` specification names (None: none)."""
    if spec is None:
        return None
    if isinstance(spec, Mapping) and len(spec) == 1 and \
            next(iter(spec)) in ("multiply", "divide"):
        (how, factor), = spec.items()
        if isinstance(factor, bool) or not isinstance(factor, int | float) or \
                (how == "divide" and factor == 0):
            raise ConfigurationError(f"transform {spec!r}: {how} needs a non-zero number")
        if how == "multiply":
            return _keep(lambda v: v * factor, (int, float))
        return _keep(lambda v: v / factor, (int, float))
    if isinstance(spec, str) and spec in _NAMED:
        return _NAMED[spec]
    if isinstance(spec, str) and ":" in spec:
        return load_callable(spec)
    raise ConfigurationError(f"unsupported transform {spec!r}; valid: {', '.join(_NAMED)}, "
                             "{multiply: n}, {divide: n}, package.module:function")


def _operation(config: Mapping[str, Any]) -> Operation:
    kind = str(config.get("type", "")).lower()
    what = f"operation {kind!r}"
    if kind == "add_field":
        check_keys(what, config, {"type", "field_name", "default_value", "field_type"})
        return AddField(_needed(what, config, "field_name"), config.get("default_value"),
                        config.get("field_type"))
    if kind == "remove_field":
        check_keys(what, config, {"type", "field_name", "store_removed"})
        return RemoveField(_needed(what, config, "field_name"),
                           store_removed=bool(config.get("store_removed", False)))
    if kind == "rename_field":
        check_keys(what, config, {"type", "old_name", "new_name"})
        return RenameField(_needed(what, config, "old_name"), _needed(what, config, "new_name"))
    if kind == "transform_field":
        check_keys(what, config, {"type", "field_name", "transform", "reverse"})
        forward = value_function(_needed(what, config, "transform"))
        assert forward is not None
        return TransformField(_needed(what, config, "field_name"), forward,
                              value_function(config.get("reverse")))
    if kind == "composite":
        check_keys(what, config, {"type", "operations"})
        return CompositeOperation(operations(config.get("operations") or []))
    raise ConfigurationError(f"unknown operation type {config.get('type')!r}; valid: "
                             "add_field, remove_field, rename_field, transform_field, composite")


def operations(configs: Sequence[Mapping[str, Any]]) -> list[Operation]:
    """The operations of a list of operation configurations."""
    return [_operation(config) for config in configs]


class MigrationFactory:
    """Builds a ``Migration`` from 0.11's configuration (this module's docstring)."""

    def create(self, **config: Any) -> Migration:
        """The migration ``config`` describes."""
        check_keys("migration", config,
               {"from_version", "to_version", "description", "operations", "name", "factory"})
        return Migration(str(config.get("from_version", "0.0")),
                         str(config.get("to_version", "1.0")), config.get("description"),
                         operations(config.get("operations") or []))


class TransformerFactory:
    """Builds a ``Transformer`` from 0.11's configuration (this module's docstring)."""

    def create(self, **config: Any) -> Transformer:
        """The transformer ``config`` describes."""
        check_keys("transformer", config, {"rules", "name", "factory"})
        transformer = Transformer()
        for rule in config.get("rules") or []:
            kind = str(rule.get("type", "")).lower()
            what = f"rule {kind!r}"
            if kind == "map":
                check_keys(what, rule, {"type", "source", "target"})
                transformer.map(_needed(what, rule, "source"), rule.get("target"))
            elif kind == "rename":
                check_keys(what, rule, {"type", "old_name", "new_name"})
                transformer.rename(_needed(what, rule, "old_name"),
                                   _needed(what, rule, "new_name"))
            elif kind == "exclude":
                check_keys(what, rule, {"type", "fields"})
                transformer.exclude(*_needed(what, rule, "fields"))
            elif kind == "add":
                check_keys(what, rule, {"type", "field_name", "value"})
                transformer.add(_needed(what, rule, "field_name"), rule.get("value"))
            else:
                raise ConfigurationError(f"unknown rule type {rule.get('type')!r}; valid: "
                                         "map, rename, exclude, add")
        return transformer


class MigratorFactory:
    """Builds a ``Migrator`` for ``migrate(source, target, ...)`` (no configuration)."""

    def create(self, **config: Any) -> Migrator:
        """A migrator without databases."""
        check_keys("migrator", config, {"name", "factory"})
        return Migrator()


migration_factory = MigrationFactory()
transformer_factory = TransformerFactory()
migrator_factory = MigratorFactory()

__all__ = ["MigrationFactory", "MigratorFactory", "TransformerFactory", "migration_factory",
           "migrator_factory", "operations", "transformer_factory", "value_function"]
