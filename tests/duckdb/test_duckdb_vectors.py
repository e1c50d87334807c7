"""The DuckDB adapter's native nearest-neighbour search (adapters/duckdb/vectors.py) against
the memory adapter (the reference ranking): random data sets across metrics, filters,
offsets and k; hostile values at the vector's path; the native path really runs (the
port's reference streaming is never called); source mode answers through the port."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data.adapters import vector_window
from dataknobs_data.adapters.duckdb import AsyncDuckDBDatabase, DuckDBDatabase
from dataknobs_data.adapters.duckdb import vectors as native
from dataknobs_data.adapters.memory import MemoryDatabase
from dataknobs_data.domain.errors import ConfigurationError, QueryError
from dataknobs_data.domain.query import Query
from dataknobs_data.domain.records import Record
from dataknobs_data.testing.native_vectors import (
    METRICS,
    OTHER_DIMENSION,
    SCREENED,
    check_cache_follows_writes,
    check_hostile,
    check_nested,
    check_other_dimension,
    check_random_sets,
    check_small_windows,
    check_window_is_screened,
    forbid_reference,
    hostile_records,
    nested_records,
    tied_records,
    with_reference,
)
from dataknobs_data.testing.native_vectors import assert_same_hits as assert_same
from dataknobs_data.testing.native_vectors import (
    random_vector_records as random_records,
)
from dataknobs_data.testing.native_vectors import (
    vector_hits as hits,
)
from dataknobs_data.testing.servers import require_module

require_module("numpy")


#: the paths the ``indexed`` cache mode keeps beside the vectors (``team`` as well under a
#: second spelling, and a path no record holds)
INDEXED = ("team", "n", "doc.vec", "absent.path", "team", "q'uote")


def both(records: list[Record], tmp_path: Path, mode: str = "cached"
         ) -> tuple[DuckDBDatabase, MemoryDatabase]:
    indexes = INDEXED if mode == "indexed" else ()
    return with_reference(DuckDBDatabase(path=tmp_path / "v.duckdb", indexes=indexes), records)


@pytest.fixture
def no_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_reference(monkeypatch, DuckDBDatabase)


@pytest.fixture(params=["cached", "parsed", "indexed"])
def cache_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every source of the distances: the per-handle cache of parsed vectors, the JSON of
    the rows the filter's necessary condition keeps (as inside a transaction), and the cache
    keeping the filter paths' values too (``indexes``: the filters pick its rows)."""
    if request.param == "parsed":
        monkeypatch.setattr(native.VectorCache, "table", lambda self, conn, field: None)
    return str(request.param)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("seed", range(6))
def test_random_sets_equal_the_memory_reference(seed: int, tmp_path: Path, cache_mode: str,
                                                no_reference: None) -> None:
    rnd = random.Random(seed)
    dim = rnd.choice([1, 3, 8, 33])
    duck, mem = both(random_records(rnd, rnd.randint(30, 400), dim), tmp_path, cache_mode)
    with duck:
        check_random_sets(duck, mem, rnd, dim)


@pytest.mark.parametrize("pushdown_after", [0, 10 ** 9])
def test_a_small_window_grows_until_certain(tmp_path: Path, no_reference: None,
                                            cache_mode: str, pushdown_after: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Small windows: the filter the SQL cannot push down (``!=``) keeps few of them, ties
    at the boundary need the bound's second statement, and a filter SQL can narrow moves
    from the cache to the filtered rows' JSON."""
    monkeypatch.setattr(vector_window, "WINDOW_FACTOR", 1)
    monkeypatch.setattr(vector_window, "WINDOW_EXTRA", 0)
    monkeypatch.setattr(vector_window, "FILTERED_FACTOR", 1)
    monkeypatch.setattr(native, "PUSHDOWN_AFTER", pushdown_after)
    duck, mem = both(tied_records(random.Random(3)), tmp_path, cache_mode)
    with duck:
        check_small_windows(duck, mem)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference's own overflow
@pytest.mark.parametrize("metric", METRICS)
def test_hostile_values_never_break_a_query(metric: str, tmp_path: Path, cache_mode: str,
                                            no_reference: None) -> None:
    records = hostile_records()
    records += [Record({"team": "h", "other": "\ud800", "embedding": [1.0, 0.5, 0.0, 2.0]},
                       id="lone-surrogate")]  # the row's bytes are not valid UTF-8
    duck, mem = both(records, tmp_path, cache_mode)
    with duck:
        check_hostile(duck, mem, metric)


def test_another_dimension_among_the_matches_is_the_reference_error(
        tmp_path: Path, cache_mode: str, no_reference: None) -> None:
    duck, mem = both(list(OTHER_DIMENSION), tmp_path, cache_mode)
    with duck:
        check_other_dimension(duck, mem)
        # a filter the SQL cannot push down keeps the other dimension out: no error
        flt = Query().filter("team", "!=", "a")
        with pytest.raises(QueryError, match="'b1'"):
            hits(duck, [1.0, 0.0, 0.0], 1, "dot", flt)
        assert [rid for rid, _ in hits(duck, [1.0, 0.0, 0.0, 0.0], 5, "dot", flt)] == ["b2", "b1"]


def test_nested_and_wrapped_paths(tmp_path: Path, cache_mode: str, no_reference: None) -> None:
    duck, mem = both(nested_records(), tmp_path, cache_mode)
    with duck:
        check_nested(duck, mem)


def test_the_native_statement_runs_once_per_query(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = native.statement

    def counted(*args: Any) -> Any:
        calls.append(args[-1])
        return original(*args)

    monkeypatch.setattr(native, "statement", counted)
    duck, mem = both(random_records(random.Random(1), 300, 8), tmp_path)
    with duck:
        probe = [0.1 * i for i in range(8)]
        assert_same(hits(duck, probe, 10, "cosine", None), hits(mem, probe, 10, "cosine", None))
    assert len(calls) == 1 and calls[0].startswith("ORDER BY bound")


def test_a_filtered_window_decodes_only_matches(tmp_path: Path, no_reference: None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The filter's necessary condition screens the candidate window: no record it rules
    out is decoded (an inequality has none: for the third case only the range screens)."""
    db, mem = both(random_records(random.Random(6), 300, 6), tmp_path)
    cases = (*SCREENED[:2], (SCREENED[2][0], lambda rec: rec["n"] >= 100))
    with db:
        check_window_is_screened(db, mem, DuckDBDatabase, monkeypatch,
                                 [0.3, -0.2, 0.9, 0.1, 0.4, -0.6], cases)


def test_the_cache_follows_every_write(tmp_path: Path, no_reference: None) -> None:
    """Writes through this handle, through another handle on the same file, and inside a
    transaction (which reads the JSON, never the cache) all show in the next query."""
    records = random_records(random.Random(4), 150, 6)
    duck, mem = both(records, tmp_path)
    other = DuckDBDatabase(path=tmp_path / "v.duckdb")
    probe = [0.4, -0.3, 0.8, 0.1, -0.5, 0.2]
    with duck, other:
        check_cache_follows_writes(duck, other, mem, records, probe)
        # the cache holds one row per stored row, each at its current version
        conn = duck._connection()
        assert conn.execute("SELECT count(*) FROM dk_vectors_0 AS c JOIN records AS t "
                            "ON t.id = c.id AND t.version = c.version").fetchone()[0] \
            == conn.execute("SELECT count(*) FROM dk_vectors_0").fetchone()[0] == duck.count()
        duck.clear()
        mem.clear()
        assert hits(duck, probe, 5, "cosine", None) == []


def test_the_async_adapter_takes_the_native_path(tmp_path: Path, no_reference: None) -> None:
    import asyncio

    records = random_records(random.Random(2), 120, 5)
    mem = MemoryDatabase()
    mem.create_batch([r.copy() for r in records])
    probe = [0.5, -0.1, 0.3, 0.9, -0.7]

    async def run() -> list[tuple[str, float]]:
        db = AsyncDuckDBDatabase(path=tmp_path / "a.duckdb", max_workers=2)
        await db.connect()
        try:
            await db.create_batch([r.copy() for r in records])
            found = await db.vector_search(probe, k=12, metric="euclidean",
                                           filter=Query().filter("team", "==", "c"))
            return [(h.record.id or "", h.score) for h in found]
        finally:
            await db.close()

    assert_same(asyncio.run(run()), hits(mem, probe, 12, "euclidean",
                                         Query().filter("team", "==", "c")))


def test_source_mode_answers_through_the_port(tmp_path: Path) -> None:
    """Source mode holds the files' rows in Python: ``_vector_hits`` declines (None) and the
    port ranks them, with the same answer as the reference."""
    import duckdb

    target = tmp_path / "vectors.parquet"
    conn = duckdb.connect()
    conn.execute(f"""COPY (SELECT 'd' || i AS id, i % 3 AS kind,
                         [sin(i)::DOUBLE, cos(i)::DOUBLE, (i % 5)::DOUBLE] AS embedding
                         FROM range(40) t(i)) TO '{target}' (FORMAT parquet)""")
    conn.close()
    src = DuckDBDatabase(source=target)
    mem = MemoryDatabase()
    with src:
        mem.create_batch([r.copy() for r in src.all()])
        assert src._vector_hits(Query(), *_plan(src, [1.0, 0.0, 0.0])) is None
        for metric in METRICS:
            for flt in (None, Query().filter("kind", "==", 1)):
                assert_same(hits(src, [0.2, -0.4, 1.0], 6, metric, flt),
                            hits(mem, [0.2, -0.4, 1.0], 6, metric, flt))


def _plan(db: DuckDBDatabase, probe: list[float]) -> tuple[Any, ...]:
    _, vq, metric, skip, take = db._vector_plan(Query().similar_to(probe, k=3))
    return vq, metric, skip, take


#: values at an indexed filter path that its two cache columns must not confuse
FILTER_VALUES: list[Any] = [
    "a", "A", "a ", "", "5", 5, 5.0, -5, 2 ** 63 - 1, 2 ** 53 + 1, 1e308, True, False, None, [],
    ["a"], {"x": "a"}, {"$datetime": "2024-01-01T00:00:00"}, 'quo"te', "back\\slash",
    "line\nbreak", "\ud800", "ab", "abc", "é",
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_indexed_filters_pick_the_cache_rows_exactly_as_the_reference(
        tmp_path: Path, no_reference: None) -> None:
    """Hostile values at the indexed paths (numbers as strings, booleans, nulls, nested
    values, quotes, lone surrogates): every filter the cache columns answer keeps each
    match, and the hits are the reference's."""
    rnd = random.Random(11)
    records = [Record({"team": rnd.choice(FILTER_VALUES), "n": rnd.choice(FILTER_VALUES),
                       "q'uote": rnd.choice(FILTER_VALUES),
                       "embedding": [rnd.uniform(-1, 1) for _ in range(3)]}, id=f"f{i:03d}")
               for i in range(240)]
    records.append(Record({"embedding": [1.0, 0.0, 0.0]}, id="no-team"))
    duck, mem = both(records, tmp_path, "indexed")
    operands = [v for v in FILTER_VALUES if isinstance(v, str | int | float)]
    with duck:
        for _ in range(60):
            x = rnd.choice(operands)
            flt = rnd.choice([
                Query().filter("team", "==", x), Query().filter("n", "==", x),
                Query().filter("q'uote", "==", x),
                Query().filter("team", "in", [x, rnd.choice(operands)]),
                Query().filter("team", "starts_with", x[:1]) if isinstance(x, str)
                else Query().filter("n", ">", x) if not isinstance(x, bool)
                else Query().filter("n", "==", x),
                Query().filter("n", "between", [-5, 10]).filter("team", "!=", "a"),
            ])
            probe = [rnd.uniform(-1, 1) for _ in range(3)]
            for metric in METRICS:
                assert_same(hits(duck, probe, 7, metric, flt), hits(mem, probe, 7, metric, flt))


def test_indexed_filters_rank_only_the_rows_they_keep(tmp_path: Path, no_reference: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A query whose conditions are all on indexed paths (or the id) ranks the cache rows
    they keep, with an unfiltered query's first window, and decodes only matches; one with
    another condition starts with the filtered window (the screen is then partial)."""
    seen: list[tuple[str, str]] = []
    original = native.statement

    def watched(parsed: str, metric: Any, dim: int, tail: str) -> str:
        seen.append((parsed, tail))
        return original(parsed, metric, dim, tail)

    monkeypatch.setattr(native, "statement", watched)
    db, mem = both(random_records(random.Random(6), 300, 6), tmp_path, "indexed")
    probe = [0.3, -0.2, 0.9, 0.1, 0.4, -0.6]
    plain = vector_window.first_window(10)
    with db:
        for flt, window in ((Query().filter("team", "==", "a"), plain),
                            (Query().filter("team", "in", ["b"]).filter("n", "<=", 40), plain),
                            (Query().filter("id", ">", "r5"), plain),
                            (Query().filter("team", "==", "a").filter("n", "!=", 3),
                             vector_window.first_window(10, True))):
            seen.clear()
            assert_same(hits(db, probe, 10, "cosine", flt), hits(mem, probe, 10, "cosine", flt))
            parsed, tail = seen[0]
            assert parsed.startswith("(SELECT * FROM dk_vectors_0 AS c WHERE"), parsed
            assert "decode(data)" not in parsed
            assert tail == f"ORDER BY bound, id LIMIT {window}"
        cases = (*SCREENED[:2], (SCREENED[2][0], lambda rec: rec["n"] >= 100))  # != unscreened
        check_window_is_screened(db, mem, DuckDBDatabase, monkeypatch, probe, cases)


def test_indexed_values_follow_every_write(tmp_path: Path, no_reference: None) -> None:
    """A write through another handle that changes a record's team shows in the next
    filtered query: the cache row is parsed again at its new version."""
    records = random_records(random.Random(8), 120, 4)
    duck, mem = both(records, tmp_path, "indexed")
    other = DuckDBDatabase(path=tmp_path / "v.duckdb")
    probe = [0.5, 0.5, -0.5, 0.1]
    flt = Query().filter("team", "==", "a")
    with duck, other:
        assert_same(hits(duck, probe, 10, "cosine", flt), hits(mem, probe, 10, "cosine", flt))
        moved = [r for r in records if r["team"] == "b"][:15]
        for rec in moved:
            for store in (other, mem):
                store.update(rec.id or "", Record({**rec.data, "team": "a",
                                                   "embedding": list(probe)}))
        got = hits(duck, probe, 10, "cosine", flt)
        assert_same(got, hits(mem, probe, 10, "cosine", flt))
        assert {rid for rid, _ in got} <= {r.id for r in moved}


@pytest.mark.parametrize("indexes", [["id"], ['a"b'], ["a\\b"], [3], [None], ["a..b"], [""]])
def test_an_index_path_sql_cannot_name_is_refused(indexes: list[Any], tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot index"):
        DuckDBDatabase(path=tmp_path / "x.duckdb", indexes=indexes)


def test_indexes_are_an_option_of_table_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="table mode only"):
        DuckDBDatabase(source=tmp_path / "x.parquet", indexes=["team"])
    assert DuckDBDatabase(path=tmp_path / "x.duckdb", indexes="team").indexes == ("team",)
