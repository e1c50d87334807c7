"""Optional schemas: field types, required fields and constraints, validated on write.

A database built with a ``Schema`` rejects a record that breaks it with a
``ValidationError`` listing every violation; nothing is written. From configuration::

    schema:
      strict: false            # true: fields not declared here are rejected
      fields:
        name: {type: string, required: true, max_length: 100}
        age:  {type: integer, min: 0}
        team: {type: string, choices: [core, infra]}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigurationError, ValidationError
from .records import FieldType, Record, lookup
from .values import MISSING

_FIELD_OPTIONS = {
    "type", "required", "nullable", "min", "max", "min_length", "max_length", "pattern",
    "choices", "description",
}


@dataclass
class FieldSchema:
    """What one (dotted) field must satisfy."""

    name: str
    type: FieldType = FieldType.ANY
    required: bool = False
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: list[Any] | None = None
    description: str | None = None
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.type, FieldType):
            try:
                self.type = FieldType(str(self.type).lower())
            except ValueError:
                valid = ", ".join(t.value for t in FieldType)
                raise ConfigurationError(
                    f"schema field {self.name!r}: unknown type {self.type!r}; valid: {valid}"
                ) from None
        if self.pattern is not None:
            try:
                self._regex = re.compile(self.pattern)
            except re.error as err:
                raise ConfigurationError(
                    f"schema field {self.name!r}: bad pattern {self.pattern!r}: {err}"
                ) from err

    def check(self, value: Any) -> list[str]:
        """The violations of this field's rules by ``value`` (``MISSING`` when absent)."""
        if value is MISSING:
            return [f"{self.name}: required field is missing"] if self.required else []
        if value is None:
            return [] if self.nullable else [f"{self.name}: must not be null"]
        errors: list[str] = []
        if not self.type.accepts(value):
            errors.append(f"{self.name}: expected {self.type.value}, got {type(value).__name__}")
            return errors
        if self.min is not None and isinstance(value, int | float) and value < self.min:
            errors.append(f"{self.name}: {value!r} is below the minimum {self.min!r}")
        if self.max is not None and isinstance(value, int | float) and value > self.max:
            errors.append(f"{self.name}: {value!r} is above the maximum {self.max!r}")
        if isinstance(value, str | list | dict):
            if self.min_length is not None and len(value) < self.min_length:
                errors.append(f"{self.name}: shorter than {self.min_length}")
            if self.max_length is not None and len(value) > self.max_length:
                errors.append(f"{self.name}: longer than {self.max_length}")
        if self._regex is not None and isinstance(value, str) and not self._regex.search(value):
            errors.append(f"{self.name}: {value!r} does not match {self.pattern!r}")
        if self.choices is not None and value not in self.choices:
            errors.append(f"{self.name}: {value!r} is not one of {self.choices!r}")
        return errors


@dataclass
class Schema:
    """A set of field rules; ``strict`` rejects top-level fields it does not declare."""

    fields: dict[str, FieldSchema] = field(default_factory=dict)
    strict: bool = False

    def add_field(self, name: str, type: FieldType | str = FieldType.ANY, **rules: Any
                  ) -> Schema:
        """Declare a field; returns self for chaining."""
        self.fields[name] = FieldSchema(name, type, **rules)  # type: ignore[arg-type]
        return self

    def errors(self, record: Record) -> list[str]:
        """Every violation of this schema by ``record`` (empty when it conforms)."""
        out: list[str] = []
        for name, rule in self.fields.items():
            out.extend(rule.check(lookup(record.data, name)))
        if self.strict:
            declared = {name.split(".")[0] for name in self.fields}
            out.extend(f"{k}: field is not in the schema" for k in record.data if k not in declared)
        return out

    def validate(self, record: Record) -> None:
        """Raise ``ValidationError`` listing every violation, if any."""
        errors = self.errors(record)
        if errors:
            raise ValidationError(errors, record.id)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | Schema | None) -> Schema | None:
        """Build from the configuration mapping shown in this module's docstring."""
        if config is None or isinstance(config, Schema):
            return config
        unknown = set(config) - {"fields", "strict"}
        if unknown:
            raise ConfigurationError(
                f"schema: unknown keys {sorted(unknown)}; valid: fields, strict"
            )
        fields: dict[str, FieldSchema] = {}
        for name, spec in (config.get("fields") or {}).items():
            if isinstance(spec, str):
                spec = {"type": spec}
            bad = set(spec) - _FIELD_OPTIONS
            if bad:
                raise ConfigurationError(
                    f"schema field {name!r}: unknown options {sorted(bad)}; "
                    f"valid: {sorted(_FIELD_OPTIONS)}"
                )
            fields[name] = FieldSchema(name, **spec)
        return cls(fields, bool(config.get("strict", False)))
