"""Queries: filters, boolean composition, sort, paging and projection.

The builder follows the dataknobs-data core API: each method adds to the query and returns
it, so calls chain::

    Query().filter("age", Operator.GTE, 30).sort("name", SortOrder.DESC).limit(20)
    Query().or_(Filter("city", Operator.EQ, "Oslo"), Filter("city", Operator.EQ, "Rome"))

Operands are validated when a filter is built, so a malformed query fails with a
``QueryError`` naming the field and operator before any backend sees it. The meaning of every
operator is specified in docs/query-semantics.md; ``dataknobs_data.domain.matcher`` is its
reference implementation.
"""

from __future__ import annotations

import copy as _copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Union

from .errors import QueryError, SerializationError
from .operators import ORDERING_OPERATORS, PATTERN_OPERATORS, Operator, value_predicate
from .values import check_value, orderable_rank


class SortOrder(Enum):
    """Sort direction."""

    ASC = "asc"
    DESC = "desc"

    @classmethod
    def _missing_(cls, value: object) -> SortOrder | None:
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("asc", "ascending", "+"):
                return cls.ASC
            if text in ("desc", "descending", "-"):
                return cls.DESC
        return None


@dataclass(frozen=True)
class SortSpec:
    """One sort key: a (dotted) field and a direction. Missing and null sort last."""

    field: str
    order: SortOrder = SortOrder.ASC

    def __post_init__(self) -> None:
        check_path(self.field)
        if not isinstance(self.order, SortOrder):
            object.__setattr__(self, "order", SortOrder(self.order))

    def to_dict(self) -> dict[str, str]:
        """Plain-dict form."""
        return {"field": self.field, "order": self.order.value}


# --- regular expressions: the portable subset --------------------------------------------
_REGEX_META = set(".^$*+?()[]{}|\\")
_REGEX_ESCAPABLE = _REGEX_META | set("-/")


def check_portable_regex(pattern: str) -> None:
    """Raise QueryError unless ``pattern`` is in the portable regex subset.

    The subset (docs/query-semantics.md, "REGEX"): literal characters; ``\\`` before a
    punctuation character; ``.``; bracket classes ``[abc]``, ``[a-z]``, ``[^...]``; the
    quantifiers ``* + ? {n} {n,} {n,m}``; groups ``(...)``; alternation ``|``; ``^`` as the
    first and ``$`` as the last character. Python, PostgreSQL and Lucene agree on it."""
    i, n = 0, len(pattern)
    depth = 0
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n or pattern[i + 1] not in _REGEX_ESCAPABLE:
                nxt = pattern[i + 1 : i + 2] or "end of pattern"
                raise QueryError(
                    f"regex {pattern!r}: escape '\\{nxt}' is outside the portable subset "
                    "(escape only punctuation; write [0-9] for \\d)"
                )
            i += 2
            continue
        if ch == "^" and i != 0:
            raise QueryError(f"regex {pattern!r}: '^' is only portable at the start")
        if ch == "$" and i != n - 1:
            raise QueryError(f"regex {pattern!r}: '$' is only portable at the end")
        if ch == "(":
            if pattern.startswith("(?", i):
                raise QueryError(
                    f"regex {pattern!r}: '(?' groups are outside the portable subset"
                )
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise QueryError(f"regex {pattern!r}: unbalanced ')'")
        elif ch == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                if pattern[j] == "[":
                    raise QueryError(f"regex {pattern!r}: nested '[' is not portable")
                if pattern[j] == "\\":
                    if j + 1 >= n or pattern[j + 1] not in _REGEX_ESCAPABLE:
                        raise QueryError(f"regex {pattern!r}: class escape is not portable")
                    j += 1
                j += 1
            if j >= n:
                raise QueryError(f"regex {pattern!r}: unterminated '['")
            i = j + 1
            continue
        elif ch in "*+?":
            if i + 1 < n and pattern[i + 1] in "?+":
                raise QueryError(
                    f"regex {pattern!r}: lazy and possessive quantifiers are not portable"
                )
        elif ch == "{":
            close = pattern.find("}", i)
            body = pattern[i + 1 : close] if close > 0 else ""
            if close < 0 or not re.fullmatch(r"\d+(,\d*)?", body):
                raise QueryError(f"regex {pattern!r}: '{{' must start a {{n}}, {{n,}} or {{n,m}}")
            i = close + 1
            if i < n and pattern[i] in "?+":
                raise QueryError(
                    f"regex {pattern!r}: lazy and possessive quantifiers are not portable"
                )
            continue
        i += 1
    if depth != 0:
        raise QueryError(f"regex {pattern!r}: unbalanced '('")
    try:
        re.compile(pattern)
    except re.error as err:
        raise QueryError(f"regex {pattern!r}: {err}") from err


def check_path(path: object) -> None:
    """``QueryError`` unless ``path`` is a dotted field path with no empty segment."""
    if not isinstance(path, str) or not path:
        raise QueryError(f"field path must be a non-empty string, got {path!r}")
    if any(not part for part in path.split(".")):
        raise QueryError(f"field path {path!r} has an empty segment")


def _check_operand(path: str, op: Operator, value: Any) -> Any:
    where = f"filter {path!r} {op.name}"
    if op in (Operator.EXISTS, Operator.NOT_EXISTS):
        return None
    if op in (Operator.IN, Operator.NOT_IN):
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise QueryError(f"{where}: operand must be a list of values, got {value!r}")
        items = list(value)
        for item in items:
            if item is None:
                raise QueryError(f"{where}: null in the list never matches; use NOT_EXISTS")
            _check_storable(where, item)
        return items
    if op in (Operator.BETWEEN, Operator.NOT_BETWEEN):
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
            raise QueryError(f"{where}: operand must be a [low, high] pair, got {value!r}")
        if len(value) != 2:
            raise QueryError(f"{where}: operand must be a [low, high] pair, got {value!r}")
        low, high = value
        for bound in (low, high):
            if orderable_rank(bound) is None if bound is not None else True:
                raise QueryError(
                    f"{where}: bounds must be numbers, strings or datetimes, got {bound!r}"
                )
        if orderable_rank(low) != orderable_rank(high):
            raise QueryError(f"{where}: bounds {low!r} and {high!r} are of different types")
        return [low, high]
    if value is None:
        raise QueryError(
            f"{where}: a null operand never matches; use EXISTS or NOT_EXISTS to test for null"
        )
    if op in ORDERING_OPERATORS:
        if orderable_rank(value) is None:
            raise QueryError(
                f"{where}: operand must be a number, string or datetime, got {value!r}"
            )
        return value
    if op in PATTERN_OPERATORS or op in (Operator.REGEX, Operator.STARTS_WITH):
        if not isinstance(value, str):
            raise QueryError(f"{where}: operand must be a string, got {value!r}")
        if op is Operator.REGEX:
            check_portable_regex(value)
        return value
    _check_storable(where, value)
    return value


def _check_storable(where: str, value: Any) -> None:
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, bool | int | float | str | datetime | list | dict):
        try:
            check_value(value, where)
        except SerializationError as err:
            raise QueryError(str(err)) from err
        return
    raise QueryError(f"{where}: operand {value!r} is not a storable value type")


class _Combinable:
    """``a & b``, ``a | b`` and ``~a`` for filters and boolean conditions alike."""

    def __and__(self, other: Condition) -> LogicCondition:
        return LogicCondition(LogicOperator.AND, [self, other])  # type: ignore[list-item]

    def __or__(self, other: Condition) -> LogicCondition:
        return LogicCondition(LogicOperator.OR, [self, other])  # type: ignore[list-item]

    def __invert__(self) -> LogicCondition:
        return LogicCondition(LogicOperator.NOT, [self])  # type: ignore[list-item]


@dataclass(frozen=True)
class Filter(_Combinable):
    """One comparison of a (dotted) field path with an operand."""

    field: str
    operator: Operator
    value: Any = None

    def __post_init__(self) -> None:
        check_path(self.field)
        op = self.operator
        if not isinstance(op, Operator):
            try:
                op = Operator(op)
            except ValueError:
                valid = ", ".join(m.name for m in Operator)
                raise QueryError(f"unknown operator {self.operator!r}; valid: {valid}") from None
            object.__setattr__(self, "operator", op)
        value = self.value
        if isinstance(value, tuple) and op not in (Operator.BETWEEN, Operator.NOT_BETWEEN):
            value = list(value)
        object.__setattr__(self, "value", _check_operand(self.field, op, value))

    def matches(self, value: Any) -> bool:
        """Whether a field value (``MISSING`` for an absent field) satisfies this filter."""
        return value_predicate(self.operator, self.value)(value)

    def __hash__(self) -> int:
        return hash((self.field, self.operator, repr(self.value)))

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (operand values as given)."""
        return {"field": self.field, "operator": self.operator.name, "value": self.value}


class LogicOperator(Enum):
    """Boolean connectives of ``LogicCondition``."""

    AND = "and"
    OR = "or"
    NOT = "not"


@dataclass
class LogicCondition(_Combinable):
    """AND / OR over any number of conditions, or NOT of exactly one; nests to any depth.

    An empty AND is true; an empty OR is false."""

    operator: LogicOperator
    conditions: list[Condition] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.operator, LogicOperator):
            self.operator = LogicOperator(str(self.operator).lower())
        self.conditions = list(self.conditions)
        for cond in self.conditions:
            if not isinstance(cond, Filter | LogicCondition):
                raise QueryError(f"{cond!r} is not a Filter or a boolean condition")
        if self.operator is LogicOperator.NOT and len(self.conditions) != 1:
            raise QueryError("NOT takes exactly one condition")

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        return {
            self.operator.value: [c.to_dict() for c in self.conditions]
            if self.operator is not LogicOperator.NOT
            else self.conditions[0].to_dict()
        }


Condition = Union[Filter, LogicCondition]  # noqa: UP007 - used at runtime in isinstance docs


def And(*conditions: Condition) -> LogicCondition:
    """AND of the given conditions."""
    return LogicCondition(LogicOperator.AND, list(conditions))


def Or(*conditions: Condition) -> LogicCondition:
    """OR of the given conditions."""
    return LogicCondition(LogicOperator.OR, list(conditions))


def Not(condition: Condition) -> LogicCondition:
    """NOT of one condition (its exact complement: two-valued logic)."""
    return LogicCondition(LogicOperator.NOT, [condition])


def condition_from_dict(data: Mapping[str, Any]) -> Condition:
    """Inverse of ``Filter.to_dict`` / ``LogicCondition.to_dict``."""
    if "field" in data:
        op = data.get("operator", "EQ")
        operator = Operator[op] if isinstance(op, str) and op in Operator.__members__ else op
        return Filter(data["field"], operator, data.get("value"))
    if len(data) != 1:
        raise QueryError(f"cannot read a condition from {dict(data)!r}")
    (key, body), = data.items()
    logic = LogicOperator(key.lower())
    if logic is LogicOperator.NOT:
        return Not(condition_from_dict(body))
    return LogicCondition(logic, [condition_from_dict(c) for c in body])


@dataclass
class Query:
    """A query: conditions (AND-ed), sort keys, offset, limit and a field projection."""

    filters: list[Condition] = field(default_factory=list)
    sort_specs: list[SortSpec] = field(default_factory=list)
    limit_value: int | None = None
    offset_value: int | None = None
    fields: list[str] | None = None

    # -- builders (each returns self) ------------------------------------------------------
    def filter(self, field: str, operator: Operator | str = Operator.EQ, value: Any = None
               ) -> Query:
        """Add ``field operator value`` to the conditions (AND)."""
        self.filters.append(Filter(field, operator, value))  # type: ignore[arg-type]
        return self

    def where(self, condition: Condition) -> Query:
        """Add a ready-made condition (AND)."""
        if not isinstance(condition, Filter | LogicCondition):
            raise QueryError(f"{condition!r} is not a Filter or a boolean condition")
        self.filters.append(condition)
        return self

    def and_(self, *conditions: Condition) -> Query:
        """Add the AND of ``conditions``."""
        return self.where(And(*conditions))

    def or_(self, *conditions: Condition) -> Query:
        """Add the OR of ``conditions``."""
        return self.where(Or(*conditions))

    def not_(self, *conditions: Condition) -> Query:
        """Add NOT of the condition (NOT of their AND when several are given)."""
        inner = conditions[0] if len(conditions) == 1 else And(*conditions)
        return self.where(Not(inner))

    def sort(self, field: str, order: SortOrder | str = SortOrder.ASC) -> Query:
        """Add a sort key after the existing ones."""
        self.sort_specs.append(SortSpec(field, SortOrder(order)))
        return self

    def sort_by(self, field: str, order: SortOrder | str = SortOrder.ASC) -> Query:
        """Alias of ``sort``."""
        return self.sort(field, order)

    def limit(self, n: int | None) -> Query:
        """Return at most ``n`` records (None: no limit)."""
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise QueryError(f"limit must be a non-negative integer, got {n!r}")
        self.limit_value = n
        return self

    def offset(self, n: int | None) -> Query:
        """Skip the first ``n`` records of the sorted result."""
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise QueryError(f"offset must be a non-negative integer, got {n!r}")
        self.offset_value = n
        return self

    def select(self, *fields: str) -> Query:
        """Project the result onto these (dotted) fields; no arguments: all fields."""
        flat: list[str] = []
        for f in fields:
            if isinstance(f, list | tuple):
                flat.extend(f)
            else:
                flat.append(f)
        for f in flat:
            check_path(f)
        self.fields = flat or None
        return self

    def clear_filters(self) -> Query:
        """Remove every condition."""
        self.filters = []
        return self

    def clear_sort(self) -> Query:
        """Remove every sort key."""
        self.sort_specs = []
        return self

    # -- reading ---------------------------------------------------------------------------
    @property
    def condition(self) -> Condition | None:
        """All conditions as one (None when there are none)."""
        if not self.filters:
            return None
        if len(self.filters) == 1:
            return self.filters[0]
        return And(*self.filters)

    def copy(self) -> Query:
        """A deep copy."""
        return _copy.deepcopy(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (operands as given)."""
        out: dict[str, Any] = {"filters": [c.to_dict() for c in self.filters]}
        if self.sort_specs:
            out["sort"] = [s.to_dict() for s in self.sort_specs]
        if self.limit_value is not None:
            out["limit"] = self.limit_value
        if self.offset_value is not None:
            out["offset"] = self.offset_value
        if self.fields is not None:
            out["fields"] = list(self.fields)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Query:
        """Inverse of ``to_dict``."""
        unknown = set(data) - {"filters", "sort", "limit", "offset", "fields"}
        if unknown:
            raise QueryError(f"unknown query keys: {sorted(unknown)}")
        q = cls([condition_from_dict(c) for c in data.get("filters", [])])
        for spec in data.get("sort", []):
            q.sort(spec["field"], spec.get("order", "asc"))
        q.limit(data.get("limit"))
        q.offset(data.get("offset"))
        if data.get("fields"):
            q.select(*data["fields"])
        return q
