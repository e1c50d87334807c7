"""0.11's configuration factories: ``schema_factory.create(**config)`` and ``coercer_factory``.

The configuration is 0.11's: ``name``, ``strict``, ``description`` and ``fields``, a list of
``{name, type, required, default, description, constraints}``, each constraint a mapping
with a ``type`` (``required``, ``range``, ``length``, ``pattern``, ``enum``, ``unique``,
``all``, ``any``) and that constraint's arguments. An unknown key or type is a
``ConfigurationError`` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..domain.errors import ConfigurationError
from ..domain.schema import (
    All,
    AnyOf,
    Constraint,
    Enum,
    Length,
    Pattern,
    Range,
    Required,
    Unique,
)
from .coercer import Coercer
from .schema import Schema


def check_keys(what: str, config: Mapping[str, Any], keys: set[str]) -> None:
    """Refuse a configuration mapping with keys outside ``keys``, naming them."""
    unknown = set(config) - keys
    if unknown:
        raise ConfigurationError(f"{what}: unknown keys {sorted(unknown)}; valid: "
                                 f"{sorted(keys)}")


def _needed(kind: str, config: Mapping[str, Any], key: str) -> Any:
    if config.get(key) is None:
        raise ConfigurationError(f"constraint {kind!r} needs {key!r}")
    return config[key]


#: constraint type -> (its keys besides ``type``, how to build it)
_CONSTRAINTS: dict[str, tuple[set[str], Callable[[Mapping[str, Any]], Constraint]]] = {
    "required": ({"allow_empty"}, lambda c: Required(bool(c.get("allow_empty", False)))),
    "range": ({"min", "max", "min_exclusive", "max_exclusive"},
              lambda c: Range(c.get("min"), c.get("max"), bool(c.get("min_exclusive")),
                              bool(c.get("max_exclusive")))),
    "length": ({"min", "max"}, lambda c: Length(c.get("min"), c.get("max"))),
    "pattern": ({"pattern"}, lambda c: Pattern(_needed("pattern", c, "pattern"))),
    "enum": ({"values", "case_sensitive"},
             lambda c: Enum(list(_needed("enum", c, "values")),
                            bool(c.get("case_sensitive", True)))),
    "unique": ({"field_name"}, lambda c: Unique(c.get("field_name"))),
    "all": ({"constraints"}, lambda c: All(build_constraints(c.get("constraints") or []))),
    "any": ({"constraints"}, lambda c: AnyOf(build_constraints(c.get("constraints") or []))),
}


def build_constraints(configs: Sequence[Mapping[str, Any]]) -> list[Constraint]:
    """The constraints of a list of constraint configurations."""
    out: list[Constraint] = []
    for config in configs:
        kind = str(config.get("type", "")).lower()
        if kind not in _CONSTRAINTS:
            raise ConfigurationError(f"unknown constraint type {config.get('type')!r}; "
                                     f"valid: {', '.join(_CONSTRAINTS)}")
        keys, build = _CONSTRAINTS[kind]
        check_keys(f"constraint {kind!r}", config, keys | {"type"})
        out.append(build(config))
    return out


class SchemaFactory:
    """Builds a ``Schema`` from 0.11's configuration (this module's docstring)."""

    def create(self, **config: Any) -> Schema:
        """The schema ``config`` describes."""
        check_keys("schema", config, {"name", "strict", "description", "fields", "factory"})
        schema = Schema(str(config.get("name") or "unnamed_schema"),
                        bool(config.get("strict", False)), description=config.get("description"))
        for spec in config.get("fields") or []:
            check_keys("schema field", spec,
                   {"name", "type", "required", "default", "description", "constraints"})
            if not spec.get("name"):
                raise ConfigurationError(f"schema field {spec!r} has no name")
            schema.field(spec["name"], spec.get("type", "STRING"),
                         bool(spec.get("required", False)), spec.get("default"),
                         build_constraints(spec.get("constraints") or []),
                         spec.get("description"))
        return schema


class CoercerFactory:
    """Builds a ``Coercer`` (it takes no configuration)."""

    def create(self, **config: Any) -> Coercer:
        """A coercer; ``config`` must be empty."""
        check_keys("coercer", config, {"factory"})
        return Coercer()


schema_factory = SchemaFactory()
coercer_factory = CoercerFactory()

__all__ = ["CoercerFactory", "SchemaFactory", "build_constraints", "check_keys",
           "coercer_factory", "schema_factory"]
