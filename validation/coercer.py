"""``Coercer``: the domain's value conversion (``domain.schema.coerce``) as results.

A target is a ``FieldType`` or a Python type (``str``, ``int``, ``float``, ``bool``,
``datetime``, ``list``, ``dict``); the conversions are those of ``coerce``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..domain.errors import ConfigurationError
from ..domain.records import FieldType
from ..domain.schema import ValidationResult, coerce, field_type

_PYTHON_TYPES: dict[type, FieldType] = {
    str: FieldType.STRING, int: FieldType.INTEGER, float: FieldType.FLOAT,
    bool: FieldType.BOOLEAN, datetime: FieldType.DATETIME, list: FieldType.LIST,
    dict: FieldType.DICT, object: FieldType.ANY,
}


def _target(target_type: type | FieldType | str) -> FieldType:
    if isinstance(target_type, type):
        if target_type not in _PYTHON_TYPES:
            names = ", ".join(t.__name__ for t in _PYTHON_TYPES)
            raise ConfigurationError(
                f"cannot coerce to {target_type.__name__}; valid Python types: {names}")
        return _PYTHON_TYPES[target_type]
    return field_type(target_type)


class Coercer:
    """Convert values to a type; every answer is a ``ValidationResult`` (a value that
    cannot be converted is an invalid result naming it, never an exception). An unknown
    target type is a ``ConfigurationError``."""

    def coerce(self, value: Any, target_type: type | FieldType | str) -> ValidationResult:
        """``value`` converted to ``target_type``."""
        target = _target(target_type)
        if value is None:
            return ValidationResult.failure(None, [f"Cannot coerce None to {target.value}"])
        try:
            return ValidationResult.success(coerce(value, target))
        except (ValueError, TypeError, OverflowError) as err:
            return ValidationResult.failure(
                value, [f"Cannot coerce {type(value).__name__} to {target.value}: {err}"])

    def coerce_many(self, values: Mapping[str, Any],
                    types: Mapping[str, type | FieldType | str]) -> dict[str, ValidationResult]:
        """Each value named in ``types`` converted to its type (values without a type are
        returned unchanged, as valid results)."""
        return {name: self.coerce(value, types[name]) if name in types
                else ValidationResult.success(value) for name, value in values.items()}


__all__ = ["Coercer"]
