"""Our Query to SQLite: a WHERE clause with bound parameters, and the ORDER BY it can take.

A pure function of the query. Conditions on the path ``id`` compare the ``id`` column, a BLOB
holding the id's UTF-8 bytes (``surrogatepass``), whose byte order is code point order
(docs/query-semantics.md, R75); every other condition is evaluated by ``dk_match``, a
function the adapter registers on its connection that runs the reference matcher
(``domain.matcher.compile_condition``) over the stored row, so SQLite filters rows with the
reference semantics exactly, never an approximation. Sorting by a data field happens in
Python, through the reference pipeline (``domain.matcher.select``); ``order_by`` says when
the database can order and page by itself.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from ...domain.codec import decode, encode
from ...domain.matcher import RecordPredicate, compile_condition
from ...domain.query import (
    STORAGE_KEY,
    Condition,
    Filter,
    LogicCondition,
    LogicOperator,
    Operator,
    Query,
    SortOrder,
    condition_from_dict,
)

Params = list[Any]

#: the SQL comparison of the ``id`` column for operators with one string operand
_ID_COMPARISONS = {Operator.EQ: "=", Operator.NEQ: "<>", Operator.GT: ">",
                   Operator.GTE: ">=", Operator.LT: "<", Operator.LTE: "<="}


def id_bytes(record_id: str) -> bytes:
    """The ``id`` column's value for a record id (any string, lone surrogates included)."""
    return record_id.encode("utf-8", "surrogatepass")


def id_text(value: bytes) -> str:
    """The record id of an ``id`` column value."""
    return value.decode("utf-8", "surrogatepass")


def _plain(value: Any) -> Any:
    """A filter's operand as the codec takes it (a BETWEEN pair is a tuple)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def condition_text(condition: Condition) -> str:
    """A condition as ASCII JSON text, the argument of ``dk_match`` (ASCII, so any string,
    lone surrogates included, binds as a parameter)."""
    def plain(cond: Condition) -> dict[str, Any]:
        if isinstance(cond, Filter):
            return {"field": cond.field, "operator": cond.operator.name,
                    "value": encode(_plain(cond.value))}
        if cond.operator is LogicOperator.NOT:
            return {"not": plain(cond.conditions[0])}
        return {cond.operator.value: [plain(c) for c in cond.conditions]}
    return json.dumps(plain(condition), ensure_ascii=True, allow_nan=False)


@functools.lru_cache(maxsize=512)
def predicate(text: str) -> RecordPredicate:
    """The reference predicate of a ``condition_text``."""
    body = json.loads(text)

    def restore(node: dict[str, Any]) -> dict[str, Any]:
        if "field" in node:
            return {**node, "value": decode(node["value"])}
        key, inner = next(iter(node.items()))
        return {key: restore(inner) if key == "not" else [restore(c) for c in inner]}

    return compile_condition(condition_from_dict(restore(body)))


def _id_filter(f: Filter) -> tuple[str, Params] | None:
    """SQL over the ``id`` column for a filter on the path ``id`` (None: leave it to
    ``dk_match``)."""
    op, x = f.operator, f.value
    if op is Operator.EXISTS:
        return "1", []
    if op is Operator.NOT_EXISTS:
        return "0", []
    if op in _ID_COMPARISONS and type(x) is str:
        return f"id {_ID_COMPARISONS[op]} ?", [id_bytes(x)]
    if op in (Operator.IN, Operator.NOT_IN):
        # an id is a string: an operand of another kind matches no id (R1, R75)
        items = list(dict.fromkeys(id_bytes(v) for v in x if type(v) is str))
        if not items:
            return ("0" if op is Operator.IN else "1"), []
        marks = ", ".join("?" * len(items))
        return f"id {'IN' if op is Operator.IN else 'NOT IN'} ({marks})", items
    if op in (Operator.BETWEEN, Operator.NOT_BETWEEN):
        low, high = x
        if type(low) is str and type(high) is str:
            sql = "id BETWEEN ? AND ?"
            if op is Operator.NOT_BETWEEN:
                sql = f"NOT ({sql})"
            return sql, [id_bytes(low), id_bytes(high)]
    return None


def _native(cond: Condition) -> tuple[str, Params] | None:
    """SQL that needs no Python function, or None."""
    if isinstance(cond, Filter):
        return _id_filter(cond) if cond.field == STORAGE_KEY else None
    natives = [_native(c) for c in cond.conditions]
    if natives and all(n is None for n in natives):
        return None  # one ``dk_match`` call for the whole subtree
    parts = [n if n is not None else _match(c) for n, c in zip(natives, cond.conditions,
                                                               strict=True)]
    sqls = [sql for sql, _ in parts]
    params = [p for _, ps in parts for p in ps]
    if cond.operator is LogicOperator.NOT:
        return f"NOT ({sqls[0]})", params
    if not sqls:
        return ("1" if cond.operator is LogicOperator.AND else "0"), []
    joiner = " AND " if cond.operator is LogicOperator.AND else " OR "
    return "(" + joiner.join(f"({s})" for s in sqls) + ")", params


def _match(cond: Condition) -> tuple[str, Params]:
    return "dk_match(?, id, data)", [condition_text(cond)]


def translate(cond: Condition) -> tuple[str, Params]:
    """SQL true exactly for the rows ``cond`` holds for."""
    native = _native(cond)
    return native if native is not None else _match(cond)


def where_clause(query: Query) -> tuple[str, Params]:
    """The query's conditions (AND-ed) as a WHERE body and its parameters."""
    if not query.filters:
        return "1", []
    return translate(LogicCondition(LogicOperator.AND, list(query.filters)))


def order_by(query: Query) -> str | None:
    """``ORDER BY`` for a query the database can order itself: no sort keys, or a first
    key ``id`` (ids are unique, so later keys never matter). None: order in Python."""
    specs = query.sort_specs
    if not specs:
        return "id ASC"
    if specs[0].field == STORAGE_KEY:
        return "id DESC" if specs[0].order is SortOrder.DESC else "id ASC"
    return None
