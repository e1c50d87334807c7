"""Query, Filter, Operator and the boolean conditions, as units: validation and dict forms."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dataknobs_data import (
    ComplexQuery,
    Filter,
    LogicCondition,
    LogicOperator,
    Operator,
    Query,
    QueryError,
    SortOrder,
    SortSpec,
)
from dataknobs_data.domain import query as dq
from dataknobs_data.domain.query import check_portable_regex, condition_from_dict
from dataknobs_data.domain.values import MISSING


# --- Filter validation: every error names the field, the operator and the bad value ---------
@pytest.mark.parametrize(("op", "value", "fragment"), [
    (Operator.EQ, None, "use EXISTS or NOT_EXISTS"),
    (Operator.GT, True, "True"),
    (Operator.LT, [1], "[1]"),
    (Operator.GTE, {"a": 1}, "{'a': 1}"),
    (Operator.IN, "abc", "'abc'"),
    (Operator.IN, {"a": 1}, "{'a': 1}"),
    (Operator.IN, 5, "5"),
    (Operator.NOT_IN, [1, None], "use NOT_EXISTS"),
    (Operator.IN, [object()], "not a storable value type"),
    (Operator.BETWEEN, [1], "[1]"),
    (Operator.BETWEEN, "ab", "'ab'"),
    (Operator.BETWEEN, [1, "5"], "different types"),
    (Operator.NOT_BETWEEN, [True, False], "True"),
    (Operator.BETWEEN, [None, 1], "None"),
    (Operator.LIKE, 3, "3"),
    (Operator.ILIKE, None, "null operand"),
    (Operator.STARTS_WITH, ["a"], "['a']"),
    (Operator.REGEX, "\\d", "\\\\d"),
    (Operator.EQ, float("nan"), "nan"),
    (Operator.EQ, 2**70, str(2**70)),
    (Operator.EQ, {1: "a"}, "1"),
    (Operator.EQ, object(), "not a storable value type"),
])
def test_filter_rejects_bad_operands(op: Operator, value: object, fragment: str) -> None:
    with pytest.raises(QueryError) as info:
        Filter("age", op, value)
    message = str(info.value)
    assert fragment in message
    if op is not Operator.REGEX:
        assert "'age'" in message


def test_unknown_operator_lists_the_valid_ones() -> None:
    with pytest.raises(QueryError, match="unknown operator 'contains'; valid: EQ, NEQ"):
        Filter("a", "contains", 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["", "a..b", ".a", "a.", 3, None])
def test_bad_paths_are_rejected(path: object) -> None:
    with pytest.raises(QueryError, match="path"):
        Filter(path, Operator.EQ, 1)  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="path"):
        SortSpec(path)  # type: ignore[arg-type]


def test_operands_are_normalised() -> None:
    assert Filter("a", Operator.IN, (1, 2)).value == [1, 2]
    assert Filter("a", Operator.IN, {1, 2}).value in ([1, 2], [2, 1])
    assert Filter("a", Operator.BETWEEN, (1, 2.5)).value == [1, 2.5]
    assert Filter("a", Operator.EQ, (1, 2)).value == [1, 2]
    assert Filter("a", Operator.EXISTS, "ignored").value is None


@pytest.mark.parametrize(("text", "op"), [
    ("=", Operator.EQ), ("==", Operator.EQ), ("eq", Operator.EQ), ("!=", Operator.NEQ),
    ("<>", Operator.NEQ), ("ne", Operator.NEQ), ("gte", Operator.GTE), ("ge", Operator.GTE),
    ("le", Operator.LTE), ("not in", Operator.NOT_IN), ("NOT_LIKE", Operator.NOT_LIKE),
    ("starts_with", Operator.STARTS_WITH), ("Between", Operator.BETWEEN),
])
def test_operator_spellings(text: str, op: Operator) -> None:
    assert Operator(text) is op
    assert Filter("a", text, [1, 2] if op in (Operator.NOT_IN, Operator.BETWEEN)  # type: ignore[arg-type]
                  else "x").operator is op


def test_negated_and_positive() -> None:
    pairs = {Operator.NEQ: Operator.EQ, Operator.NOT_IN: Operator.IN,
             Operator.NOT_LIKE: Operator.LIKE, Operator.NOT_BETWEEN: Operator.BETWEEN}
    for negated, positive in pairs.items():
        assert negated.negated and negated.positive is positive
        assert not positive.negated and positive.positive is positive
    assert not Operator.NOT_EXISTS.negated  # its own operator, not "has value and not ..."


def test_filter_matches_one_value() -> None:
    assert Filter("a", Operator.EQ, 1).matches(1.0)
    assert not Filter("a", Operator.EQ, 1).matches(True)
    assert not Filter("a", Operator.NEQ, 1).matches(MISSING)
    assert not Filter("a", Operator.NEQ, 1).matches(None)
    assert Filter("a", Operator.NEQ, 1).matches("1")
    assert Filter("a", Operator.NOT_EXISTS).matches(MISSING)
    assert Filter("a", Operator.LIKE, "a\\%").matches("a%")
    when = datetime(2020, 1, 1, tzinfo=UTC)
    assert Filter("a", Operator.EQ, datetime(2020, 1, 1)).matches(when)


# --- the portable regex subset ------------------------------------------------------------------
@pytest.mark.parametrize("pattern", [
    "", "abc", "^a.c$", "[a-z]+", "[^0-9]*", "[]a]", "a{2}", "a{2,}", "a{2,3}", "(ab|cd)?",
    "a\\.b", "\\(\\)", "[\\]x]", "a\\-b", "\\/", "\\$$",
])
def test_portable_regexes_pass(pattern: str) -> None:
    check_portable_regex(pattern)


@pytest.mark.parametrize(("pattern", "fragment"), [
    ("\\d", "escape"), ("\\w+", "escape"), ("a\\", "end of pattern"), ("(?i)a", "'(?'"),
    ("(?:a)", "'(?'"), ("a^", "'^'"), ("a$b", "'$'"), ("a*?", "lazy"), ("a+?", "lazy"),
    ("a{2}?", "lazy"), ("a{x}", "'{'"), ("a{,3}", "'{'"), ("a{2", "'{'"), ("(a", "unbalanced"),
    ("a)", "unbalanced"), ("[a", "unterminated"), ("[[:alpha:]]", "nested"),
    ("[\\d]", "class escape"), ("a**", "multiple repeat"),
])
def test_non_portable_regexes_fail(pattern: str, fragment: str) -> None:
    with pytest.raises(QueryError, match=r"regex .*") as info:
        check_portable_regex(pattern)
    assert fragment in str(info.value)
    assert repr(pattern) in str(info.value)


# --- boolean composition ---------------------------------------------------------------------
def test_operators_and_helpers_build_trees() -> None:
    a, b = Filter("a", Operator.EQ, 1), Filter("b", Operator.EQ, 2)
    assert (a & b) == dq.And(a, b) and (a | b) == dq.Or(a, b) and ~a == dq.Not(a)
    nested = ~(a & (b | a))
    assert nested.operator is LogicOperator.NOT
    assert nested.conditions[0] == dq.And(a, dq.Or(b, a))
    assert ((a & b) | a).operator is LogicOperator.OR
    assert (~(a | b)).conditions == [dq.Or(a, b)]


def test_not_takes_one_condition() -> None:
    with pytest.raises(QueryError, match="exactly one"):
        LogicCondition(LogicOperator.NOT, [])
    with pytest.raises(QueryError, match="not a Filter"):
        LogicCondition(LogicOperator.AND, ["a = 1"])  # type: ignore[list-item]
    with pytest.raises(QueryError, match="not a Filter"):
        Query().where("a = 1")  # type: ignore[arg-type]


def test_logic_operator_from_string() -> None:
    assert LogicCondition("OR", []).operator is LogicOperator.OR  # type: ignore[arg-type]


# --- the builder -------------------------------------------------------------------------------
def test_builder_chains() -> None:
    q = (Query().filter("age", Operator.GTE, 30).filter("team.name", "=", "core")
         .sort("name", SortOrder.DESC).sort_by("age").offset(10).limit(20).select("name", "age"))
    assert len(q.filters) == 2 and q.filters[1].operator is Operator.EQ  # type: ignore[union-attr]
    assert q.sort_specs == [SortSpec("name", SortOrder.DESC), SortSpec("age")]
    assert (q.offset_value, q.limit_value, q.fields) == (10, 20, ["name", "age"])
    assert q.condition == dq.And(*q.filters)
    assert Query().condition is None
    assert Query().filter("a", Operator.EXISTS).condition == Filter("a", Operator.EXISTS)


def test_not_of_several_is_not_of_their_and() -> None:
    a, b = Filter("a", Operator.EQ, 1), Filter("b", Operator.EQ, 2)
    assert Query().not_(a, b).filters == [dq.Not(dq.And(a, b))]
    assert Query().not_(a).filters == [dq.Not(a)]
    assert Query().and_(a, b).filters == [dq.And(a, b)]
    assert Query().or_(a, b).filters == [dq.Or(a, b)]


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_limit_and_offset_must_be_non_negative_integers(bad: object) -> None:
    with pytest.raises(QueryError, match=repr(bad).replace(".", "\\.")):
        Query().limit(bad)  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="offset"):
        Query().offset(bad)  # type: ignore[arg-type]
    assert Query().limit(None).limit_value is None


def test_select_flattens_and_checks() -> None:
    assert Query().select(["a", "b"], "c").fields == ["a", "b", "c"]
    assert Query().select().fields is None
    with pytest.raises(QueryError):
        Query().select("a..b")


def test_sort_orders() -> None:
    for text in ("asc", "ASC", "ascending", "+"):
        assert SortOrder(text) is SortOrder.ASC
    for text in ("desc", "descending", "-"):
        assert SortOrder(text) is SortOrder.DESC
    assert SortSpec("a", "desc").order is SortOrder.DESC  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        SortOrder("sideways")


def test_clear_and_copy() -> None:
    q = Query().filter("a", Operator.IN, [1, 2]).sort("a")
    c = q.copy()
    c.filters[0].value.append(3)  # type: ignore[union-attr]
    assert q.filters[0].value == [1, 2]  # type: ignore[union-attr]
    assert c.clear_filters().filters == [] and c.clear_sort().sort_specs == []
    assert q.filters and q.sort_specs


# --- dict forms ----------------------------------------------------------------------------------
def _rich_query() -> Query:
    when = datetime(2021, 6, 1, 12, tzinfo=UTC)
    return (Query()
            .filter("age", Operator.BETWEEN, [25, 36.5])
            .filter("joined", Operator.LT, when)
            .or_(Filter("city", Operator.IN, ["Oslo", "Rome"]),
                 ~(Filter("team.name", Operator.ILIKE, "co%")
                   & Filter("tags", Operator.EQ, ["x", {"k": None}])))
            .not_(Filter("score", Operator.NOT_EXISTS))
            .filter("name", Operator.REGEX, "^[A-Z]")
            .sort("name", SortOrder.DESC).sort("age")
            .offset(5).limit(10).select("name", "team.name"))


def test_query_dict_round_trip() -> None:
    q = _rich_query()
    assert isinstance(q, ComplexQuery)  # or_ and not_ return one, as dataknobs-data 0.11 does
    data = q.to_dict()
    assert set(data) == {"condition", "sort", "limit", "offset", "fields"}
    assert data["sort"] == [{"field": "name", "order": "desc"}, {"field": "age", "order": "asc"}]
    assert data["limit"] == 10 and data["offset"] == 5 and data["fields"] == ["name", "team.name"]
    back = ComplexQuery.from_dict(data)
    assert back == q
    assert back.to_dict() == data
    # the same conditions as a plain Query: its own form, "filters"
    plain = Query(list(q.filters), list(q.sort_specs), q.limit_value, q.offset_value, q.fields)
    flat = plain.to_dict()
    assert len(flat["filters"]) == 5 and flat["sort"] == data["sort"]
    assert Query.from_dict(flat) == plain and Query.from_dict(flat).to_dict() == flat
    # Query.from_dict reads the ComplexQuery form too (same conditions, same order)
    assert Query.from_dict(data) == plain


def test_minimal_query_dict() -> None:
    assert Query().to_dict() == {"filters": [], "sort": []}
    assert Query.from_dict({}) == Query()


def test_condition_dict_forms() -> None:
    f = Filter("a", Operator.NOT_IN, [1])
    assert f.to_dict() == {"field": "a", "operator": "not_in", "value": [1]}  # 0.11's spelling
    assert condition_from_dict({"field": "a", "operator": "NOT_IN", "value": [1]}) == f
    assert condition_from_dict({"field": "a", "operator": "!=", "value": 1}) == \
        Filter("a", Operator.NEQ, 1)
    assert condition_from_dict({"field": "a", "value": 1}) == Filter("a", Operator.EQ, 1)
    assert dq.Not(f).to_dict() == {"not": f.to_dict()}
    assert condition_from_dict({"AND": []}) == dq.And()


@pytest.mark.parametrize(("data", "fragment"), [
    ({"filters": [], "where": 1}, "unknown query keys: ['where']"),
    ({"filters": [{"a": 1, "b": 2}]}, "cannot read a condition"),
    ({"filters": [{"field": "a", "operator": "near", "value": 1}]}, "unknown operator 'near'"),
    ({"filters": [{"field": "a", "operator": "GT", "value": None}]}, "'a' GT"),
    ({"sort": [{"field": ""}]}, "non-empty"),
    ({"limit": -3}, "-3"),
])
def test_from_dict_errors_name_the_problem(data: dict[str, object], fragment: str) -> None:
    with pytest.raises(QueryError) as info:
        Query.from_dict(data)
    assert fragment in str(info.value)


def test_filters_hash_and_compare() -> None:
    assert hash(Filter("a", Operator.IN, [1])) == hash(Filter("a", Operator.IN, [1]))
    assert Filter("a", Operator.EQ, 1) != Filter("a", Operator.EQ, 2)
    assert len({Filter("a", Operator.EQ, 1), Filter("a", Operator.EQ, 1)}) == 1
