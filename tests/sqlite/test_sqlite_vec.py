"""The SQLite adapter with ``vectors="sqlite-vec"``: the shipped suites (conformance, with its
vector tests, differential and fidelity) on that mode, and the native path checked against
the memory reference on random data with ties and hostile rows, with the reference path
forbidden so that a pass means SQL ranked."""

from __future__ import annotations

import asyncio
import random
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest

from dataknobs_data.adapters import vector_window
from dataknobs_data.adapters.memory import MemoryDatabase
from dataknobs_data.adapters.sqlite import AsyncSQLiteDatabase, SQLiteDatabase
from dataknobs_data.adapters.sqlite import database as sqlite_database
from dataknobs_data.adapters.sqlite import vectors as native
from dataknobs_data.domain.errors import ConfigurationError, QueryError
from dataknobs_data.domain.query import Query
from dataknobs_data.domain.records import Record
from dataknobs_data.testing.conformance import DatabaseConformance
from dataknobs_data.testing.differential import DifferentialSuite
from dataknobs_data.testing.fidelity import FidelitySuite
from dataknobs_data.testing.native_vectors import (
    METRICS,
    bound_case,
    check_cache_follows_writes,
    check_small_windows,
    check_window_is_screened,
    forbid_reference,
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
from dataknobs_data.testing.servers import in_ci, require_module

VEC: dict[str, Any] = {"vectors": "sqlite-vec"}

require_module("numpy")
if not in_ci():  # in CI the dev extra installs sqlite-vec: a missing one fails, never skips
    try:
        sqlite_database.dbapi_module("sqlite-vec")
    except ConfigurationError as err:
        pytest.skip(str(err), allow_module_level=True)


class TestSQLiteVecConformance(DatabaseConformance):
    adapter = SQLiteDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = VEC


class TestAsyncSQLiteVecConformance(DatabaseConformance):
    adapter = AsyncSQLiteDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {**VEC, "max_workers": 2}
    spec_rules = False  # the sync class checks the query path rule by rule


class TestSQLiteVecDifferential(DifferentialSuite):
    adapter = SQLiteDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = VEC
    differential_examples = 30


class TestSQLiteVecFidelity(FidelitySuite):
    adapter = SQLiteDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = VEC
    fidelity_examples = 30
    envelope_names = ("id", "version", "data", "metadata", "records", "$datetime", "$object")


# -- the native path against the reference ----------------------------------------------------


def both(records: list[Record], tmp_path: Path) -> tuple[SQLiteDatabase, MemoryDatabase]:
    return with_reference(SQLiteDatabase(path=tmp_path / "v.db", **VEC), records)


@pytest.fixture
def no_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_reference(monkeypatch, SQLiteDatabase)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("seed", range(4))
def test_random_sets_equal_the_memory_reference(seed: int, tmp_path: Path,
                                                no_reference: None) -> None:
    rnd = random.Random(seed)
    dim = rnd.choice([3, 8, 24])
    records = random_records(rnd, 400, dim)
    db, mem = both(records, tmp_path)
    with db:
        for _ in range(24):
            metric = rnd.choice(METRICS)
            probe = [rnd.choice([rnd.randint(-2, 2), rnd.uniform(-1, 1)]) for _ in range(dim)]
            if not any(probe):
                probe[0] = 1
            flt = rnd.choice([None, Query().filter("team", "==", "a"),
                              Query().filter("n", ">", 100), Query().filter("team", "!=", "b")])
            if rnd.random() < 0.3:
                flt = (flt or Query()).copy().offset(rnd.randint(0, 20))
            k = rnd.choice([1, 2, 5, 10, 50, 500])
            assert_same(hits(db, probe, k, metric, flt), hits(mem, probe, k, metric, flt))
        probe = [rnd.uniform(-1, 1) for _ in range(dim)]
        for metric in METRICS:  # a score threshold at the eighth hit's score
            cut = hits(mem, probe, 8, metric, None)[-1][1]
            assert_same(hits(db, probe, 20, metric, None, cut),
                        hits(mem, probe, 20, metric, None, cut))
        q = Query().filter("team", "==", "b").similar_to(probe, k=9).limit(4).select("n")
        got, want = db.search(q), mem.search(q)
        assert [(r.id, r.data) for r in got] == [(r.id, r.data) for r in want]


@pytest.mark.parametrize("pushdown_after", [0, 10 ** 9])
def test_a_small_window_grows_until_certain(tmp_path: Path, no_reference: None,
                                            monkeypatch: pytest.MonkeyPatch,
                                            pushdown_after: int) -> None:
    """Small windows: a filter keeps few of them, ties at the boundary need the bound's
    second statement; the filter's SQL in the statement from the first window on, or never."""
    monkeypatch.setattr(vector_window, "WINDOW_FACTOR", 1)
    monkeypatch.setattr(vector_window, "WINDOW_EXTRA", 0)
    monkeypatch.setattr(vector_window, "FILTERED_FACTOR", 1)
    monkeypatch.setattr(native, "PUSHDOWN_AFTER", pushdown_after)
    tails: list[str] = []
    wheres: list[str] = []
    original = native.statement

    def spied(*args: Any) -> str:
        tails.append(args[-1])
        wheres.append(args[-2])
        return original(*args)

    monkeypatch.setattr(native, "statement", spied)
    db, mem = both(tied_records(random.Random(3)), tmp_path)
    with db:
        check_small_windows(db, mem)
    assert any(tail.startswith("AND bound") for tail in tails)  # the second statement ran
    assert any(where != "1" for where in wheres) == (pushdown_after == 0)


HOSTILE: list[Any] = [
    None, "text", "", True, 0, 3.5, [], [None], [1.0, None, 2.0, 3.0], [True, 1, 2, 3],
    [1, 2, 3, False], ["1", "2", "3", "4"], [[1, 2], [3, 4], 5, 6], [{"a": 1}, 2, 3, 4],
    {"x": [1, 2, 3, 4]}, {"$datetime": "x"}, [2 ** 63 - 1, -(2 ** 63), 2 ** 53 + 1, 1],
    [1e308, -1e308, 1e308, 1e308], [1e16, 1.0, 0.0, 0.0],
    [1e15, 1.0, 0.0, 0.0], [5e-324, 0.0, 0.0, 0.0], [1e-200, 1e-200, 0.0, 1e-200],
    [1e-11, 0.0, 0.0, 0.0], [1e-9, 2e-9, 0.0, 0.0], [1e-40, 1.0, 2.0, 3.0],
    [0, 0, 0, 0], [0.0, -0.0, 0.0, 0.0], [1, 2, 3, 4], [0.5, 0.25, -1.0, 2.0],
    ["\ud800", 1, 2, 3], {"$object": [1, 2, 3, 4]},
]
#: numeric vectors of other dimensions (team "x": kept out by the filter)
OTHER_DIMENSIONS: list[Any] = [[1.0, 2.0, 3.0], [1, 2, 3, 4, 5], [1e300]]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference's own overflow
@pytest.mark.parametrize("metric", METRICS)
def test_hostile_values_never_break_a_query(metric: str, tmp_path: Path,
                                            no_reference: None) -> None:
    records = [Record({"team": "h", "embedding": v}, id=f"h{i:02d}")
               for i, v in enumerate(HOSTILE)]
    records += [Record({"team": "x", "embedding": v}, id=f"x{i}")
                for i, v in enumerate(OTHER_DIMENSIONS)]
    records += [Record({"team": "h", "embedding": [0.1 * i, -1.0, 2.0, 0.5]}, id=f"ok{i}")
                for i in range(10)]
    records += [Record({"team": "h"}, id="missing")]
    db, mem = both(records, tmp_path)
    with db:
        for probe in ([1.0, 2.0, 3.0, 4.0], [1e-9, 0.0, 1.0, 0.0], [3.0, -1.0, 0.0, 0.5]):
            for k in (1, 5, 40):
                flt = Query().filter("team", "==", "h")
                for f in (flt, flt.copy().offset(1)):
                    want = hits(mem, probe, k, metric, f)
                    assert_same(hits(db, probe, k, metric, f), want)
                # the other dimensions among the matches: the reference's error, verbatim
                with pytest.raises(QueryError) as expected:
                    hits(mem, probe, k, metric, None)
                with pytest.raises(QueryError) as got:
                    hits(db, probe, k, metric, None)
                assert str(got.value) == str(expected.value)


def test_a_query_vector_out_of_float32_range_takes_the_reference_path(tmp_path: Path) -> None:
    records = [Record({"embedding": [float(i), 1.0]}, id=f"r{i}") for i in range(20)]
    db, mem = both(records, tmp_path)
    calls: list[Any] = []
    original = native.window_hits

    def counted(*args: Any) -> Any:
        calls.append(args)
        return original(*args)

    with db, pytest.MonkeyPatch.context() as mp:
        mp.setattr(native, "window_hits", counted)
        for probe, metric in (([1e20, 1.0], "euclidean"), ([1e-12, 0.0], "cosine"),
                              ([1e11, 0.0], "dot_product")):
            assert_same(hits(db, probe, 5, metric, None), hits(mem, probe, 5, metric, None))
        assert calls == []
        assert_same(hits(db, [1.0, 2.0], 5, "cosine", None),
                    hits(mem, [1.0, 2.0], 5, "cosine", None))
        assert len(calls) == 1


def test_nested_and_wrapped_paths(tmp_path: Path, no_reference: None) -> None:
    records = [Record({"doc": {"$meta": 1, "vec": [float(i), 1.0]}}, id=f"w{i}")
               for i in range(5)]
    records += [Record({"doc": {"vec": [1.0, float(i)]}}, id=f"p{i}") for i in range(5)]
    db, mem = both(records, tmp_path)
    with db:
        for metric in METRICS:
            assert_same(hits(db, [1.0, 0.2], 6, metric, None, field="doc.vec"),
                        hits(mem, [1.0, 0.2], 6, metric, None, field="doc.vec"))


def test_the_native_statement_runs_once_per_query(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    sql: list[str] = []
    original = native.statement

    def counted(*args: Any) -> str:
        out = original(*args)
        sql.append(out)
        return out

    monkeypatch.setattr(native, "statement", counted)
    db, mem = both(random_records(random.Random(1), 300, 8), tmp_path)
    with db:
        probe = [0.1 * i for i in range(8)]
        assert_same(hits(db, probe, 10, "cosine", None), hits(mem, probe, 10, "cosine", None))
        # the query vector is a parameter, never text of the statement
        assert len(sql) == 1 and "vec_distance_cosine(v, ?)" in sql[0]
        assert "0.1" not in sql[0] and "ORDER BY bound, id LIMIT ?" in sql[0]


def test_a_filtered_window_decodes_only_matches(tmp_path: Path, no_reference: None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The filter's SQL screens the candidate window: no record it rules out is decoded."""
    db, mem = both(random_records(random.Random(6), 300, 6), tmp_path)
    with db:
        check_window_is_screened(db, mem, SQLiteDatabase, monkeypatch,
                                 [0.3, -0.2, 0.9, 0.1, 0.4, -0.6])


@pytest.mark.parametrize("indexes", [("team",), ("team", "n")])
def test_an_indexed_filter_joins_the_first_statement(tmp_path: Path, no_reference: None,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     indexes: tuple[str, ...]) -> None:
    """Every filter answered from its index: its SQL is in the first statement (SQLite
    computes the distances of the index's matches alone) and the window is an unfiltered
    query's; a filter no index answers keeps the statement over every vector. Either way
    the hits are the reference's."""
    wheres: list[str] = []
    original = native.statement

    def watched(*args: Any) -> str:
        wheres.append(args[4])
        return original(*args)

    monkeypatch.setattr(native, "statement", watched)
    records = random_records(random.Random(8), 300, 6)
    db, mem = with_reference(SQLiteDatabase(path=tmp_path / "v.db", indexes=indexes, **VEC),
                             records)
    probe = [0.3, -0.2, 0.9, 0.1, 0.4, -0.6]
    cases = [(Query().filter("team", "==", "a"), True),
             (Query().filter("team", "==", "b").filter("n", "<=", 40), "n" in indexes),
             (Query().filter("n", ">", 100), "n" in indexes)]
    with db:
        for flt, pushed in cases:
            for metric in METRICS:
                for k in (1, 10, 200):
                    wheres.clear()
                    assert_same(hits(db, probe, k, metric, flt), hits(mem, probe, k, metric, flt))
                    assert (wheres[0] != "1") is pushed, (flt, wheres[0])


def test_the_cache_follows_every_write(tmp_path: Path, no_reference: None) -> None:
    """Writes through this handle, through another handle on the same file, inside a
    transaction and rolled back all show in the next query."""
    records = random_records(random.Random(4), 150, 6)
    db, mem = both(records, tmp_path)
    other = SQLiteDatabase(path=tmp_path / "v.db", **VEC)  # the same SQLite library
    probe = [0.4, -0.3, 0.8, 0.1, -0.5, 0.2]

    def inside_rollback() -> None:
        # the probe itself, and twice it: cosine 1 for both, ties by id
        assert [rid for rid, _ in hits(db, probe, 2, "cosine", None)] == ["gone", "inside"]

    with db, other:
        check_cache_follows_writes(db, other, mem, records, probe, inside_rollback)
        # the cache holds one row per stored row, each at its current version
        conn = db._connection()
        assert conn.execute("SELECT count(*) FROM temp.dk_vectors_0 AS c JOIN records AS t "
                            "ON t.id = c.id AND t.version = c.version").fetchone()[0] \
            == conn.execute("SELECT count(*) FROM temp.dk_vectors_0").fetchone()[0] \
            == db.count()
        db.clear()
        mem.clear()
        assert hits(db, probe, 5, "cosine", None) == []


def test_the_async_adapter_takes_the_native_path(tmp_path: Path, no_reference: None) -> None:
    records = random_records(random.Random(5), 120, 5)
    mem = MemoryDatabase()
    mem.create_batch([r.copy() for r in records])
    probe = [0.2, 0.1, -0.4, 0.9, 0.0]

    async def run() -> list[tuple[str, float]]:
        async with AsyncSQLiteDatabase(path=tmp_path / "a.db", max_workers=2, **VEC) as db:
            await db.create_batch([r.copy() for r in records])
            return [(h.record.id or "", h.score)
                    for h in await db.vector_search(probe, k=7, metric="euclidean")]

    assert_same(asyncio.run(run()), hits(mem, probe, 7, "euclidean", None))


# -- the option and the drivers ----------------------------------------------------------------
def test_an_unknown_vectors_mode_is_refused_by_name(tmp_path: Path) -> None:
    for mode in ("sqlite_vec", "vss", ""):
        with pytest.raises(ConfigurationError, match=repr(mode)) as err:
            SQLiteDatabase(path=tmp_path / "x.db", vectors=mode)
        assert "sqlite-vec" in str(err.value)


def test_the_default_mode_keeps_the_standard_library(tmp_path: Path) -> None:
    import sqlite3

    with SQLiteDatabase(path=tmp_path / "d.db") as db:
        assert db._dbapi is sqlite3 and type(db._connection()) is sqlite3.Connection
        assert db._vector_hits(Query(), native.VectorQuery([1.0]), native.DistanceMetric.COSINE,
                               0, 1) is None


def test_the_driver_is_chosen_by_what_loads_extensions(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    import sqlite3

    can_load = hasattr(sqlite3.Connection, "enable_load_extension")
    chosen = sqlite_database.dbapi_module("sqlite-vec")
    assert (chosen is sqlite3) == (can_load and sqlite3.sqlite_version_info
                                   >= sqlite_database.MIN_SQLITE)
    # a standard library that loads extensions is used as it is
    able = types.SimpleNamespace(Connection=type("C", (), {"enable_load_extension": None}),
                                 sqlite_version_info=(3, 45, 0), sqlite_version="3.45.0")
    monkeypatch.setattr(sqlite_database, "sqlite3", able)
    assert sqlite_database.dbapi_module("sqlite-vec") is able
    # one that cannot, without pysqlite3: the install hint
    unable = types.SimpleNamespace(Connection=type("C", (), {}),
                                   sqlite_version_info=(3, 40, 1), sqlite_version="3.40.1")
    monkeypatch.setattr(sqlite_database, "sqlite3", unable)
    monkeypatch.setitem(sys.modules, "pysqlite3.dbapi2", None)
    with pytest.raises(ConfigurationError, match=r"dataknobs-data\[sqlite-vec\]"):
        sqlite_database.dbapi_module("sqlite-vec")
    # without sqlite-vec itself: the same hint, whatever sqlite3 can do
    monkeypatch.setattr(sqlite_database, "sqlite3", able)
    monkeypatch.setitem(sys.modules, "sqlite_vec", None)
    with pytest.raises(ConfigurationError, match=r"dataknobs-data\[sqlite-vec\]"):
        sqlite_database.dbapi_module("sqlite-vec")


def test_two_sqlite_libraries_never_share_a_file(tmp_path: Path) -> None:
    """Where the mode's driver is another copy of SQLite than the standard library's, a
    file open through one cannot be opened through the other until it is closed."""
    import sqlite3

    path = tmp_path / "shared.db"
    first = SQLiteDatabase(path=path, **VEC)
    second = SQLiteDatabase(path=path)
    with first:
        first.create(Record({"a": 1}, id="x"))
        if first._dbapi is sqlite3:  # one library: no hazard, both open
            with second:
                assert second.read("x") is not None
        else:
            with pytest.raises(ConfigurationError, match="two copies of SQLite"):
                second.connect()
    with second:  # closed: the file is free for the other library
        assert second.read("x") is not None
    first = SQLiteDatabase(path=path, **VEC)
    first.connect()
    del first  # collected unclosed: its claim goes with it
    import gc

    gc.collect()
    with second:
        assert second.count() == 1


def test_errors_come_from_the_driver_in_use(tmp_path: Path) -> None:
    """A taken id and a broken statement are the driver's own exceptions, mapped as the
    standard library's are."""
    from dataknobs_data.domain.errors import OperationalError, RecordExistsError

    with SQLiteDatabase(path=tmp_path / "e.db", **VEC) as db:
        db.create(Record({"a": 1}, id="x"))
        with pytest.raises(RecordExistsError):
            db.create(Record({"a": 2}, id="x"))
        with pytest.raises(OperationalError, match="no such table"), db._cursor("probe") as c:
            c.execute("SELECT * FROM no_such_table")
        assert db._connection().execute("SELECT vec_version()").fetchone()[0].startswith("v")


@pytest.mark.parametrize("dim", [3, 384])
def test_every_bound_is_below_the_exact_key(tmp_path: Path, dim: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The float32 slack makes each row's SQL bound a true lower bound of its float64 key,
    on vectors of many magnitudes and near copies of the probe (cancellation); with no slack
    some float32 distances land above the exact key, so the check can fail."""
    import numpy as np

    probe, records, keys = bound_case(dim)
    q = probe.tolist()
    with SQLiteDatabase(path=tmp_path / "b.db", **VEC) as db:
        db.create_batch(records)
        conn = db._connection()
        cache = db._vectors.table(conn, "embedding")
        q_norm = float(np.sqrt(probe @ probe))
        exact = {native.DistanceMetric(name): value for name, value in keys.items()}
        index = {f"r{i:03d}".encode(): i for i in range(len(records))}

        def over(metric: native.DistanceMetric) -> list[float]:
            """Each placed row's bound minus its exact key."""
            sql = native.statement(db._table_sql, cache, metric, dim, "1",
                                   "ORDER BY bound, id LIMIT ?")
            params = [np.asarray(q, dtype=np.float32).tobytes(),
                      *native.constants(metric, dim, q_norm), len(records)]
            return [float(bound) - float(exact[metric][index[bytes(rid)]])
                    for rid, kind, bound in conn.execute(sql, params) if kind == 1]

        for metric in exact:
            gaps = over(metric)
            assert len(gaps) > 250 and max(gaps) <= 0, (metric, max(gaps))
        monkeypatch.setattr(native, "slack", lambda d: 0.0)
        assert any(max(over(metric)) > 0 for metric in exact)
