"""pgvector nearest-neighbour search (adapters/postgres/vectors.py) on a real PostgreSQL 16 +
pgvector server (``pgserver``, started once per session): the whole conformance suite in
exact mode and with an HNSW index, sync and async; the index in the plan; hostile records;
float4 near-ties (the window grows until the exact answer is certain); and the adapter without
the extension (the local server has none)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest

from dataknobs_data import Query, Record
from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.adapters.postgres.vectors import VectorStatements, first_window
from dataknobs_data.domain.errors import ConfigurationError, DataknobsError, QueryError
from dataknobs_data.domain.query import evaluate
from dataknobs_data.domain.vectors import DistanceMetric, VectorQuery, rank
from dataknobs_data.testing.conformance import DatabaseConformance, _Base
from dataknobs_data.testing.servers.pgvector import PgvectorServer
from dataknobs_data.testing.vector_conformance import VectorTests, vector_records

METRICS = ["cosine", "dot_product", "euclidean"]
HNSW: dict[str, Any] = {"embedding": {"dimensions": 8, "metric": "cosine"}}


@pytest.fixture
def adapter_options(pgvector_options: dict[str, Any]) -> dict[str, Any]:
    """The shipped suites run against the pgvector server here."""
    return pgvector_options


@pytest.fixture
def make_vdb(pgvector_options: dict[str, Any]) -> Iterator[Callable[..., PostgresDatabase]]:
    made: list[PostgresDatabase] = []

    def make(**overrides: Any) -> PostgresDatabase:
        db = PostgresDatabase(**{**pgvector_options, **overrides})
        made.append(db)
        return db

    yield make
    for db in made:
        db.close()


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


def test_hostile_records_never_break_the_query(make_vdb: Callable[..., PostgresDatabase]
                                                ) -> None:
    records = hostile_records()
    db = make_vdb()
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
    for options in ({}, {"vector_indexes": HNSW}):
        db = make_vdb(**options)
        db.clear()
        db.create_batch([r.copy() for r in records])
        with pytest.raises(QueryError, match=r"'v998'.* 3 dimensions, the query vector has 8"):
            db.vector_search([0.5] * 8, k=3)
        with pytest.raises(QueryError, match=r"'v999'.* 5 dimensions"):
            db.vector_search([0.5] * 8, k=3, filter=Query().filter("n", "==", 5000))
        # not among the matches: no error
        assert len(db.vector_search([0.5] * 8, k=3, filter=Query().filter("n", "<", 10))) == 3


def test_float4_near_ties_are_ranked_exactly(make_vdb: Callable[..., PostgresDatabase]
                                             ) -> None:
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
    db = make_vdb()
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


def test_the_plan_uses_the_hnsw_index_and_recall_is_high(
        make_vdb: Callable[..., PostgresDatabase], pgvector_server: PgvectorServer,
        pgvector_table: str) -> None:
    dim, n = 32, 3000
    records = _random_records(n, dim, seed=1)
    db = make_vdb(vector_indexes={"embedding": {"dimensions": dim, "metric": "cosine"}})
    db.create_batch(records)
    pgvector_server.execute(f'ANALYZE "{pgvector_table}"')
    rnd = random.Random(2)
    probe = [rnd.gauss(0, 1) for _ in range(dim)]
    vq = VectorQuery(probe, k=10, metric=DistanceMetric.COSINE)
    vs = VectorStatements(db.statements, db.options.vectors)
    spec = vs.index_for(Query(), vq, DistanceMetric.COSINE)
    assert spec is not None
    assert vs.index_for(Query().filter("team", "==", "t1"), vq, DistanceMetric.COSINE) is None
    window = vs.index_window(spec, vq, first_window(10))
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
    hnsw = [name for name, ddl in indexes.items() if "USING hnsw" in ddl]
    rare = [name for name, ddl in indexes.items() if "WHERE" in ddl]
    assert len(hnsw) == 1 and len(rare) == 1
    assert f"Index Scan using {hnsw[0]}" in plan, plan
    assert rare[0] in plan, plan  # the odd records come from the partial index, no scan
    # recall@10 against the reference; a filtered query stays exact
    total = 0.0
    queries = 20
    for _ in range(queries):
        probe = [rnd.gauss(0, 1) for _ in range(dim)]
        want = {rid for rid, _ in reference(records, Query().similar_to(probe, k=10), "cosine")}
        got = {h.record.id for h in db.vector_search(probe, k=10)}
        total += len(want & got) / 10
        assert_exact(db, records, Query().filter("team", "==", "t3").similar_to(probe, k=10),
                     "cosine")
    assert total / queries >= 0.95


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
        PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "lists": 4}})
    with pytest.raises(ConfigurationError, match="method"):
        PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "method": "ivfflat"}})
    with pytest.raises(ConfigurationError, match="unknown vector metric"):
        PostgresDatabase(vector_indexes={"embedding": {"dimensions": 3, "metric": "hamming"}})
    db = PostgresDatabase.from_config({"vector_extension": "auto", "vector_indexes": {
        "doc.vec": {"dimensions": 4, "metric": "l2", "m": 8, "ef_construction": 32,
                    "ef_search": 40}}})
    spec = db.options.vectors.indexes[0]
    assert (spec.field, spec.dimensions, spec.metric, spec.m, spec.ef_search) == (
        "doc.vec", 4, DistanceMetric.EUCLIDEAN, 8, 40)
