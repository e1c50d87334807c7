"""Optional schemas: field types, required fields and constraints, validated on write.

A database built with a ``Schema`` rejects a record that breaks it with a
``ValidationError`` listing every violation; nothing is written. From configuration::

    schema:
      strict: false            # true: fields not declared here are rejected
      fields:
        name: {type: string, required: true, max_length: 100}
        age:  {type: integer, min: 0}
        team: {type: string, choices: [core, infra]}

Every rule is a ``Constraint`` (``Range``, ``Length``, ``Pattern``, ``Enum``, ``Required``,
``Unique``, ``Custom``, combined with ``&``, ``|`` and ``~``); the options above are
shorthands that build them. ``Constraint.check`` returns a ``ValidationResult``;
``Schema.check`` validates a whole record, optionally coercing values to the declared types
with ``coerce`` (the one conversion table, also used by schema evolution).
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import codec
from .errors import ConfigurationError, ValidationError
from .records import FieldType, Record, lookup
from .values import MISSING, coerce, field_type

_FIELD_OPTIONS = {
    "type", "required", "nullable", "min", "max", "min_length", "max_length", "pattern",
    "choices", "description", "default", "dimensions", "metric",
}


# -- results ---------------------------------------------------------------------------------
@dataclass
class ValidationResult:
    """The outcome of a check: ``valid``, the (possibly coerced) ``value``, the ``errors``
    that made it invalid and ``warnings`` that did not. True when valid."""

    valid: bool
    value: Any
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.valid

    def merge(self, other: ValidationResult) -> ValidationResult:
        """Both results in one: valid when both are; the value of ``other`` when it is
        valid, else this one's."""
        return ValidationResult(self.valid and other.valid,
                                other.value if other.valid else self.value,
                                self.errors + other.errors, self.warnings + other.warnings)

    def add_error(self, error: str) -> ValidationResult:
        """Add an error (the result becomes invalid); returns self."""
        self.errors.append(error)
        self.valid = False
        return self

    def add_warning(self, warning: str) -> ValidationResult:
        """Add a warning (validity unchanged); returns self."""
        self.warnings.append(warning)
        return self

    @classmethod
    def success(cls, value: Any, warnings: list[str] | None = None) -> ValidationResult:
        """A valid result."""
        return cls(True, value, [], list(warnings or []))

    @classmethod
    def failure(cls, value: Any, errors: list[str], warnings: list[str] | None = None
                ) -> ValidationResult:
        """An invalid result."""
        return cls(False, value, list(errors), list(warnings or []))


@dataclass
class ValidationContext:
    """State shared by the checks of several records: the values ``Unique`` has seen per
    field, and free-form metadata."""

    seen_values: dict[str, set[Any]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def has_seen(self, field_name: str, value: Any) -> bool:
        """Whether ``value`` was marked seen for ``field_name``."""
        return _hashable(value) in self.seen_values.get(field_name, ())

    def mark_seen(self, field_name: str, value: Any) -> None:
        """Remember ``value`` for ``field_name``."""
        self.seen_values.setdefault(field_name, set()).add(_hashable(value))

    def clear(self, field_name: str | None = None) -> None:
        """Forget the values of one field (or of all)."""
        if field_name is None:
            self.seen_values.clear()
        else:
            self.seen_values.pop(field_name, None)

    def set_metadata(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``."""
        self.metadata[key] = value

    def get_metadata(self, key: str, default: Any = None) -> Any:
        """The value under ``key`` (``default`` when absent)."""
        return self.metadata.get(key, default)


def _hashable(value: Any) -> Any:
    """Lists and dicts compare by their canonical JSON text (they are not hashable)."""
    if isinstance(value, list | dict | tuple):
        return ("json", codec.dumps(value, sort_keys=True))
    return value


# -- constraints -----------------------------------------------------------------------------
class Constraint(ABC):
    """One rule over one value. A null value passes every rule but ``Required`` (nullability
    is the field's business). ``a & b``: both; ``a | b``: either; ``~a``: not."""

    @abstractmethod
    def check(self, value: Any, context: ValidationContext | None = None) -> ValidationResult:
        """The result of this rule for ``value``."""

    def __and__(self, other: Constraint) -> All:
        return All([*_parts(self, All), *_parts(other, All)])

    def __or__(self, other: Constraint) -> AnyOf:
        return AnyOf([*_parts(self, AnyOf), *_parts(other, AnyOf)])

    def __invert__(self) -> Not:
        return Not(self)

    def _result(self, value: Any, errors: list[str]) -> ValidationResult:
        return ValidationResult.failure(value, errors) if errors else \
            ValidationResult.success(value)


def _parts(constraint: Constraint, kind: type[All] | type[AnyOf]) -> list[Constraint]:
    return list(constraint.constraints) if isinstance(constraint, kind) else [constraint]


class All(Constraint):
    """Every constraint must pass; the errors of all that fail are reported."""

    def __init__(self, constraints: list[Constraint]) -> None:
        self.constraints = list(constraints)

    def check(self, value: Any, context: ValidationContext | None = None) -> ValidationResult:
        """Run every constraint."""
        result = ValidationResult.success(value)
        for constraint in self.constraints:
            result = result.merge(constraint.check(value, context))
        return result


class AnyOf(Constraint):
    """At least one constraint must pass."""

    def __init__(self, constraints: list[Constraint]) -> None:
        self.constraints = list(constraints)

    def check(self, value: Any, context: ValidationContext | None = None) -> ValidationResult:
        """The first passing result, else every error in one."""
        errors: list[str] = []
        for constraint in self.constraints:
            result = constraint.check(value, context)
            if result.valid:
                return result
            errors.extend(result.errors)
        return ValidationResult.failure(value, [f"none of the alternatives holds: "
                                                f"{'; '.join(errors)}"])


class Not(Constraint):
    """The constraint must fail."""

    def __init__(self, constraint: Constraint) -> None:
        self.constraint = constraint

    def check(self, value: Any, context: ValidationContext | None = None) -> ValidationResult:
        """Invert the inner result."""
        if self.constraint.check(value, context).valid:
            return ValidationResult.failure(value, [f"{value!r} must not satisfy "
                                                    f"{type(self.constraint).__name__}"])
        return ValidationResult.success(value)


class Required(Constraint):
    """The value is present and not null (and not empty, unless ``allow_empty``)."""

    def __init__(self, allow_empty: bool = False) -> None:
        self.allow_empty = allow_empty

    def check(self, value: Any, context: ValidationContext | None = None) -> ValidationResult:
        """Refuse a missing, null or (by default) empty value."""
        if value is MISSING or value is None:
            return ValidationResult.failure(None, ["value is required"])
        if not self.allow_empty and isinstance(value, str | list | dict | tuple | set) \
                and len(value) == 0:
            return ValidationResult.failure(value, ["value cannot be empty"])
        return ValidationResult.success(value)


class Range(Constraint):
    """A number between ``min`` and ``max`` (inclusive, unless ``min_exclusive`` /
    ``max_exclusive``). Booleans are not numbers; NaN is in no range."""

    def __init__(self, min: float | None = None, max: float | None = None,
                 min_exclusive: bool = False, max_exclusive: bool = False) -> None:
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and (isinstance(bound, bool)
                                      or not isinstance(bound, int | float)
                                      or math.isnan(bound)):
                raise ConfigurationError(f"Range {name}={bound!r} is not a number")
        if min is not None and max is not None and min > max:
            raise ConfigurationError(f"Range min={min!r} is greater than max={max!r}")
        self.min = min
        self.max = max
        self.min_exclusive = min_exclusive
        self.max_exclusive = max_exclusive

    def check(self, value: Any, context: ValidationContext | None = None) -> ValidationResult:
        """Compare the value with the bounds."""
        if value is None or value is MISSING:
            return ValidationResult.success(None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return ValidationResult.failure(
                value, [f"value must be a number, got {type(value).__name__}"])
        if math.isnan(value):
            return ValidationResult.failure(value, ["NaN is not in any range"])
        errors: list[str] = []
        if self.min is not None:
            if self.min_exclusive and value <= self.min:
                errors.append(f"{value!r} must be greater than {self.min!r}")
            elif value < self.min:
                errors.append(f"{value!r} is below the minimum {self.min!r}")
        if self.max is not None:
            if self.max_exclusive and value >= self.max:
                errors.append(f"{value!r} must be less than {self.max!r}")
            elif value > self.max:
                errors.append(f"{value!r} is above the maximum {self.max!r}")
        return self._result(value, errors)


class Length(Constraint):
    """A string, list, dict or other sized value with ``min`` to ``max`` items."""

    def __init__(self, min: int | None = None, max: int | None = None) -> None:
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)
                                      or bound < 0):
                raise ConfigurationError(f"Length {name}={bound!r} is not a length >= 0")
        if min is not None and max is not None and min > max:
            raise ConfigurationError(f"Length min={min!r} is greater than max={max!r}")
        self.min = min
        self.max = max

    def check(self, value: Any, context: ValidationContext | None = None) -> ValidationResult:
        """Compare ``len(value)`` with the bounds."""
        if value is None or value is MISSING:
            return ValidationResult.success(None)
        if not hasattr(value, "__len__"):
            return ValidationResult.failure(
                value, [f"value has no length: {type(value).__name__}"])
        errors: list[str] = []
        if self.min is not None and len(value) < self.min:
            errors.append(f"shorter than {self.min}")
        if self.max is not None and len(value) > self.max:
            errors.append(f"longer than {self.max}")
        return self._result(value, errors)


class Pattern(Constraint):
    """A string in which the regular expression is found (``re.search``: anchor it with
    ``^``/``$`` to match the whole value)."""

    def __init__(self, pattern: str | re.Pattern[str]) -> None:
        try:
            self.regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        except re.error as err:
            raise ConfigurationError(f"bad pattern {pattern!r}: {err}") from err
        self.pattern_str = self.regex.pattern

    def check(self, value: Any, context: ValidationContext | None = None) -> ValidationResult:
        """Search the value."""
        if value is None or value is MISSING:
            return ValidationResult.success(None)
        if not isinstance(value, str):
            return ValidationResult.failure(
                value, [f"value must be a string to match a pattern, got "
                        f"{type(value).__name__}"])
        if self.regex.search(value) is None:
            return ValidationResult.failure(
                value, [f"{value!r} does not match {self.pattern_str!r}"])
        return ValidationResult.success(value)


class Enum(Constraint):
    """One of ``values`` (strings compared without case when ``case_sensitive=False``)."""

    def __init__(self, values: list[Any], case_sensitive: bool = True) -> None:
        if not values:
            raise ConfigurationError("Enum needs at least one allowed value")
        self.values = list(values)
        self.case_sensitive = case_sensitive
        self._allowed = [self._fold(v) for v in self.values]

    def _fold(self, value: Any) -> Any:
        return value.lower() if not self.case_sensitive and isinstance(value, str) else value

    def check(self, value: Any, context: ValidationContext | None = None) -> ValidationResult:
        """Look the value up among the allowed ones."""
        if value is None or value is MISSING:
            return ValidationResult.success(None)
        if self._fold(value) not in self._allowed:
            return ValidationResult.failure(
                value, [f"{value!r} is not in allowed values {self.values!r}"])
        return ValidationResult.success(value)


class Unique(Constraint):
    """A value not seen before in the same ``ValidationContext`` (under ``field_name``).
    Without a context nothing can be compared: the value passes with a warning."""

    def __init__(self, field_name: str | None = None) -> None:
        self.field_name = field_name or "default"

    def check(self, value: Any, context: ValidationContext | None = None) -> ValidationResult:
        """Compare with the values seen so far, then remember this one."""
        if value is None or value is MISSING:
            return ValidationResult.success(None)
        if context is None:
            return ValidationResult.success(
                value, [f"Unique({self.field_name!r}) needs a ValidationContext to compare"])
        if context.has_seen(self.field_name, value):
            return ValidationResult.failure(
                value, [f"Duplicate value {value!r} for {self.field_name!r}"])
        context.mark_seen(self.field_name, value)
        return ValidationResult.success(value)


class Custom(Constraint):
    """``validator(value)`` returns a bool or a ``ValidationResult``; an exception it raises
    is an error naming the exception."""

    def __init__(self, validator: Callable[[Any], bool | ValidationResult],
                 error_message: str = "custom validation failed") -> None:
        if not callable(validator):
            raise ConfigurationError(f"Custom validator {validator!r} is not callable")
        self.validator = validator
        self.error_message = error_message

    def check(self, value: Any, context: ValidationContext | None = None) -> ValidationResult:
        """Call the validator."""
        try:
            outcome = self.validator(value)
        except Exception as err:  # user code: its failure is this value's error
            return ValidationResult.failure(
                value, [f"custom validation error: {type(err).__name__}: {err}"])
        if isinstance(outcome, ValidationResult):
            return outcome
        if isinstance(outcome, bool):
            return self._result(value, [] if outcome else [self.error_message])
        return ValidationResult.failure(
            value, [f"custom validator returned {type(outcome).__name__}, not bool or "
                    "ValidationResult"])


_convert = coerce  # FieldSchema.validate's parameter ``coerce`` hides the function there


# -- fields and schemas ----------------------------------------------------------------------
@dataclass
class FieldSchema:
    """What one (dotted) field must satisfy: its type, whether it is required and may be
    null, a ``default`` for a missing value, and constraints (the options ``min`` ...
    ``choices`` are shorthands for ``Range``, ``Length``, ``Pattern`` and ``Enum``)."""

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
    default: Any = None
    dimensions: int | None = None
    metric: str | None = None
    constraints: list[Constraint] = field(default_factory=list)
    _rules: list[Constraint] = field(default_factory=list, init=False, repr=False,
                                     compare=False)

    def __post_init__(self) -> None:
        try:
            self.type = field_type(self.type)
            if self.min is not None or self.max is not None:
                self._rules.append(Range(self.min, self.max))
            if self.min_length is not None or self.max_length is not None:
                self._rules.append(Length(self.min_length, self.max_length))
            if self.pattern is not None:
                self._rules.append(Pattern(self.pattern))
            if self.choices is not None:
                self._rules.append(Enum(self.choices))
            self._check_vector_options()
        except ConfigurationError as err:
            raise ConfigurationError(f"schema field {self.name!r}: {err}") from None
        bad = [c for c in self.constraints if not isinstance(c, Constraint)]
        if bad:
            raise ConfigurationError(f"schema field {self.name!r}: {bad[0]!r} is not a "
                                     "Constraint")

    def _check_vector_options(self) -> None:
        if self.type is not FieldType.VECTOR:
            for option in ("dimensions", "metric"):
                if getattr(self, option) is not None:
                    raise ConfigurationError(f"{option!r} applies to type vector only, not "
                                             f"{self.type.value}")
            return
        from .vectors import MAX_DIMENSIONS, coerce_metric

        dims = self.dimensions
        if dims is not None and (isinstance(dims, bool) or not isinstance(dims, int)
                                 or not 1 <= dims <= MAX_DIMENSIONS):
            raise ConfigurationError(f"dimensions must be an integer from 1 to "
                                     f"{MAX_DIMENSIONS}, got {dims!r}")
        if self.metric is not None:
            try:
                self.metric = coerce_metric(self.metric).value
            except ValueError as err:
                raise ConfigurationError(str(err)) from None

    @property
    def field_type(self) -> FieldType:
        """The declared type (the 0.11 name of ``type``)."""
        return self.type

    def add_constraint(self, constraint: Constraint) -> FieldSchema:
        """Add a constraint; returns self for chaining."""
        if not isinstance(constraint, Constraint):
            raise ConfigurationError(f"schema field {self.name!r}: {constraint!r} is not a "
                                     "Constraint")
        self.constraints.append(constraint)
        return self

    def validate(self, value: Any, context: ValidationContext | None = None,
                 coerce: bool = False) -> ValidationResult:
        """Check ``value`` (``MISSING`` when absent; a missing value takes the default):
        nullability, type (converted first with ``coerce=True``), then every constraint.
        Errors are prefixed with the field's name."""
        if value is MISSING and self.default is not None:
            value = self.default
        if value is MISSING:
            return ValidationResult.failure(None, [f"{self.name}: required field is missing"]) \
                if self.required else ValidationResult.success(None)
        if value is None:
            return ValidationResult.success(None) if self.nullable else \
                ValidationResult.failure(None, [f"{self.name}: must not be null"])
        if coerce and not self.type.accepts(value):
            try:
                value = _convert(value, self.type)
            except (ValueError, TypeError, OverflowError) as err:
                return ValidationResult.failure(value, [f"{self.name}: {err}"])
        if not self.type.accepts(value):
            return ValidationResult.failure(
                value, [f"{self.name}: expected {self.type.value}, got {type(value).__name__}"])
        if self.dimensions is not None and self.type is FieldType.VECTOR \
                and len(value) != self.dimensions:
            return ValidationResult.failure(
                value, [f"{self.name}: expected a vector of {self.dimensions} dimensions, "
                        f"got {len(value)}"])
        result = ValidationResult.success(value)
        for rule in (*self._rules, *self.constraints):
            outcome = rule.check(value, context)
            outcome.errors = [f"{self.name}: {e}" for e in outcome.errors]
            result = result.merge(outcome)
        result.value = value
        return result

    def check(self, value: Any) -> list[str]:
        """The violations of this field's rules by ``value`` (``MISSING`` when absent)."""
        return self.validate(value).errors

    def to_config(self) -> dict[str, Any]:
        """The configuration mapping of this field (constraint objects are not included)."""
        out: dict[str, Any] = {"type": self.type.value, "required": self.required}
        for name in ("nullable", "min", "max", "min_length", "max_length", "pattern",
                     "choices", "description", "default", "dimensions", "metric"):
            value = getattr(self, name)
            if value != FieldSchema.__dataclass_fields__[name].default:
                out[name] = value
        return out


@dataclass
class Schema:
    """A set of field rules; ``strict`` rejects top-level fields it does not declare."""

    fields: dict[str, FieldSchema] = field(default_factory=dict)
    strict: bool = False
    name: str = ""
    description: str | None = None

    def add_field(self, name: str, type: FieldType | str = FieldType.ANY, **rules: Any
                  ) -> Schema:
        """Declare a field; returns self for chaining."""
        self.fields[name] = FieldSchema(name, type, **rules)  # type: ignore[arg-type]
        return self

    def check(self, record: Record | Mapping[str, Any], coerce: bool = False,
              context: ValidationContext | None = None) -> ValidationResult:
        """Validate a record (or a mapping of its data). Valid: ``value`` is a record with
        the declared fields' values (coerced with ``coerce=True``, defaults filled in) and
        the undeclared ones unchanged. Invalid: ``errors`` lists every violation."""
        if not isinstance(record, Record):
            record = Record(dict(record))
        result, values = self._outcome(record, coerce, context)
        if result.valid:
            checked = record.copy()
            for name, value in values.items():
                checked.set_value(name, value)
            result.value = checked
        else:
            result.value = record
        return result

    def _outcome(self, record: Record, coerce: bool, context: ValidationContext | None
                 ) -> tuple[ValidationResult, dict[str, Any]]:
        """The merged result of every rule, and the checked value of each declared field
        that has one (coerced, or its default)."""
        context = context if context is not None else ValidationContext()
        result = ValidationResult.success(None)
        values: dict[str, Any] = {}
        for name, rule in self.fields.items():
            outcome = rule.validate(lookup(record.data, name), context, coerce)
            result = result.merge(outcome)
            if outcome.valid and outcome.value is not None:
                values[name] = outcome.value
        if self.strict:
            declared = {name.split(".")[0] for name in self.fields}
            unknown = [k for k in record.data if k not in declared]
            if unknown:
                result.add_error(f"Unknown fields in strict mode: {', '.join(unknown)}")
        return result, values

    def vector_field(self, name: str) -> FieldSchema | None:
        """The declaration of ``name`` when it is a vector field, else None."""
        spec = self.fields.get(name)
        return spec if spec is not None and spec.type is FieldType.VECTOR else None

    def errors(self, record: Record) -> list[str]:
        """Every violation of this schema by ``record`` (empty when it conforms)."""
        return self._outcome(record, False, None)[0].errors

    def validate(self, record: Record) -> None:
        """Raise ``ValidationError`` listing every violation, if any."""
        errors = self.errors(record)
        if errors:
            raise ValidationError(errors, record.id)

    def to_config(self) -> dict[str, Any]:
        """The configuration mapping ``from_config`` reads (constraint objects are not
        included: only the options of this module's docstring)."""
        out: dict[str, Any] = {"strict": self.strict,
                               "fields": {n: f.to_config() for n, f in self.fields.items()}}
        if self.name:
            out["name"] = self.name
        if self.description is not None:
            out["description"] = self.description
        return out

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | Schema | None) -> Schema | None:
        """Build from the configuration mapping shown in this module's docstring. A schema
        of a subclass (``dataknobs_data.validation.Schema``) becomes a plain ``Schema`` over
        the same fields, so a database always gets ``validate`` that raises."""
        if config is None or type(config) is Schema:
            return config
        if isinstance(config, Schema):
            return Schema(fields=config.fields, strict=config.strict, name=config.name,
                          description=config.description)
        unknown = set(config) - {"fields", "strict", "name", "description"}
        if unknown:
            raise ConfigurationError(
                f"schema: unknown keys {sorted(unknown)}; valid: description, fields, name, "
                "strict"
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
        return cls(fields=fields, strict=bool(config.get("strict", False)),
                   name=str(config.get("name") or ""), description=config.get("description"))


__all__ = ["All", "AnyOf", "Constraint", "Custom", "Enum", "FieldSchema", "Length", "Not",
           "Pattern", "Range", "Required", "Schema", "Unique", "ValidationContext",
           "ValidationResult", "coerce", "field_type"]
