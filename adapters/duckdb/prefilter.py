"""A necessary condition in DuckDB SQL for the top-level filters of a query on data paths.

The adapter evaluates every query with the reference pipeline (``domain.matcher.select``)
over the rows SQL returns, so SQL only has to drop rows that cannot match: each condition
here is true for every row the filter holds for (it may also be true for some that the
pipeline then drops). It is built for a top-level ``Filter`` with operands DuckDB compares
without doubt:

- EQ, IN and STARTS_WITH with *plain* strings (no control character, quote, backslash or
  lone surrogate: a stored string equal to one is written in the JSON exactly as itself, so
  ``json_extract_string`` gives it back) compare ``json_extract_string`` at the path;
- EQ, IN, ranges and BETWEEN with numbers compare the path's value as a DOUBLE: rounding to
  a double never reverses an order, so ``v >= x`` implies ``double(v) >= double(x)``, and a
  strict bound is checked as the non-strict one.

The data column is the codec's JSON as UTF-8 bytes (``surrogatepass``): a row whose bytes
are not valid UTF-8 (a lone surrogate somewhere in it) passes every condition, for the
pipeline to decide. Paths are named as the SQLite translator names them (``_variants``: at
most one of the JSON paths with or without the codec's ``$object`` wrappers exists).
"""

from __future__ import annotations

from typing import Any

from ...domain.query import STORAGE_KEY, Filter, Operator, Query
from ...domain.values import lone_surrogate
from ..sqlite.translator import _id_filter, _is_number, _variants, sql_literal

#: the row's JSON text, NULL when its bytes are not valid UTF-8
_TEXT = "try(decode(data))"
_AT_LEAST = {Operator.GT: ">=", Operator.GTE: ">=", Operator.LT: "<=", Operator.LTE: "<="}


def _at(function: str, variants: tuple[str, ...]) -> str:
    calls = [f"{function}({_TEXT}, {sql_literal(v)})" for v in variants]
    return calls[0] if len(calls) == 1 else f"COALESCE({', '.join(calls)})"


def _plain(x: Any) -> bool:
    return (type(x) is str and lone_surrogate(x) is None
            and not any(c < " " or c in '"\\' for c in x))


def data_condition(f: Filter) -> tuple[str, list[Any]] | None:
    """A necessary condition for ``f`` on a data path, or None (no cheap one)."""
    variants = _variants(f.field)
    if variants is None:
        return None
    op, x = f.operator, f.value
    number = f"TRY_CAST({_at('json_extract', variants)} AS DOUBLE)"
    if op in (Operator.EQ, Operator.IN):
        items = [x] if op is Operator.EQ else list(x)
        marks = ", ".join("?" * len(items))
        if items and all(_plain(v) for v in items):
            return f"{_at('json_extract_string', variants)} IN ({marks})", items
        if items and all(_is_number(v) for v in items):
            return f"{number} IN ({marks})", [float(v) for v in items]
        return None
    if op is Operator.STARTS_WITH and _plain(x):
        return f"starts_with({_at('json_extract_string', variants)}, ?)", [x]
    if op in _AT_LEAST and _is_number(x):
        return f"{number} {_AT_LEAST[op]} ?", [float(x)]
    if op is Operator.BETWEEN and all(_is_number(v) for v in x):
        return f"{number} BETWEEN ? AND ?", [float(v) for v in x]
    return None


def necessary_where(query: Query) -> tuple[str, list[Any]]:
    """A WHERE body true for every row the query's conditions hold for: the top-level
    filters on ``id`` exactly, and those on data paths through ``data_condition``."""
    ids, id_params, data, data_params = ["TRUE"], [], [], []
    for cond in query.filters:
        if not isinstance(cond, Filter):
            continue
        if cond.field == STORAGE_KEY:
            sql = _id_filter(cond)
            if sql is not None:
                ids.append({"1": "TRUE", "0": "FALSE"}.get(sql[0], sql[0]))
                id_params += sql[1]
        else:
            necessary = data_condition(cond)
            if necessary is not None:
                data.append(necessary[0])
                data_params += necessary[1]
    if data:
        ids.append(f"({_TEXT} IS NULL OR ({' AND '.join(data)}))")
    return " AND ".join(ids), [*id_params, *data_params]


__all__ = ["data_condition", "necessary_where"]
