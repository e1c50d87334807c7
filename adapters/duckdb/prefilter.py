"""Necessary conditions in DuckDB SQL for a query's filters, over the table's JSON data
(table mode) or over the native columns of source files (source mode).

The adapter evaluates every query with the reference pipeline (``domain.matcher``) over the
rows SQL returns, so SQL only has to drop rows that cannot match: each condition here is
true for every row the filter holds for (it may also be true for some that the pipeline
then drops). One set of rules (``compare``) turns a filter into SQL over a *target*, which
says how SQL reads the values at the filter's path, kind by kind (``Reading``), which kinds
the path never holds (``NEVER``: an operand of such a kind matches no row) and what it
cannot tell (no condition). A condition is *exact* when it is true for exactly the rows the
filter holds for: source mode then lets SQL count, order and page by itself.

Table mode (``necessary_where``, the JSON target ``json_target``) builds conditions for a
top-level ``Filter`` with operands DuckDB compares without doubt:

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

Source mode (``condition``, ``order_keys``, the column targets of ``column_target``) reads a
column of one DuckDB type, whose values all convert to one kind of value (source.py's
``_value``), so an operand of another kind matches nothing there. Comparisons of integers,
VARCHAR (byte order is code point order), BOOLEAN, DATE and TIMESTAMPs (operands away from
the two ends of the datetime range, where DuckDB's infinities stand in for Python's
``datetime.min``/``max``) and finite doubles with floats or integers up to 2**53 are exact;
a float against an integer column is compared as DOUBLE (necessary only). Source mode also
builds EXISTS, NOT_EXISTS, the negated operators (from an exact positive one), LIKE (its
literal prefix), ILIKE and REGEX (false where no string is stored, else left to the
pipeline) and AND / OR / NOT (NOT of an exact condition only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ...domain.query import (
    STORAGE_KEY,
    Condition,
    Filter,
    LogicOperator,
    Operator,
    Query,
    SortOrder,
    SortSpec,
)
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
_STRICT = {Operator.GT: ">", Operator.GTE: ">=", Operator.LT: "<", Operator.LTE: "<="}

# -- the rules, over any target ----------------------------------------------------------

#: the kinds of value of docs/query-semantics.md (its type ranks)
BOOLEAN, NUMBER, STRING, DATETIME, LIST, OBJECT = (
    "boolean", "number", "string", "datetime", "list", "object")


def kind_of(x: Any) -> str:
    """The kind of an operand (subclasses are of their base's kind, as the matcher ranks)."""
    if isinstance(x, bool):
        return BOOLEAN
    if isinstance(x, int | float):
        return NUMBER
    if isinstance(x, str):
        return STRING
    if isinstance(x, dt.datetime):
        return DATETIME
    return LIST if isinstance(x, list | tuple) else OBJECT


#: a condition, its parameters, and whether it is exact
Pushed = tuple[str, list[Any], bool]
FALSE: Pushed = ("FALSE", [], True)


class _Never(Enum):
    NEVER = "never"


#: a target's answer for a kind of value that no row holds at the path
NEVER = _Never.NEVER


@dataclass(frozen=True)
class Reading:
    """How SQL reads the values of one kind at a path.

    ``sql`` is the value for a row whose value there is of that kind (for the other rows:
    anything). ``bind(x)`` gives an operand's placeholder, its parameter and whether
    comparing ``sql`` with it is exactly the specification's comparison (rows without a
    value, or with one of another kind, compare false or NULL); otherwise both sides are
    rounded monotonically, so a strict bound is checked as the non-strict one. ``accepts``:
    the operands SQL can compare at all; ``ordered``: ``<`` and BETWEEN follow the spec's
    order; ``prefix``: ``starts_with`` does; ``guard``: AND-ed to every comparison."""

    sql: str
    accepts: Callable[[Any], bool]
    bind: Callable[[Any], tuple[str, Any, bool]]
    ordered: bool = False
    prefix: bool = False
    guard: str | None = None

    def check(self, sql: str) -> str:
        return sql if self.guard is None else f"({self.guard} AND {sql})"


@dataclass(frozen=True)
class Target:
    """What SQL can tell of the values at one path: a ``Reading`` per kind (``kind_of``);
    ``kind``: the one kind the path ever holds (any other is ``NEVER``; "" for none at all;
    None: any kind); ``present``: SQL true exactly for the rows where the path has a value
    (never NULL; None: SQL cannot tell); ``order``: an SQL key ordering the rows ascending
    with NULLS LAST exactly as the spec orders the path's values, NULL for no value ("":
    no row has a value, so the key orders nothing; None: no such key)."""

    readings: Mapping[str, Reading] = field(default_factory=dict)
    kind: str | None = None
    present: str | None = None
    order: str | None = None

    def reading(self, kind: str) -> Reading | _Never | None:
        if self.kind is not None and kind != self.kind:
            return NEVER
        return self.readings.get(kind)


def _bound(reading: Reading, values: list[Any]) -> tuple[list[str], list[Any], bool]:
    binds = [reading.bind(v) for v in values]
    return [b[0] for b in binds], [b[1] for b in binds], all(b[2] for b in binds)


def compare(op: Operator, x: Any, target: Target) -> Pushed | None:
    """A necessary condition for ``op x`` at ``target`` (EQ, IN, STARTS_WITH, the ranges and
    BETWEEN), or None (no cheap one). EQ and IN take operands of one kind that the path
    can hold (those of a kind it never holds are dropped: none of them matches)."""
    if op in (Operator.EQ, Operator.IN):
        groups: dict[str, list[Any]] = {}
        for item in [x] if op is Operator.EQ else list(x):
            groups.setdefault(kind_of(item), []).append(item)
        live = [(target.reading(kind), items) for kind, items in groups.items()
                if target.reading(kind) is not NEVER]
        if not live:
            return FALSE
        reading, items = live[0]
        if len(live) > 1 or not isinstance(reading, Reading) or not all(
                reading.accepts(v) for v in items):
            return None
        marks, params, exact = _bound(reading, items)
        return reading.check(f"{reading.sql} IN ({', '.join(marks)})"), params, exact
    if op is Operator.STARTS_WITH:
        reading = target.reading(STRING)
        if reading is NEVER:
            return FALSE
        if not isinstance(reading, Reading) or not reading.prefix or not reading.accepts(x):
            return None
        mark, param, exact = reading.bind(x)
        return reading.check(f"starts_with({reading.sql}, {mark})"), [param], exact
    if op in _AT_LEAST or op is Operator.BETWEEN:
        bounds = list(x) if op is Operator.BETWEEN else [x]
        reading = target.reading(kind_of(bounds[0]))  # the bounds are of one kind
        if reading is NEVER:
            return FALSE
        if not isinstance(reading, Reading) or not reading.ordered or not all(
                reading.accepts(v) for v in bounds):
            return None
        marks, params, exact = _bound(reading, bounds)
        if op is Operator.BETWEEN:
            sql = f"{reading.sql} BETWEEN {marks[0]} AND {marks[1]}"
        else:
            sql = f"{reading.sql} {(_STRICT if exact else _AT_LEAST)[op]} {marks[0]}"
        return reading.check(sql), params, exact
    return None


# -- table mode: the codec's JSON ----------------------------------------------------------

def _at(function: str, variants: tuple[str, ...]) -> str:
    calls = [f"{function}({_TEXT}, {sql_literal(v)})" for v in variants]
    return calls[0] if len(calls) == 1 else f"COALESCE({', '.join(calls)})"


def _plain(x: Any) -> bool:
    return (type(x) is str and lone_surrogate(x) is None
            and not any(c < " " or c in '"\\' for c in x))


def _as_is(x: Any) -> tuple[str, Any, bool]:
    return "?", x, False


def _as_double(x: Any) -> tuple[str, Any, bool]:
    return "?", float(x), False


def json_values(variants: tuple[str, ...]) -> tuple[str, str]:
    """The SQL reading the JSON paths ``variants`` of a row's text (``dk_text``): the value
    through ``json_extract_string`` (a plain string reads as itself) and as a DOUBLE
    (NULL for no number); the vector cache keeps both as columns (vectors.py)."""
    return (_at("json_extract_string", variants),
            f"TRY_CAST({_at('json_extract', variants)} AS DOUBLE)")


def value_target(text: str, number: str) -> Target:
    """A path read as ``json_values`` reads it (``text``, ``number``: those expressions, or
    columns holding their values): plain strings compared as text, numbers as a DOUBLE;
    any kind may be stored there."""
    return Target({
        STRING: Reading(text, _plain, _as_is, prefix=True),
        NUMBER: Reading(number, _is_number, _as_double, ordered=True)})


def json_target(variants: tuple[str, ...]) -> Target:
    """The JSON paths ``variants`` of the rows' data (``json_values``)."""
    return value_target(*json_values(variants))


def _json_target_of(path: str) -> Target | None:
    """The JSON target of a data path, None when SQL cannot name it."""
    variants = _variants(path)
    return None if variants is None else json_target(variants)


def data_condition(f: Filter, target: Target | None = None) -> tuple[str, list[Any]] | None:
    """A necessary condition for ``f`` on a data path (read through ``target``, by default
    its JSON), or None (no cheap one)."""
    target = target or _json_target_of(f.field)
    if target is None:
        return None
    pushed = compare(f.operator, f.value, target)
    return None if pushed is None else (pushed[0], pushed[1])


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
    where, params, _ = _where(query, _json_target_of, f"{_TEXT} IS NULL")
    return where, params


def columns_where(query: Query, columns: Mapping[tuple[str, ...], tuple[str, str]],
                  unreadable: str) -> tuple[str, list[Any], bool]:
    """``necessary_where`` over columns holding some paths' values (``columns``: a path's
    ``_variants`` -> the columns of its two ``json_values``; ``unreadable``: true for the
    rows whose text is not valid UTF-8): the filters on ``id`` and on those paths only,
    and whether every top-level condition of the query got one."""

    def target_of(path: str) -> Target | None:
        variants = _variants(path)
        found = None if variants is None else columns.get(variants)
        return None if found is None else value_target(*found)

    return _where(query, target_of, unreadable)


def _where(query: Query, target_of: Callable[[str], Target | None], unreadable: str
           ) -> tuple[str, list[Any], bool]:
    """The WHERE body of the top-level filters on ``id`` and on the paths ``target_of``
    reads (None: left to the pipeline), ``unreadable`` escaping the rows SQL cannot read,
    and whether every top-level condition got one."""
    ids, id_params, data, data_params = ["TRUE"], [], [], []
    covered = True
    for cond in query.filters:
        found = None
        if isinstance(cond, Filter) and cond.field == STORAGE_KEY:
            sql = _id_filter(cond)
            if sql is not None:
                ids.append({"1": "TRUE", "0": "FALSE"}.get(sql[0], sql[0]))
                id_params += sql[1]
                continue
        elif isinstance(cond, Filter):
            target = target_of(cond.field)
            if target is not None:
                found = data_condition(cond, target)
        if found is None:
            covered = False
        else:
            data.append(found[0])
            data_params += found[1]
    if data:
        ids.append(f"({unreadable} OR ({' AND '.join(data)}))")
    return " AND ".join(ids), [*id_params, *data_params], covered


# -- source mode: native columns -----------------------------------------------------------

#: the DuckDB integer types (every value a Python int)
INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                           "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"})
_TIMESTAMPS = frozenset({"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS"})
_ZONED = "TIMESTAMP WITH TIME ZONE"
#: datetime operands compared in SQL: DuckDB's infinities read in Python as datetime.min and
#: datetime.max (a DATE's as their dates), so operands within a day of those are left out
_EARLIEST, _LATEST = dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30)
#: a double holds every integer up to this magnitude exactly
_EXACT_DOUBLE = 2**53


def _text(x: Any) -> bool:
    return type(x) is str and lone_surrogate(x) is None


def _utc(x: dt.datetime) -> dt.datetime | None:
    """A datetime operand as a naive UTC datetime (naive ones are UTC), None when it lies
    within a day of the ends of the datetime range."""
    try:
        moment = x if x.tzinfo is None else x.astimezone(dt.UTC).replace(tzinfo=None)
    except (OverflowError, ValueError):
        return None
    return moment if _EARLIEST < moment < _LATEST else None


def _moment(x: Any) -> bool:
    return type(x) is dt.datetime and _utc(x) is not None


def _bind_varchar(x: Any) -> tuple[str, Any, bool]:
    return "CAST(? AS VARCHAR)", x, True


def _bind_boolean(x: Any) -> tuple[str, Any, bool]:
    return "CAST(? AS BOOLEAN)", x, True


def _bind_integer_column(x: Any) -> tuple[str, Any, bool]:
    if type(x) is int:
        return "CAST(? AS BIGINT)", x, True
    return "CAST(? AS DOUBLE)", x, False  # compared as doubles: rounded monotonically


def _bind_double_column(x: Any) -> tuple[str, Any, bool]:
    return "CAST(? AS DOUBLE)", float(x), type(x) is float or abs(x) <= _EXACT_DOUBLE


def _bind_timestamp(x: Any) -> tuple[str, Any, bool]:
    return "CAST(? AS TIMESTAMP)", _utc(x), True


def _bind_zoned(x: Any) -> tuple[str, Any, bool]:
    moment = _utc(x)
    return "CAST(? AS TIMESTAMPTZ)", moment and moment.replace(tzinfo=dt.UTC), True


def _clamp(sql: str, low: str, high: str) -> str:
    """``sql`` with DuckDB's infinities as the values Python reads for them (``greatest``
    and ``least`` skip a NULL: it stays one)."""
    return f"CASE WHEN {sql} IS NOT NULL THEN least(greatest({sql}, {low}), {high}) END"


def column_target(sql: str, typ: Any) -> Target:
    """The values of a source column (or struct field) ``sql`` of DuckDB type ``typ`` (a
    ``DuckDBPyType``), as source.py's ``_value`` converts them."""
    name, nested = str(typ), typ.id
    present = f"{sql} IS NOT NULL"
    if nested in ("struct", "map"):  # a dict; objects are not ordered: ties fall to the id
        return Target(kind=OBJECT, present=present, order=f"CASE WHEN {present} THEN 0 END")
    if nested in ("list", "array"):
        return Target(kind=LIST, present=present, order=f"CASE WHEN {present} THEN 0 END")
    if name == "BOOLEAN":
        return Target({BOOLEAN: Reading(sql, lambda x: type(x) is bool, _bind_boolean)},
                      BOOLEAN, present, sql)
    if name in INTEGER_TYPES or (nested == "decimal" and dict(typ.children)["scale"] == 0):
        return Target({NUMBER: Reading(sql, _is_number, _bind_integer_column, ordered=True)},
                      NUMBER, present, sql)
    if name in ("DOUBLE", "FLOAT"):
        value = sql if name == "DOUBLE" else f"CAST({sql} AS DOUBLE)"
        finite = f"isfinite({value})"  # NaN and infinities read as null
        return Target({NUMBER: Reading(value, _is_number, _bind_double_column, ordered=True,
                                       guard=finite)},
                      NUMBER, f"COALESCE({finite}, FALSE)",
                      f"CASE WHEN {finite} THEN {value} END")
    if name == "DECIMAL" or nested == "decimal":  # int or float(value): rounded, left alone
        return Target(kind=NUMBER, present=present)
    if name == "VARCHAR" or nested == "enum" or name == "UUID":
        text = sql if name == "VARCHAR" else f"CAST({sql} AS VARCHAR)"
        return Target({STRING: Reading(text, _text, _bind_varchar, ordered=True, prefix=True)},
                      STRING, present, text)
    if name == "TIME":  # text: 'HH:MM:SS[.ffffff]' orders as the times do
        return Target(kind=STRING, present=present, order=sql)
    if name == "INTERVAL":
        return Target(kind=STRING, present=present)
    if name == "DATE" or name in _TIMESTAMPS:  # a DATE reads as midnight
        value = sql if name == "TIMESTAMP" else f"CAST({sql} AS TIMESTAMP)"
        high = "'9999-12-31 00:00:00'" if name == "DATE" else "'9999-12-31 23:59:59.999999'"
        return Target({DATETIME: Reading(value, _moment, _bind_timestamp, ordered=True)},
                      DATETIME, present, _clamp(value, "TIMESTAMP '0001-01-01 00:00:00'",
                                                f"TIMESTAMP {high}"))
    if name == _ZONED:
        return Target({DATETIME: Reading(sql, _moment, _bind_zoned, ordered=True)},
                      DATETIME, present, _clamp(sql, "TIMESTAMPTZ '0001-01-01 00:00:00+00'",
                                                "TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'"))
    if name == "TIMESTAMP_NS":  # read to the microsecond: ties SQL would tell apart
        return Target(kind=DATETIME, present=present)
    return Target()  # JSON, UNION, BIT, BIGNUM, TIME WITH TIME ZONE, ...: SQL cannot tell


#: a path that no row has a value at
MISSING = Target(kind="", present="FALSE", order="")


def id_target(text: str, order: str) -> Target:
    """The record ids: ``text`` their SQL text, ``order`` a key in id order."""
    return Target({STRING: Reading(text, _text, _bind_varchar, ordered=True, prefix=True)},
                  STRING, "TRUE", order)


_NEGATED = {Operator.NEQ: Operator.EQ, Operator.NOT_IN: Operator.IN,
            Operator.NOT_BETWEEN: Operator.BETWEEN, Operator.NOT_LIKE: Operator.LIKE}


def like_prefix(pattern: str) -> tuple[str, str]:
    """A LIKE pattern's literal prefix (escapes resolved: docs/query-semantics.md, R40-R41)
    and the rest of the pattern, from its first wildcard."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i + 1] if i + 1 < len(pattern) else "\\")
            i += 2
            continue
        if c in "%_":
            return "".join(out), pattern[i:]
        out.append(c)
        i += 1
    return "".join(out), ""


def _filter(f: Filter, target: Target) -> Pushed | None:
    op = f.operator
    if op in (Operator.EXISTS, Operator.NOT_EXISTS):
        if target.present is None:
            return None
        return (target.present if op is Operator.EXISTS else f"NOT ({target.present})"), [], True
    if op in _NEGATED:  # the field has a value and the positive one is false
        positive = _filter(Filter(f.field, _NEGATED[op], f.value), target)
        if positive is None or not positive[2] or target.present is None:
            return None
        return (f"({target.present}) AND NOT COALESCE(({positive[0]}), FALSE)", positive[1],
                True)
    if op in (Operator.ILIKE, Operator.REGEX):  # left to the pipeline, but for strings only
        return FALSE if target.reading(STRING) is NEVER else None
    if op is Operator.LIKE:
        prefix, rest = like_prefix(f.value)
        if rest == "":
            return compare(Operator.EQ, prefix, target)
        pushed = compare(Operator.STARTS_WITH, prefix, target)
        return None if pushed is None else (pushed[0], pushed[1], pushed[2] and rest == "%")
    return compare(op, f.value, target)


def _joined(parts: list[Pushed], word: str) -> Pushed:
    params = [p for part in parts for p in part[1]]
    return (f" {word} ".join(f"({part[0]})" for part in parts), params,
            all(part[2] for part in parts))


def condition(cond: Condition, target_of: Callable[[str], Target]) -> Pushed | None:
    """A necessary condition for a whole condition tree, each path read through
    ``target_of`` (``id``: the record ids), or None (no cheap one)."""
    if isinstance(cond, Filter):
        return _filter(cond, target_of(cond.field))
    parts = [condition(c, target_of) for c in cond.conditions]
    if cond.operator is LogicOperator.AND:
        return conjunction(parts)
    if cond.operator is LogicOperator.OR:
        found = [p for p in parts if p is not None]
        if len(found) < len(parts):
            return None
        return _joined(found, "OR") if found else FALSE
    inner = parts[0]  # NOT: of an exact condition only (a NULL is false)
    if inner is None or not inner[2]:
        return None
    return f"NOT COALESCE(({inner[0]}), FALSE)", inner[1], True


def conjunction(parts: list[Pushed | None]) -> Pushed:
    """The AND of conditions (None: no condition, so the AND is not exact)."""
    found = [p for p in parts if p is not None]
    sql, params, exact = _joined(found, "AND") if found else ("TRUE", [], True)
    return sql, params, exact and len(found) == len(parts)


def order_keys(specs: list[SortSpec], target_of: Callable[[str], Target]) -> list[str] | None:
    """ORDER BY terms ordering rows exactly as the sort keys ``specs`` do, ties by id, or
    None when SQL cannot order some key exactly."""
    terms = []
    for spec in [*specs, SortSpec(STORAGE_KEY)]:
        key = target_of(spec.field).order
        if key is None:
            return None
        if key:
            terms.append(f"{key} {'DESC' if spec.order is SortOrder.DESC else 'ASC'} "
                         "NULLS LAST")
    return terms


__all__ = ["MISSING", "NEVER", "Reading", "Target", "column_target", "columns_where",
           "compare", "condition", "conjunction", "data_condition", "id_target", "json_target",
           "json_values", "necessary_where", "order_keys", "rows_sql", "sort_keys",
           "value_target"]
