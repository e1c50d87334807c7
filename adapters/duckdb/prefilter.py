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

from ...domain.query import STORAGE_KEY, Filter, Operator, Query, SortOrder, SortSpec
from ...domain.values import lone_surrogate
from ..sqlite.translator import _id_filter, _is_number, _variants, sql_literal

#: the row's JSON text, NULL when its bytes are not valid UTF-8: a column of ``rows_sql``
_TEXT = "dk_text"


def rows_sql(table_sql: str) -> str:
    """The table with its rows' JSON text decoded once (``dk_text``), for the conditions and
    keys of this module to read."""
    return (f"(SELECT id, data, metadata, try(decode(data)) AS {_TEXT} FROM {table_sql}) "
            "AS dk_rows")
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


#: the spec's order of kinds (docs/query-semantics.md; the sqlite translator's ``order_by``)
_RANKS = ("WHEN 'BOOLEAN' THEN 0 WHEN 'BIGINT' THEN 1 WHEN 'UBIGINT' THEN 1 "
          "WHEN 'DOUBLE' THEN 1 WHEN 'VARCHAR' THEN 2 WHEN 'ARRAY' THEN 4")


def sort_keys(spec: SortSpec) -> list[str] | None:
    """Four SQL keys, ordered ascending, that never contradict the spec's order of the sort
    key ``spec`` among the rows they can place: where two such rows' keys differ, the one
    with the smaller keys comes first in the exact order too (where they tie, the exact
    order may go either way). The first key is 0 for a row they cannot place (its bytes not
    valid UTF-8, a JSON kind not listed, a number DuckDB cannot read), so those rows come
    first, and 1 for the others; then no value last, the kind's rank, and a number's value
    as a DOUBLE (0 for any other kind), the last two negated for a descending sort. None
    for the path ``id`` or a path SQL cannot name."""
    if spec.field == STORAGE_KEY:
        return None
    variants = _variants(spec.field)
    if variants is None:
        return None
    kind = _at("json_type", variants)
    tag = _at("json_extract", tuple(f'{v}."$datetime"' for v in variants))
    number = f"TRY_CAST({_at('json_extract', variants)} AS DOUBLE)"
    sign = "-" if spec.order is SortOrder.DESC else ""
    rank = (f"CASE {kind} {_RANKS} WHEN 'OBJECT' THEN (CASE WHEN {tag} IS NULL THEN 5 "
            f"ELSE 3 END) END")
    absent = f"({kind} IS NULL OR {kind} = 'NULL')"
    return [
        f"CASE WHEN {_TEXT} IS NULL THEN 0 WHEN {absent} THEN 1 WHEN ({rank}) IS NULL THEN 0 "
        f"WHEN ({rank}) = 1 AND {number} IS NULL THEN 0 ELSE 1 END",
        f"CASE WHEN {absent} THEN 1 ELSE 0 END",
        f"CASE WHEN {absent} THEN 0 ELSE {sign}({rank}) END",
        f"CASE WHEN {absent} THEN 0 WHEN ({rank}) = 1 THEN {sign}{number} ELSE 0 END",
    ]


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


__all__ = ["data_condition", "necessary_where", "rows_sql", "sort_keys"]
