"""``Schema`` and ``Field`` with dataknobs-data 0.11's constructors and fluent API.

Both are the domain's classes (``domain.schema.Schema`` / ``FieldSchema``) under 0.11's
signatures: ``Schema(name, strict)``, ``schema.field(name, field_type, required=...,
default=..., constraints=[...], description=...)``, and ``validate`` returning a
``ValidationResult``. A required field refuses a missing value, a null and (as in 0.11) an
empty string or collection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..domain import schema as domain_schema
from ..domain.records import FieldType, Record
from ..domain.schema import (
    Constraint,
    FieldSchema,
    Required,
    ValidationContext,
    ValidationResult,
)
from ..domain.schema import field_type as to_field_type


class Field(FieldSchema):
    """A field definition: ``Field(name, field_type, required=False, default=None,
    constraints=None, description=None)``; a required field is not nullable."""

    def __init__(self, name: str, field_type: FieldType | str = FieldType.ANY,
                 required: bool = False, default: Any = None,
                 constraints: Sequence[Constraint] | None = None,
                 description: str | None = None) -> None:
        super().__init__(name, to_field_type(field_type), required=required, nullable=not required,
                         default=default, constraints=list(constraints or []),
                         description=description)


class Schema(domain_schema.Schema):
    """A named schema; ``validate`` returns a ``ValidationResult`` (the domain's
    ``check``). Given to a database, it validates writes and raises as the domain's does."""

    def __init__(self, name: str = "unnamed", strict: bool = False,
                 fields: Mapping[str, FieldSchema] | None = None,
                 description: str | None = None) -> None:
        super().__init__(fields=dict(fields or {}), strict=strict, name=name,
                         description=description)

    def field(self, name: str, field_type: FieldType | str = FieldType.ANY,
              required: bool = False, default: Any = None,
              constraints: Sequence[Constraint] | None = None,
              description: str | None = None) -> Schema:
        """Declare a field; returns self for chaining."""
        rules = list(constraints or [])
        if required and not any(isinstance(c, Required) for c in rules):
            rules.insert(0, Required())
        self.fields[name] = Field(name, field_type, required, default, rules, description)
        return self

    def with_description(self, description: str) -> Schema:
        """Set the description; returns self."""
        self.description = description
        return self

    def validate(self, record: Record | Mapping[str, Any],  # type: ignore[override]
                 coerce: bool = False, context: ValidationContext | None = None
                 ) -> ValidationResult:
        """The ``ValidationResult`` of ``record``: its ``value`` is the validated record
        (values coerced with ``coerce=True``); ``context`` shares ``Unique``'s memory."""
        return self.check(record, coerce, context)

    def validate_many(self, records: Sequence[Record | Mapping[str, Any]],
                      coerce: bool = False, stop_on_error: bool = False
                      ) -> list[ValidationResult]:
        """Validate records with one shared context (so ``Unique`` compares across them);
        ``stop_on_error`` ends after the first invalid record."""
        context = ValidationContext()
        results: list[ValidationResult] = []
        for record in records:
            results.append(self.check(record, coerce, context))
            if stop_on_error and not results[-1].valid:
                break
        return results

    def to_dict(self) -> dict[str, Any]:
        """The configuration mapping (``to_config``); constraint objects are not included."""
        return self.to_config()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        """A schema from ``to_dict``'s mapping (or a database's ``schema`` configuration)."""
        base = domain_schema.Schema.from_config(data)
        assert base is not None
        return cls(base.name or "unnamed", base.strict, base.fields, base.description)


__all__ = ["Field", "Schema"]
