"""The reference query semantics, compiled to Python functions.

``compiled(condition)`` turns a filter tree into generated Python code, once per distinct
condition: a predicate over one record's data dict (and id), a scan and a count over many.
The path ``id`` (``STORAGE_KEY``) names the record's id, never a data field.
``order_matches`` sorts and windows matches (ties by id), ``page`` applies offset and
limit, and ``apply_query`` does all of it for a list of records. The memory adapter uses
these directly, and any adapter may reuse them to post-filter. Every rule here is
specified, with examples, in docs/query-semantics.md; ``sort_pairs`` is the plain statement
of the order that ``order_matches`` reproduces faster.
"""

from __future__ import annotations

import heapq
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from . import query as _query
from .operators import value_predicate
from .query import (
    STORAGE_KEY,
    Condition,
    Filter,
    LogicOperator,
    Operator,
    Query,
    SortOrder,
    SortSpec,
    reads_storage_key,
)
from .records import Record, lookup, split_path
from .values import (
    MISSING,
    RANK_BOOL,
    RANK_NUMBER,
    RANK_STRING,
    as_instant,
    sort_key,
    type_rank,
)


class RecordPredicate(Protocol):
    """A compiled condition over one record: its data dict and its id (``None``: the record
    has no id, so the path ``id`` has no value)."""

    def __call__(self, data: dict[str, Any], rid: str | None = None, /) -> bool: ...


Row = tuple[str, dict[str, Any]]


def _row_getter(path: str) -> Callable[[Row], Any]:
    """The value a sort key reads from an (id, data) row: the id for ``id``."""
    if path == STORAGE_KEY:
        return _FIRST
    if "." not in path:
        return lambda row: row[1].get(path, MISSING)
    segments = split_path(path)
    return lambda row: lookup(row[1], segments)


class _Codegen:
    """Translates a condition tree into one Python expression over ``data``.

    Running one generated expression per record, instead of a tree of closures, is what
    keeps a memory scan close to a hand-written comprehension. Each filter becomes an
    inline type check and comparison (``v.__class__ is str and v >= c``); operators whose
    work is heavier anyway (IN, LIKE, REGEX, structured EQ) call their ``value_predicate``.
    Constants are passed in as closure variables, never spliced into the source."""

    def __init__(self) -> None:
        self.consts: dict[str, Any] = {"M": MISSING, "L": lookup, "AI": as_instant,
                                       "datetime": datetime}
        self._vars = 0

    def const(self, value: Any) -> str:
        name = f"c{len(self.consts)}"
        self.consts[name] = value
        return name

    def var(self) -> str:
        self._vars += 1
        return f"v{self._vars}"

    def getter(self, path: str) -> str:
        """The expression reading a path: ``rid`` (the record id) for ``id``, ``data.get(key)``
        for another top-level field (missing reads as None), ``L(data, segments)`` for a
        nested one (missing reads as MISSING)."""
        if path == STORAGE_KEY:
            return "rid"
        if "." not in path:
            return f"data.get({self.const(path)})"
        return f"L(data, {self.const(split_path(path))})"

    def expression(self, condition: Condition) -> str:
        if isinstance(condition, Filter):
            return self.filter(condition)
        parts = [self.expression(c) for c in condition.conditions]
        if condition.operator is LogicOperator.NOT:
            return f"(not {parts[0]})"
        if condition.operator is LogicOperator.AND:
            return "(" + " and ".join(parts) + ")" if parts else "True"
        return "(" + " or ".join(parts) + ")" if parts else "False"

    def filter(self, f: Filter) -> str:
        op = f.operator
        v = self.var()
        bind = f"({v} := {self.getter(f.field)})"
        # "has no value": missing or null (a nested path reads missing as MISSING)
        absent = f"({bind} is None)" if "." not in f.field else f"({bind} is M or {v} is None)"
        if op is Operator.EXISTS:
            return f"(not {absent})"
        if op is Operator.NOT_EXISTS:
            return absent
        if op.negated:
            positive = self.positive(Filter(f.field, op.positive, f.value), v, v)
            return f"(not {absent} and not {positive})"
        return self.positive(f, bind, v)

    def positive(self, f: Filter, first: str, v: str) -> str:
        """An expression true when the value satisfies ``f`` (a positive operator) and false
        for None and MISSING; ``first`` is how the value is read at its first use (it may
        bind ``v``), ``v`` how it is read after."""
        op, x = f.operator, f.value
        rank = type_rank(x) if op is Operator.EQ or op in _ORDERING else None
        if op is Operator.EQ and rank == RANK_STRING:
            return f"({first} == {self.const(x)})"
        if op is Operator.EQ and rank == RANK_BOOL:
            return f"({first} is {self.const(bool(x))})"
        if op is Operator.EQ and rank == RANK_NUMBER:
            # equal numbers, but True == 1 in Python: booleans are not numbers here
            return f"({first} == {self.const(x)} and {v}.__class__ is not bool)"
        if op in _ORDERING and rank in (RANK_NUMBER, RANK_STRING):
            check = _CLASS_CHECK[rank].format(first=first, v=v)
            return f"({check} and {v} {_ORDERING[op]} {self.const(x)})"
        if op is Operator.BETWEEN and type_rank(x[0]) in (RANK_NUMBER, RANK_STRING):
            check = _CLASS_CHECK[type_rank(x[0])].format(first=first, v=v)
            low, high = self.const(x[0]), self.const(x[1])
            return f"({check} and {low} <= {v} <= {high})"
        if op is Operator.STARTS_WITH:
            return f"({first}.__class__ is str and {v}.startswith({self.const(x)}))"
        # everything else: the closure of ``value_predicate`` (false for None and MISSING)
        return f"{self.const(value_predicate(f.operator, f.value))}({first})"


_ORDERING = {Operator.GT: ">", Operator.GTE: ">=", Operator.LT: "<", Operator.LTE: "<="}
_CLASS_CHECK = {RANK_NUMBER: "({first}.__class__ is int or {v}.__class__ is float)",
                RANK_STRING: "{first}.__class__ is str"}

_PROGRAM = """\
def _make({params}):
    def predicate(data, rid=None, /):
        return {expr}

    def scan(rows, rid=None):
        return [data for data in rows if {expr}]

    def scan_with_ids(ids, rows):
        return [data for rid, data in zip(ids, rows) if {expr}]

    def scan_ids(ids, rows):
        return [rid for rid, data in zip(ids, rows) if {expr}]

    def count(rows, rid=None):
        n = 0
        for data in rows:
            if {expr}:
                n += 1
        return n

    def count_with_ids(ids, rows):
        n = 0
        for rid, data in zip(ids, rows):
            if {expr}:
                n += 1
        return n

    return predicate, scan, scan_with_ids, scan_ids, count, count_with_ids
"""


class CompiledCondition:
    """A condition compiled once into Python functions over data dicts.

    ``predicate(data, rid)`` tests one record's data and id; ``scan(rows)`` returns the data
    dicts of an iterable that match, in input order; ``count(rows)`` counts them. Those two
    see no ids: when ``reads_id`` (the condition reads the path ``id``) use
    ``scan_with_ids(ids, rows)`` and ``count_with_ids(ids, rows)``, which take the ids as
    the parallel iterable ``ids``; ``scan_ids(ids, rows)`` returns the ids of the rows that
    match. ``source`` is the generated code (for debugging). ``compiled(condition)`` caches
    these per condition."""

    __slots__ = ("count", "count_with_ids", "predicate", "reads_id", "scan", "scan_ids",
                 "scan_with_ids", "source")

    def __init__(self, condition: Condition | None) -> None:
        gen = _Codegen()
        expr = "True" if condition is None else gen.expression(condition)
        self.reads_id = condition is not None and reads_storage_key(condition)
        self.source = _PROGRAM.format(params=", ".join(gen.consts), expr=expr)
        namespace: dict[str, Any] = {}
        exec(compile(self.source, "<dataknobs query>", "exec"), namespace)
        self.predicate: RecordPredicate
        self.scan: Callable[[Iterable[dict[str, Any]]], list[dict[str, Any]]]
        self.scan_with_ids: Callable[[Iterable[Any], Iterable[dict[str, Any]]],
                                     list[dict[str, Any]]]
        self.scan_ids: Callable[[Iterable[Any], Iterable[dict[str, Any]]], list[Any]]
        self.count: Callable[[Iterable[dict[str, Any]]], int]
        self.count_with_ids: Callable[[Iterable[Any], Iterable[dict[str, Any]]], int]
        (self.predicate, self.scan, self.scan_with_ids, self.scan_ids, self.count,
         self.count_with_ids) = namespace["_make"](**gen.consts)


_COMPILED: dict[Any, CompiledCondition] = {}
_COMPILED_MAX = 512


def _value_key(value: Any) -> Any:
    # type-tagged, so 1, 1.0 and True (equal in Python) never share a compiled program
    t = type(value)
    if t is list or t is tuple:
        return (list, tuple(_value_key(v) for v in value))
    if t is dict:
        return (dict, tuple((k, _value_key(v)) for k, v in value.items()))
    if t is datetime:
        return (datetime, value, value.utcoffset())
    return (t, value)


def _condition_key(condition: Condition) -> Any:
    if isinstance(condition, Filter):
        return (condition.field, condition.operator, _value_key(condition.value))
    return (condition.operator, tuple(_condition_key(c) for c in condition.conditions))


def compiled(condition: Condition | None) -> CompiledCondition:
    """The compiled form of ``condition``, cached (repeated queries skip code generation)."""
    key = None if condition is None else _condition_key(condition)
    program = _COMPILED.get(key)
    if program is None:
        program = CompiledCondition(condition)
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        _COMPILED[key] = program
    return program


def compile_condition(condition: Condition | None) -> RecordPredicate:
    """One predicate over a record's data dict and id, ``predicate(data, rid)``, for a whole
    condition tree (the path ``id`` reads ``rid``)."""
    return compiled(condition).predicate


def compile_query(query: Query | None) -> RecordPredicate:
    """The predicate of a query's conditions."""
    return compile_condition(query.condition if query is not None else None)


def matches(record: Record | dict[str, Any], query: Query | Condition | None) -> bool:
    """Whether one record satisfies a query or condition (uncompiled convenience). A bare
    data dict has no id: the path ``id`` has no value there."""
    data, rid = (record.data, record.id) if isinstance(record, Record) else (record, None)
    if isinstance(query, Query) or query is None:
        return compile_query(query)(data, rid)
    return compile_condition(query)(data, rid)


_query.install_evaluator(matches)  # the ``matches`` methods of conditions and queries run this


def _sort_value_key(getter: Callable[[Row], Any], descending: bool
                    ) -> Callable[[Row], tuple[Any, ...]]:
    # Missing and null last in both directions: with reverse=True the larger flag comes first.
    present, absent = (1, 0) if descending else (0, 1)

    def key(row: Row) -> tuple[Any, ...]:
        v = getter(row)
        if v is MISSING or v is None:
            return (absent,)
        t = type(v)
        if t is int or t is float:
            return (present, RANK_NUMBER, v)
        if t is str:
            return (present, RANK_STRING, v)
        return (present, *sort_key(v))

    return key


def _sort_rows(rows: list[Row], specs: Sequence[SortSpec]) -> None:
    """Sort (id, data) rows in place: by id, then by each key from the last, stably."""
    rows.sort(key=_FIRST)
    for spec in reversed(specs):
        descending = spec.order is SortOrder.DESC
        rows.sort(key=_sort_value_key(_row_getter(spec.field), descending),
                  reverse=descending)


def sort_pairs(pairs: list[tuple[str, dict[str, Any]]], query: Query | None) -> None:
    """Sort (id, data) pairs in place by the query's sort keys, ties broken by id ascending
    (the key ``id`` is the pair's id).

    Without sort keys the order is by id, so paging is stable on every backend."""
    _sort_rows(pairs, query.sort_specs if query is not None else ())


Identify = Callable[[list[dict[str, Any]]], list[Row]]


def order_matches(matched: list[dict[str, Any]], identify: Identify,
                  specs: Sequence[SortSpec], window: int | None = None) -> list[Row]:
    """(id, data) rows of ``matched`` data dicts in query order: by ``specs``, ties (and no
    specs) by id ascending -- exactly the order of ``sort_pairs``. ``identify`` turns data
    dicts into (id, data) rows (leaving out any it does not know) and is called only for
    the ones that can reach the window: with ``window`` only the first ``window`` rows of
    the order are returned (paging needs ``offset + limit``). May reorder ``matched``.

    The common case -- one sort key whose values are all numbers or all strings -- takes a
    fast path that finds the window's edge value with a heap and identifies and sorts only
    the rows up to it; everything else takes the general path (rows identified and sorted
    by id, then by each key from the last, stably), for a window after dropping the rows
    whose first key lies beyond the edge."""
    if window is not None and window >= len(matched):
        window = None
    if window == 0:
        return []
    if any(spec.field == STORAGE_KEY for spec in specs):
        # the id is known only after ``identify``: the general path, without shortcuts
        rows = identify(matched)
        _sort_rows(rows, specs)
        return rows if window is None else rows[:window]
    if len(specs) == 1:
        fast = _order_single_key(matched, identify, specs[0], window)
        if fast is not None:
            return fast
    elif specs and window is not None:
        matched = _within_first_key_edge(matched, specs[0], window)
    rows = identify(matched)
    if not specs:
        if window is None:
            rows.sort(key=_FIRST)
            return rows
        return heapq.nsmallest(window, rows, key=_FIRST)
    _sort_rows(rows, specs)
    return rows if window is None else rows[:window]


def _key_values(matched: list[dict[str, Any]], path: str) -> tuple[list[Any], bool] | None:
    """The values at ``path`` and whether some are missing/null -- or None unless the
    present ones are all numbers or all strings (which Python orders as the spec does)."""
    if "." in path:
        segments = split_path(path)
        values = [lookup(data, segments) for data in matched]
    else:
        values = [data.get(path, MISSING) for data in matched]
    classes = set(map(type, values))
    absent_classes = classes & _ABSENT_CLASSES
    present_classes = classes - absent_classes
    if not (present_classes <= _NUMBER_CLASSES or present_classes == _STRING_CLASSES):
        return None
    return values, bool(absent_classes)


def _within_first_key_edge(matched: list[dict[str, Any]], spec: SortSpec, window: int
                           ) -> list[dict[str, Any]]:
    """The matches that can reach the window of a multi-key sort: those whose first key is
    within the window's edge value (ties included), or all of them when that key does not
    allow the shortcut."""
    found = _key_values(matched, spec.field)
    if found is None:
        return matched
    values, has_absent = found
    if has_absent:
        kept = [(v, d) for v, d in zip(values, matched, strict=True)
                if v is not MISSING and v is not None]
        if len(kept) <= window:
            return matched  # absent ones reach the window too
        values, matched = [v for v, _ in kept], [d for _, d in kept]
    if len(values) <= window:
        return matched
    if spec.order is SortOrder.DESC:
        edge = heapq.nlargest(window, values)[-1]
        return [d for v, d in zip(values, matched, strict=True) if v >= edge]
    edge = heapq.nsmallest(window, values)[-1]
    return [d for v, d in zip(values, matched, strict=True) if v <= edge]


def _order_single_key(matched: list[dict[str, Any]], identify: Identify, spec: SortSpec,
                      window: int | None) -> list[Row] | None:
    """One sort key over numbers only or strings only (missing/null allowed), else None."""
    found = _key_values(matched, spec.field)
    if found is None:
        return None
    values, absent_classes = found
    present = values
    present_data = matched
    if absent_classes:
        present = [v for v in values if v is not MISSING and v is not None]
        present_data = [d for v, d in zip(values, matched, strict=True)
                        if v is not MISSING and v is not None]
    descending = spec.order is SortOrder.DESC
    if window is not None and window < len(present):
        # keep only values that can reach the window (ties at its edge included)
        if descending:
            edge = heapq.nlargest(window, present)[-1]
            kept = [(v, d) for v, d in zip(present, present_data, strict=True) if v >= edge]
        else:
            edge = heapq.nsmallest(window, present)[-1]
            kept = [(v, d) for v, d in zip(present, present_data, strict=True) if v <= edge]
        present, present_data = [v for v, _ in kept], [d for _, d in kept]
    decorated = [(v, row[0], row) for v, row in
                 zip(present, identify(present_data), strict=True)]
    if descending:
        decorated.sort(key=_SECOND)
        decorated.sort(key=_FIRST, reverse=True)  # stable: equal values stay in id order
    else:
        decorated.sort(key=_FIRST_TWO)
    ordered = [d[2] for d in decorated]
    if window is not None and len(ordered) >= window:
        return ordered[:window]
    if absent_classes:
        absent_data = [d for v, d in zip(values, matched, strict=True)
                       if v is MISSING or v is None]
        ordered.extend(sorted(identify(absent_data), key=_FIRST))
    return ordered if window is None else ordered[:window]


_ABSENT_CLASSES = frozenset({type(MISSING), type(None)})
_NUMBER_CLASSES = frozenset({int, float})
_STRING_CLASSES = frozenset({str})
_FIRST = operator.itemgetter(0)
_SECOND = operator.itemgetter(1)
_FIRST_TWO = operator.itemgetter(0, 1)


def page(items: list[Any], query: Query | None) -> list[Any]:
    """Apply the query's offset and limit."""
    if query is None:
        return items
    start = query.offset_value or 0
    if query.limit_value is None:
        return items[start:] if start else items
    return items[start : start + query.limit_value]


def select(rows: Iterable[tuple[str, Record]], query: Query | None, *,
           matched: bool = False) -> list[tuple[str, Record]]:
    """The query pipeline for adapters that evaluate queries in Python, written once: the
    (id, record) rows whose data the query's condition holds for (every row when
    ``matched``: the caller filtered them already), in the query's order (``sort_pairs``:
    by its sort keys, ties and no keys by id), then offset and limit. Projection is left to
    the caller (``Record.project``), which also decides what it copies. Ids are unique."""
    pred = None if matched else compile_query(query)
    by_id: dict[str, Record] = {}
    pairs: list[tuple[str, dict[str, Any]]] = []
    for rid, rec in rows:
        if pred is None or pred(rec.data, rid):
            by_id[rid] = rec
            pairs.append((rid, rec.data))
    sort_pairs(pairs, query)
    return [(rid, by_id[rid]) for rid, _ in page(pairs, query)]


def window(items: Iterable[Any], query: Query | None) -> Iterator[Any]:
    """The query's offset and limit applied lazily, for items already in query order (a
    stream stops pulling once the limit is reached)."""
    start = (query.offset_value or 0) if query is not None else 0
    stop = None if query is None or query.limit_value is None else start + query.limit_value
    return itertools.islice(items, start, stop)


def apply_query(records: Iterable[Record], query: Query | None) -> list[Record]:
    """Filter, sort, page and project records with the reference semantics (``select``).

    Returns the input Record objects themselves (projected ones are new records); callers
    that hand results out copy them."""
    chosen = [rec for _, rec in select(((rec.id or "", rec) for rec in records), query)]
    if query is not None and query.fields:
        return [r.project(query.fields) for r in chosen]
    return chosen
