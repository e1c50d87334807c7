"""The reference query semantics, compiled to Python functions.

``compile_condition`` turns a filter tree into one predicate over a record's data dict, once
per query; ``apply_query`` filters, sorts, pages and projects. The memory adapter uses these
directly, and any adapter may reuse them to post-filter (the S3 adapter does). Every rule here
is specified, with examples, in docs/query-semantics.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from .errors import QueryError
from .query import Condition, Filter, LogicOperator, Operator, Query, SortOrder
from .records import Record, lookup, split_path
from .values import (
    MISSING,
    RANK_BOOL,
    RANK_DATETIME,
    RANK_NUMBER,
    RANK_STRING,
    as_instant,
    hash_key,
    sort_key,
    type_rank,
    values_equal,
)

ValuePredicate = Callable[[Any], bool]
RecordPredicate = Callable[[dict[str, Any]], bool]


def like_to_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a SQL LIKE pattern: ``%`` any run, ``_`` one character, ``\\`` escapes."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(out), flags)


def _eq_predicate(x: Any) -> ValuePredicate:
    rank = type_rank(x)
    if rank == RANK_NUMBER:
        return lambda v: (type(v) is int or type(v) is float) and v == x
    if rank == RANK_STRING:
        return lambda v: type(v) is str and v == x
    if rank == RANK_BOOL:
        return lambda v: type(v) is bool and v == x
    if rank == RANK_DATETIME:
        xi = as_instant(x)
        return lambda v: type(v) is datetime and as_instant(v) == xi
    return lambda v: v is not MISSING and v is not None and values_equal(v, x)


def _ordering_predicate(op: Operator, x: Any) -> ValuePredicate:
    rank = type_rank(x)
    if rank == RANK_DATETIME:
        xi = as_instant(x)
        if op is Operator.GT:
            return lambda v: type(v) is datetime and as_instant(v) > xi
        if op is Operator.GTE:
            return lambda v: type(v) is datetime and as_instant(v) >= xi
        if op is Operator.LT:
            return lambda v: type(v) is datetime and as_instant(v) < xi
        return lambda v: type(v) is datetime and as_instant(v) <= xi
    if rank == RANK_NUMBER:
        if op is Operator.GT:
            return lambda v: (type(v) is int or type(v) is float) and v > x
        if op is Operator.GTE:
            return lambda v: (type(v) is int or type(v) is float) and v >= x
        if op is Operator.LT:
            return lambda v: (type(v) is int or type(v) is float) and v < x
        return lambda v: (type(v) is int or type(v) is float) and v <= x
    if op is Operator.GT:
        return lambda v: type(v) is str and v > x
    if op is Operator.GTE:
        return lambda v: type(v) is str and v >= x
    if op is Operator.LT:
        return lambda v: type(v) is str and v < x
    return lambda v: type(v) is str and v <= x


def _in_predicate(items: Sequence[Any]) -> ValuePredicate:
    keys: set[Any] = set()
    structured: list[Any] = []
    for item in items:
        key = hash_key(item)
        if key is None:
            structured.append(item)
        else:
            keys.add(key)
    strings = {k[1] for k in keys if k[0] == RANK_STRING}
    numbers = {k[1] for k in keys if k[0] == RANK_NUMBER}
    bools = {k[1] for k in keys if k[0] == RANK_BOOL}
    instants = {k[1] for k in keys if k[0] == RANK_DATETIME}

    def pred(v: Any) -> bool:
        t = type(v)
        if t is str:
            return v in strings
        if t is int or t is float:
            return v in numbers
        if t is bool:
            return v in bools
        if t is datetime:
            return as_instant(v) in instants
        if v is MISSING or v is None:
            return False
        return any(values_equal(v, s) for s in structured)

    return pred


def _between_predicate(low: Any, high: Any) -> ValuePredicate:
    rank = type_rank(low)
    if rank == RANK_DATETIME:
        lo, hi = as_instant(low), as_instant(high)
        return lambda v: type(v) is datetime and lo <= as_instant(v) <= hi
    if rank == RANK_NUMBER:
        return lambda v: (type(v) is int or type(v) is float) and low <= v <= high
    return lambda v: type(v) is str and low <= v <= high


def value_predicate(f: Filter) -> ValuePredicate:
    """A predicate over one looked-up value (``MISSING`` when the field is absent)."""
    op, x = f.operator, f.value
    pred: ValuePredicate
    if op is Operator.EXISTS:
        return lambda v: v is not MISSING and v is not None
    if op is Operator.NOT_EXISTS:
        return lambda v: v is MISSING or v is None
    if op.negated:
        positive = value_predicate(Filter(f.field, op.positive, x))
        return lambda v: v is not MISSING and v is not None and not positive(v)
    if op is Operator.EQ:
        pred = _eq_predicate(x)
    elif op in (Operator.GT, Operator.GTE, Operator.LT, Operator.LTE):
        pred = _ordering_predicate(op, x)
    elif op is Operator.IN:
        pred = _in_predicate(x)
    elif op is Operator.BETWEEN:
        pred = _between_predicate(x[0], x[1])
    elif op in (Operator.LIKE, Operator.ILIKE):
        rx = like_to_regex(x, ignore_case=op is Operator.ILIKE)
        fullmatch = rx.fullmatch
        pred = lambda v: type(v) is str and fullmatch(v) is not None  # noqa: E731
    elif op is Operator.REGEX:
        search = re.compile(x, re.DOTALL).search
        pred = lambda v: type(v) is str and search(v) is not None  # noqa: E731
    elif op is Operator.STARTS_WITH:
        pred = lambda v: type(v) is str and v.startswith(x)  # noqa: E731
    else:  # pragma: no cover - every operator is handled above
        raise QueryError(f"operator {op.name} has no reference semantics")
    return pred


def _getter(path: str) -> Callable[[dict[str, Any]], Any]:
    if "." not in path:
        return lambda data: data.get(path, MISSING)
    segments = split_path(path)
    return lambda data: lookup(data, segments)


def compile_condition(condition: Condition | None) -> RecordPredicate:
    """One predicate over a record's data dict for a whole condition tree."""
    if condition is None:
        return lambda data: True
    if isinstance(condition, Filter):
        pred = value_predicate(condition)
        path = condition.field
        if "." not in path:
            return lambda data: pred(data.get(path, MISSING))
        segments = split_path(path)
        return lambda data: pred(lookup(data, segments))
    parts = [compile_condition(c) for c in condition.conditions]
    if condition.operator is LogicOperator.NOT:
        inner = parts[0]
        return lambda data: not inner(data)
    if condition.operator is LogicOperator.AND:
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 2:
            a, b = parts
            return lambda data: a(data) and b(data)
        return lambda data: all(p(data) for p in parts)
    if len(parts) == 1:
        return parts[0]
    return lambda data: any(p(data) for p in parts)


def compile_query(query: Query | None) -> RecordPredicate:
    """The predicate of a query's conditions."""
    return compile_condition(query.condition if query is not None else None)


def matches(record: Record | dict[str, Any], query: Query | Condition | None) -> bool:
    """Whether one record satisfies a query or condition (uncompiled convenience)."""
    data = record.data if isinstance(record, Record) else record
    if isinstance(query, Query) or query is None:
        return compile_query(query)(data)
    return compile_condition(query)(data)


def _sort_value_key(getter: Callable[[dict[str, Any]], Any], descending: bool
                    ) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    # Missing and null last in both directions: with reverse=True the larger flag comes first.
    present, absent = (1, 0) if descending else (0, 1)

    def key(data: dict[str, Any]) -> tuple[Any, ...]:
        v = getter(data)
        if v is MISSING or v is None:
            return (absent,)
        t = type(v)
        if t is int or t is float:
            return (present, RANK_NUMBER, v)
        if t is str:
            return (present, RANK_STRING, v)
        return (present, *sort_key(v))

    return key


def sort_pairs(pairs: list[tuple[str, dict[str, Any]]], query: Query | None) -> None:
    """Sort (id, data) pairs in place by the query's sort keys, ties broken by id ascending.

    Without sort keys the order is by id, so paging is stable on every backend."""
    pairs.sort(key=lambda p: p[0])
    if query is None:
        return
    for spec in reversed(query.sort_specs):
        descending = spec.order is SortOrder.DESC
        key = _sort_value_key(_getter(spec.field), descending)
        pairs.sort(key=lambda p, key=key: key(p[1]), reverse=descending)  # type: ignore[misc]


def page(items: list[Any], query: Query | None) -> list[Any]:
    """Apply the query's offset and limit."""
    if query is None:
        return items
    start = query.offset_value or 0
    if query.limit_value is None:
        return items[start:] if start else items
    return items[start : start + query.limit_value]


def apply_query(records: Iterable[Record], query: Query | None) -> list[Record]:
    """Filter, sort, page and project records with the reference semantics.

    Returns the input Record objects themselves (projected ones are new records); callers
    that hand results out copy them."""
    pred = compile_query(query)
    by_id: dict[str, Record] = {}
    pairs: list[tuple[str, dict[str, Any]]] = []
    for rec in records:
        rid = rec.id or ""
        if pred(rec.data):
            by_id[rid] = rec
            pairs.append((rid, rec.data))
    sort_pairs(pairs, query)
    chosen = [by_id[rid] for rid, _ in page(pairs, query)]
    if query is not None and query.fields:
        return [r.project(query.fields) for r in chosen]
    return chosen

