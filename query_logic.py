"""``dataknobs_data.query_logic``: boolean queries under dataknobs-data 0.11's module path.

``ComplexQuery``, ``LogicCondition``, ``LogicOperator`` and ``Condition`` are the domain's
own (:mod:`dataknobs_data.domain.query`); ``FilterCondition`` and ``QueryBuilder`` are thin
builders over them, so what they build is an ordinary query that every adapter runs (see
docs/compatibility.md)::

    from dataknobs_data.query_logic import QueryBuilder

    query = (QueryBuilder()
             .or_(QueryBuilder().where("age", ">", 30).where("city", "=", "Oslo"),
                  QueryBuilder().where("age", "<", 30).where("active", "=", True))
             .sort_by("name").limit(10)
             .build())
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from .domain import query as dq
from .domain.errors import QueryError
from .domain.query import ComplexQuery, Condition, Filter, LogicCondition, LogicOperator
from .domain.query import condition_from_dict as condition_from_dict


class FilterCondition(LogicCondition):
    """One filter as a boolean condition (0.11's wrapper): the AND of that filter alone, so
    it means exactly what the filter means wherever a condition is accepted."""

    def __init__(self, filter: Filter) -> None:
        if not isinstance(filter, Filter):
            raise QueryError(f"FilterCondition takes a Filter, got {filter!r}")
        super().__init__(LogicOperator.AND, [filter])

    @property
    def filter(self) -> Filter:
        """The wrapped filter."""
        only = self.conditions[0]
        assert isinstance(only, Filter)
        return only

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """A filter condition from ``{"type": "filter", "filter": {...}}`` or a filter's own
        dict form."""
        if not isinstance(data, Mapping):
            raise QueryError(f"a filter condition must be a mapping, got {data!r}")
        body = data.get("filter", data) if data.get("type", "filter") == "filter" else None
        if not isinstance(body, Mapping):
            raise QueryError(f"{dict(data)!r} is not a filter condition")
        return cls(Filter.from_dict(body))

    def __repr__(self) -> str:
        return f"FilterCondition({self.filter!r})"


def _parts(items: tuple[QueryBuilder | Condition, ...]) -> list[Condition]:
    """The conditions ``items`` stand for (an empty builder for none)."""
    roots = (item.root_condition if isinstance(item, QueryBuilder) else item for item in items)
    return dq.conditions_of(root for root in roots if root is not None)


class QueryBuilder:
    """Builds a ``ComplexQuery`` one condition at a time, as dataknobs-data 0.11 does.

    ``where`` and ``not_`` AND a condition onto what is built so far, ``and_`` ANDs its
    arguments, and ``or_`` ORs its arguments with what is built so far (``(built) OR a OR
    b``). Each argument may be a ``Filter``, a condition or another builder."""

    def __init__(self) -> None:
        self.root_condition: Condition | None = None
        self.sort_specs: list[dq.SortSpec] = []
        self.limit_value: int | None = None
        self.offset_value: int | None = None
        self.fields: list[str] | None = None

    def _and(self, parts: list[Condition]) -> Self:
        root = self.root_condition
        if root is None:
            self.root_condition = parts[0] if len(parts) == 1 else dq.And(*parts)
        elif isinstance(root, LogicCondition) and root.operator is LogicOperator.AND:
            self.root_condition = dq.And(*root.conditions, *parts)
        else:
            self.root_condition = dq.And(root, *parts)
        return self

    def where(self, field: str, operator: dq.Operator | str = dq.Operator.EQ, value: Any = None
              ) -> Self:
        """AND ``field operator value`` onto the condition."""
        return self._and([Filter(field, operator, value)])  # type: ignore[arg-type]

    def and_(self, *conditions: QueryBuilder | Condition) -> Self:
        """AND the conditions onto the condition (nothing for no arguments)."""
        parts = _parts(conditions)
        if not parts:
            if self.root_condition is None:
                self.root_condition = dq.And()  # 0.11: an empty AND, which every record holds
            return self
        return self._and(parts)

    def or_(self, *conditions: QueryBuilder | Condition) -> Self:
        """OR the conditions with the condition built so far."""
        parts = _parts(conditions)
        root = self.root_condition
        if root is None:
            self.root_condition = dq.Or(*parts)
        elif isinstance(root, LogicCondition) and root.operator is LogicOperator.OR:
            self.root_condition = dq.Or(*root.conditions, *parts)
        else:
            self.root_condition = dq.Or(root, *parts)
        return self

    def not_(self, condition: QueryBuilder | Condition) -> Self:
        """AND NOT ``condition`` onto the condition (NOT of an empty builder: every record,
        as in 0.11)."""
        parts = _parts((condition,))
        return self._and([dq.Not(parts[0] if parts else dq.Or())])

    def sort_by(self, field: str, order: str = "asc") -> Self:
        """Add a sort key (``order``: ``"asc"`` or ``"desc"``, any case)."""
        self.sort_specs.append(dq.SortSpec(field, dq.coerce_sort_order(order)))
        return self

    def limit(self, value: int) -> Self:
        """Return at most ``value`` records."""
        ComplexQuery().limit(value)  # the query's own check, with its error
        self.limit_value = value
        return self

    def offset(self, value: int) -> Self:
        """Skip the first ``value`` records."""
        ComplexQuery().offset(value)
        self.offset_value = value
        return self

    def select(self, *fields: str) -> Self:
        """Project the result onto these fields (none: all fields)."""
        self.fields = ComplexQuery().select(*fields).fields
        return self

    def build(self) -> ComplexQuery:
        """The query built so far (later calls on the builder do not change it)."""
        return ComplexQuery(self.root_condition, list(self.sort_specs), self.limit_value,
                            self.offset_value, self.fields)


__all__ = [
    "ComplexQuery",
    "Condition",
    "FilterCondition",
    "LogicCondition",
    "LogicOperator",
    "QueryBuilder",
    "condition_from_dict",
]
