"""The differential suite (random records and queries against the memory reference) on an
SQLite file, sync and async; the sync store indexes two of the generated paths, so the
index terms the translator adds are checked too, and so are counts with filters on both
(the few rows of a scenario make every filter "selective": its rows are read), and the same
with such counts always probing the other filters' indexes (``translator.indexed_count``)."""

from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataknobs_data import Operator, Query, Record, database_factory
from dataknobs_data.adapters.sqlite import AsyncSQLiteDatabase, SQLiteDatabase
from dataknobs_data.domain.errors import DataknobsError
from dataknobs_data.testing.differential import DifferentialSuite


class TestSQLiteDifferential(DifferentialSuite):
    adapter = SQLiteDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"indexes": ["a", "o.x"]}
    differential_examples = 60


class TestAsyncSQLiteDifferential(DifferentialSuite):
    adapter = AsyncSQLiteDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"max_workers": 2}
    differential_examples = 25


class _IntersectingSQLite(SQLiteDatabase):
    PROBE_ROWS = 0  # no filter counts as selective: the other indexes are always probed


class TestSQLiteIntersectDifferential(DifferentialSuite):
    adapter = _IntersectingSQLite
    adapter_kwargs: ClassVar[dict[str, Any]] = {"indexes": ["a", "o.x"]}
    differential_examples = 40


_VALUES = st.sampled_from([0, 1, 2, -1, 1.0, 1.5, 2**53 + 1, True, False, None, "a", "b",
                           "a\x00", "a\x00b", "\\u0000", "", "é", [1], {"k": 1}])
_FILTERS = st.tuples(
    st.sampled_from(["a", "o.x"]),
    st.sampled_from([Operator.EQ, Operator.IN, Operator.LT, Operator.GTE, Operator.BETWEEN]),
    _VALUES, _VALUES)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.one_of(st.none(), _VALUES), st.one_of(st.none(), _VALUES)),
                     max_size=30),
       filters=st.lists(_FILTERS, min_size=2, max_size=3), probe=st.sampled_from([0, 10**6]))
def test_counts_over_several_indexed_filters_match_the_reference(
        tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[Any, Any]],
        filters: list[tuple[str, Operator, Any, Any]], probe: int) -> None:
    """Two or three AND-ed filters on indexed paths: ``indexed_count`` probing the other
    indexes (probe 0) or reading the first filter's rows (probe huge) counts what the memory
    reference counts (the differential suite's queries seldom have two indexed filters)."""
    records = []
    for i, (a, x) in enumerate(rows):  # None here: the field is missing
        data: dict[str, Any] = {} if a is None else {"a": a}
        if x is not None:
            data["o"] = {"x": x}
        records.append(Record(data, id=f"r{i:02d}"))
    query = Query()
    for field, op, x, y in filters:
        operand = [x, y] if op is Operator.IN else (x, y) if op is Operator.BETWEEN else x
        try:
            query = query.filter(field, op, operand)
        except DataknobsError:  # an operand the spec refuses when the query is built
            return
    path = tmp_path_factory.mktemp("and") / "s.db"
    db = SQLiteDatabase(path=path, indexes=["a", "o.x"])
    db.PROBE_ROWS = probe
    with db, database_factory.create("memory") as reference:
        db.create_batch(records)
        reference.create_batch(records)
        try:
            expected = reference.count(query)
        except DataknobsError as err:  # an operand the spec refuses: refused the same way
            with pytest.raises(type(err)):
                db.count(query)
            return
        assert db.count(query) == expected
