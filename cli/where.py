"""Parsing the command line's ``--where``, ``--sort`` and ``--select`` flags into a Query.

One ``--where`` is one condition (repeat the flag for AND)::

    condition  :=  ["not"] FIELD OPERATOR
    FIELD      :=  a dotted path (team.name), or quoted ("first name")

    =  ==  !=  >  >=  <  <=  VALUE      EQ NEQ GT GTE LT LTE      "age>=30"
    ~ VALUE                             REGEX (portable subset)   name~^A
    ^= VALUE                            STARTS_WITH               name^=Ad
    [not] like / ilike VALUE            LIKE / ILIKE (% and _)    "name like A%"
    [not] in VALUE,VALUE,...            IN / NOT_IN               'city in "Paris, TX",Lima'
    [not] between VALUE and VALUE       BETWEEN / NOT_BETWEEN     "age between 30 and 39"
    exists / missing / not exists       EXISTS / NOT_EXISTS       "email exists"

Words are case-insensitive. Values are typed exactly as CSV cells are on import
(``cells.read_cell``): numbers without leading zeros, ``true``/``false``, ``null``, ISO dates and
datetimes, JSON lists and objects; anything else is text (``zip=0123``). A value in single or
double quotes is text, taken literally (``zip="30"``, ``"Paris, TX"``); inside quotes a
backslash escapes the quote or a backslash. The patterns of ``~``, ``^=``, ``like`` and
``ilike`` are always text. Errors quote the flag and point at the character they stopped at.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..domain.errors import ConfigurationError, DataError, QueryError, shown
from ..domain.query import Condition, Filter, Not, Operator, Query, SortOrder
from ..ports.options import suggest
from .cells import MISSING, read_cell

#: the symbol operators, longest first so ``>=`` is not read as ``>``
_SYMBOLS: tuple[tuple[str, Operator], ...] = (
    (">=", Operator.GTE), ("<=", Operator.LTE), ("!=", Operator.NEQ), ("==", Operator.EQ),
    ("^=", Operator.STARTS_WITH), ("=", Operator.EQ), (">", Operator.GT), ("<", Operator.LT),
    ("~", Operator.REGEX),
)
_SYMBOL_CHARS = "=<>!~^"
_QUOTES = "\"'"
#: word operators and their negated forms (``not in`` ...)
_WORDS: dict[str, tuple[Operator, Operator | None]] = {
    "in": (Operator.IN, Operator.NOT_IN),
    "like": (Operator.LIKE, Operator.NOT_LIKE),
    "ilike": (Operator.ILIKE, None),
    "between": (Operator.BETWEEN, Operator.NOT_BETWEEN),
    "exists": (Operator.EXISTS, Operator.NOT_EXISTS),
    "missing": (Operator.NOT_EXISTS, Operator.EXISTS),
}
_OPERATORS = "= != > >= < <= ~ ^= like ilike in between exists missing (and 'not ...')"


def _typed(text: str) -> Any:
    try:
        value = read_cell(text)
    except DataError as err:
        raise ConfigurationError(f"cannot read the value {shown(text)}: {err}") from None
    return "" if value is MISSING else value


def parse_value(text: str) -> Any:
    """A flag's value typed exactly as a CSV cell is on import (``cells.read_cell``), so
    ``--where zip=09156`` finds the ``09156`` a CSV import kept as text; quotes (single or
    double) keep text, and an empty value is the empty string."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        return text[1:-1]
    return _typed(text)


class _Reader:
    """A cursor over one ``--where`` text that reports errors pointing at a character."""

    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.pos = 0

    def fail(self, message: str, at: int | None = None) -> ConfigurationError:
        at = self.pos if at is None else at
        return ConfigurationError(
            f"cannot read --where {self.expr!r}: {message} (at character {at + 1})\n"
            f"  {self.expr}\n  {' ' * at}^")

    def skip_space(self) -> None:
        while self.pos < len(self.expr) and self.expr[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.expr)

    def peek(self) -> str:
        return self.expr[self.pos] if self.pos < len(self.expr) else ""

    def word(self) -> str:
        """The run of letters at the cursor (consumed), lowercased."""
        start = self.pos
        while self.pos < len(self.expr) and self.expr[self.pos].isalpha():
            self.pos += 1
        return self.expr[start:self.pos].lower()

    def next_word_is(self, word: str) -> bool:
        """Whether ``word`` (a whole word) follows, without consuming it."""
        self.skip_space()
        end = self.pos + len(word)
        return (self.expr[self.pos:end].lower() == word
                and (end == len(self.expr) or self.expr[end].isspace()))

    def quoted(self) -> str:
        """The quoted text at the cursor, without its quotes (consumed)."""
        quote, start = self.expr[self.pos], self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.expr):
            char = self.expr[self.pos]
            if char == "\\" and self.pos + 1 < len(self.expr) \
                    and self.expr[self.pos + 1] in (quote, "\\"):
                out.append(self.expr[self.pos + 1])
                self.pos += 2
            elif char == quote:
                self.pos += 1
                return "".join(out)
            else:
                out.append(char)
                self.pos += 1
        raise self.fail(f"the quote {quote} opened here is never closed", start)

    def field(self) -> str:
        self.skip_space()
        start = self.pos
        if self.peek() in _QUOTES and self.peek():
            name = self.quoted()
        else:
            while self.pos < len(self.expr) and not self.expr[self.pos].isspace() \
                    and self.expr[self.pos] not in _SYMBOL_CHARS:
                self.pos += 1
            name = self.expr[start:self.pos]
        if not name:
            raise self.fail("expected a field name", start)
        return name

    def value(self, *, typed: bool, stop: str | None = None) -> Any:
        """A quoted value (text), or the bare text up to ``stop`` (a character or a word; the
        end when None), stripped and typed when ``typed``."""
        self.skip_space()
        start = self.pos
        if self.peek() and self.peek() in _QUOTES:
            text = self.quoted()
            self.skip_space()
            if self.pos < len(self.expr) and not (
                    stop is not None and (self.next_word_is(stop) if len(stop) > 1
                                          else self._at_stop(stop))):
                raise self.fail("unexpected text after the quoted value", self.pos)
            return text
        depth = 0  # a JSON list or object in a list keeps its commas
        while self.pos < len(self.expr) and not (
                depth == 0 and stop is not None and self._at_stop(stop)):
            char = self.expr[self.pos]
            depth += (char in "[{") - (char in "]}") if depth or char in "[{" else 0
            self.pos += 1
        text = self.expr[start:self.pos].strip()
        if not text:
            raise self.fail("expected a value (quote an empty one: \"\")", start)
        return _typed(text) if typed else text

    def _at_stop(self, stop: str) -> bool:
        if len(stop) == 1:
            return self.expr[self.pos] == stop
        rest = self.expr[self.pos:].lstrip()
        return (self.expr[self.pos].isspace() and rest[:len(stop)].lower() == stop
                and rest[len(stop):len(stop) + 1] in ("", " ", "\t"))


def _read(expr: str) -> tuple[bool, str, Operator, Any]:
    reader = _Reader(expr)
    reader.skip_space()
    negate = False
    if reader.next_word_is("not"):
        # "not = 3" compares a field called "not"; "not age>3" negates
        after = reader.pos + 3
        rest = expr[after:].lstrip()
        if rest and rest[0] not in _SYMBOL_CHARS:
            negate, reader.pos = True, after
    field = reader.field()
    if reader.at_end():
        raise reader.fail(f"expected an operator after {field!r}: one of {_OPERATORS}")
    start = reader.pos
    if reader.peek() in _SYMBOL_CHARS:
        symbol, op = next((s, o) for s, o in (*_SYMBOLS, ("!", Operator.NEQ))
                          if expr.startswith(s, start))
        if symbol == "!":
            raise reader.fail("'!' is not an operator (use != or 'not')", start)
        reader.pos += len(symbol)
        if reader.peek() and reader.peek() in "=<>!":
            raise reader.fail(
                f"{expr[start:reader.pos + 1]!r} is not an operator (use = != > >= < <= ~ ^=; "
                "quote a value that starts with one)", reader.pos)
        if op in (Operator.REGEX, Operator.STARTS_WITH):
            return negate, field, op, reader.value(typed=False)
        return negate, field, op, reader.value(typed=True)
    word = reader.word()
    negated_word = False
    if word == "not":
        negated_word = True
        reader.skip_space()
        start = reader.pos
        word = reader.word()
    if word not in _WORDS or (negated_word and _WORDS[word][1] is None):
        shown_word = word or expr[start:start + 1]
        hint = suggest(word, _WORDS) if word else ""
        if negated_word and word == "ilike":
            raise reader.fail(f"'not ilike' is not an operator; write 'not {field} ilike ...'",
                              start)
        raise reader.fail(f"{shown_word!r} is not an operator{hint} (use {_OPERATORS})", start)
    positive, negative = _WORDS[word]
    op = negative if negated_word and negative is not None else positive
    if reader.pos < len(expr) and not expr[reader.pos].isspace():
        raise reader.fail(f"expected a space after {word!r}", reader.pos)
    if op in (Operator.EXISTS, Operator.NOT_EXISTS):
        if not reader.at_end():
            raise reader.fail(f"unexpected text after {word!r}")
        return negate, field, op, None
    if op in (Operator.LIKE, Operator.NOT_LIKE, Operator.ILIKE):
        return negate, field, op, reader.value(typed=False)
    if op in (Operator.IN, Operator.NOT_IN):
        items = [reader.value(typed=True, stop=",")]
        while reader.peek() == ",":
            reader.pos += 1
            items.append(reader.value(typed=True, stop=","))
        return negate, field, op, items
    low = reader.value(typed=True, stop="and")
    if not reader.next_word_is("and"):
        raise reader.fail("expected 'and' between the two bounds: "
                          f"{field} between LOW and HIGH")
    reader.pos += 3
    high = reader.value(typed=True)
    return negate, field, op, [low, high]


def parse_where(expr: str) -> Condition:
    """``"age>=30"`` -> ``Filter("age", Operator.GTE, 30)``; ``"not ..."`` gives its ``Not``.
    Bad input raises a ConfigurationError quoting the flag and pointing at the character."""
    negate, field, op, value = _read(expr)
    try:
        condition: Condition = Filter(field, op, value)
    except (QueryError, ValueError, TypeError) as err:
        raise ConfigurationError(f"--where {expr!r}: {err}") from None
    return Not(condition) if negate else condition


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
        query = query.where(parse_where(expr))
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


def where_fields(where: Iterable[str]) -> list[str]:
    """The fields the ``--where`` flags name, in order, each once."""
    out: list[str] = []
    for expr in where:
        field = _read(expr)[1]
        if field not in out:
            out.append(field)
    return out


__all__ = ["build_query", "parse_value", "parse_where", "where_fields"]
