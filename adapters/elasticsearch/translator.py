"""Queries to the Elasticsearch query DSL: the one translator sync and async share.

``OPERATORS`` is a dispatch table from operator to a function building the DSL clause over
the shadow fields of ``serializer`` (``q.<field>.<sub>``). Every clause is the exact
predicate of docs/query-semantics.md, so ``bool`` composition needs no three-valued
patching: ``must_not`` is the exact complement, and each negated operator is "has a value
and not the positive one". The translator also builds the sort (type rank first, then the
typed keys, missing last in both directions, ``rid`` as the tie-break).

Strings are indexed by their first ``STRING_PREFIX`` characters; ordering and prefix
operands up to that length stay exact (see the module docstring of ``serializer``). Longer
operands raise ``UnsupportedQueryError``; pattern operators over fields that hold longer
strings are refused at run time (``pattern_paths`` tells the caller which paths to check).
An operand no stored value can hold (a lone surrogate, nesting deeper than ``MAX_DEPTH``)
raises ``QueryError`` naming the filter: Elasticsearch would replace the surrogate with
U+FFFD and answer for another string.

The path ``id`` is the record's storage key: its filters read the ``rid`` keyword (term,
terms, range, wildcard, regexp, prefix; ``ID_OPERATORS``) and a sort key ``id`` sorts on it,
never on a data field named ``id``. The whole id is indexed (ids are at most
``MAX_ID_BYTES``), and keyword order is UTF-8 byte order, which is code point order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...domain.errors import QueryError, SerializationError, UnsupportedQueryError
from ...domain.operators import like_tokens
from ...domain.query import (
    Condition,
    Filter,
    LogicCondition,
    LogicOperator,
    Operator,
    SortOrder,
    is_storage_key_field,
)
from ...domain.query import SortSpec as SortSpec
from ...domain.values import (
    RANK_BOOL,
    RANK_DATETIME,
    RANK_NUMBER,
    RANK_STRING,
    check_texts,
    type_rank,
)
from .serializer import (
    ID_FIELD,
    MAX_DEPTH,
    STRING_PREFIX,
    equality_key,
    fold_char,
    instant_code,
    number_code,
    shadow_field,
    too_deep,
)

Clause = dict[str, Any]
MATCH_ALL: Clause = {"match_all": {}}
MATCH_NONE: Clause = {"match_none": {}}

#: The shadow subfields a sort reads, in order, with the type used where a field is unmapped.
#: Ascending, boolean < number < string < datetime < list < object falls out of the key
#: order (each key missing last); descending takes the types in reverse (``sl`` always
#: right after ``s``: it only breaks ties between equal prefixes).
SORT_FIELDS: tuple[tuple[str, str], ...] = (
    ("b", "boolean"), ("n", "keyword"), ("s", "keyword"), ("sl", "boolean"),
    ("d", "keyword"), ("o", "byte"),
)
SORT_FIELDS_DESC: tuple[tuple[str, str], ...] = (
    ("o", "byte"), ("d", "keyword"), ("s", "keyword"), ("sl", "boolean"),
    ("n", "keyword"), ("b", "boolean"),
)
#: The subfields of which one is set for every present, non-null value.
VALUE_FIELDS = ("b", "n", "s", "d", "h")


def _and(*clauses: Clause) -> Clause:
    return {"bool": {"filter": list(clauses)}}


def _or(*clauses: Clause) -> Clause:
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}}


def _not(clause: Clause) -> Clause:
    return {"bool": {"must_not": [clause]}}


def _term(name: str, value: Any) -> Clause:
    return {"term": {name: {"value": value}}}


def _range(name: str, op: str, value: Any) -> Clause:
    return {"range": {name: {op: value}}}


_RANGE_OPS = {Operator.GT: "gt", Operator.GTE: "gte", Operator.LT: "lt", Operator.LTE: "lte"}


def _long_string(path: str) -> Clause:
    return _term(shadow_field(path, "sl"), True)


def _ordering(path: str, op: Operator, value: Any) -> Clause:
    rank = type_rank(value)
    if rank == RANK_NUMBER:
        return _range(shadow_field(path, "n"), _RANGE_OPS[op], number_code(value))
    if rank == RANK_DATETIME:
        assert isinstance(value, datetime)
        return _range(shadow_field(path, "d"), _RANGE_OPS[op], instant_code(value))
    assert rank == RANK_STRING
    if len(value) > STRING_PREFIX:
        raise UnsupportedQueryError(
            f"filter {path!r} {op.name}: elasticsearch compares strings by their first "
            f"{STRING_PREFIX} characters; the operand has {len(value)}")
    s = shadow_field(path, "s")
    # A longer stored string is represented by its prefix p: v > x <=> p >= x and
    # v <= x <=> p < x (for |x| <= STRING_PREFIX); shorter strings compare as themselves.
    if op is Operator.GT:
        return _or(_range(s, "gt", value), _and(_term(s, value), _long_string(path)))
    if op is Operator.GTE:
        return _range(s, "gte", value)
    if op is Operator.LT:
        return _range(s, "lt", value)
    return _or(_range(s, "lt", value),
               {"bool": {"filter": [_term(s, value)], "must_not": [_long_string(path)]}})


def like_to_wildcard(pattern: str, ignore_case: bool = False) -> str:
    """A SQL LIKE pattern as a Lucene wildcard (``%`` -> ``*``, ``_`` -> ``?``, ``\\``
    escapes the next character; Lucene's ``*``, ``?`` and ``\\`` are escaped). With
    ``ignore_case`` the literal characters are case-folded (matched against ``sf``)."""
    out: list[str] = []
    for wild, ch in like_tokens(pattern):
        if wild:
            out.append("*" if ch == "%" else "?")
            continue
        ch = fold_char(ch) if ignore_case else ch
        out.append("\\" + ch if ch in "*?\\" else ch)
    return "".join(out)


# Characters Lucene's regular expressions treat as operators although the portable subset
# (and Python) read them as literals.
_LUCENE_LITERAL_ESCAPES = frozenset('"@&~<>#')


def _regex_tokens(pattern: str) -> list[str]:
    """The portable subset as Lucene tokens: escapes, bracket classes (with ``]`` and edge
    ``-`` escaped), groups, ``|`` and single characters (Lucene operators escaped)."""
    tokens: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            tokens.append(pattern[i : i + 2])
            i += 2
        elif ch == "[":
            j = i + 1
            body = ["["]
            if j < n and pattern[j] == "^":
                body.append("^")
                j += 1
            first = True
            while j < n and (pattern[j] != "]" or first):
                c = pattern[j]
                if c == "\\":
                    body.append(pattern[j : j + 2])
                    j += 2
                else:
                    edge = first or pattern[j + 1 : j + 2] == "]"
                    body.append("\\" + c if c == "]" or (c == "-" and edge) else c)
                    j += 1
                first = False
            body.append("]")
            tokens.append("".join(body))
            i = j + 1
        else:
            tokens.append("\\" + ch if ch in _LUCENE_LITERAL_ESCAPES else ch)
            i += 1
    return tokens


def _regex_branches(pattern: str) -> list[str]:
    """Translate the portable subset to Lucene syntax and split it at top-level ``|``;
    empty alternatives become ``()`` (Lucene has no empty branch)."""
    tokens = _regex_tokens(pattern)
    filled: list[str] = []
    for index, tok in enumerate(tokens):
        if tok == "|":
            if index == 0 or tokens[index - 1] in ("(", "|"):
                filled.append("()")
            filled.append("|")
            if index + 1 == len(tokens) or tokens[index + 1] in (")", "|"):
                filled.append("()")
        else:
            filled.append(tok)
    branches: list[str] = []
    current: list[str] = []
    depth = 0
    for tok in filled:
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif tok == "|" and depth == 0:
            branches.append("".join(current))
            current = []
            continue
        current.append(tok)
    branches.append("".join(current))
    return branches


def regex_to_lucene(pattern: str) -> str:
    """A portable-subset regex with search semantics as an anchored Lucene regexp.

    Unanchored sides get ``.*``; ``^`` (first branch) anchors the start; ``$`` (last branch)
    anchors the very end (docs/query-semantics.md: no allowance for a final newline)."""
    anchored_start = pattern.startswith("^")
    body = pattern[1:] if anchored_start else pattern
    anchored_end = False
    if body.endswith("$"):
        backslashes = len(body) - 1 - len(body[:-1].rstrip("\\"))
        if backslashes % 2 == 0:
            anchored_end = True
            body = body[:-1]
    branches = _regex_branches(body)
    parts = []
    for index, branch in enumerate(branches):
        start = "" if anchored_start and index == 0 else ".*"
        end = "" if anchored_end and index == len(branches) - 1 else ".*"
        parts.append(f"{start}({branch or '()'}){end}")
    return "|".join(f"({p})" for p in parts) if len(parts) > 1 else parts[0]


def _equal_terms(path: str, values: list[Any]) -> list[Clause]:
    """Term clauses matching a value equal to one of ``values`` (grouped by typed field)."""
    groups: dict[str, set[Any]] = {}
    exact_prefix: list[str] = []
    for value in values:
        rank = type_rank(value)
        if rank == RANK_NUMBER:
            groups.setdefault("n", set()).add(number_code(value))
        elif rank == RANK_DATETIME:
            groups.setdefault("d", set()).add(instant_code(value))
        elif rank == RANK_BOOL:
            groups.setdefault("b", set()).add(bool(value))
        elif rank == RANK_STRING and len(value) < STRING_PREFIX:
            groups.setdefault("s", set()).add(value)
        elif rank == RANK_STRING and len(value) == STRING_PREFIX:
            exact_prefix.append(value)  # equal to s, and not a longer string
        else:  # lists, objects and long strings: the canonical key
            groups.setdefault("h", set()).add(equality_key(value))
    clauses: list[Clause] = []
    for sub, keys in sorted(groups.items()):
        name = shadow_field(path, sub)
        if len(keys) == 1:
            clauses.append(_term(name, next(iter(keys))))
        else:
            clauses.append({"terms": {name: sorted(keys)}})
    for value in exact_prefix:
        clauses.append({"bool": {"filter": [_term(shadow_field(path, "s"), value)],
                                 "must_not": [_long_string(path)]}})
    return clauses


def _eq(path: str, value: Any) -> Clause:
    return _equal_terms(path, [value])[0]


def _in(path: str, values: list[Any]) -> Clause:
    clauses = _equal_terms(path, values)
    if not clauses:
        return MATCH_NONE
    return clauses[0] if len(clauses) == 1 else _or(*clauses)


def _between(path: str, bounds: list[Any]) -> Clause:
    return _and(_ordering(path, Operator.GTE, bounds[0]), _ordering(path, Operator.LTE, bounds[1]))


def _like(path: str, pattern: str, ignore_case: bool = False) -> Clause:
    value = like_to_wildcard(pattern, ignore_case)
    if not ignore_case:
        return {"wildcard": {shadow_field(path, "s"): {"value": value}}}
    # sf holds the folded string where folding changes it; elsewhere s is already folded
    folded, plain = shadow_field(path, "sf"), shadow_field(path, "s")
    return _or({"wildcard": {folded: {"value": value}}},
               {"bool": {"filter": [{"wildcard": {plain: {"value": value}}}],
                         "must_not": [{"exists": {"field": folded}}]}})


def _regex(path: str, pattern: str) -> Clause:
    return {"regexp": {shadow_field(path, "s"): {"value": regex_to_lucene(pattern),
                                                  "flags": "NONE"}}}


def _starts_with(path: str, prefix: str) -> Clause:
    if len(prefix) > STRING_PREFIX:
        raise UnsupportedQueryError(
            f"filter {path!r} STARTS_WITH: elasticsearch indexes the first {STRING_PREFIX} "
            f"characters of a string; the operand has {len(prefix)}")
    return {"prefix": {shadow_field(path, "s"): {"value": prefix}}}


def _exists(path: str, _value: Any = None) -> Clause:
    return _or(*({"exists": {"field": shadow_field(path, sub)}} for sub in VALUE_FIELDS))


def _not_exists(path: str, _value: Any = None) -> Clause:
    return _not(_exists(path))


#: Operator -> DSL builder over (path, operand). Negated operators are derived below.
OPERATORS: dict[Operator, Callable[[str, Any], Clause]] = {
    Operator.EQ: _eq,
    Operator.GT: lambda p, v: _ordering(p, Operator.GT, v),
    Operator.GTE: lambda p, v: _ordering(p, Operator.GTE, v),
    Operator.LT: lambda p, v: _ordering(p, Operator.LT, v),
    Operator.LTE: lambda p, v: _ordering(p, Operator.LTE, v),
    Operator.IN: _in,
    Operator.BETWEEN: _between,
    Operator.LIKE: _like,
    Operator.ILIKE: lambda p, v: _like(p, v, ignore_case=True),
    Operator.REGEX: _regex,
    Operator.STARTS_WITH: _starts_with,
    Operator.EXISTS: _exists,
    Operator.NOT_EXISTS: _not_exists,
}

def _id_in(_path: str, values: list[Any]) -> Clause:
    ids = sorted({v for v in values if type(v) is str})  # ids are strings: nothing else equals
    if not ids:
        return MATCH_NONE
    return _term(ID_FIELD, ids[0]) if len(ids) == 1 else {"terms": {ID_FIELD: ids}}


def _id_range(op: Operator) -> Callable[[str, Any], Clause]:
    def build(_path: str, value: Any) -> Clause:
        if type(value) is not str:
            return MATCH_NONE  # no id is a number or a datetime
        return _range(ID_FIELD, _RANGE_OPS[op], value)
    return build


def _id_between(_path: str, bounds: Any) -> Clause:
    low, high = bounds
    if type(low) is not str:
        return MATCH_NONE
    return {"range": {ID_FIELD: {"gte": low, "lte": high}}}


@functools.cache
def _case_variants() -> dict[str, str]:
    """Folded character -> every character folding to it (only where there are several),
    computed once, on the first ILIKE over ids."""
    variants: dict[str, list[str]] = {}
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        ch = chr(code)
        folded = fold_char(ch)
        if folded != ch:
            variants.setdefault(folded, [folded]).append(ch)
    return {k: "".join(v) for k, v in variants.items()}


def _lucene_char(ch: str) -> str:
    return ch if ch.isascii() and ch.isalnum() else "\\" + ch


def _id_ilike(_path: str, pattern: str) -> Clause:
    """ILIKE over ids: a regexp whose literal characters are classes of their case variants
    (``rid`` keeps the id as written, so there is no folded copy to match)."""
    variants = _case_variants()
    out: list[str] = []
    for wild, ch in like_tokens(pattern):
        if wild:
            out.append(".*" if ch == "%" else ".")
            continue
        chars = variants.get(fold_char(ch))
        out.append(_lucene_char(ch) if chars is None
                   else "[" + "".join(map(_lucene_char, chars)) + "]")
    return {"regexp": {ID_FIELD: {"value": "".join(out), "flags": "NONE"}}}


#: Operator -> DSL builder over the ``rid`` keyword, for the path ``id``.
ID_OPERATORS: dict[Operator, Callable[[str, Any], Clause]] = {
    Operator.EQ: lambda p, v: _id_in(p, [v]),
    Operator.GT: _id_range(Operator.GT),
    Operator.GTE: _id_range(Operator.GTE),
    Operator.LT: _id_range(Operator.LT),
    Operator.LTE: _id_range(Operator.LTE),
    Operator.IN: _id_in,
    Operator.BETWEEN: _id_between,
    Operator.LIKE: lambda p, v: {"wildcard": {ID_FIELD: {"value": like_to_wildcard(v)}}},
    Operator.ILIKE: _id_ilike,
    Operator.REGEX: lambda p, v: {"regexp": {ID_FIELD: {"value": regex_to_lucene(v),
                                                          "flags": "NONE"}}},
    Operator.STARTS_WITH: lambda p, v: {"prefix": {ID_FIELD: {"value": v}}},
    Operator.EXISTS: lambda p, v: MATCH_ALL,  # every record has an id
    Operator.NOT_EXISTS: lambda p, v: MATCH_NONE,
}

#: Operators whose clauses read the string prefix ``s`` as a whole string.
PATTERN_OPERATORS = frozenset({Operator.LIKE, Operator.NOT_LIKE, Operator.ILIKE, Operator.REGEX})


_LIST_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN, Operator.BETWEEN,
                             Operator.NOT_BETWEEN})


def check_operand(f: Filter) -> None:
    """``QueryError`` naming the filter when its operand holds a lone surrogate or nests
    deeper than a stored value may (each element of an IN or BETWEEN operand list)."""
    value = list(f.value) if isinstance(f.value, tuple) else f.value  # BETWEEN bounds
    try:
        check_texts(value, "operand")
    except SerializationError as err:
        raise QueryError(f"filter {f.field!r} {f.operator.name}: {err}") from None
    operands = value if f.operator in _LIST_OPERATORS else [value]
    if too_deep(operands, MAX_DEPTH) is not None:
        raise QueryError(f"filter {f.field!r} {f.operator.name}: the operand nests deeper "
                         f"than {MAX_DEPTH} levels, the elasticsearch adapter's limit")


@dataclass
class Translation:
    """A condition's DSL and the paths whose long strings a pattern operator would misread."""

    query: Clause
    pattern_paths: set[str] = field(default_factory=set)


class QueryTranslator:
    """Turns conditions and sort keys into query DSL (stateless; one shared instance)."""

    def translate(self, condition: Condition | None) -> Translation:
        """The DSL of a condition tree (``match_all`` for None)."""
        paths: set[str] = set()
        query = MATCH_ALL if condition is None else self._condition(condition, paths)
        return Translation(query, paths)

    def _condition(self, condition: Condition, paths: set[str]) -> Clause:
        if isinstance(condition, Filter):
            return self.filter(condition, paths)
        if not isinstance(condition, LogicCondition):  # pragma: no cover - Query validates
            raise QueryError(f"{condition!r} is not a condition")
        parts = [self._condition(c, paths) for c in condition.conditions]
        if condition.operator is LogicOperator.NOT:
            return _not(parts[0])
        if condition.operator is LogicOperator.AND:
            return _and(*parts) if parts else MATCH_ALL
        return _or(*parts) if parts else MATCH_NONE

    def filter(self, f: Filter, paths: set[str] | None = None) -> Clause:
        """The DSL of one filter."""
        check_operand(f)
        op = f.operator
        if is_storage_key_field(f.field):
            if op.negated:  # every record has an id: the exact complement
                return _not(ID_OPERATORS[op.positive](f.field, f.value))
            return ID_OPERATORS[op](f.field, f.value)
        if op in PATTERN_OPERATORS and paths is not None:
            paths.add(f.field)
        if op.negated:
            positive = OPERATORS[op.positive](f.field, f.value)
            return {"bool": {"filter": [_exists(f.field)], "must_not": [positive]}}
        builder = OPERATORS.get(op)
        if builder is None:  # pragma: no cover - every operator is in the table
            raise UnsupportedQueryError(f"operator {op.name} is not supported by elasticsearch")
        return builder(f.field, f.value)

    def long_string_check(self, paths: set[str]) -> Clause:
        """Matches records holding a string longer than the indexed prefix at any path."""
        return _or(*(_long_string(p) for p in sorted(paths)))

    def sort(self, specs: list[SortSpec]) -> list[Clause]:
        """The sort: per key, the typed subfields in type order (reversed for descending),
        missing last; then ``rid`` ascending (ties by id, stable paging)."""
        out: list[Clause] = []
        for spec in specs:
            order = "desc" if spec.order is SortOrder.DESC else "asc"
            if is_storage_key_field(spec.field):
                out.append({ID_FIELD: {"order": order}})
                continue
            fields = SORT_FIELDS if order == "asc" else SORT_FIELDS_DESC
            for sub, unmapped in fields:
                # sl is set on long strings only: a short string (sl missing) sorts first
                missing = "_first" if sub == "sl" and order == "asc" else "_last"
                out.append({shadow_field(spec.field, sub): {
                    "order": order, "missing": missing, "unmapped_type": unmapped}})
        out.append({ID_FIELD: {"order": "asc"}})
        return out
