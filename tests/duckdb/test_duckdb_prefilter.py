"""The DuckDB adapter's SQL prefilter is a necessary condition: for every value a record can
hold and every filter it builds SQL for, a record the reference matcher keeps passes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataknobs_data import DataknobsError, Filter, Operator, Query, Record
from dataknobs_data.adapters.duckdb import DuckDBDatabase
from dataknobs_data.adapters.duckdb.prefilter import data_condition, necessary_where, rows_sql
from dataknobs_data.domain.errors import QueryError
from dataknobs_data.domain.query import evaluate
from dataknobs_data.testing.servers import require_module

duckdb = require_module("duckdb")

NUMBERS = st.one_of(st.integers(-(2**70), 2**70), st.integers(-5, 100),
                    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0.0, -0.0]))
TEXTS = st.one_of(st.sampled_from(["core", "Core", "", "co\"re", "c\\o", "c\x00re", "\ud800",
                                   "é", "80", "core "]), st.text(max_size=4))
SCALARS = st.one_of(NUMBERS, TEXTS, st.booleans(), st.none(),
                    st.datetimes(min_value=datetime(1900, 1, 1)))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=2),
                   st.dictionaries(st.sampled_from(["$k", "v", "$datetime"]), SCALARS,
                                   max_size=2))
OPERATORS = [Operator.EQ, Operator.IN, Operator.STARTS_WITH, Operator.GT, Operator.GTE,
             Operator.LT, Operator.LTE, Operator.BETWEEN]


@st.composite
def filters(draw: st.DrawFn, path: str, value: Any) -> Filter:
    """A filter on ``path``, its operands often the stored value itself (so that many
    records match and the implication is tested where it matters)."""
    op = draw(st.sampled_from(OPERATORS))
    near = [value] if type(value) in (int, float, str) else []
    numbers = st.one_of(NUMBERS, *(st.just(v) for v in near if type(v) is not str))
    texts = st.one_of(TEXTS, *(st.just(v[:k]) for v in near if type(v) is str
                               for k in (0, 1, len(v))))
    operand = st.one_of(numbers, texts)
    if op is Operator.IN:
        return Filter(path, op, draw(st.lists(operand, min_size=1, max_size=3)))
    if op is Operator.BETWEEN:
        kind = draw(st.sampled_from([numbers, texts]))
        return Filter(path, op, sorted([draw(kind), draw(kind)]))
    return Filter(path, op, draw(texts if op is Operator.STARTS_WITH else operand))


@pytest.fixture(scope="module")
def db() -> Any:
    with DuckDBDatabase() as database:
        yield database


def test_the_prefilter_keeps_every_match(db: DuckDBDatabase) -> None:
    matched: list[Filter] = []

    @settings(max_examples=400, deadline=None)
    @given(data=st.data(), path=st.sampled_from(["a", "t.n", "$k.v"]))
    def check(data: st.DataObject, path: str) -> None:
        value = data.draw(VALUES)
        head, *rest = path.split(".")
        record = Record({head: value} if not rest else {head: {rest[0]: value}}, id="r")
        try:
            condition = data.draw(filters(path, value))
        except QueryError:  # an operand pair the query model refuses (mixed BETWEEN bounds)
            return
        db.clear()
        try:
            db.create(record)
        except DataknobsError:  # a value the store refuses (past 64 bits, ...)
            return
        where, params = necessary_where(Query(filters=[condition]))
        with db._cursor("prefilter") as conn:
            kept = conn.execute(f"SELECT count(*) FROM {rows_sql(db._table_sql)} "
                                f"WHERE {where}", params).fetchone()[0]
        expected = evaluate(record, condition)
        if expected:
            matched.append(condition)
            assert kept == 1, (record, condition, where)
        assert db.search(Query(filters=[condition])) == ([record] if expected else [])

    check()
    # the operands are often the stored value, so the implication met real matches
    assert len(matched) >= 25, len(matched)


@pytest.mark.parametrize(("condition", "built"), [
    (Filter("team.name", Operator.EQ, "core"), True),
    (Filter("age", Operator.BETWEEN, [20, 40]), True),
    (Filter("age", Operator.IN, [1, 2.5]), True),
    (Filter("name", Operator.STARTS_WITH, "Ad"), True),
    (Filter("age", Operator.EQ, True), False),           # booleans: left to the pipeline
    (Filter("name", Operator.EQ, 'a"b'), False),          # a string the JSON escapes
    (Filter("age", Operator.GT, 2**64), False),           # past 64 bits
    (Filter("name", Operator.IN, ["a", 1]), False),       # mixed kinds
    (Filter("age", Operator.NEQ, 3), False),              # negated: matches other kinds too
    (Filter('we"ird', Operator.EQ, 1), False),            # a path SQL cannot name
])
def test_which_filters_get_sql(condition: Filter, built: bool) -> None:
    assert (data_condition(condition) is not None) is built


def test_selective_filters_read_only_their_rows(db: DuckDBDatabase) -> None:
    db.clear()
    db.create_batch([Record({"team": {"name": f"t{i % 10}"}, "age": i}, id=f"r{i:04d}")
                     for i in range(1000)])
    query = Query().filter("team.name", Operator.EQ, "t3").filter("age", Operator.GTE, 900)
    rows = list(db._pairs(query))
    assert len(rows) == 10                                  # not 1,000 for Python to check
    assert [r.id for r in db.search(query)] == [f"r{i:04d}" for i in range(903, 1000, 10)]
    assert db.count(query) == 10


SORT_VALUES = st.one_of(st.integers(-3, 3), st.sampled_from([1.0, -0.0, 2.5, 2**53, 2**53 + 1]),
                        st.booleans(), st.none(), st.sampled_from(["a", "b", "\ud800"]),
                        st.just([1]), st.just({"$k": 1}), st.just({"v": 1}),
                        st.datetimes(min_value=datetime(2000, 1, 1),
                                     max_value=datetime(2000, 1, 3)))
MISSING = object()


def test_sorted_limited_searches_match_the_reference() -> None:
    """``_top`` (SQL ORDER BY ... LIMIT, then the bound) against the memory reference, with
    the fewest first rows, so nearly every search goes through the bound."""
    from dataknobs_data import MemoryDatabase, SortOrder

    class SmallFetch(DuckDBDatabase):
        top_fetch = 1

    bounded: list[int] = []

    @settings(max_examples=120, deadline=None)
    @given(values=st.lists(st.one_of(SORT_VALUES, st.just(MISSING)), min_size=25, max_size=40),
           others=st.lists(st.integers(0, 3), min_size=40, max_size=40),
           order=st.sampled_from([SortOrder.ASC, SortOrder.DESC]),
           second=st.booleans(), limit=st.integers(0, 5), offset=st.integers(0, 3),
           threshold=st.one_of(st.none(), st.integers(0, 3)))
    def check(values: list[Any], others: list[int], order: SortOrder, second: bool,
              limit: int, offset: int, threshold: int | None) -> None:
        records = [Record({"o": others[i], **({} if v is MISSING else {"s": v})},
                          id=f"r{i:02d}") for i, v in enumerate(values)]
        query = Query().sort("s", order)
        if second:
            query = query.sort("o", SortOrder.DESC)
        if threshold is not None:
            query = query.filter("o", Operator.GTE, threshold)
        query = query.offset(offset).limit(limit)
        with MemoryDatabase() as reference, SmallFetch() as db:
            try:
                reference.create_batch(records)
            except DataknobsError:
                return
            db.create_batch(records)
            expected = [r.id for r in reference.search(query)]
            assert [r.id for r in db.search(query)] == expected, query
            if len(values) > 4 * (offset + limit) and limit:
                bounded.append(1)

    check()
    assert len(bounded) >= 20, len(bounded)
