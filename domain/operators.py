"""The filter operators and the semantics of each, over one value: written once.

``Operator`` names the operators (with their dataknobs-data spellings and aliases);
``value_predicate(op, operand)`` is each operator's meaning as a predicate over a looked-up
value, as docs/query-semantics.md specifies it. ``domain.query`` builds filters from these
names, ``domain.matcher`` evaluates whole queries (its generated fast paths fall back on, and
are tested against, these predicates), and the translators of the PostgreSQL and
Elasticsearch adapters render LIKE from ``like_tokens`` so that every backend reads a pattern
alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from .errors import QueryError
from .values import (
    MISSING,
    RANK_BOOL,
    RANK_DATETIME,
    RANK_NUMBER,
    RANK_STRING,
    as_instant,
    hash_key,
    type_rank,
    values_equal,
)

ValuePredicate = Callable[[Any], bool]


class Operator(Enum):
    """Filter operators. Values are the dataknobs-data spellings."""

    EQ = "="
    NEQ = "!="
    GT = ">"
    GTE = ">="
    LT = "<"
    LTE = "<="
    IN = "in"
    NOT_IN = "not_in"
    LIKE = "like"
    NOT_LIKE = "not_like"
    ILIKE = "ilike"
    REGEX = "regex"
    STARTS_WITH = "starts_with"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    BETWEEN = "between"
    NOT_BETWEEN = "not_between"

    @classmethod
    def _missing_(cls, value: object) -> Operator | None:
        if isinstance(value, str):
            text = value.strip().lower().replace(" ", "_")
            aliases = {"==": "=", "eq": "=", "ne": "!=", "neq": "!=", "<>": "!=", "gt": ">",
                       "gte": ">=", "ge": ">=", "lt": "<", "lte": "<=", "le": "<="}
            text = aliases.get(text, text)
            for member in cls:
                if member.value == text or member.name.lower() == text:
                    return member
        return None

    @property
    def negated(self) -> bool:
        """Whether this is the negated form of a positive operator."""
        return self in _NEGATED

    @property
    def positive(self) -> Operator:
        """The positive operator of a negated one (itself for positives)."""
        return _NEGATED.get(self, self)


def coerce_operator(operator: Operator | str) -> Operator:
    """The ``Operator`` a spelling names: a member, its value (``">="``, ``"not_in"``), its
    name in any case (``"NOT_IN"``, ``"not in"``) or an alias (``"=="``, ``"<>"``, ``"gte"``).

    Raises ``QueryError`` (a ``ValueError``, as dataknobs-data 0.11 raises) naming the
    spelling and the valid operators; a typo is never read as equality."""
    if isinstance(operator, Operator):
        return operator
    try:
        return Operator(operator)
    except ValueError:
        valid = ", ".join(m.name for m in Operator)
        raise QueryError(f"unknown operator {operator!r}; valid: {valid}") from None


_NEGATED = {
    Operator.NEQ: Operator.EQ,
    Operator.NOT_IN: Operator.IN,
    Operator.NOT_LIKE: Operator.LIKE,
    Operator.NOT_BETWEEN: Operator.BETWEEN,
}

ORDERING_OPERATORS = frozenset({Operator.GT, Operator.GTE, Operator.LT, Operator.LTE})
PATTERN_OPERATORS = frozenset({Operator.LIKE, Operator.NOT_LIKE, Operator.ILIKE})


def like_tokens(pattern: str) -> Iterator[tuple[bool, str]]:
    """A SQL LIKE pattern as (wildcard, character) pairs: ``(True, "%")`` any run,
    ``(True, "_")`` one character, ``(False, c)`` the literal ``c``. ``\\`` escapes the next
    character; a lone trailing ``\\`` is a literal backslash (specification R40, R41).
    Every backend renders LIKE from these tokens, so they all read a pattern alike."""
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            yield False, pattern[i + 1]
            i += 2
            continue
        yield ch in "%_", ch
        i += 1


def like_to_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile a SQL LIKE pattern: ``%`` any run, ``_`` one character, ``\\`` escapes."""
    out = [(".*" if ch == "%" else ".") if wild else re.escape(ch)
           for wild, ch in like_tokens(pattern)]
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


def value_predicate(op: Operator, x: Any) -> ValuePredicate:
    """The semantics of ``op`` with operand ``x``: a predicate over one looked-up value
    (``MISSING`` when the field is absent). Every other evaluation of a query in Python (the
    generated code of ``domain.matcher``) is derived from these and tested against them."""
    pred: ValuePredicate
    if op is Operator.EXISTS:
        return lambda v: v is not MISSING and v is not None
    if op is Operator.NOT_EXISTS:
        return lambda v: v is MISSING or v is None
    if op.negated:
        positive = value_predicate(op.positive, x)
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
        pattern = x
        # ``$`` is portable only as the last character. Python's ``$`` would also match before
        # a trailing newline; PostgreSQL's and Lucene's do not: anchor at the very end.
        backslashes = len(x[:-1]) - len(x[:-1].rstrip("\\"))
        if x.endswith("$") and backslashes % 2 == 0:
            pattern = x[:-1] + r"\Z"
        search = re.compile(pattern, re.DOTALL).search
        pred = lambda v: type(v) is str and search(v) is not None  # noqa: E731
    elif op is Operator.STARTS_WITH:
        pred = lambda v: type(v) is str and v.startswith(x)  # noqa: E731
    else:  # pragma: no cover - every operator is handled above
        raise QueryError(f"operator {op.name} has no reference semantics")
    return pred
