"""Parsing --where / --sort / --select into a Query."""

from __future__ import annotations

from datetime import datetime

import pytest

from dataknobs_data import ConfigurationError, Filter, Not, Operator, Query, Record, SortOrder
from dataknobs_data.cli.where import build_query, parse_value, parse_where, where_fields
from dataknobs_data.domain.query import evaluate


@pytest.mark.parametrize(("expr", "expected"), [
    ("age>=30", ("age", Operator.GTE, 30)),
    ("age <= 30.5", ("age", Operator.LTE, 30.5)),
    ("team.name=core", ("team.name", Operator.EQ, "core")),
    ("team.name==core", ("team.name", Operator.EQ, "core")),
    ("active!=true", ("active", Operator.NEQ, True)),
    ("age>3", ("age", Operator.GT, 3)),
    ("age<3", ("age", Operator.LT, 3)),
    ("name~^A.a$", ("name", Operator.REGEX, "^A.a$")),
    ("name^=Ad", ("name", Operator.STARTS_WITH, "Ad")),
    ("name like A%", ("name", Operator.LIKE, "A%")),
    ("name ILIKE a%", ("name", Operator.ILIKE, "a%")),
    ("name not like A%", ("name", Operator.NOT_LIKE, "A%")),
    ("city in Oslo,Rome", ("city", Operator.IN, ["Oslo", "Rome"])),
    ("age not in 1,2", ("age", Operator.NOT_IN, [1, 2])),
    ("email exists", ("email", Operator.EXISTS, None)),
    ("email missing", ("email", Operator.NOT_EXISTS, None)),
    ('zip="0123"', ("zip", Operator.EQ, "0123")),
    ("zip=0123", ("zip", Operator.EQ, "0123")),
    ("tags=[\"a\"]", ("tags", Operator.EQ, ["a"])),
    # quoted values are text, taken literally, commas and all
    ('city in "Paris, TX",Lima', ("city", Operator.IN, ["Paris, TX", "Lima"])),
    ("city in 'Paris, TX' , \"Lima\"", ("city", Operator.IN, ["Paris, TX", "Lima"])),
    ("city in Oslo, Rome", ("city", Operator.IN, ["Oslo", "Rome"])),
    ("tags in [1,2],[3]", ("tags", Operator.IN, [[1, 2], [3]])),
    ('zip in "01",2', ("zip", Operator.IN, ["01", 2])),
    ("name='it\\'s'", ("name", Operator.EQ, "it's")),
    ("name=Ada Lovelace", ("name", Operator.EQ, "Ada Lovelace")),
    ('name like "A% b"', ("name", Operator.LIKE, "A% b")),
    ("name ilike '%o'", ("name", Operator.ILIKE, "%o")),
    ('name~"^A"', ("name", Operator.REGEX, "^A")),
    ('"first name"=Ada', ("first name", Operator.EQ, "Ada")),
    ("age between 30 and 39", ("age", Operator.BETWEEN, [30, 39])),
    ("age BETWEEN 30 AND 39.5", ("age", Operator.BETWEEN, [30, 39.5])),
    ("age not between 1 and 2", ("age", Operator.NOT_BETWEEN, [1, 2])),
    ("name between a and andy", ("name", Operator.BETWEEN, ["a", "andy"])),
    ('name between "x and y" and z', ("name", Operator.BETWEEN, ["x and y", "z"])),
    ("joined between 2024-01-01 and 2024-12-31",
     ("joined", Operator.BETWEEN, [datetime(2024, 1, 1), datetime(2024, 12, 31)])),
    ("email not exists", ("email", Operator.NOT_EXISTS, None)),
    ("email EXISTS", ("email", Operator.EXISTS, None)),
    ("not = 3", ("not", Operator.EQ, 3)),          # a field called "not"
])
def test_parse_where(expr, expected):
    assert parse_where(expr) == Filter(*expected)


@pytest.mark.parametrize(("expr", "inner"), [
    ("not age>3", Filter("age", Operator.GT, 3)),
    ("NOT city in Oslo,Rome", Filter("city", Operator.IN, ["Oslo", "Rome"])),
    ("not name ilike a%", Filter("name", Operator.ILIKE, "a%")),
])
def test_not_negates_the_condition(expr, inner):
    assert parse_where(expr) == Not(inner)
    people = [Record({"age": 5, "city": "Oslo", "name": "Ada"}), Record({"name": "Bo"})]
    query = build_query([expr])
    # NOT also matches records without the field, unlike the negated operators
    assert [all(evaluate(r, c) for c in query.filters) for r in people] == [False, True]


@pytest.mark.parametrize(("expr", "message", "caret"), [
    ('city in "Paris, TX,Lima', "the quote \" opened here is never closed", 8),
    ("age", "expected an operator after 'age'", 3),
    (">=3", "expected a field name", 0),
    ("age=>3", "'=>' is not an operator", 4),
    ("a b c", "'b' is not an operator", 2),
    ("age betwen 1 and 2", "did you mean 'between'", 4),
    ("age between 3", "expected 'and' between the two bounds", 13),
    ("age between 1 and", "expected a value", 17),
    ("city in Oslo,,Rome", "expected a value", 13),
    ("email exists now", "unexpected text after 'exists'", 13),
    ('name="a" b', "unexpected text after the quoted value", 9),
    ("name not ilike a%", "write 'not name ilike ...'", 9),
    ("age!3", "'!' is not an operator", 3),
])
def test_errors_point_at_the_character(expr, message, caret):
    with pytest.raises(ConfigurationError) as info:
        parse_where(expr)
    first, shown_expr, pointer = str(info.value).split("\n")
    assert first.startswith(f"cannot read --where {expr!r}: ") and message in first
    assert f"(at character {caret + 1})" in first
    assert shown_expr == f"  {expr}" and pointer == "  " + " " * caret + "^"


def test_bad_operands_name_the_flag():
    for expr, message in [("x=null", "null operand never matches"),
                          ('score between 1.5 and "z"', "different types")]:
        with pytest.raises(ConfigurationError, match=f"--where {expr!r}: .*{message}"):
            parse_where(expr)


def test_where_fields():
    assert where_fields(["age>3", "not age<9", '"first name"=A', "city exists"]) == [
        "age", "first name", "city"]


def test_query_of_the_flags_means_what_it_says():
    records = [Record({"city": c, "age": a}) for c, a in
               [("Paris, TX", 30), ("Lima", 39), ("Paris", 40), ("Oslo", None)]]
    query = build_query(['city in "Paris, TX",Lima', "age between 30 and 39"])
    matched = [r["city"] for r in records if all(evaluate(r, c) for c in query.filters)]
    assert matched == ["Paris, TX", "Lima"]
    assert isinstance(query, Query)


def test_values_are_typed():
    assert parse_value("2020-01-06") == datetime(2020, 1, 6)
    assert parse_value("2020-01-06T10:00:00Z").utcoffset().total_seconds() == 0
    assert parse_value("yes") == "yes"           # only true/false are booleans
    assert parse_value("'30'") == "30"
    assert parse_value("1e3") == 1000.0


@pytest.mark.parametrize("expr", ["", "age", ">=3", "age=>3", "a b c"])
def test_bad_where(expr):
    with pytest.raises(ConfigurationError, match="--where"):
        parse_where(expr)


def test_build_query():
    q = build_query(["age>=30"], ["-age", "name"], 5, 2, ["name,age", "team.name"])
    assert [(s.field, s.order) for s in q.sort_specs] == [
        ("age", SortOrder.DESC), ("name", SortOrder.ASC)]
    assert q.fields == ["name", "age", "team.name"]
