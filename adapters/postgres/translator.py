"""Queries to SQL over the jsonb ``data`` column: the one translator of both adapters.

Every filter becomes a SQL condition with exactly the reference semantics
(``domain.matcher``, docs/query-semantics.md), as a dispatch table from operator to
function. The shapes of the stored values are those of ``serializer``: a field ``a.b`` is
``data->'a'->'b'`` (SQL NULL when missing, the jsonb ``null`` when null), a datetime is an
object with the ``$datetime`` key, object keys that start with ``$`` carry one more ``$``.

Two-valued logic: each generated condition is TRUE exactly when the filter holds and FALSE
or NULL otherwise. AND and OR keep that property (a NULL behaves as false in both), and NOT
is written ``(c) IS NOT TRUE``, which is never NULL -- so ``not_`` is the exact complement.

Types: equality uses jsonb ``=`` (numbers compare numerically across int and float,
booleans never equal numbers, strings byte for byte); ordering checks ``jsonb_typeof``
first (comparisons across types are false); strings compare as text ``COLLATE "C"`` (code
point order); datetimes as ``timestamptz`` instants (sessions run with ``TimeZone=UTC``, so
naive values read as UTC). Values go to the driver as parameters (``%s``); only field path
segments are inlined, as literals quoted by the driver (psycopg's ``sql.quote``, which writes
``E'...'`` with both escapes when the text holds a backslash, so the literal means the same
whether ``standard_conforming_strings`` is on or off), so expression indexes match the query
text.

The path ``id`` is the record's storage key, the ``id`` column (text, compared ``COLLATE
"C"`` so it orders as Python's ``str``), never ``data->'id'``: to the operators it is the
jsonb string ``to_jsonb(id)`` with the text ``id``, and EQ/IN compare the column itself (so
the primary key answers them).

Text PostgreSQL cannot hold (NUL, lone surrogates) never reaches the driver: a path holding
it is refused with ``UnsupportedQueryError`` naming the path; an operand holding it equals
no stored value (so equality, IN, LIKE and STARTS_WITH are false), and ordering or REGEX
operands holding it are refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...domain.codec import DATETIME_TAG
from ...domain.errors import BackendNotAvailableError, UnsupportedQueryError, shown
from ...domain.query import (
    Condition,
    Filter,
    LogicOperator,
    Operator,
    Query,
    SortOrder,
    SortSpec,
    is_storage_key_field,
)
from ...domain.records import split_path
from ...domain.values import RANK_DATETIME, RANK_NUMBER, RANK_STRING, as_instant, type_rank
from .serializer import dumps_operand, text_problem, unstorable

INSTALL_HINT = "the postgres backend needs psycopg 3: pip install 'dataknobs-data[postgres]'"

DATA = "data"
ID_COLUMN = "id"
#: the storage key as a jsonb string, for the operators written over jsonb values
ID_JSON = f"to_jsonb({ID_COLUMN})"
ICU_COLLATION = "und-x-icu"


@functools.cache
def _driver_quote() -> Callable[[str], str]:
    try:
        from psycopg import sql
    except ImportError as err:  # pragma: no cover - the extra installs it
        raise BackendNotAvailableError(INSTALL_HINT) from err

    def quote(text: str) -> str:
        return sql.quote(text)

    return quote


def literal(text: str) -> str:
    """A SQL string literal of ``text``, quoted by the driver so that it reads the same with
    ``standard_conforming_strings`` on or off (``%`` doubled for the ``%s`` placeholders)."""
    problem = text_problem(text)
    if problem is not None:
        raise UnsupportedQueryError(f"field path {shown(text)}: {problem}")
    return _driver_quote()(text).replace("%", "%%")


def check_path(path: str) -> None:
    """Refuse a field path PostgreSQL cannot hold, naming the whole path."""
    problem = text_problem(path)
    if problem is not None:
        raise UnsupportedQueryError(f"field path {shown(path)}: {problem}")


def stored_key(segment: str) -> str:
    """The stored key of a path segment (``$`` keys carry one more ``$``)."""
    return "$" + segment if segment.startswith("$") else segment


def json_path(path: str, column: str = DATA) -> str:
    """The jsonb value at a dotted path: ``data->'a'->'b'`` (NULL when missing)."""
    check_path(path)
    out = column
    for segment in split_path(path):
        out = f"{out}->{literal(stored_key(segment))}"
    return f"({out})"


def text_path(path: str, column: str = DATA) -> str:
    """The text of the value at a path: ``data->'a'->>'b'`` (the string itself for strings)."""
    check_path(path)
    segments = split_path(path)
    out = column
    for segment in segments[:-1]:
        out = f"{out}->{literal(stored_key(segment))}"
    return f"({out}->>{literal(stored_key(segments[-1]))})"


def filter_value(path: str) -> str:
    """The jsonb value a filter on ``path`` reads: the record's id as a jsonb string for the
    path ``id``, else ``json_path`` (projections and indexes read the data alone)."""
    return ID_JSON if is_storage_key_field(path) else json_path(path)


def filter_text(path: str) -> str:
    """The text a filter on ``path`` reads: the id column for ``id``, else ``text_path``."""
    return ID_COLUMN if is_storage_key_field(path) else text_path(path)


def instant_of(v: str) -> str:
    """The instant of a stored datetime (NULL for anything else)."""
    return f"(({v}->>'{DATETIME_TAG}')::timestamptz)"


def has_datetime(value: Any) -> bool:
    t = type(value)
    if t is datetime:
        return True
    if t is list:
        return any(has_datetime(v) for v in value)
    if t is dict:
        return any(has_datetime(v) for v in value.values())
    return False


@dataclass
class SQL:
    """A SQL fragment and its parameters, in order."""

    text: str
    params: list[Any] = field(default_factory=list)


FALSE = "FALSE"
TRUE = "TRUE"


class Translator:
    """Builds WHERE, ORDER BY and projection SQL for one table's ``data`` column.

    ``gin_paths`` lists the paths covered by a GIN ``jsonb_path_ops`` index ("" for the whole
    column): equality filters on them add a containment test the index can answer."""

    def __init__(self, gin_whole_column: bool = False,
                 ilike_collation: str | None = ICU_COLLATION) -> None:
        self.gin_whole_column = gin_whole_column
        #: the collation ILIKE folds case with: ICU's root locale (simple Unicode case
        #: folding, every alphabet) when the server has it, else (None) the database default.
        #: Fixed at construction: the SQL is a function of the query and these settings.
        self.ilike_collation = ilike_collation
        self._dispatch: dict[Operator, Callable[[Filter, str, list[Any]], str]] = {
            Operator.EQ: self._eq,
            Operator.IN: self._in,
            Operator.GT: self._ordering,
            Operator.GTE: self._ordering,
            Operator.LT: self._ordering,
            Operator.LTE: self._ordering,
            Operator.BETWEEN: self._between,
            Operator.LIKE: self._like,
            Operator.ILIKE: self._like,
            Operator.REGEX: self._regex,
            Operator.STARTS_WITH: self._starts_with,
            Operator.EXISTS: self._exists,
            Operator.NOT_EXISTS: self._not_exists,
        }

    # -- conditions ------------------------------------------------------------------------
    def where(self, query: Query) -> SQL:
        """``WHERE ...`` for the query's conditions ("" when there are none)."""
        params: list[Any] = []
        cond = query.condition
        if cond is None:
            return SQL("", params)
        return SQL(f" WHERE {self.condition(cond, params)}", params)

    def condition(self, cond: Condition, params: list[Any]) -> str:
        if isinstance(cond, Filter):
            return self.filter(cond, params)
        parts = [self.condition(c, params) for c in cond.conditions]
        if cond.operator is LogicOperator.NOT:
            return f"(({parts[0]}) IS NOT TRUE)"
        if cond.operator is LogicOperator.AND:
            return "(" + " AND ".join(parts) + ")" if parts else TRUE
        return "(" + " OR ".join(parts) + ")" if parts else FALSE

    def filter(self, f: Filter, params: list[Any]) -> str:
        op = f.operator
        v = filter_value(f.field)
        if op.negated:
            positive = self._dispatch[op.positive](Filter(f.field, op.positive, f.value), v,
                                                   params)
            return f"({v} <> 'null'::jsonb AND ({positive}) IS NOT TRUE)"
        return self._dispatch[op](f, v, params)

    # -- one function per operator ---------------------------------------------------------
    def _exists(self, f: Filter, v: str, params: list[Any]) -> str:
        return f"({v} <> 'null'::jsonb)"

    def _not_exists(self, f: Filter, v: str, params: list[Any]) -> str:
        return f"({v} IS NULL OR {v} = 'null'::jsonb)"

    def _eq(self, f: Filter, v: str, params: list[Any]) -> str:
        if is_storage_key_field(f.field):
            return self._id_in([f.value], params)
        return self.equals(v, f.value, params, f.field)

    @staticmethod
    def _id_in(values: list[Any], params: list[Any]) -> str:
        """The id column equals one of ``values`` (ids are strings: other kinds equal no id,
        nor does text no stored id can hold)."""
        ids = [x for x in values if type(x) is str and not unstorable(x)]
        if not ids:
            return FALSE
        if len(ids) == 1:
            params.append(ids[0])
            return f"({ID_COLUMN} = %s)"
        params.append(ids)
        return f"({ID_COLUMN} = ANY(%s::text[]))"

    def equals(self, v: str, x: Any, params: list[Any], path: str | None = None) -> str:
        """``v`` equals ``x`` by ``values_equal`` (datetimes as instants, deep)."""
        if unstorable(x):
            return FALSE  # no stored value can hold NUL or a lone surrogate
        if type(x) is datetime:
            params.append(as_instant(x))
            return f"({instant_of(v)} = %s)"
        if has_datetime(x):
            return self._deep_equals(v, x, params)
        text = dumps_operand(x)
        if path is not None and self.gin_whole_column and type(x) is not list:
            # a containment test the GIN index answers; the exact test follows
            doc: Any = x
            for segment in reversed(split_path(path)):
                doc = {segment: doc}
            params.append(dumps_operand(doc))
            params.append(text)
            return f"({DATA} @> %s::jsonb AND {v} = %s::jsonb)"
        params.append(text)
        return f"({v} = %s::jsonb)"

    def _deep_equals(self, v: str, x: Any, params: list[Any]) -> str:
        t = type(x)
        if x is None:
            return f"({v} = 'null'::jsonb)"
        if t is datetime:
            params.append(as_instant(x))
            return f"({instant_of(v)} = %s)"
        if t is list:
            if not x:
                return f"({v} = '[]'::jsonb)"
            parts = [f"jsonb_typeof({v}) = 'array'", f"({v}->{len(x) - 1}) IS NOT NULL",
                     f"({v}->{len(x)}) IS NULL"]
            parts += [self._deep_equals(f"({v}->{i})", item, params) for i, item in enumerate(x)]
            return "(" + " AND ".join(parts) + ")"
        if t is dict:
            if not x:
                return f"({v} = '{{}}'::jsonb)"
            keys = [stored_key(k) for k in x]
            params.append(keys)
            parts = [f"({v} - %s::text[]) = '{{}}'::jsonb"]
            parts += [self._deep_equals(f"({v}->{literal(stored_key(k))})", item, params)
                      for k, item in x.items()]
            return (f"(CASE WHEN jsonb_typeof({v}) = 'object' AND NOT {v} ? '{DATETIME_TAG}' "
                    f"THEN {' AND '.join(parts)} ELSE FALSE END)")
        params.append(dumps_operand(x))
        return f"({v} = %s::jsonb)"

    def _in(self, f: Filter, v: str, params: list[Any]) -> str:
        if is_storage_key_field(f.field):
            return self._id_in(f.value, params)
        plain: list[str] = []
        instants: list[datetime] = []
        deep: list[Any] = []
        for item in f.value:
            if unstorable(item):
                continue
            if type(item) is datetime:
                instants.append(as_instant(item))
            elif has_datetime(item):
                deep.append(item)
            else:
                plain.append(dumps_operand(item))
        parts: list[str] = []
        if plain:
            params.append(plain)
            parts.append(f"{v} = ANY(%s::jsonb[])")
        if instants:
            params.append(instants)
            parts.append(f"{instant_of(v)} = ANY(%s::timestamptz[])")
        parts += [self._deep_equals(v, item, params) for item in deep]
        if not parts:
            return FALSE
        return "(" + " OR ".join(parts) + ")"

    def _compare(self, v: str, path: str, sql_op: str, x: Any, params: list[Any]) -> str:
        rank = type_rank(x)
        if rank == RANK_NUMBER:
            params.append(dumps_operand(x))
            bound = f" AND {v} < 'false'::jsonb" if sql_op.startswith(">") else ""
            return f"(jsonb_typeof({v}) = 'number' AND {v} {sql_op} %s::jsonb{bound})"
        if rank == RANK_STRING:
            problem = text_problem(x)
            if problem is not None:
                raise UnsupportedQueryError(
                    f"filter {shown(path)}: operand {shown(x)}: {problem}, so PostgreSQL "
                    "cannot compare it")
            params.append(x)
            return (f"(jsonb_typeof({v}) = 'string' AND "
                    f"{filter_text(path)} COLLATE \"C\" {sql_op} %s)")
        if rank == RANK_DATETIME:
            params.append(as_instant(x))
            return f"({instant_of(v)} {sql_op} %s)"
        return FALSE  # pragma: no cover - operands are validated when the filter is built

    def _ordering(self, f: Filter, v: str, params: list[Any]) -> str:
        return self._compare(v, f.field, _ORDERING[f.operator], f.value, params)

    def _between(self, f: Filter, v: str, params: list[Any]) -> str:
        low, high = f.value
        return (f"({self._compare(v, f.field, '>=', low, params)} AND "
                f"{self._compare(v, f.field, '<=', high, params)})")

    def _like(self, f: Filter, v: str, params: list[Any]) -> str:
        pattern: str = f.value
        if unstorable(pattern):
            return FALSE  # a literal NUL or lone surrogate can match no stored string
        params.append(like_pattern(pattern))
        if f.operator is Operator.ILIKE:
            collate = f' COLLATE "{self.ilike_collation}"' if self.ilike_collation else ""
            return f"(jsonb_typeof({v}) = 'string' AND {filter_text(f.field)}{collate} ILIKE %s)"
        return f"(jsonb_typeof({v}) = 'string' AND {filter_text(f.field)} COLLATE \"C\" LIKE %s)"

    def _regex(self, f: Filter, v: str, params: list[Any]) -> str:
        problem = text_problem(f.value)
        if problem is not None:
            raise UnsupportedQueryError(
                f"filter {shown(f.field)} REGEX: pattern {shown(f.value)}: {problem}")
        params.append(regex_pattern(f.value))
        return f"(jsonb_typeof({v}) = 'string' AND {filter_text(f.field)} ~ %s)"

    def _starts_with(self, f: Filter, v: str, params: list[Any]) -> str:
        if unstorable(f.value):
            return FALSE
        params.append(f.value)
        return f"(jsonb_typeof({v}) = 'string' AND starts_with({filter_text(f.field)}, %s))"

    # -- sort, paging, projection ----------------------------------------------------------
    def order_by(self, specs: Sequence[SortSpec]) -> str:
        """``ORDER BY`` with the reference order: by type rank (boolean, number, string,
        datetime, list, object), then value within the type, missing and null last in both
        directions, ties by id."""
        keys: list[str] = []
        for spec in specs:
            direction = "DESC" if spec.order is SortOrder.DESC else "ASC"
            if is_storage_key_field(spec.field):
                keys.append(f'{ID_COLUMN} COLLATE "C" {direction}')
                continue
            v = json_path(spec.field)
            keys.append(
                f"CASE jsonb_typeof({v}) WHEN 'boolean' THEN 0 WHEN 'number' THEN 1 "
                f"WHEN 'string' THEN 2 WHEN 'array' THEN 4 WHEN 'object' THEN "
                f"(CASE WHEN {v} ? '{DATETIME_TAG}' THEN 3 ELSE 5 END) END "
                f"{direction} NULLS LAST")
            keys.append(f"CASE WHEN jsonb_typeof({v}) IN ('boolean', 'number') THEN {v} END "
                        f"{direction}")
            keys.append(f"CASE WHEN jsonb_typeof({v}) = 'string' THEN {text_path(spec.field)} "
                        f"END COLLATE \"C\" {direction}")
            keys.append(f"{instant_of(v)} {direction}")
        keys.append(ID_COLUMN)
        return " ORDER BY " + ", ".join(keys)

    @staticmethod
    def paging(query: Query) -> str:
        out = ""
        if query.limit_value is not None:
            out += f" LIMIT {int(query.limit_value)}"
        if query.offset_value:
            out += f" OFFSET {int(query.offset_value)}"
        return out

    @staticmethod
    def projection(fields: Sequence[str]) -> str:
        """The selected columns of a projected query: one jsonb text per field path."""
        return ", ".join(f"{json_path(p)}::text" for p in fields)


_ORDERING = {Operator.GT: ">", Operator.GTE: ">=", Operator.LT: "<", Operator.LTE: "<="}


def like_pattern(pattern: str) -> str:
    """A LIKE pattern PostgreSQL reads as ``domain.operators.like_to_regex`` does: ``\\``
    escapes the next character; a trailing lone ``\\`` is a literal backslash."""
    if pattern.endswith("\\"):
        # count the run of backslashes: an odd run ends in an escape with nothing to escape
        run = len(pattern) - len(pattern.rstrip("\\"))
        if run % 2 == 1:
            return pattern + "\\"
    return pattern


def regex_pattern(pattern: str) -> str:
    """A portable pattern for PostgreSQL's ``~`` (its ``^`` and ``$`` anchor at the very
    start and end of the string, as the specification says: no rewriting needed)."""
    return pattern


def index_expression(path: str | None, kind: str) -> str:
    """The indexed expression of an ``IndexSpec`` (the same text queries use)."""
    if kind == "gin":
        return f"({DATA} jsonb_path_ops)" if path is None else f"({json_path(path)} jsonb_path_ops)"
    assert path is not None
    if kind == "text":
        return f"(({text_path(path)} COLLATE \"C\"))"
    return f"({json_path(path)})"
