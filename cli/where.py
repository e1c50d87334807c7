"""Parsing the command line's ``--where``, ``--sort`` and ``--select`` flags into a Query.

``--where`` takes ``FIELD OP VALUE``; the operators are::

    =  ==  !=  >  >=  <  <=     EQ NEQ GT GTE LT LTE
    ~                           REGEX (portable subset)         name~^A
    ^=                          STARTS_WITH                     name^=Ad
    " like " / " ilike "        LIKE / ILIKE (% and _)          "name like A%"
    " in " / " not in "         IN / NOT_IN, comma separated    "city in Oslo,Rome"
    " exists" / " missing"      EXISTS / NOT_EXISTS             "email exists"

Values are typed exactly as CSV cells are on import (``cells.read_cell``): numbers without
leading zeros, ``true``/``false``, ``null``, ISO dates and datetimes, JSON lists and objects;
anything else is text (``zip=0123``), and quotes keep a value text (``zip="30"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..domain.errors import ConfigurationError, DataError, shown
from ..domain.query import Operator, Query, SortOrder
from .cells import MISSING, read_cell

_SYMBOLS: tuple[tuple[str, Operator], ...] = (
    (">=", Operator.GTE), ("<=", Operator.LTE), ("!=", Operator.NEQ), ("==", Operator.EQ),
    ("^=", Operator.STARTS_WITH), ("=", Operator.EQ), (">", Operator.GT), ("<", Operator.LT),
    ("~", Operator.REGEX),
)
_WORDS: tuple[tuple[str, Operator], ...] = (
    (" not in ", Operator.NOT_IN), (" in ", Operator.IN), (" not like ", Operator.NOT_LIKE),
    (" ilike ", Operator.ILIKE), (" like ", Operator.LIKE),
)
_FIELD = re.compile(r"^[^\s=<>!~^]+$")


def parse_value(text: str) -> Any:
    """A flag's value typed exactly as a CSV cell is on import (``cells.read_cell``), so
    ``--where zip=09156`` finds the ``09156`` a CSV import kept as text; quotes (single or
    double) keep text, and an empty value is the empty string."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    try:
        value = read_cell(text)
    except DataError as err:
        raise ConfigurationError(f"cannot read the value {shown(text)}: {err}") from None
    return "" if value is MISSING else value


def parse_where(expr: str) -> tuple[str, Operator, Any]:
    """``"age>=30"`` -> ``("age", Operator.GTE, 30)``; bad input raises naming it."""
    text = expr.strip()
    for suffix, op in ((" exists", Operator.EXISTS), (" missing", Operator.NOT_EXISTS)):
        if text.lower().endswith(suffix):
            field = text[: -len(suffix)].strip()
            if _FIELD.match(field):
                return field, op, None
    lowered = text.lower()
    for word, op in _WORDS:
        at = lowered.find(word)
        if at > 0:
            field, raw = text[:at].strip(), text[at + len(word):]
            if not _FIELD.match(field):
                break
            if op in (Operator.IN, Operator.NOT_IN):
                return field, op, [parse_value(part) for part in raw.split(",")]
            return field, op, raw.strip()
    for symbol, op in _SYMBOLS:
        at = text.find(symbol)
        if at > 0:
            field, raw = text[:at].strip(), text[at + len(symbol):]
            if not _FIELD.match(field):
                continue
            if raw[:1] in ("=", "<", ">", "!"):
                raise ConfigurationError(
                    f"cannot read --where {expr!r}: {text[at:at + len(symbol) + 1]!r} is not "
                    "an operator (use = != > >= < <= ~ ^=; quote a value that starts with one)")
            if op in (Operator.REGEX, Operator.STARTS_WITH):
                return field, op, raw.strip()
            return field, op, parse_value(raw)
    raise ConfigurationError(
        f"cannot read --where {expr!r}: expected FIELD OP VALUE with OP one of "
        "= != > >= < <= ~ ^= like ilike in 'not in', or 'FIELD exists' / 'FIELD missing'"
    )


def build_query(
    where: Iterable[str] = (),
    sort: Iterable[str] = (),
    limit: int | None = None,
    offset: int | None = None,
    select: Iterable[str] = (),
) -> Query:
    """A Query from the command line's flags (``--sort -age`` sorts descending)."""
    query = Query()
    for expr in where:
        field, op, value = parse_where(expr)
        try:
            query = query.filter(field, op, value)
        except (ValueError, TypeError) as err:
            raise ConfigurationError(f"--where {expr!r}: {err}") from None
    for part in (p.strip() for key in sort for p in key.split(",")):
        if part.startswith("-"):
            query = query.sort(part[1:], SortOrder.DESC)
        elif part:
            query = query.sort(part.lstrip("+"), SortOrder.ASC)
    if offset:
        if offset < 0:
            raise ConfigurationError(f"--offset must be 0 or more, not {offset}")
        query = query.offset(offset)
    if limit is not None:
        if limit < 0:
            raise ConfigurationError(f"--limit must be 0 or more, not {limit}")
        query = query.limit(limit)
    fields = [f.strip() for item in select for f in item.split(",") if f.strip()]
    if fields:
        query = query.select(*fields)
    return query


__all__ = ["build_query", "parse_value", "parse_where"]
