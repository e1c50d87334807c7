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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Self, Union

from .errors import QueryError, SerializationError
from .operators import (
    ORDERING_OPERATORS,
    PATTERN_OPERATORS,
    Operator,
    coerce_operator,
    value_predicate,
)
from .records import check_path as check_path  # its home is domain.records
from .values import check_value, orderable_rank
from .vectors import DistanceMetric, VectorQuery


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


def coerce_sort_order(order: SortOrder | str) -> SortOrder:
    """The ``SortOrder`` a spelling names (``"asc"``, ``"DESC"``, ``"ascending"``, ``"+"``,
    ``"-"``); ``QueryError`` (a ``ValueError``) naming any other."""
    if isinstance(order, SortOrder):
        return order
    try:
        return SortOrder(order)
    except ValueError:
        raise QueryError(f"unknown sort order {order!r}; valid: asc, desc") from None


@dataclass(frozen=True)
class SortSpec:
    """One sort key: a (dotted) field and a direction. Missing and null sort last."""

    field: str
    order: SortOrder = SortOrder.ASC

    def __post_init__(self) -> None:
        check_path(self.field)
        if not isinstance(self.order, SortOrder):
            object.__setattr__(self, "order", coerce_sort_order(self.order))

    def to_dict(self) -> dict[str, str]:
        """Plain-dict form."""
        return {"field": self.field, "order": self.order.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SortSpec:
        """Inverse of ``to_dict`` (``order`` defaults to ascending)."""
        if not isinstance(data, Mapping) or "field" not in data:
            raise QueryError(f"a sort key needs a 'field': {data!r}")
        unknown = set(data) - {"field", "order"}
        if unknown:
            raise QueryError(f"unknown sort key entries: {sorted(unknown)}")
        return cls(data["field"], coerce_sort_order(data.get("order", SortOrder.ASC)))


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


#: The one path that names a record's storage key (``record.id``, the key ``create`` takes
#: and returns) rather than a data field, in filters and sort keys on every backend; a data
#: field named ``id`` is stored and read back as written but no query path reaches it
#: (docs/query-semantics.md, "The path id"). Nested paths (``id.x``) are data paths.
STORAGE_KEY = "id"
#: dataknobs-data 0.11's name of ``STORAGE_KEY``.
RESERVED_KEY_FIELD = STORAGE_KEY


def is_storage_key_field(path: str) -> bool:
    """Whether a filter or sort path addresses the record's storage key (``id``)."""
    return path == STORAGE_KEY


def reads_storage_key(condition: Condition) -> bool:
    """Whether some filter of a condition tree reads the path ``id``."""
    if isinstance(condition, Filter):
        return condition.field == STORAGE_KEY
    return any(reads_storage_key(c) for c in condition.conditions)



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
        op = coerce_operator(self.operator)
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
        """Plain-dict form (operand values as given, the operator by its value, ``">="``, as
        dataknobs-data 0.11 writes it; ``from_dict`` also reads names such as ``"GTE"``)."""
        return {"field": self.field, "operator": self.operator.value, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Filter:
        """Inverse of ``to_dict``: ``{"field", "operator", "value"}`` (the operator in any
        spelling ``coerce_operator`` reads, EQ when absent)."""
        cond = condition_from_dict(data)
        if not isinstance(cond, Filter):
            raise QueryError(f"{dict(data)!r} is a boolean condition, not a filter")
        return cond


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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogicCondition:
        """Inverse of ``to_dict``; also reads dataknobs-data 0.11's form
        (``{"type": "logic", "operator": "and", "conditions": [...]}``)."""
        cond = condition_from_dict(data)
        if not isinstance(cond, LogicCondition):
            raise QueryError(f"{dict(data)!r} is a filter, not a boolean condition")
        return cond

    def matches(self, record: Any) -> bool:
        """Whether a ``Record`` (or a record's data dict) satisfies this condition, with the
        reference semantics (``domain.matcher``)."""
        return evaluate(record, self)


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
    """Inverse of ``Filter.to_dict`` / ``LogicCondition.to_dict``.

    Also reads dataknobs-data 0.11's tagged form: ``{"type": "filter", "filter": {...}}`` and
    ``{"type": "logic", "operator": "and" | "or" | "not", "conditions": [...]}``, where a NOT
    of several conditions means that none holds (NOT of their OR)."""
    if not isinstance(data, Mapping):
        raise QueryError(f"a condition must be a mapping, got {data!r}")
    if "type" in data:
        return _tagged_condition(data)
    if "field" in data:
        return Filter(data["field"], data.get("operator", Operator.EQ), data.get("value"))
    if len(data) != 1:
        raise QueryError(f"cannot read a condition from {dict(data)!r}")
    (key, body), = data.items()
    logic = _logic_operator(key)
    if logic is LogicOperator.NOT:
        return Not(condition_from_dict(body))
    if isinstance(body, str | bytes | Mapping) or not isinstance(body, Iterable):
        raise QueryError(f"{key!r} takes a list of conditions, got {body!r}")
    return LogicCondition(logic, [condition_from_dict(c) for c in body])


def _logic_operator(key: object) -> LogicOperator:
    try:
        return LogicOperator(str(key).lower())
    except ValueError:
        raise QueryError(f"unknown boolean operator {key!r}; valid: and, or, not") from None


def _tagged_condition(data: Mapping[str, Any]) -> Condition:
    kind = data["type"]
    if kind == "filter":
        return condition_from_dict(data.get("filter", {}))
    if kind != "logic":
        raise QueryError(f"unknown condition type {kind!r}; valid: filter, logic")
    body = data.get("conditions", [])
    if isinstance(body, str | bytes | Mapping) or not isinstance(body, Iterable):
        raise QueryError(f"'conditions' must be a list, got {body!r}")
    parts = [condition_from_dict(c) for c in body]
    logic = _logic_operator(data.get("operator"))
    if logic is LogicOperator.NOT:
        return Not(parts[0] if len(parts) == 1 else Or(*parts))
    return LogicCondition(logic, parts)


RecordEvaluator = Callable[[Any, "Condition | None"], bool]
_evaluator: list[RecordEvaluator] = []


def install_evaluator(evaluator: RecordEvaluator) -> None:
    """Set how ``matches`` methods evaluate a condition over one record.

    ``domain.matcher`` installs its reference evaluator when it is imported (it builds on
    this module, so this module cannot import it)."""
    _evaluator[:] = [evaluator]


def evaluate(record: Any, condition: Condition | None) -> bool:
    """Whether a ``Record`` or data dict satisfies ``condition`` (None: every record)."""
    if not _evaluator:  # pragma: no cover - importing the domain package installs it
        raise QueryError("no query evaluator installed: import dataknobs_data.domain")
    return _evaluator[0](record, condition)


@dataclass
class Query:
    """A query: conditions (AND-ed), sort keys, offset, limit and a field projection."""

    filters: list[Condition] = field(default_factory=list)
    sort_specs: list[SortSpec] = field(default_factory=list)
    limit_value: int | None = None
    offset_value: int | None = None
    fields: list[str] | None = None
    vector_query: VectorQuery | None = None

    # -- builders (each returns self) ------------------------------------------------------
    def filter(self, field: str, operator: Operator | str = Operator.EQ, value: Any = None
               ) -> Self:
        """Add ``field operator value`` to the conditions (AND)."""
        self.filters.append(Filter(field, operator, value))  # type: ignore[arg-type]
        return self

    def where(self, condition: Condition) -> Self:
        """Add a ready-made condition (AND)."""
        if not isinstance(condition, Filter | LogicCondition):
            raise QueryError(f"{condition!r} is not a Filter or a boolean condition")
        self.filters.append(condition)
        return self

    def and_(self, *conditions: Condition | Query) -> Self:
        """Add the AND of ``conditions`` (a ``Query`` among them stands for its own
        conditions) to this query, and return it."""
        return self.where(And(*conditions_of(conditions)))

    def or_(self, *conditions: Condition | Query) -> ComplexQuery:
        """A new query: this one's conditions AND the OR of ``conditions`` (a ``Query``
        among them stands for the AND of its conditions, an empty one for nothing). Without
        conditions it asks what this query asks. This query is left unchanged."""
        out = ComplexQuery.of(self)
        parts = conditions_of(conditions)
        if parts:
            out.where(parts[0] if len(parts) == 1 else Or(*parts))
        return out

    def not_(self, *conditions: Condition | Query) -> ComplexQuery:
        """A new query: this one's conditions AND NOT the condition (NOT of their AND when
        several are given). This query is left unchanged."""
        parts = conditions_of(conditions)
        if not parts:
            raise QueryError("not_() needs a condition to negate")
        return ComplexQuery.of(self).where(Not(parts[0] if len(parts) == 1 else And(*parts)))

    def sort(self, field: str, order: SortOrder | str = SortOrder.ASC) -> Self:
        """Add a sort key after the existing ones."""
        self.sort_specs.append(SortSpec(field, coerce_sort_order(order)))
        return self

    def sort_by(self, field: str, order: SortOrder | str = SortOrder.ASC) -> Self:
        """Alias of ``sort``."""
        return self.sort(field, order)

    def limit(self, n: int | None) -> Self:
        """Return at most ``n`` records (None: no limit)."""
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise QueryError(f"limit must be a non-negative integer, got {n!r}")
        self.limit_value = n
        return self

    def offset(self, n: int | None) -> Self:
        """Skip the first ``n`` records of the sorted result."""
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            raise QueryError(f"offset must be a non-negative integer, got {n!r}")
        self.offset_value = n
        return self

    def set_limit(self, n: int | None) -> Self:
        """Alias of ``limit`` (dataknobs-data 0.11's name)."""
        return self.limit(n)

    def set_offset(self, n: int | None) -> Self:
        """Alias of ``offset`` (dataknobs-data 0.11's name)."""
        return self.offset(n)

    @property
    def limit_property(self) -> int | None:
        """``limit_value`` (dataknobs-data 0.11's read-only name)."""
        return self.limit_value

    @property
    def offset_property(self) -> int | None:
        """``offset_value`` (dataknobs-data 0.11's read-only name)."""
        return self.offset_value

    @property
    def sort_property(self) -> list[SortSpec]:
        """``sort_specs`` (dataknobs-data 0.11's read-only name)."""
        return self.sort_specs

    def select(self, *fields: str | list[str] | tuple[str, ...]) -> Self:
        """Project the result onto these (dotted) fields, given one by one or as a list; no
        arguments: all fields."""
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

    def similar_to(self, vector: Any, field: str = "embedding", k: int = 10,
                   metric: DistanceMetric | str | None = None, include_source: bool = True,
                   score_threshold: float | None = None) -> Self:
        """Ask for the ``k`` records nearest to ``vector`` (a sequence of numbers or a 1-D
        numpy array) on ``field``, among those the filters match, ranked by ``metric``
        (None: the schema's declared metric, else cosine), ties by id; with
        ``score_threshold`` only hits scoring at least that. Sets the limit to ``k``, as
        dataknobs-data 0.11 does; ``include_source`` is accepted for compatibility
        (``vector_search`` results carry the record itself). See docs/vectors.md."""
        del include_source
        self.vector_query = VectorQuery(vector, field, k,
                                        metric,  # type: ignore[arg-type]
                                        score_threshold)
        self.limit_value = k
        return self

    def clear_vector(self) -> Self:
        """Remove the nearest-neighbour part of the query."""
        self.vector_query = None
        return self

    def clear_filters(self) -> Self:
        """Remove every condition."""
        self.filters = []
        return self

    def clear_sort(self) -> Self:
        """Remove every sort key."""
        self.sort_specs = []
        return self

    # -- reading ---------------------------------------------------------------------------
    @property
    def condition(self) -> Condition | None:
        """All conditions as one (None when there are none)."""
        return _root_of(self.filters)

    def copy(self) -> Self:
        """A deep copy."""
        return _copy.deepcopy(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (operands as given): ``filters`` and ``sort`` always, ``limit``,
        ``offset`` and ``fields`` when set."""
        return {"filters": [c.to_dict() for c in self.filters],
                "sort": [s.to_dict() for s in self.sort_specs], **self._paging_dict()}

    def _paging_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.limit_value is not None:
            out["limit"] = self.limit_value
        if self.offset_value is not None:
            out["offset"] = self.offset_value
        if self.fields is not None:
            out["fields"] = list(self.fields)
        if self.vector_query is not None:
            out["similar_to"] = self.vector_query.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of ``to_dict`` (and of ``ComplexQuery.to_dict``: a ``condition`` is AND-ed
        with the ``filters``); an unknown key is a ``QueryError`` naming it."""
        if not isinstance(data, Mapping):
            raise QueryError(f"a query must be a mapping, got {data!r}")
        unknown = set(data) - {"filters", "condition", "sort", "limit", "offset", "fields",
                               "similar_to"}
        if unknown:
            raise QueryError(f"unknown query keys: {sorted(unknown)}")
        q = cls()
        for cond in data.get("filters") or []:
            q.where(condition_from_dict(cond))
        if data.get("condition") is not None:
            q.filters.extend(_conjuncts(condition_from_dict(data["condition"])))
        q.sort_specs = [SortSpec.from_dict(spec) for spec in data.get("sort") or []]
        q.limit(data.get("limit"))
        q.offset(data.get("offset"))
        if data.get("fields"):
            q.select(*data["fields"])
        if data.get("similar_to") is not None:
            q.vector_query = VectorQuery.from_dict(data["similar_to"])
        return q


def _conjuncts(condition: Condition) -> list[Condition]:
    """The conditions a plain AND stands for (its own), or the condition alone."""
    if type(condition) is LogicCondition and condition.operator is LogicOperator.AND:
        return list(condition.conditions)
    return [condition]


def _root_of(conditions: list[Condition]) -> Condition | None:
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return And(*conditions)


def conditions_of(items: Iterable[Condition | Query]) -> list[Condition]:
    """The conditions ``items`` stand for: a condition itself, a ``Query`` the AND of its
    conditions (an empty query none); anything else is a ``QueryError`` naming it."""
    out: list[Condition] = []
    for item in items:
        if isinstance(item, Query):
            if item.condition is not None:
                out.append(item.condition)
        elif isinstance(item, Filter | LogicCondition):
            out.append(item)
        else:
            raise QueryError(f"{item!r} is not a Filter, a boolean condition or a Query")
    return out


class ComplexQuery(Query):
    """A query with one boolean condition at its root, as dataknobs-data 0.11 names it.

    It is a ``Query`` whose conditions are that one condition, so every adapter runs it
    exactly as it runs any query; ``Query.or_`` and ``Query.not_`` return one, and so does
    ``QueryBuilder.build``::

        q = ComplexQuery(Filter("age", Operator.GT, 30) | Filter("vip", Operator.EQ, True))
        q.condition          # the root condition (None: every record)
    """

    def __init__(self, condition: Condition | None = None,
                 sort_specs: Iterable[SortSpec] | None = None, limit_value: int | None = None,
                 offset_value: int | None = None, fields: Iterable[str] | None = None) -> None:
        super().__init__()
        self.condition = condition
        for spec in sort_specs or []:
            if not isinstance(spec, SortSpec):
                raise QueryError(f"{spec!r} is not a SortSpec")
            self.sort_specs.append(spec)
        self.limit(limit_value)
        self.offset(offset_value)
        if fields:
            self.select(*fields)

    @classmethod
    def of(cls, query: Query) -> ComplexQuery:
        """A new query asking what ``query`` asks (its conditions, sort, paging, fields)."""
        out = cls(None, query.sort_specs, query.limit_value, query.offset_value, query.fields)
        out.filters = list(query.filters)
        out.vector_query = query.vector_query
        return out

    @property
    def condition(self) -> Condition | None:
        """The root condition: all conditions as one (None when there are none)."""
        return _root_of(self.filters)

    @condition.setter
    def condition(self, condition: Condition | None) -> None:
        self.filters = []
        if condition is not None:
            self.where(condition)  # checks it
            self.filters = _conjuncts(condition)

    @classmethod
    def AND(cls, queries: Iterable[Query]) -> ComplexQuery:
        """The query matching what every one of ``queries`` matches."""
        return cls(And(*conditions_of(queries)))

    @classmethod
    def OR(cls, queries: Iterable[Query]) -> ComplexQuery:
        """The query matching what any one of ``queries`` matches."""
        return cls(Or(*conditions_of(queries)))

    def matches(self, record: Any) -> bool:
        """Whether a ``Record`` (or a record's data dict) satisfies the condition."""
        return evaluate(record, self.condition)

    def to_simple_query(self) -> Query:
        """The same query as a plain ``Query`` of AND-ed filters; ``QueryError`` (a
        ``ValueError``) when the condition holds an OR or a NOT."""
        filters: list[Condition] = []
        for cond in self.filters:
            while isinstance(cond, LogicCondition) and cond.operator is LogicOperator.AND \
                    and len(cond.conditions) == 1:
                cond = cond.conditions[0]
            if isinstance(cond, LogicCondition) and cond.operator is LogicOperator.AND \
                    and all(isinstance(c, Filter) for c in cond.conditions):
                filters.extend(cond.conditions)
            elif isinstance(cond, Filter):
                filters.append(cond)
            else:
                raise QueryError("cannot convert complex boolean logic to a simple Query")
        return Query(filters, list(self.sort_specs), self.limit_value, self.offset_value,
                     list(self.fields) if self.fields is not None else None,
                     self.vector_query)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form: ``condition`` (when there is one), ``sort`` (when there are sort
        keys), ``limit``, ``offset`` and ``fields`` when set."""
        out: dict[str, Any] = {}
        if self.condition is not None:
            out["condition"] = self.condition.to_dict()
        if self.sort_specs:
            out["sort"] = [s.to_dict() for s in self.sort_specs]
        return {**out, **self._paging_dict()}


