"""Parsing --where / --sort / --select into a Query."""

from __future__ import annotations

from datetime import datetime

import pytest

from dataknobs_data import ConfigurationError, Operator, SortOrder
from dataknobs_data.cli.where import build_query, parse_value, parse_where


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
    ("x=null", ("x", Operator.EQ, None)),
])
def test_parse_where(expr, expected):
    assert parse_where(expr) == expected


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
