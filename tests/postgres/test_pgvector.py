"""pgvector nearest-neighbour search (adapters/postgres/vectors.py) on a real PostgreSQL 16 +
pgvector server (``pgserver``, started once per session): the whole conformance suite in
exact mode and with an HNSW or IVFFlat index, sync and async; the index in the plan; hostile
records; float4 near-ties (the window grows until the exact answer is certain); and the
adapter without the extension (the local server has none)."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import random
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from dataknobs_data import Query, Record
from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.adapters.postgres.vectors import RARE_CAP, VectorStatements
from dataknobs_data.adapters.vector_window import first_window
from dataknobs_data.domain.errors import ConfigurationError, DataknobsError, QueryError
from dataknobs_data.domain.query import evaluate
from dataknobs_data.domain.vectors import DistanceMetric, VectorQuery, rank
from dataknobs_data.testing.conformance import DatabaseConformance, _Base
from dataknobs_data.testing.servers.pgvector import PgvectorServer
from dataknobs_data.testing.vector_conformance import VectorTests, vector_records

from . import test_postgres_fidelity as plain

METRICS = ["cosine", "dot_product", "euclidean"]
HNSW: dict[str, Any] = {"embedding": {"dimensions": 8, "metric": "cosine"}}
#: an IVFFlat index that reads every list: the conformance suite's data set is too small for
#: a partial read to reach recall 0.95 on every query (recall is tested below, on more rows)
IVFFLAT: dict[str, Any] = {"embedding": {"dimensions": 8, "method": "ivfflat", "lists": 4,
                                         "probes": 4}}
#: the generated columns only (``method: none``): exact queries read the column
COLUMN: dict[str, Any] = {"embedding": {"dimensions": 8, "method": "none"}}
#: the indexes above with ``filtered: index``: filtered queries may read them too
HNSW_FILTERED = {"embedding": {**HNSW["embedding"], "filtered": "index"}}
IVFFLAT_FILTERED = {"embedding": {**IVFFLAT["embedding"], "filtered": "index"}}
MODES = {"jsonb": {}, "column": {"vector_indexes": COLUMN}}


@pytest.fixture
def adapter_options(pgvector_options: dict[str, Any]) -> dict[str, Any]:
    """The shipped suites run against the pgvector server here."""
    return pgvector_options


class TestPgvectorConformance(DatabaseConformance):
    adapter = PostgresDatabase

    def test_the_native_path_answers(self, db: Any) -> None:
        owner = getattr(db, "async_database", db)
        db.create(Record({"embedding": [1.0, 2.0]}, id="a"))
        assert owner._pgvector is True
        assert not owner.capabilities.approximate_vectors


class TestAsyncPgvectorConformance(TestPgvectorConformance):
    adapter = AsyncPostgresDatabase


class TestHnswPgvectorConformance(DatabaseConformance):
    adapter = PostgresDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"vector_indexes": HNSW}

    def test_an_index_makes_the_adapter_approximate(self, db: Any) -> None:
        assert db.capabilities.approximate_vectors
        assert not PostgresDatabase.capabilities.approximate_vectors  # per instance


class TestAsyncHnswPgvectorConformance(TestHnswPgvectorConformance):
    adapter = AsyncPostgresDatabase


class TestIvfflatPgvectorConformance(DatabaseConformance):
    adapter = PostgresDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"vector_indexes": IVFFLAT}

    def test_an_index_makes_the_adapter_approximate(self, db: Any) -> None:
        assert db.capabilities.approximate_vectors


class TestAsyncIvfflatPgvectorConformance(TestIvfflatPgvectorConformance):
    adapter = AsyncPostgresDatabase


class TestColumnPgvectorConformance(DatabaseConformance):
    """``method: none``: the stored generated columns, no index (exact)."""

    adapter = PostgresDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"vector_indexes": COLUMN}

    def test_the_column_answers_and_stays_exact(self, db: Any) -> None:
        owner = getattr(db, "async_database", db)
        db.create(Record({"embedding": [1.0] * 8}, id="a"))
        assert owner._vector_columns == frozenset({"embedding"})
        assert not owner.capabilities.approximate_vectors


class TestAsyncColumnPgvectorConformance(TestColumnPgvectorConformance):
    adapter = AsyncPostgresDatabase


class TestIndexedPgvectorFidelity(plain.TestPostgresFidelity):
    """The fidelity suite with an index of each method on paths its records use: whatever
    a record holds there is stored and read back exactly, and the generated columns and
    their indexes never refuse a write."""

    adapter_kwargs: ClassVar[dict[str, Any]] = {"vector_indexes": {
        "embedding": {"dimensions": 3, "metric": "euclidean"},
        "v": {"dimensions": 2, "method": "ivfflat", "metric": "dot_product", "lists": 2,
              "probes": 1}}}
    envelope_names = (*plain.TestPostgresFidelity.envelope_names, "embedding", "v")
    fidelity_examples = 30


class TestFilteredHnswPgvectorVectors(VectorTests, _Base):
    """The vector tests with ``filtered: index`` (filtered queries through the index's
    statement, the filter in it): the rest of the suite does not read vectors."""

    adapter = PostgresDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"vector_indexes": HNSW_FILTERED}


class TestAsyncFilteredHnswPgvectorVectors(TestFilteredHnswPgvectorVectors):
    adapter = AsyncPostgresDatabase


class TestFilteredIvfflatPgvectorVectors(TestFilteredHnswPgvectorVectors):
    adapter_kwargs: ClassVar[dict[str, Any]] = {"vector_indexes": IVFFLAT_FILTERED}


class TestPgvectorTurnedOff(VectorTests, _Base):
    """``vector_extension: false``: the port's reference path, on the same server."""

    adapter = PostgresDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"vector_extension": False}


def reference(records: list[Record], query: Query, metric: str) -> list[tuple[str, float]]:
    vq = query.vector_query
    assert vq is not None
    data = [r for r in records if evaluate(r, query.condition)]
    hits = rank(data, vq, DistanceMetric(metric), offset=query.offset_value or 0)
    return [(r.id or "", s) for r, s in hits]


def assert_exact(db: Any, records: list[Record], query: Query, metric: str) -> None:
    vq = query.vector_query
    assert vq is not None
    want = reference(records, query, metric)
    flt = Query(list(query.filters)).offset(query.offset_value)
    got = [(h.record.id, h.score) for h in db.vector_search(vq.vector, vq.field, vq.k,
                                                            metric=metric, filter=flt)]
    assert [rid for rid, _ in got] == [rid for rid, _ in want], (query, metric)
    for (_, a), (_, b) in zip(got, want, strict=True):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def hostile_records(dim: int = 8) -> list[Record]:
    """Values in the vector field that must never break the query: non-vectors (never
    ranked) and vectors float4 cannot hold (ranked exactly)."""
    base = vector_records(40, dim)
    odd: list[Any] = [
        [True] * dim, [1.0] * (dim - 1) + [False], ["1.0"] * dim, [[1.0, 2.0]] * dim,
        [None] * dim, [{"x": 1.0}] * dim, {"x": [1.0] * dim}, "[1, 2, 3]", 7, True, [],
        [1.0] * (dim - 1) + ["x"], [[1.0] * dim],
    ]
    out = base + [Record({"team": "core", "n": 1000 + i, "embedding": v}, id=f"x{i:02d}")
                  for i, v in enumerate(odd)]
    # numeric vectors float4 cannot hold (beyond 3.4e38, tiny, huge ints): still vectors
    numeric: list[list[Any]] = [
        [1e39] + [0.5] * (dim - 1), [1e300] * dim, [-1e16] + [1.0] * (dim - 1),
        [2 ** 62] + [1] * (dim - 1), [1e-50] * dim, [1e-40, 1.0] + [0.0] * (dim - 2),
        [5e-324] * dim, [1234567890123456.0] * dim,
    ]
    out += [Record({"team": "infra", "n": 2000 + i, "embedding": v}, id=f"y{i:02d}")
            for i, v in enumerate(numeric)]
    return out


@pytest.mark.parametrize("mode", list(MODES))
def test_hostile_records_never_break_the_query(make_vdb: Callable[..., PostgresDatabase],
                                               mode: str) -> None:
    records = hostile_records()
    db = make_vdb(**MODES[mode])
    db.create_batch([r.copy() for r in records])
    probe = list(vector_records(10, 8, seed=3)[0]["embedding"])
    for metric in METRICS:
        for query in (Query().similar_to(probe, k=60, metric=metric),
                      Query().filter("team", "==", "infra").similar_to(probe, k=5,
                                                                      metric=metric),
                      Query().filter("n", ">", 999).similar_to(probe, k=30, metric=metric),
                      Query().similar_to(probe, k=3, metric=metric).offset(2)):
            assert_exact(db, records, query, metric)
    # the huge vectors win the dot product: ranked exactly, not lost in float4
    top = db.vector_search(probe, k=1, metric="dot")
    assert top[0].record.id in {"y00", "y01", "y02", "y07"} and abs(top[0].score) > 1e14
    # and an HNSW index over the same data: built, used, never failing
    approx = make_vdb(vector_indexes=HNSW)
    hits = approx.vector_search(probe, k=10)
    assert len(hits) == 10 and all(h.record.id for h in hits)


def test_a_vector_of_another_dimension_is_named(make_vdb: Callable[..., PostgresDatabase]
                                                 ) -> None:
    records = [*vector_records(30),
               Record({"team": "web", "n": 5000, "embedding": [1.0] * 5}, id="v999"),
               Record({"team": "web", "n": 5001, "embedding": [1e20] * 3}, id="v998")]
    for options in ({}, {"vector_indexes": HNSW}, {"vector_indexes": COLUMN}):
        db = make_vdb(**options)
        db.clear()
        db.create_batch([r.copy() for r in records])
        with pytest.raises(QueryError, match=r"'v998'.* 3 dimensions, the query vector has 8"):
            db.vector_search([0.5] * 8, k=3)
        with pytest.raises(QueryError, match=r"'v999'.* 5 dimensions"):
            db.vector_search([0.5] * 8, k=3, filter=Query().filter("n", "==", 5000))
        # not among the matches: no error
        assert len(db.vector_search([0.5] * 8, k=3, filter=Query().filter("n", "<", 10))) == 3


@pytest.mark.parametrize("mode", list(MODES))
def test_float4_near_ties_are_ranked_exactly(make_vdb: Callable[..., PostgresDatabase],
                                             mode: str) -> None:
    """600 vectors float4 cannot tell apart (they differ by 1e-10, float64 tells them apart
    by far more than a rounding) fill the first window many times over: the window grows
    until the float64 ranking is certain."""
    rnd = random.Random(5)
    base = [rnd.uniform(-1, 1) for _ in range(16)]
    order = list(range(600))
    rnd.shuffle(order)
    records = [Record({"g": i % 4, "embedding": [x + j * 1e-10 * (1 + h % 3)
                                                 for h, x in enumerate(base)]},
                      id=f"t{i:03d}") for i, j in enumerate(order)]
    db = make_vdb(**({"vector_indexes": {"embedding": {"dimensions": 16, "method": "none"}}}
                     if mode == "column" else {}))
    db.create_batch([r.copy() for r in records])
    probe = [x * 0.999 + 1e-3 for x in base]
    for metric in METRICS:
        for k in (1, 10, 120):
            assert_exact(db, records, Query().similar_to(probe, k=k, metric=metric), metric)
        assert_exact(db, records, Query().filter("g", "==", 2).similar_to(
            probe, k=7, metric=metric).offset(3), metric)
    assert first_window(120) < 600  # the near-ties did overflow the first window


def _random_records(n: int, dim: int, seed: int) -> list[Record]:
    rnd = random.Random(seed)
    return [Record({"team": f"t{i % 10}", "embedding": [rnd.gauss(0, 1) for _ in range(dim)]},
                   id=f"r{i:05d}") for i in range(n)]


def _clustered_records(n: int, dim: int, seed: int, clusters: int = 20) -> list[Record]:
    """Vectors around ``clusters`` random centres (noise 0.3 per component), as embeddings
    lie: the layout an IVFFlat index is for (on i.i.d. random vectors it needs most of its
    lists read: 0.91 at 12 of 20 lists here)."""
    rnd = random.Random(seed)
    centres = [[rnd.gauss(0, 1) for _ in range(dim)] for _ in range(clusters)]
    return [Record({"team": f"t{i % 10}", "embedding": [
        c + rnd.gauss(0, 0.3) for c in centres[rnd.randrange(clusters)]]}, id=f"r{i:05d}")
        for i in range(n)]


#: per method, the settings and data of the recall test (IVFFlat: a quarter of the lists)
RECALL_BUILDS: dict[str, dict[str, Any]] = {"hnsw": {},
                                            "ivfflat": {"lists": 20, "probes": 5}}


def _recall_db(make_vdb: Callable[..., PostgresDatabase], pgvector_server: PgvectorServer,
               pgvector_table: str, method: str, **extra: Any
               ) -> tuple[PostgresDatabase, list[Record]]:
    """3,000 records of dimension 32 (clustered for IVFFlat, i.i.d. random for HNSW; team
    ``t{i % 10}``) under an index of ``method`` built with ``RECALL_BUILDS`` and ``extra``,
    the table analysed."""
    dim, n = 32, 3000
    records = (_clustered_records if method == "ivfflat" else _random_records)(n, dim, seed=1)
    spec = {"embedding": {"dimensions": dim, "metric": "cosine", "method": method,
                          **RECALL_BUILDS[method], **extra}}
    if method == "ivfflat":  # its lists are learnt from the rows there when it is built:
        make_vdb().create_batch(records)  # load first, then an adapter with the option
        db = make_vdb(vector_indexes=spec)
        db.count()
    else:  # the HNSW graph grows with the writes
        db = make_vdb(vector_indexes=spec)
        db.create_batch(records)
    pgvector_server.execute(f'ANALYZE "{pgvector_table}"')
    return db, records


def _recall_probe(rnd: random.Random, method: str, records: list[Record]) -> list[float]:
    dim = len(records[0]["embedding"])
    if method == "hnsw":
        return [rnd.gauss(0, 1) for _ in range(dim)]
    return [x + rnd.gauss(0, 0.3) for x in records[rnd.randrange(len(records))]["embedding"]]


def _plan_and_indexes(pgvector_server: PgvectorServer, pgvector_table: str, window: Any,
                      method: str) -> tuple[str, str, str]:
    """The window statement's plan, the name of the table's ``method`` index and that of
    its partial index (the odd records'), each checked to be the only one."""
    import psycopg2

    conn = psycopg2.connect(pgvector_server.dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("EXPLAIN " + window.sql.text, window.sql.params)
            plan = "\n".join(row[0] for row in cur.fetchall())
    finally:
        conn.close()
    indexes = dict(pgvector_server.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", (pgvector_table,)))
    ann = [name for name, ddl in indexes.items() if f"USING {method}" in ddl]
    rare = [name for name, ddl in indexes.items() if "WHERE" in ddl]
    assert len(ann) == 1 and len(rare) == 1
    return plan, ann[0], rare[0]


@pytest.mark.parametrize("method", list(RECALL_BUILDS))
def test_the_plan_uses_the_index_and_recall_is_high(
        make_vdb: Callable[..., PostgresDatabase], pgvector_server: PgvectorServer,
        pgvector_table: str, method: str) -> None:
    db, records = _recall_db(make_vdb, pgvector_server, pgvector_table, method)
    rnd = random.Random(2)
    vq = VectorQuery(_recall_probe(rnd, "hnsw", records), k=10, metric=DistanceMetric.COSINE)
    vs = VectorStatements(db.statements, db.options.vectors, db._vector_columns)
    spec = vs.index_for(Query(), vq, DistanceMetric.COSINE)
    assert spec is not None and spec.filtered == "exact"
    assert vs.index_for(Query().filter("team", "==", "t1"), vq, DistanceMetric.COSINE) is None
    plan, ann, rare = _plan_and_indexes(pgvector_server, pgvector_table,
                                        vs.index_window(spec, vq, first_window(10)), method)
    indexes = dict(pgvector_server.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", (pgvector_table,)))
    vec_column, shape_column = spec.columns()
    assert f"{method} ({vec_column} vector_cosine_ops)" in indexes[ann]  # on the column
    if method == "ivfflat":
        assert "lists='20'" in indexes[ann], indexes[ann]
    assert shape_column in indexes[rare]
    assert f"Index Scan using {ann}" in plan, plan
    assert rare in plan, plan  # the odd records come from the partial index, no scan
    # recall@10 against the reference; a filtered query stays exact
    total = 0.0
    queries = 20
    for _ in range(queries):
        probe = _recall_probe(rnd, method, records)
        want = {rid for rid, _ in reference(records, Query().similar_to(probe, k=10), "cosine")}
        got = {h.record.id for h in db.vector_search(probe, k=10)}
        total += len(want & got) / 10
        assert_exact(db, records, Query().filter("team", "==", "t3").similar_to(probe, k=10),
                     "cosine")
    assert total / queries >= 0.95


@pytest.mark.parametrize("method", list(RECALL_BUILDS))
def test_filtered_index_reads_the_filter_through_the_index(
        make_vdb: Callable[..., PostgresDatabase], pgvector_server: PgvectorServer,
        pgvector_table: str, method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``filtered: index``: a filtered query reads the index (an ordered scan of its
    nearest rows, the filter applied to them in the same statement, whether or not the
    planner knows how selective the filter is: no index on ``team`` here) and the index
    answers it (no exact statement runs), every hit matches the filter, recall against the
    filtered reference stays high, and a filter the index's rows hold too few matches of
    is answered exactly (the reference's ids, order and scores)."""
    exact_runs: list[int] = []
    real_exact = VectorStatements.exact_window

    def counted(self: VectorStatements, *args: Any, **kwargs: Any) -> Any:
        exact_runs.append(1)
        return real_exact(self, *args, **kwargs)

    monkeypatch.setattr(VectorStatements, "exact_window", counted)
    db, records = _recall_db(make_vdb, pgvector_server, pgvector_table, method,
                             filtered="index")
    rnd = random.Random(3)
    team = Query().filter("team", "==", "t3")
    vq = VectorQuery(_recall_probe(rnd, "hnsw", records), k=10, metric=DistanceMetric.COSINE)
    vs = VectorStatements(db.statements, db.options.vectors, db._vector_columns)
    spec = vs.index_for(team, vq, DistanceMetric.COSINE)
    assert spec is not None and spec.filtered == "index"
    plan, ann, rare = _plan_and_indexes(pgvector_server, pgvector_table,
                                        vs.index_window(spec, vq, first_window(10), team),
                                        method)
    assert f"Index Scan using {ann}" in plan and rare in plan, plan
    assert "Filter:" in plan, plan
    total = 0.0
    queries = 20
    for _ in range(queries):
        probe = _recall_probe(rnd, method, records)
        want = {rid for rid, _ in reference(records, team.similar_to(probe, k=10),
                                            "cosine")[:10]}
        hits = db.vector_search(probe, k=10, filter=team)
        assert len(hits) == 10 and all(h.record["team"] == "t3" for h in hits)
        total += len(want & {h.record.id for h in hits}) / 10
    assert total / queries >= 0.95
    assert not exact_runs  # about 40 of the 400 candidates are t3: the index answered
    # the same index read less holds fewer matches than asked for, so the exact path
    # answers: HNSW with ef_search 40 filters its 40 nearest rows (k 20), about 4 of them
    # t3; IVFFlat reading 1 of 20 lists (k 40) about 15
    less, k = {"hnsw": ({"ef_search": 40}, 20), "ivfflat": ({"probes": 1}, 40)}[method]
    narrow = make_vdb(vector_indexes={"embedding": {
        "dimensions": 32, "metric": "cosine", "method": method, **RECALL_BUILDS[method],
        "filtered": "index", **less}})
    vs = VectorStatements(narrow.statements, narrow.options.vectors, db._vector_columns)
    spec = vs.index_for(team, vq, DistanceMetric.COSINE)
    assert spec is not None
    plan = _plan_and_indexes(pgvector_server, pgvector_table,
                             vs.index_window(spec, vq, first_window(k), team), method)[0]
    assert f"Index Scan using {ann}" in plan, plan  # the index is read, and falls short
    for _ in range(3):
        assert_exact(narrow, records,
                     team.similar_to(_recall_probe(rnd, method, records), k=k), "cosine")
    assert len(exact_runs) >= 3


def test_filtered_index_counts_the_odd_rows_the_filter_rules_out(
        make_vdb: Callable[..., PostgresDatabase]) -> None:
    """``filtered: index`` reads the odd rows (vectors float4 cannot hold) as unfiltered,
    the first ``RARE_CAP + 1`` by id, and lets the filter mark them: with more odd rows
    than that, none of them matching, the query still finds the matching odd record that
    sorts after them all (the port's reference path answers), and with fewer the ones the
    filter rules out are never hits."""
    records = _random_records(300, 8, seed=21)
    # each nearer the probe than any plain record (cosine 0.9998), but not on team t1
    outside = [Record({"team": "x", "embedding": [1e16] * 7 + [9e15]}, id=f"o{i:04d}")
               for i in range(RARE_CAP + 5)]
    nearest = Record({"team": "t1", "embedding": [2e16] * 8}, id="p0000")  # the probe's own
    db = make_vdb(vector_indexes={"embedding": {"dimensions": 8, "filtered": "index"}})
    db.create_batch([r.copy() for r in records + outside + [nearest]])
    everything = records + outside + [nearest]
    team = Query().filter("team", "==", "t1")
    hits = db.vector_search([1.0] * 8, k=5, filter=team)
    assert hits[0].record.id == "p0000" and all(h.record["team"] == "t1" for h in hits)
    assert_exact(db, everything, team.similar_to([1.0] * 8, k=5), "cosine")
    for r in outside[10:]:
        db.delete(r.id or "")
    few = db.vector_search([1.0] * 8, k=5, filter=team)
    assert [h.record.id for h in few] == [h.record.id for h in hits]
    assert_exact(db, records + outside[:10] + [nearest], team.similar_to([1.0] * 8, k=5),
                 "cosine")


def _hnsw_spec(dim: int, ef: int) -> dict[str, Any]:
    return {"embedding": {"dimensions": dim, "metric": "cosine", "ef_search": ef}}


def _observe_setting(monkeypatch: pytest.MonkeyPatch, setting: str = "hnsw.ef_search"
                       ) -> list[set[str]]:
    """Make every approximate window statement also return ``current_setting(setting)``
    (read by the server inside the very statement that scans the index, so on its
    connection and in its transaction), and collect those values, one set per statement;
    the adapter re-ranks the rows as usual."""
    from dataknobs_data.adapters.postgres import core
    from dataknobs_data.adapters.postgres.translator import SQL

    seen: list[set[str]] = []
    real_window, real_rerank = VectorStatements.index_window, core.rerank

    def window(self: VectorStatements, spec: Any, vq: VectorQuery, size: int,
               query: Query | None = None) -> Any:
        w = real_window(self, spec, vq, size, query)
        text = f"SELECT o.*, current_setting('{setting}') FROM ({w.sql.text}) o"
        return dataclasses.replace(w, sql=SQL(text, w.sql.params))

    def rerank(rows: Any, window: Any, *args: Any) -> Any:
        if not window.exact:
            seen.append({row[5] for row in rows})
            rows = [row[:5] for row in rows]
        return real_rerank(rows, window, *args)

    monkeypatch.setattr(VectorStatements, "index_window", window)
    monkeypatch.setattr(core, "rerank", rerank)
    return seen


def test_the_index_is_scanned_with_the_configured_ef_search(
        make_vdb: Callable[..., PostgresDatabase], pgvector_options: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``hnsw.ef_search`` in effect while the index is scanned, as the server reports
    it, is the configured one (raised to the window when that is larger): through the pool
    and inside a transaction, sync and async. A setting lost on the way (another pooled
    connection, ``SET LOCAL`` outside a transaction block) reads pgvector's default, 40."""
    dim = 16
    records = _random_records(400, dim, seed=4)
    seen = _observe_setting(monkeypatch)
    db = make_vdb(vector_indexes=_hnsw_spec(dim, 123))
    db.create_batch(records)
    probe = [float(x) for x in records[7]["embedding"]]
    assert len(db.vector_search(probe, k=10)) == 10  # window 52 < 123
    with db.transaction():
        assert len(db.vector_search(probe, k=10)) == 10
        assert len(db.vector_search(probe, k=100)) == 100  # window 232 > 123
    assert seen == [{"123"}, {"123"}, {str(first_window(100))}]

    async def scenario() -> None:
        async with AsyncPostgresDatabase(**pgvector_options,
                                         vector_indexes=_hnsw_spec(dim, 77)) as adb:
            assert len(await adb.vector_search(probe, k=10)) == 10
            async with adb.transaction():
                assert len(await adb.vector_search(probe, k=10)) == 10

    seen.clear()
    asyncio.run(scenario())
    assert seen == [{"77"}, {"77"}]


def _ivfflat_spec(dim: int, lists: int, probes: int) -> dict[str, Any]:
    return {"embedding": {"dimensions": dim, "metric": "cosine", "method": "ivfflat",
                          "lists": lists, "probes": probes}}


def test_the_ivfflat_index_is_read_with_the_configured_probes(
        make_vdb: Callable[..., PostgresDatabase], pgvector_options: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``ivfflat.probes`` as the server reports it while the index is scanned: the
    configured value (pgvector's default is 1), through the pool, in a transaction, and
    async; a window of any size keeps it (the lists read hold what they hold)."""
    dim = 16
    records = _random_records(600, dim, seed=4)
    seen = _observe_setting(monkeypatch, "ivfflat.probes")
    db = make_vdb(vector_indexes=_ivfflat_spec(dim, 8, 7))
    db.create_batch(records)
    probe = [float(x) for x in records[7]["embedding"]]
    assert len(db.vector_search(probe, k=10)) == 10
    with db.transaction():
        assert len(db.vector_search(probe, k=10)) == 10
        assert len(db.vector_search(probe, k=400)) == 400  # window 832: no HNSW-style cap
    assert seen == [{"7"}, {"7"}, {"7"}]

    async def scenario() -> None:
        async with AsyncPostgresDatabase(**pgvector_options,
                                         vector_indexes=_ivfflat_spec(dim, 8, 3)) as adb:
            assert len(await adb.vector_search(probe, k=10)) == 10

    seen.clear()
    asyncio.run(scenario())
    assert seen == [{"3"}]


def test_an_index_answer_short_of_k_takes_the_exact_path(
        make_vdb: Callable[..., PostgresDatabase]) -> None:
    """With 100 lists learnt from 300 rows and one list read, the index returns a handful
    of rows: fewer than k. The query then answers exactly (the reference's ids, order and
    scores), in a transaction as well, instead of returning fewer hits than exist."""
    dim = 8
    records = _random_records(300, dim, seed=12)
    make_vdb().create_batch(records)
    db = make_vdb(vector_indexes=_ivfflat_spec(dim, 100, 1))
    assert db.capabilities.approximate_vectors
    rnd = random.Random(13)
    for k in (30, 60):
        probe = [rnd.gauss(0, 1) for _ in range(dim)]
        assert_exact(db, records, Query().similar_to(probe, k=k), "cosine")
        with db.transaction():
            assert_exact(db, records, Query().similar_to(probe, k=k).offset(3), "cosine")


def test_a_window_larger_than_pgvector_default_ef_search_is_filled(
        make_vdb: Callable[..., PostgresDatabase]) -> None:
    """pgvector's index scan returns at most ``hnsw.ef_search`` rows (40 unless set): k = 45
    needs a window of 122, so 45 exact hits, unpatched, show the raised setting reached the
    statement that scans the index (a lost one would give 40 hits)."""
    dim = 16
    records = _random_records(600, dim, seed=6)
    db = make_vdb(vector_indexes=_hnsw_spec(dim, 40))
    db.create_batch(records)
    assert db.capabilities.approximate_vectors
    rnd = random.Random(8)
    for _ in range(3):
        probe = [rnd.gauss(0, 1) for _ in range(dim)]
        hits = db.vector_search(probe, k=45)
        assert len(hits) == 45
        with db.transaction():
            assert len(db.vector_search(probe, k=45)) == 45
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)


def test_required_extension_missing_is_a_clear_error(make_db: Callable[..., PostgresDatabase]
                                                     ) -> None:
    """The local server has no pgvector: ``vector_extension: true`` (or an index) fails on
    connect, naming the extension; ``auto`` answers through the reference path."""
    for options in ({"vector_extension": True}, {"vector_indexes": HNSW}):
        db = make_db(**options)
        with pytest.raises(ConfigurationError, match="no pgvector extension") as info:
            db.connect()
        assert isinstance(info.value, DataknobsError)
    db = make_db()
    records = vector_records()
    db.create_batch([r.copy() for r in records])
    assert db._pgvector is False
    for metric in METRICS:
        assert_exact(db, records, Query().filter("team", "==", "web").similar_to(
            [0.3] * 8, k=6, metric=metric), metric)


def test_vector_settings_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="vector_extension"):
        PostgresDatabase(vector_extension="sometimes")
    with pytest.raises(ConfigurationError, match="cannot be combined"):
        PostgresDatabase(vector_extension=False, vector_indexes=HNSW)
    with pytest.raises(ConfigurationError, match="dimensions"):
        PostgresDatabase(vector_indexes={"embedding": {"metric": "cosine"}})
    with pytest.raises(ConfigurationError, match="unknown keys"):
        PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "nlist": 4}})
    with pytest.raises(ConfigurationError, match="method 'ivf' is not supported"):
        PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "method": "ivf"}})
    # each method's settings belong to it alone; probes never exceed lists
    with pytest.raises(ConfigurationError, match="'lists' is a setting of method 'ivfflat', "
                                                 "not of 'hnsw'"):
        PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "lists": 4}})
    with pytest.raises(ConfigurationError, match="'m' is a setting of method 'hnsw', not of "
                                                 "'none'"):
        PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "method": "none",
                                                       "m": 8}})
    with pytest.raises(ConfigurationError, match="'ef_search' is a setting of method 'hnsw'"):
        PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "method": "ivfflat",
                                                       "ef_search": 40}})
    with pytest.raises(ConfigurationError, match=r"probes \(11\) must not exceed lists \(10\)"):
        PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "method": "ivfflat",
                                                       "lists": 10, "probes": 11}})
    for method in ("hnsw", "ivfflat"):  # pgvector's limit, said before the server says it
        with pytest.raises(ConfigurationError, match=f"a {method} index takes at most 2000 "
                                                     "dimensions, got 2001"):
            PostgresDatabase(vector_indexes={"embedding": {"dimensions": 2001,
                                                           "method": method}})
    assert PostgresDatabase(vector_indexes={"embedding": {"dimensions": 2001, "method": "none"}})
    for key, bad in (("lists", 0), ("lists", 32769), ("probes", 0), ("probes", True)):
        with pytest.raises(ConfigurationError, match=f"'{key}' must be an integer"):
            PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "method": "ivfflat",
                                                           key: bad}})
    ivf = PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "method": "ivfflat",
                                                         "lists": 50, "probes": 5}})
    spec = ivf.options.vectors.indexes[0]
    assert (spec.method, spec.lists, spec.probes) == ("ivfflat", 50, 5)
    assert ivf.capabilities.approximate_vectors
    assert spec.setting(10_000) == ("ivfflat.probes", "5")  # no cap: the lists hold what they hold
    # filtered: index filters the index's nearest rows: IVFFlat 400 (or the window),
    # HNSW the rows its scan returns (ef_search raised to the window)
    assert (spec.candidates(52), spec.candidates(832)) == (400, 832)
    hnsw = dataclasses.replace(spec, method="hnsw", ef_search=123)
    assert (hnsw.candidates(52), hnsw.candidates(232)) == (123, 232)
    assert dataclasses.replace(spec, method="hnsw").setting(52) == ("hnsw.ef_search", "400")
    assert dataclasses.replace(spec, method="hnsw").setting(1001) is None  # past pgvector's 1,000
    with pytest.raises(ConfigurationError, match="unknown vector metric"):
        PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "metric": "hamming"}})
    db = PostgresDatabase.from_config({"vector_extension": "auto", "vector_indexes": {
        "doc.vec": {"dimensions": 4, "metric": "l2", "m": 8, "ef_construction": 32,
                    "ef_search": 40}}})
    spec = db.options.vectors.indexes[0]
    assert (spec.field, spec.dimensions, spec.metric, spec.m, spec.ef_search) == (
        "doc.vec", 4, DistanceMetric.EUCLIDEAN, 8, 40)
    assert db.capabilities.approximate_vectors
    db = PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "method": "none"}})
    assert not db.capabilities.approximate_vectors
    assert db.options.vectors.indexes[0].method == "none"
    # filtered: how a filtered query is answered, by either index method; exact by default
    assert spec.filtered == "exact"
    for method in ("hnsw", "ivfflat"):
        db = PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "method": method,
                                                            "filtered": "index"}})
        assert db.options.vectors.indexes[0].filtered == "index"
    with pytest.raises(ConfigurationError, match="'filtered' is a setting of method 'hnsw' "
                                                 "or 'ivfflat', not of 'none'"):
        PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "method": "none",
                                                       "filtered": "index"}})
    for bad in ("approximate", "", None, True, 1, ["index"]):
        with pytest.raises(ConfigurationError, match=r"\['embedding'\]: 'filtered' must be "
                                                     "one of 'exact', 'index', got "):
            PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3,
                                                           "filtered": bad}})


# -- the stored generated columns ----------------------------------------------------------
def _plan(server: PgvectorServer, sql: str, params: list[Any]) -> str:
    import psycopg2

    conn = psycopg2.connect(server.dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("EXPLAIN (VERBOSE) " + sql, params)
            return "\n".join(row[0] for row in cur.fetchall())
    finally:
        conn.close()


def _generated(server: PgvectorServer, table: str) -> dict[str, tuple[str, str]]:
    """The table's generated columns: name -> (type, generation expression)."""
    rows = server.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
        "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_attrdef d "
        "ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = %s::regclass "
        "AND a.attgenerated = 's' AND NOT a.attisdropped", (f'"{table}"',))
    return {name: (kind, expr) for name, kind, expr in rows}


def test_exact_queries_read_the_generated_column(
        make_vdb: Callable[..., PostgresDatabase], pgvector_server: PgvectorServer,
        pgvector_table: str) -> None:
    """With a column the exact plan reads it (no regular expression, no cast per row); the
    HNSW index is built on the column, and a field without a column keeps the jsonb path."""
    dim = 16
    records = _random_records(500, dim, seed=4)
    db = make_vdb(vector_indexes={"embedding": {"dimensions": dim, "method": "none"}})
    db.create_batch(records)
    spec = db.options.vectors.indexes[0]
    vec_column, shape_column = spec.columns()
    generated = _generated(pgvector_server, pgvector_table)
    assert generated[vec_column][0] == f"vector({dim})"
    assert generated[shape_column][0] == "integer"
    assert "~" in generated[vec_column][1]  # the guard runs once, on write
    vs = VectorStatements(db.statements, db.options.vectors, db._vector_columns)
    probe = [0.1 * i for i in range(dim)]
    for metric in DistanceMetric:
        vq = VectorQuery(probe, k=10, metric=metric)
        for query in (Query(), Query().filter("team", "==", "t1")):
            window = vs.exact_window(query, vq, metric, first_window(10))
            plan = _plan(pgvector_server, window.sql.text, window.sql.params)
            assert vec_column in plan and shape_column in plan, plan
            assert "~" not in plan and "::vector(" not in plan, plan  # nothing parsed
            assert_exact(db, records, query.similar_to(probe, k=10, metric=metric),
                         metric.value)
        # another dimension, or a field without a column: the jsonb path, unchanged
        other = vs.exact_window(Query(), VectorQuery(probe[:8], k=3), metric, 38)
        assert "~" in _plan(pgvector_server, other.sql.text, other.sql.params)
        assert vs.column_for(VectorQuery(probe, field="other", k=3)) is None
    # no index: every query is exact
    assert vs.index_for(Query(), VectorQuery(probe, k=10), DistanceMetric.COSINE) is None


def test_a_filter_no_index_answers_screens_the_window(
        make_vdb: Callable[..., PostgresDatabase], pgvector_server: PgvectorServer,
        pgvector_table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the vector column, a filter no index answers is applied to the window of the
    nearest rows only (their jsonb alone is read); an indexed filter, and a window past
    ``PUSHDOWN_AFTER``, read the filter's matches instead. Every answer is the reference's."""
    from dataknobs_data.adapters.postgres import core

    dim = 8
    records = _random_records(400, dim, seed=9)
    probe = [0.3 * (-1) ** i for i in range(dim)]
    records += [Record({"team": "rare", "embedding": [-x for x in probe]}, id="z-rare"),
                Record({"team": "t3", "embedding": [1.0] * 3}, id="z-short")]  # 3 dims
    seen: list[bool] = []
    original = VectorStatements.exact_window

    def watched(self: Any, query: Query, vq: Any, metric: Any, size: int,
                screened: bool = False) -> Any:
        window = original(self, query, vq, metric, size, screened)
        seen.append(" LEFT JOIN " in window.sql.text)
        return window

    monkeypatch.setattr(VectorStatements, "exact_window", watched)
    # a filter keeping 1 row of 402 (the farthest): the screened first window (136 rows)
    # holds no match, and the next one (272) is past PUSHDOWN_AFTER: it reads the matches
    with monkeypatch.context() as patch:
        patch.setattr(core, "PUSHDOWN_AFTER", 200)
        db = make_vdb(vector_indexes=COLUMN)
        db.clear()
        db.create_batch([r.copy() for r in records])
        seen.clear()
        rare = Query().filter("team", "==", "rare")
        assert_exact(db, records, rare.similar_to(probe, k=1, metric="cosine"), "cosine")
        assert seen == [True, False], seen
    # (filter, screened) without an index on team, then with one (after ANALYZE, so the
    # planner weighs it by real statistics: a 10 % filter of 402 small rows is a scan)
    plain = [(Query().filter("team", "==", "t1"), True),
             (Query().filter("team", "==", "t2").offset(4), True),
             (Query().filter("team", "==", "rare"), True)]
    with_index = [(Query().filter("team", "==", "rare"), False),
                  (Query().filter("team", "!=", "t3"), True)]  # no index answers !=
    for indexed, cases in ((False, plain), (True, with_index)):
        db = make_vdb(vector_indexes=COLUMN, indexes=["team"] if indexed else [])
        db.clear()
        db.create_batch([r.copy() for r in records])
        pgvector_server.execute(f'ANALYZE "{pgvector_table}"')
        for flt, screened in cases:
            for metric in METRICS:
                seen.clear()
                k = 6 if screened else 1
                assert_exact(db, records, flt.similar_to(probe, k=k, metric=metric), metric)
                assert seen[0] is screened, (flt, indexed, seen)
        # the short vector is outside these filters: named only when a query matches it
        with pytest.raises(QueryError, match="'z-short'"):
            db.vector_search(probe, k=3, filter=Query().filter("team", "==", "t3"))


def _shape(record: Record) -> int | None:
    """What the shape column should hold: the length of a non-empty array of numbers,
    negated when a number is 1e15 or more in magnitude; else None."""
    value = record.get("embedding")
    if isinstance(value, list) and value and all(
            isinstance(x, float | int) and not isinstance(x, bool) for x in value):
        return len(value) if all(abs(x) < 1e15 for x in value) else -len(value)
    return None


@pytest.mark.parametrize("indexes", [COLUMN, HNSW, IVFFLAT, HNSW_FILTERED, IVFFLAT_FILTERED],
                         ids=["column", "hnsw", "ivfflat", "hnsw-filtered", "ivfflat-filtered"])
def test_hostile_records_insert_and_leave_the_column_null(
        make_vdb: Callable[..., PostgresDatabase], pgvector_server: PgvectorServer,
        pgvector_table: str, indexes: dict[str, Any]) -> None:
    """Every hostile value inserts (one by one, in a batch, by COPY, by update and upsert);
    the vector column holds only plain vectors of the dimension, the shape column says what
    the rest is, and queries stay exact (unfiltered ones through an index too: its window
    holds every plain vector here, and the odd ones come from the partial index)."""
    records = hostile_records()
    db = make_vdb(vector_indexes=indexes, copy_threshold=10)
    db.create_batch([r.copy() for r in records[:30]])  # COPY
    for r in records[30:]:
        db.create(r.copy())  # INSERT, one by one
    odd = [r for r in records if r.id and r.id[0] in "xy"]
    db.update_batch([(r.id or "", r.copy()) for r in odd])
    db.upsert_batch([r.copy() for r in odd])
    vec_column, shape_column = db.options.vectors.indexes[0].columns()
    rows = {rid: (has, shape) for rid, has, shape in pgvector_server.execute(
        f'SELECT id, "{vec_column}" IS NOT NULL, "{shape_column}" FROM "{pgvector_table}"')}
    assert len(rows) == len(records)
    for r in records:
        shape = _shape(r)
        assert rows[r.id or ""] == (shape == 8, shape), (r.id, r.get("embedding"))
    probe = list(vector_records(10, 8, seed=3)[0]["embedding"])
    for metric in METRICS:
        for query in (Query().filter("team", "==", "infra").similar_to(probe, k=5,
                                                                      metric=metric),
                      Query().filter("n", ">", 999).similar_to(probe, k=30, metric=metric),
                      Query().similar_to(probe, k=5, metric=metric)):
            assert_exact(db, records, query, metric)


def test_an_existing_table_gains_the_columns(
        make_vdb: Callable[..., PostgresDatabase], pgvector_server: PgvectorServer,
        pgvector_table: str) -> None:
    """A table written without the setting: an adapter naming the field adds the columns
    (ALTER TABLE, computed for every stored row), then the HNSW index on them; an adapter
    with ``create_table: false`` uses columns that are there and never adds any."""
    records = hostile_records()
    plain = make_vdb()
    plain.create_batch([r.copy() for r in records])
    assert _generated(pgvector_server, pgvector_table) == {}
    lazy = make_vdb(vector_indexes=COLUMN, create_table=False)
    lazy.count()
    assert lazy._vector_columns == frozenset() and _generated(pgvector_server,
                                                              pgvector_table) == {}
    db = make_vdb(vector_indexes=COLUMN)
    db.count()  # sets up: adds the columns
    vec_column, shape_column = db.options.vectors.indexes[0].columns()
    assert set(_generated(pgvector_server, pgvector_table)) == {vec_column, shape_column}
    assert db._vector_columns == frozenset({"embedding"})
    filled = pgvector_server.execute(
        f'SELECT count(*) FROM "{pgvector_table}" WHERE "{vec_column}" IS NOT NULL')[0][0]
    assert filled == sum(_shape(r) == 8 for r in records) > 40  # the tiny ones: 0 in float4
    probe = list(vector_records(10, 8, seed=3)[0]["embedding"])
    for metric in METRICS:
        assert_exact(db, records, Query().similar_to(probe, k=50, metric=metric), metric)
    # the old adapter keeps writing; the columns follow
    plain.create(Record({"embedding": [0.25] * 8}, id="z01"))
    assert pgvector_server.execute(
        f'SELECT "{shape_column}" FROM "{pgvector_table}" WHERE id = %s', ("z01",)) == [(8,)]
    # create_table false: the columns are there now, so it reads them
    again = make_vdb(vector_indexes=COLUMN, create_table=False)
    again.count()
    assert again._vector_columns == frozenset({"embedding"})
    # a second setup changes nothing; an HNSW spec of the same field and dimension shares
    # the columns and only adds its index
    make_vdb(vector_indexes=COLUMN).count()
    hnsw = make_vdb(vector_indexes=HNSW)
    hnsw.count()
    assert set(_generated(pgvector_server, pgvector_table)) == {vec_column, shape_column}
    ddl = [d for (d,) in pgvector_server.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s", (pgvector_table,))]
    assert any(f"hnsw ({vec_column} vector_cosine_ops)" in d for d in ddl), ddl
    assert len(hnsw.vector_search(probe, k=10)) == 10


def test_the_generation_expression_is_immutable(pgvector_server: PgvectorServer) -> None:
    """PostgreSQL refuses a generated column whose expression is not immutable (the ALTER
    above succeeding is the check); every function the guard calls is immutable too."""
    rows = pgvector_server.execute(
        "SELECT p.proname, p.provolatile FROM pg_proc p WHERE p.oid IN "
        "('vector_in'::regproc, 'textregexeq'::regproc, 'jsonb_array_length'::regproc, "
        "'jsonb_out'::regproc, 'jsonb_object_field'::regproc)")
    assert len(rows) == 5 and all(v == "i" for _, v in rows), rows
