"""Our Query to SQLite: a WHERE clause with bound parameters, and the ORDER BY it can take.

A pure function of the query. Conditions on the path ``id`` compare the ``id`` column, a BLOB
holding the id's UTF-8 bytes (``surrogatepass``), whose byte order is code point order
(docs/query-semantics.md, R75). Conditions on a data path run on SQLite's JSON functions
where the answer is exactly the specification's: existence, and equality, membership and
ordering with number, string and boolean operands (``_data_filter``). The stored data is the
typed codec's JSON (``domain.codec``), in which an object with a ``$`` key is wrapped as
``{"$object": {...}}``; an object that is not a wrapper never has the key ``$object``, so at
most one of the JSON paths that do or do not step through a wrapper at each level exists, and
their ``COALESCE`` is the field (``_variants``). Every other condition is evaluated by
``dk_match``, a function the adapter registers on its connection that runs the reference
matcher (``domain.matcher.compile_condition``) over the stored row: SQLite filters rows with
the reference semantics exactly, never an approximation. Sorting by a data field happens in
Python, through the reference pipeline (``domain.matcher.select``); ``order_by`` says when
the database can order and page by itself.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from ...domain.codec import decode, decode_datetime, encode
from ...domain.matcher import RecordPredicate, compile_condition
from ...domain.operators import value_predicate
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
from ...domain.values import INT64_MAX, INT64_MIN

Params = list[Any]

#: a path segment whose stored key is its own text in ASCII JSON and in a quoted SQLite JSON
#: path label: printable ASCII without the quote and the backslash
_PLAIN_SEGMENT = re.compile(r'[\x20\x21\x23-\x5b\x5d-\x7e]+')
#: at most this many segments that may or may not sit inside an ``$object`` wrapper: the
#: field is a ``COALESCE`` of 2**n JSON paths
MAX_FREE_SEGMENTS = 3
_NUMBER_TYPES = "('integer', 'real')"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

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


#: a high surrogate followed by a low one: two code points that ASCII JSON writes exactly as
#: it writes the one character they would pair into, so no JSON text can keep them apart
SPLIT_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _plain_condition(condition: Condition) -> dict[str, Any]:
    def plain(cond: Condition) -> dict[str, Any]:
        if isinstance(cond, Filter):
            return {"field": cond.field, "operator": cond.operator.name,
                    "value": encode(_plain(cond.value))}
        if cond.operator is LogicOperator.NOT:
            return {"not": plain(cond.conditions[0])}
        return {cond.operator.value: [plain(c) for c in cond.conditions]}
    return plain(condition)


def condition_text(condition: Condition) -> str:
    """A condition as ASCII JSON text, the argument of ``dk_match`` (ASCII, so any string,
    lone surrogates included, binds as a parameter)."""
    return json.dumps(_plain_condition(condition), ensure_ascii=True, allow_nan=False)


def has_split_pair(value: Any) -> bool:
    """Whether ASCII JSON of ``value`` (a JSON-safe value) would lose a split pair."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return not text.isascii() and SPLIT_PAIR.search(text) is not None


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


def sql_literal(text: str) -> str:
    """A SQL string literal (for JSON paths, which expression indexes need as literals)."""
    return "'" + text.replace("'", "''") + "'"


@functools.lru_cache(maxsize=1024)
def _variants(path: str) -> tuple[str, ...] | None:
    """The JSON paths at which the codec's JSON may hold ``path``'s value, the one without
    ``$object`` wrappers first; None when SQLite's path syntax cannot name a segment, or
    there would be too many."""
    segments = path.split(".")
    if not all(_PLAIN_SEGMENT.fullmatch(seg) for seg in segments):
        return None
    free = [i for i, seg in enumerate(segments) if not seg.startswith("$")]
    if len(free) > MAX_FREE_SEGMENTS:
        return None
    out = []
    for mask in range(2 ** len(free)):
        steps = []
        for i, seg in enumerate(segments):
            # a key starting with "$" only exists inside a wrapper
            wrapped = seg.startswith("$") or bool(mask >> free.index(i) & 1)
            steps.append(('."$object"' if wrapped else "") + f'."{seg}"')
        out.append("$" + "".join(steps))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _over(template: str, variants: tuple[str, ...]) -> str:
    """``template`` (``{}``: a JSON path literal) at the one variant that exists."""
    calls = [template.format(sql_literal(v)) for v in variants]
    return calls[0] if len(calls) == 1 else f"COALESCE({', '.join(calls)})"


def value_expression(path: str) -> str | None:
    """The SQL value of a data path (``json_extract``: numbers as numbers, strings decoded,
    booleans as 1 and 0), also the expression of an index on the path; None when the path
    is not expressible."""
    variants = _variants(path)
    return None if variants is None else _over("json_extract(data, {})", variants)


def kind_expression(path: str) -> str | None:
    """The JSON kind of a data path's value (``json_type``: 'integer', 'real', 'text',
    'true', ...; 'null' for a null, NULL when missing), exactly as the filters test it: an
    index holds it beside the value so that a filter's kind test is answered from the index;
    None when the path is not expressible."""
    variants = _variants(path)
    return None if variants is None else _over("json_type(data, {})", variants)


#: a row flag, the third column of every index: where the row's JSON text holds the escape
#: ``\u0000`` (ASCII JSON writes U+0000 only so), 0 for none. ``json_extract`` stops a
#: string at U+0000, so its value is the whole string exactly in a row whose flag is 0: an
#: index holding the flag answers a string equality from its entries, and reads only the
#: rows that hold a U+0000 (or the six characters themselves, escaped) to compare their
#: JSON text
NUL_FLAG = "instr(data, '\\u0000')"


def index_columns(path: str) -> str | None:
    """The columns of an index on a data path: its value (``value_expression``), its kind
    (``kind_expression``) and the row's ``NUL_FLAG``, from which counts and ranges on the
    path are answered without reading rows; None when the path is not expressible."""
    value, kind = value_expression(path), kind_expression(path)
    return None if value is None or kind is None else f"{value}, {kind}, {NUL_FLAG}"


def string_bytes(variants: tuple[str, ...]) -> str:
    """The UTF-8 bytes of a string at the path (a BLOB, which compares byte-wise: code point
    order). ``json_extract`` stops a string at U+0000, so a string whose JSON holds one is
    decoded by ``dk_text`` instead; both write a lone surrogate as its three bytes."""
    text = _over("(data -> {})", variants)
    return (f"CASE WHEN instr({text}, '\\u0000') THEN dk_text({text}) "
            f"ELSE CAST({_over('json_extract(data, {})', variants)} AS BLOB) END")


def _glob_literal(text: str) -> str:
    """``text`` as a GLOB pattern matching exactly itself."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def like_glob(pattern: str) -> str:
    """A LIKE pattern (docs/query-semantics.md, R38-R42) as the GLOB pattern matching the same
    strings: ``%`` is ``*``, ``_`` is ``?``, a backslash makes the next character literal and
    a trailing one is itself, every other character is literal."""
    out = []
    chars = iter(pattern)
    for c in chars:
        if c == "\\":
            out.append(_glob_literal(next(chars, "\\")))
        elif c == "%":
            out.append("*")
        elif c == "_":
            out.append("?")
        else:
            out.append(_glob_literal(c))
    return "".join(out)


def _is_number(x: Any) -> bool:
    """A number SQLite binds as itself (an int operand past 64 bits matches nothing, and
    the reference matcher says so)."""
    return (type(x) is int and INT64_MIN <= x <= INT64_MAX) or type(x) is float


#: SQLite reads a number's JSON text into a double by its own algorithm, which is not
#: correctly rounded far from 1: ``json_extract`` of SQLite 3.51 misread 3,173 of 47,287
#: sampled doubles, every one beyond 1e+/-40 (``-1e-300`` as ``-9.999999999999999e-301``;
#: 3.40 read all of them exactly). A comparison with an operand
#: outside these bounds is left to ``dk_match`` (the reference, on the decoded value), so it
#: stays exact; an operand inside them is too far from any misread value to change sides.
SAFE_MAGNITUDE = (1e-40, 1e40)


def _far_from_one(x: Any) -> bool:
    """A float operand whose comparisons SQLite's reading of stored numbers could get
    wrong (``SAFE_MAGNITUDE``)."""
    return type(x) is float and x != 0 and not SAFE_MAGNITUDE[0] <= abs(x) <= SAFE_MAGNITUDE[1]


def _bindable(text: str) -> bool:
    """Whether ``json_extract``'s decoding of a stored string equals ``text`` exactly when
    the strings are equal (SQLite's JSON functions stop a string at U+0000, and a lone
    surrogate cannot be bound)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_text(x: str) -> str:
    return json.dumps(x, ensure_ascii=True)


def _datetime_tag(variants: tuple[str, ...]) -> str:
    """The ISO text of a datetime at the path, NULL for anything else (an object that is not
    a wrapper has the key ``$datetime`` only when it is the codec's tag)."""
    return _over("json_extract(data, {})", tuple(f'{v}."$datetime"' for v in variants))


def _instant(moment: datetime) -> int:
    """Microseconds since the epoch, naive datetimes read as UTC (``dk_instant``'s scale)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND


def _membership(variants: tuple[str, ...], operands: list[Any]) -> tuple[str, Params]:
    """EQ one of ``operands`` (numbers, strings, booleans, datetimes), never NULL."""
    kind = _over("json_type(data, {})", variants)
    parts, params = [], []
    numbers = [v for v in operands if _is_number(v)]
    strings = [v for v in operands if type(v) is str]
    moments = [_instant(v) for v in operands if type(v) is datetime]
    booleans = sorted({"true" if v else "false" for v in operands if type(v) is bool})
    if numbers:
        parts.append(f"({kind} IN {_NUMBER_TYPES} AND "
                     f"{_over('json_extract(data, {})', variants)} IN "
                     f"({', '.join('?' * len(numbers))}))")
        params += numbers
    bound = [v for v in strings if _bindable(v)]
    if bound:  # the value; the JSON text only in a row holding a U+0000 (``NUL_FLAG``):
        # a CASE, as SQLite evaluates both sides of an AND or OR inside an expression, and
        # only the branch taken of a CASE (so a count reads no row whose flag is 0)
        marks = ", ".join("?" * len(bound))
        parts.append(f"CASE WHEN {NUL_FLAG} = 0 THEN {kind} = 'text' AND "
                     f"{_over('json_extract(data, {})', variants)} IN ({marks}) "
                     f"ELSE {_over('(data -> {})', variants)} IN ({marks}) END")
        params += [*bound, *(_json_text(v) for v in bound)]
    if len(bound) < len(strings):  # the JSON text, exactly as the codec writes the operand
        rest = [v for v in strings if not _bindable(v)]
        parts.append(f"{_over('(data -> {})', variants)} IN "
                     f"({', '.join('?' * len(rest))})")
        params += [_json_text(v) for v in rest]
    if moments:
        parts.append(f"dk_instant({_datetime_tag(variants)}) IN "
                     f"({', '.join('?' * len(moments))})")
        params += moments
    if booleans:
        parts.append(f"{kind} IN ({', '.join(sql_literal(b) for b in booleans)})")
    return f"IFNULL({' OR '.join(parts) or '0'}, 0)", params


def _ordering(variants: tuple[str, ...], op: Operator, operands: list[Any]
              ) -> tuple[str, str, Params] | None:
    """A comparison or BETWEEN with operands of one kind (number, string, datetime): the
    test of the value's kind, the comparison and its parameters; None for another kind."""
    kind = _over("json_type(data, {})", variants)
    params: Params
    if all(_is_number(v) for v in operands):
        subject, test = _over("json_extract(data, {})", variants), f"{kind} IN {_NUMBER_TYPES}"
        params = list(operands)
    elif all(type(v) is str for v in operands):
        # UTF-8 bytes compare in code point order (R62), NUL and surrogates included
        subject, test = string_bytes(variants), f"{kind} = 'text'"
        params = [id_bytes(v) for v in operands]
    elif all(type(v) is datetime for v in operands):
        tag = _datetime_tag(variants)
        subject, test = f"dk_instant({tag})", f"{tag} IS NOT NULL"
        params = [_instant(v) for v in operands]
    else:
        return None
    if op is Operator.BETWEEN:
        compare = f"{subject} BETWEEN ? AND ?"
    else:
        compare = f"{subject} {_ID_COMPARISONS[op]} ?"
    return test, compare, params


def _data_filter(f: Filter) -> tuple[str, Params, str, Params] | None:
    """SQL over the JSON of a data path, never NULL, and a necessary condition an index on
    the path can answer (``""`` for none); None: leave the filter to ``dk_match``."""
    variants = _variants(f.field)
    if variants is None:
        return None
    kind = _over("json_type(data, {})", variants)  # 'null' for a null, NULL when missing
    value = _over("json_extract(data, {})", variants)
    text = _over("(data -> {})", variants)  # the JSON text, as the codec wrote it
    op, x = f.operator, f.value
    has_value = f"IFNULL({kind} <> 'null', 0)"
    if op is Operator.EXISTS:
        return has_value, [], "", []
    if op is Operator.NOT_EXISTS:
        return f"IFNULL({kind} = 'null', 1)", [], "", []
    positive = op.positive if op.negated else op
    operands = (list(x) if positive in (Operator.IN, Operator.BETWEEN) else [x])
    if any(_far_from_one(v) for v in operands):
        return None
    if positive in (Operator.EQ, Operator.IN):
        if not all(type(v) in (str, bool, datetime) or _is_number(v) for v in operands):
            return None
        sql, params = _membership(variants, operands)
        hint_items = [int(v) if type(v) is bool else v for v in operands]
        hintable = all(_is_number(v) or (type(v) is str and _bindable(v))
                       for v in hint_items)
        hint = (f"{value} IN ({', '.join('?' * len(hint_items))})"
                if hintable and hint_items else "")
        hint_params = hint_items if hint else []
    elif positive in _ID_COMPARISONS or positive is Operator.BETWEEN:
        ordered = _ordering(variants, positive, operands)
        if ordered is None:
            return None
        test, compare, params = ordered
        sql = f"IFNULL({test} AND {compare}, 0)"
        numeric = all(_is_number(v) for v in operands)
        hint, hint_params = (compare, list(operands)) if numeric else ("", [])
    elif positive in (Operator.LIKE, Operator.STARTS_WITH):
        if type(x) is not str:
            return None
        by_value = f"IFNULL({kind} = 'text' AND dk_value(?, ?, {text}), 0)"
        if _bindable(x):
            pattern = like_glob(x) if positive is Operator.LIKE else _glob_literal(x) + "*"
            # GLOB is case-sensitive and counts code points; a string whose JSON holds
            # U+0000, where SQLite's text functions stop, is tested by ``dk_value``
            sql = (f"CASE WHEN instr({text}, '\\u0000') THEN {by_value} "
                   f"ELSE IFNULL({kind} = 'text' AND {value} GLOB ?, 0) END")
            params = [positive.name, _json_text(x), pattern]
        else:  # a pattern GLOB cannot be given (U+0000, a lone surrogate): by value
            sql, params = by_value, [positive.name, _json_text(x)]
        hint, hint_params = "", []
    elif positive in (Operator.ILIKE, Operator.REGEX):
        if type(x) is not str:
            return None
        operand = _json_text(x)
        value_test(positive.name, operand)  # a pattern outside the spec raises here
        # the string's JSON text, as stored: ``dk_value`` decodes it exactly (U+0000 and
        # lone surrogates included) and applies the reference semantics of the operator
        sql = f"IFNULL({kind} = 'text' AND dk_value(?, ?, {text}), 0)"
        params = [positive.name, operand]
        hint, hint_params = "", []
    else:
        return None
    if op.negated:
        return f"({has_value} AND NOT {sql})", params, "", []
    return sql, params, hint, hint_params


def _native(cond: Condition) -> tuple[str, Params] | None:
    """SQL that needs no Python function, or None."""
    if isinstance(cond, Filter):
        if cond.field == STORAGE_KEY:
            return _id_filter(cond)
        data = _data_filter(cond)
        return None if data is None else (data[0], data[1])
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


def where_clause(query: Query) -> tuple[str, Params] | None:
    """The query's conditions (AND-ed) as a WHERE body and its parameters. A top-level
    filter on a data path also contributes its necessary condition on the path's value, the
    term an index on the path (``value_expression``) answers. None for a query whose
    operands hold a split pair (``SPLIT_PAIR``): SQL text cannot carry it, so the caller
    evaluates that query in Python."""
    if not query.filters:
        return "1", []
    conditions = LogicCondition(LogicOperator.AND, list(query.filters))
    if has_split_pair(_plain_condition(conditions)):
        return None
    sql, params = translate(conditions)
    hints, hint_params = [], []
    for cond in query.filters:
        if isinstance(cond, Filter) and cond.field != STORAGE_KEY:
            data = _data_filter(cond)
            if data is not None and data[2]:
                hints.append(data[2])
                hint_params += data[3]
    if not hints:
        return sql, params
    return " AND ".join([*hints, sql]), [*hint_params, *params]


def index_selects(query: Query, indexed: Collection[str]
                  ) -> tuple[list[tuple[str, Params, Condition]], list[Condition]]:
    """The top-level filters of ``query`` (a query ``where_clause`` can carry) that have a
    necessary term on a path in ``indexed`` (paths with an index of the ``index_columns``
    layout), each as a WHERE body (the term and the filter's condition, answered from its
    index's entries alone), its parameters and the filter; and the other filters."""
    selects: list[tuple[str, Params, Condition]] = []
    rest: list[Condition] = []
    for cond in query.filters:
        data = (_data_filter(cond) if isinstance(cond, Filter) and cond.field in indexed
                and cond.field != STORAGE_KEY else None)
        if data is not None and data[2]:
            selects.append((f"{data[2]} AND {data[0]}", [*data[3], *data[1]], cond))
        else:
            rest.append(cond)
    return selects, rest


def indexed_count(table: str, selects: list[tuple[str, Params, Condition]],
                  rest: list[Condition], *, selective: bool) -> tuple[str, Params]:
    """A count over the table ``table`` (an SQL identifier) of ``index_selects``'s filters
    and the ``rest``, AND-ed (so the query's count), searching the first select's index.

    ``selective`` (the first matches few rows): every other filter is tested on the rows it
    finds. Otherwise each other select is a set of rowids from its own index (``+rowid IN
    (SELECT rowid ...)``: a temporary B-tree built once, probed with each rowid the first
    index gives, which the ``+`` keeps SQLite from driving the search by), so no row is read
    but for the ``rest``. SQLite itself searches one index per scan and reads every row it
    finds to test the others."""
    where, params, _ = selects[0]
    terms, values = [f"({where})"], list(params)
    others = [cond for _, _, cond in selects[1:]]
    if not selective:
        for sql, more, _ in selects[1:]:
            terms.append(f"+rowid IN (SELECT rowid FROM {table} WHERE {sql})")
            values += more
        others = []
    if others or rest:
        sql, more = translate(LogicCondition(LogicOperator.AND, [*others, *rest]))
        terms.append(f"({sql})")
        values += more
    return f"SELECT count(*) FROM {table} WHERE {' AND '.join(terms)}", values


def order_by(query: Query) -> str | None:
    """``ORDER BY`` for a query the database can order itself (the order of
    ``domain.matcher.sort_pairs``: by type rank, then within the kind, no value last in both
    directions, ties by id), or None when a sort key is a path SQLite cannot name: the caller
    orders in Python."""
    terms = []
    for spec in query.sort_specs:
        direction = "DESC" if spec.order is SortOrder.DESC else "ASC"
        if spec.field == STORAGE_KEY:
            terms.append(f"id {direction}")
            break  # ids are unique: later keys never matter
        variants = _variants(spec.field)
        if variants is None:
            return None
        kind = _over("json_type(data, {})", variants)
        tag = _datetime_tag(variants)
        rank = (f"CASE {kind} WHEN 'true' THEN 0 WHEN 'false' THEN 0 WHEN 'integer' THEN 1 "
                f"WHEN 'real' THEN 1 WHEN 'text' THEN 2 WHEN 'array' THEN 4 "
                f"WHEN 'object' THEN (CASE WHEN {tag} IS NULL THEN 5 ELSE 3 END) ELSE 6 END")
        number = _over("json_extract(data, {})", variants)
        value = (f"CASE {kind} WHEN 'true' THEN 1 WHEN 'false' THEN 0 WHEN 'integer' THEN "
                 f"{number} WHEN 'real' THEN {number} WHEN 'text' THEN "
                 f"{string_bytes(variants)} WHEN 'object' THEN dk_instant({tag}) END")
        terms += [f"({rank}) = 6", f"({rank}) {direction}", f"({value}) {direction}"]
    else:
        terms.append("id ASC")
    return ", ".join(terms)


def keyset_order(query: Query) -> str | None:
    """``ORDER BY`` on the id alone, for paging by keyset: no sort keys, or a first key
    ``id``; None otherwise."""
    specs = query.sort_specs
    if not specs:
        return "id ASC"
    if specs[0].field == STORAGE_KEY:
        return "id DESC" if specs[0].order is SortOrder.DESC else "id ASC"
    return None


@functools.lru_cache(maxsize=512)
def value_test(operator: str, operand: str) -> Callable[[Any], bool]:
    """The reference semantics (``domain.operators.value_predicate``) of the operator named
    ``operator`` with the operand of JSON text ``operand``."""
    return value_predicate(Operator[operator], json.loads(operand))


def dk_value(operator: str, operand: str, text: str | None) -> bool:
    """``dk_value(operator, operand, json)``: whether the value of the JSON text ``json`` (a
    string at a data path, as stored) satisfies the operator (LIKE, STARTS_WITH, ILIKE,
    REGEX) with the operand of JSON text ``operand``. SQLite need not evaluate the kind test
    beside it first, so a missing value (NULL) is false, as is any value not a string."""
    return text is not None and value_test(operator, operand)(json.loads(text))


def dk_text(text: str) -> bytes:
    """``dk_text(json)``: the UTF-8 bytes (lone surrogates as their three bytes) of a JSON
    string."""
    value: str = json.loads(text)
    return id_bytes(value)


def dk_instant(text: str | None) -> int | None:
    """``dk_instant(iso)``: a datetime tag's instant in microseconds since the epoch (naive
    values read as UTC, R62)."""
    return None if text is None else _instant(decode_datetime(text))
