"""The reference pipeline and the fast paths derived from it.

``domain.matcher.select`` (each operator's ``value_predicate`` via the generated condition,
``sort_pairs``, then offset and limit) is the plain statement of what a query returns. The
memory adapter answers from indexes, a row table, ``scan_ids`` and ``order_matches``' heap
windows instead; here it must return exactly what the plain pipeline returns, on the record
sets and queries the differential suite generates, with and without indexes. The S3 adapter
calls ``select`` itself."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataknobs_data.adapters.memory import MemoryDatabase
from dataknobs_data.domain.matcher import order_matches, select, sort_pairs
from dataknobs_data.domain.query import SortOrder, SortSpec
from dataknobs_data.testing.differential import Scenario, scenarios

CAPS = MemoryDatabase.capabilities
SETTINGS = settings(max_examples=120, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))


def reference_ids(scenario: Scenario, index: int) -> list[str]:
    query = scenario.queries[index]
    return [rid for rid, _ in select(((r.id or "", r) for r in scenario.records), query)]


@SETTINGS
@given(scenarios(CAPS, max_records=30, max_queries=6), st.booleans())
def test_memory_answers_as_the_reference_pipeline(scenario: Scenario, indexed: bool) -> None:
    fields = sorted({k for r in scenario.records for k in r.data})[:3] if indexed else []
    db = MemoryDatabase(indexes=fields)
    db.create_batch([r.copy() for r in scenario.records])
    for i, query in enumerate(scenario.queries):
        got = [r.id for r in db.search(query)]
        assert got == reference_ids(scenario, i), query.to_dict()
        unpaged = query.copy().offset(None).limit(None)  # count ignores the window
        assert db.count(query) == len(select(((r.id or "", r) for r in scenario.records),
                                             unpaged))


_VALUES = st.one_of(st.none(), st.integers(-3, 3), st.floats(-3, 3, allow_nan=False),
                    st.text("ab", max_size=2), st.booleans())


@settings(max_examples=400, derandomize=True, database=None)
@given(st.lists(st.dictionaries(st.sampled_from("xy"), _VALUES, max_size=2), max_size=25),
       st.lists(st.tuples(st.sampled_from("xy"), st.sampled_from(list(SortOrder))),
                max_size=2),
       st.one_of(st.none(), st.integers(0, 30)))
def test_order_matches_is_sort_pairs_faster(datas: list[dict[str, Any]],
                                             keys: list[tuple[str, SortOrder]],
                                             window: int | None) -> None:
    rows = [(f"id{i:02d}", data) for i, data in enumerate(datas)]
    ids = {id(data): rid for rid, data in rows}
    specs = [SortSpec(field, order) for field, order in keys]

    class _Q:  # what sort_pairs reads of a query
        sort_specs = specs

    expected = list(rows)
    sort_pairs(expected, _Q())  # type: ignore[arg-type]
    if window is not None:
        expected = expected[:window]

    def identify(matched: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        return [(ids[id(d)], d) for d in matched]

    got = order_matches([d for _, d in rows], identify, specs, window)
    assert [rid for rid, _ in got] == [rid for rid, _ in expected]
