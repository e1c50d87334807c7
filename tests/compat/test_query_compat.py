"""Queries as dataknobs-data 0.11 programs write them, run against this package.

Each test is a small user program in 0.11's style (its README and docs): boolean queries with
``Query.or_`` / ``not_``, ``QueryBuilder``, ``ComplexQuery``, the condition classes of
``dataknobs_data.query_logic`` and the spellings of operators and sort orders. They run on
the memory adapter and, where it matters that a boolean query is an ordinary query, on the
file adapter too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dataknobs_data import (
    ComplexQuery,
    Filter,
    FilterCondition,
    LogicCondition,
    LogicOperator,
    MemoryDatabase,
    Operator,
    Query,
    QueryBuilder,
    QueryError,
    Record,
    SortOrder,
    SortSpec,
    SyncDatabase,
)
from dataknobs_data.query import coerce_operator, coerce_sort_order

PEOPLE = [
    ("1", {"name": "Alice", "age": 30, "city": "New York", "active": True}),
    ("2", {"name": "Bob", "age": 25, "city": "Los Angeles", "active": False}),
    ("3", {"name": "Charlie", "age": 35, "city": "New York", "active": True}),
    ("4", {"name": "David", "age": 28, "city": "Chicago", "active": True}),
    ("5", {"name": "Eve", "age": 32, "city": "Los Angeles", "active": False}),
]


@pytest.fixture(params=["memory", "file"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> SyncDatabase:
    config = {"path": str(tmp_path / "people.json")} if request.param == "file" else {}
    database = SyncDatabase.from_backend(request.param, config)
    for rid, data in PEOPLE:
        database.create(Record(data, id=rid))
    return database


def names(records: list[Record]) -> list[str]:
    return [r.get_value("name") for r in records]


# --- Query.or_ / not_ return a ComplexQuery and leave the query alone ---------------------------
def test_or_ands_the_existing_filters_with_the_alternatives(db: SyncDatabase) -> None:
    base = Query().filter("active", Operator.EQ, True)
    complex_query = base.or_(Filter("city", Operator.EQ, "New York"),
                             Filter("city", Operator.EQ, "Los Angeles"))

    assert isinstance(complex_query, ComplexQuery)
    assert sorted(names(db.search(complex_query))) == ["Alice", "Charlie"]
    # the base query is unchanged: it still finds every active person
    assert sorted(names(db.search(base))) == ["Alice", "Charlie", "David"]
    assert db.count(complex_query) == 2


def test_or_takes_queries_as_groups(db: SyncDatabase) -> None:
    older_in_ny = Query().filter("age", ">", 30).filter("city", "=", "New York")
    query = Query().or_(older_in_ny, Filter("city", Operator.EQ, "Chicago"))
    assert sorted(names(db.search(query))) == ["Charlie", "David"]


def test_or_without_alternatives_asks_what_the_query_asks(db: SyncDatabase) -> None:
    simple = Query().filter("age", Operator.GT, 30).filter("active", Operator.EQ, True)
    assert names(db.search(simple.or_())) == names(db.search(simple)) == ["Charlie"]
    assert len(db.search(Query().or_())) == 5


def test_not_excludes(db: SyncDatabase) -> None:
    query = Query().filter("active", Operator.EQ, True).not_(
        Filter("city", Operator.EQ, "New York"))
    assert names(db.search(query)) == ["David"]


def test_a_complex_query_sorts_pages_and_projects_like_any_query(db: SyncDatabase) -> None:
    query = (Query().or_(Filter("age", Operator.BETWEEN, (25, 30)),
                         Filter("city", Operator.EQ, "Chicago"))
             .sort_by("age", "desc").limit(2).select(["name", "age"]))
    found = db.search(query)
    assert [r.data for r in found] == [{"name": "Alice", "age": 30},
                                       {"name": "David", "age": 28}]


# --- QueryBuilder --------------------------------------------------------------------------------
def test_builder_groups(db: SyncDatabase) -> None:
    # (age > 30 AND city = "New York") OR (age < 30 AND active = True)
    group1 = QueryBuilder().where("age", Operator.GT, 30).where("city", Operator.EQ, "New York")
    group2 = QueryBuilder().where("age", Operator.LT, 30).where("active", Operator.EQ, True)
    query = QueryBuilder().or_(group1, group2).build()
    assert sorted(names(db.search(query))) == ["Charlie", "David"]


def test_builder_or_joins_what_was_built(db: SyncDatabase) -> None:
    # where(...) then or_(...): city = "Chicago" OR age >= 35 OR name = "Bob"
    query = (QueryBuilder().where("city", "==", "Chicago")
             .or_(Filter("age", Operator.GTE, 35), Filter("name", Operator.EQ, "Bob"))
             .sort_by("name", "asc").limit(2).build())
    assert names(db.search(query)) == ["Bob", "Charlie"]
    assert query.limit_value == 2 and query.sort_specs == [SortSpec("name", SortOrder.ASC)]


def test_builder_not_and_and(db: SyncDatabase) -> None:
    builder = QueryBuilder()
    builder.not_(Filter("city", Operator.EQ, "New York"))
    builder.not_(Filter("active", Operator.EQ, False))
    assert names(db.search(builder.build())) == ["David"]

    both = QueryBuilder().and_(Filter("active", "=", True), QueryBuilder().where("age", "<", 30))
    assert names(db.search(both.build())) == ["David"]
    # NOT of an empty builder holds for every record, as in 0.11
    assert db.count(QueryBuilder().not_(QueryBuilder()).build()) == 5


def test_builder_refuses_what_is_not_a_condition() -> None:
    with pytest.raises(QueryError, match="'city = Oslo'"):
        QueryBuilder().or_("city = Oslo")  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="sideways"):
        QueryBuilder().sort_by("name", "sideways")
    with pytest.raises(QueryError, match="limit"):
        QueryBuilder().limit(-1)


# --- conditions ----------------------------------------------------------------------------------
def test_conditions_match_records() -> None:
    condition = LogicCondition(
        operator=LogicOperator.AND,
        conditions=[
            LogicCondition(operator=LogicOperator.OR, conditions=[
                FilterCondition(Filter("age", Operator.GT, 30)),
                FilterCondition(Filter("vip", Operator.EQ, True))]),
            FilterCondition(Filter("active", Operator.EQ, True)),
        ],
    )
    assert condition.matches(Record({"age": 35, "vip": False, "active": True}))
    assert condition.matches(Record({"age": 25, "vip": True, "active": True}))
    assert not condition.matches(Record({"age": 35, "vip": False, "active": False}))
    assert not condition.matches({"age": 25, "vip": False, "active": True})  # a data dict

    wrapped = FilterCondition(Filter("status", Operator.EQ, "active"))
    assert wrapped.filter == Filter("status", Operator.EQ, "active")
    assert wrapped.matches(Record({"status": "active"}))
    assert not LogicCondition(LogicOperator.NOT, [wrapped]).matches(Record({"status": "active"}))
    with pytest.raises(QueryError, match="takes a Filter"):
        FilterCondition("status = active")  # type: ignore[arg-type]


def test_complex_query_matches_and_converts() -> None:
    query = QueryBuilder().where("age", ">", 30).where("active", "=", True).build()
    assert query.matches(Record({"age": 31, "active": True}))
    assert not query.matches(Record({"age": 31}))
    simple = query.to_simple_query()
    assert type(simple) is Query
    assert simple.filters == [Filter("age", Operator.GT, 30), Filter("active", Operator.EQ, True)]
    with pytest.raises(ValueError, match="complex boolean logic"):
        QueryBuilder().or_(Filter("a", "=", 1), Filter("b", "=", 2)).build().to_simple_query()

    either = ComplexQuery.OR([Query().filter("city", "=", "Oslo"), Query().filter("age", "<", 3)])
    assert either.matches({"city": "Oslo"}) and either.matches({"age": 2})
    assert not ComplexQuery.AND([Query().filter("a", "=", 1), Query().filter("b", "=", 2)]
                                ).matches({"a": 1})
    assert ComplexQuery().matches({}) and ComplexQuery().condition is None


# --- dict forms ----------------------------------------------------------------------------------
def test_complex_query_dict_round_trip(db: SyncDatabase) -> None:
    builder = QueryBuilder().where("city", Operator.EQ, "Chicago")
    builder.or_(Filter("age", Operator.GT, 33), Filter("name", Operator.EQ, "Bob"))
    query = builder.sort_by("age", "desc").limit(10).build()

    data = query.to_dict()
    assert set(data) == {"condition", "sort", "limit"}
    again = ComplexQuery.from_dict(data)
    assert again.condition is not None and again == query
    assert names(db.search(again)) == ["Charlie", "David", "Bob"]


def test_reads_the_tagged_condition_form_of_0_11() -> None:
    data = {"condition": {"type": "logic", "operator": "or", "conditions": [
        {"type": "filter", "filter": {"field": "age", "operator": ">", "value": 30}},
        {"type": "logic", "operator": "not", "conditions": [
            {"type": "filter", "filter": {"field": "active", "operator": "=", "value": True}}]},
    ]}, "sort": [{"field": "name", "order": "asc"}]}
    query = ComplexQuery.from_dict(data)
    assert query.matches({"age": 31, "active": True}) and query.matches({"age": 3})
    assert not query.matches({"age": 3, "active": True})
    cond = LogicCondition.from_dict(data["condition"])
    assert cond.operator is LogicOperator.OR and len(cond.conditions) == 2
    # 0.11's NOT of several conditions: none of them holds
    none_of = LogicCondition.from_dict({"type": "logic", "operator": "not", "conditions": [
        {"type": "filter", "filter": {"field": "a", "operator": "=", "value": 1}},
        {"type": "filter", "filter": {"field": "b", "operator": "=", "value": 2}}]})
    assert none_of.matches({"a": 0, "b": 0}) and not none_of.matches({"a": 0, "b": 2})
    with pytest.raises(QueryError, match="'vector'"):
        LogicCondition.from_dict({"type": "vector"})


def test_filter_and_sort_spec_dicts() -> None:
    restored = Filter.from_dict({"field": "age", "operator": ">", "value": 25})
    assert restored == Filter("age", Operator.GT, 25)
    assert Filter.from_dict(restored.to_dict()) == restored
    assert SortSpec.from_dict({"field": "score", "order": "desc"}) == SortSpec("score",
                                                                               SortOrder.DESC)
    assert SortSpec.from_dict({"field": "score"}).order is SortOrder.ASC
    empty = Query().to_dict()
    assert empty == {"filters": [], "sort": []}
    with pytest.raises(QueryError, match="unknown query keys: \\['vector_query'\\]"):
        Query.from_dict({"filters": [], "vector_query": {}})


# --- spellings and the fluent aliases ------------------------------------------------------------
def test_operator_and_sort_order_spellings() -> None:
    for spelling, op in [("=", Operator.EQ), ("==", Operator.EQ), ("!=", Operator.NEQ),
                         (">=", Operator.GTE), ("in", Operator.IN), ("IN", Operator.IN),
                         ("NOT IN", Operator.NOT_IN), ("not_like", Operator.NOT_LIKE),
                         ("LIKE", Operator.LIKE), (Operator.REGEX, Operator.REGEX)]:
        assert coerce_operator(spelling) is op
    with pytest.raises(ValueError, match="'contains'"):
        coerce_operator("contains")
    with pytest.raises(QueryError, match="'contains'"):
        Query().filter("name", "contains", "x")
    assert coerce_sort_order("DESC") is SortOrder.DESC
    assert coerce_sort_order("ascending") is SortOrder.ASC
    with pytest.raises(ValueError, match="'up'"):
        coerce_sort_order("up")


def test_fluent_aliases_and_properties() -> None:
    query = Query().filter("age", ">=", 25).sort_by("age", "desc").set_limit(10).set_offset(20)
    assert (query.limit_property, query.offset_property) == (10, 20)
    assert query.sort_property == query.sort_specs == [SortSpec("age", SortOrder.DESC)]
    copy = query.copy().set_limit(5)
    assert query.limit_value == 10 and copy.limit_value == 5
    assert Query().select(["name", "age"]).fields == ["name", "age"]


def test_a_boolean_query_runs_where_queries_run() -> None:
    # a ComplexQuery is a Query: count, stream_read and the async port take it too
    db = MemoryDatabase()
    db.create_batch([Record(data, id=rid) for rid, data in PEOPLE])
    query = QueryBuilder().or_(Filter("city", "=", "Chicago"), Filter("age", ">", 33)).build()
    assert [r.id for r in db.stream_read(query)] == ["3", "4"]
    assert db.count(query) == 2
