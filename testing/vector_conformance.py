"""The vector part of the conformance suite: k-nearest-neighbour search with filters.

Every adapter runs these (``DatabaseConformance`` includes ``VectorTests``). The reference
is ``domain.vectors.rank`` over the same records held in a list: an exact backend returns
exactly its ids in its order (scores equal to 1e-9 relative); a backend declaring
``capabilities.approximate_vectors`` is held to recall@10 >= 0.95 against it instead.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from ..domain.errors import QueryError, SerializationError, ValidationError
from ..domain.query import Query, evaluate
from ..domain.records import Record
from ..domain.schema import Schema
from ..domain.vectors import DistanceMetric, VectorQuery, rank
from .runner import AsyncAsSync

DIM = 8
TEAMS = ("core", "infra", "web")


def vector_records(n: int = 90, dim: int = DIM, seed: int = 7) -> list[Record]:
    """A fixed data set: ``n`` records with a team, a number and a vector in ``embedding``
    (some duplicated, for ties), plus records without a usable vector."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        vec = [round(rnd.uniform(-1, 1), 6) for _ in range(dim)]
        out.append(Record({"team": TEAMS[i % 3], "n": i, "embedding": vec}, id=f"v{i:03d}"))
    # ties: the same vector under ids that sort in the other order than they are written
    out.append(Record({"team": "core", "n": 900, "embedding": list(out[5]["embedding"])},
                      id="v000a"))
    out += [Record({"team": "core", "n": 901}, id="w-missing"),
            Record({"team": "core", "n": 902, "embedding": None}, id="w-null"),
            Record({"team": "core", "n": 903, "embedding": "text"}, id="w-text"),
            Record({"team": "core", "n": 904, "embedding": ["a"] * dim}, id="w-strings"),
            Record({"team": "core", "n": 905, "embedding": [0.0] * dim}, id="w-zero")]
    return out


def _probe(dim: int = DIM, seed: int = 11) -> list[float]:
    rnd = random.Random(seed)
    return [round(rnd.uniform(-1, 1), 6) for _ in range(dim)]


def _owner(db: Any) -> Any:
    return db.async_database if isinstance(db, AsyncAsSync) else db


class VectorTests:
    """Nearest-neighbour queries (docs/vectors.md): filter first, then rank; ties by id."""

    @pytest.fixture
    def vectors(self, db: Any) -> Any:
        db.create_batch([r.copy() for r in vector_records()])
        return db

    def reference(self, query: Query, metric: str) -> list[tuple[str, float]]:
        data = [r for r in vector_records() if evaluate(r, query.condition)]
        vq = query.vector_query
        assert vq is not None
        hits = rank(data, vq, DistanceMetric(metric), offset=query.offset_value or 0)
        return [(r.id or "", s) for r, s in hits][: query.limit_value]

    def assert_ranked(self, db: Any, query: Query, metric: str) -> None:
        expected = self.reference(query, metric)
        vq = query.vector_query
        assert vq is not None
        flt = Query(list(query.filters)).offset(query.offset_value)
        got = [(h.record.id, h.score) for h in db.vector_search(
            vq.vector, vq.field, vq.k, metric=metric, filter=flt)]
        if db.capabilities.approximate_vectors:
            want = {rid for rid, _ in expected}
            recall = len(want & {rid for rid, _ in got}) / max(1, len(want))
            assert recall >= 0.95, f"{query!r}: recall {recall:.2f} < 0.95"
            return
        assert [rid for rid, _ in got] == [rid for rid, _ in expected], query
        for (_, a), (_, b) in zip(got, expected, strict=True):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (a, b)
        # search() returns the same records in the same order
        assert [r.id for r in db.search(query)] == [rid for rid, _ in expected]

    @pytest.mark.parametrize("metric", ["cosine", "dot_product", "euclidean"])
    def test_k_nearest_equal_the_reference(self, vectors: Any, metric: str) -> None:
        probe = _probe()
        self.assert_ranked(vectors, Query().similar_to(probe, k=10, metric=metric), metric)
        self.assert_ranked(vectors, Query().filter("team", "==", "infra")
                           .similar_to(probe, k=7, metric=metric), metric)
        self.assert_ranked(vectors, Query().filter("n", "<", 20).filter("team", "!=", "web")
                           .similar_to(probe, k=100, metric=metric), metric)

    def test_ties_break_by_id_and_offset_skips_ranked_hits(self, vectors: Any) -> None:
        twin = list(vector_records()[5]["embedding"])
        hits = vectors.vector_search(twin, k=3, metric="euclidean")
        assert [h.record.id for h in hits[:2]] == ["v000a", "v005"]
        assert hits[0].score == hits[1].score == 1.0
        q = Query().similar_to(twin, k=2, metric="euclidean").offset(1)
        assert [r.id for r in vectors.search(q)] == [h.record.id for h in hits[1:3]]

    def test_records_without_a_vector_are_never_ranked(self, vectors: Any) -> None:
        got = {r.id for r in vectors.search(Query().filter("n", ">", 899)
                                            .similar_to(_probe(), k=50))}
        # cosine: a zero vector has no direction either
        assert got == {"v000a"}
        got = {r.id for r in vectors.search(Query().filter("n", ">", 899)
                                            .similar_to(_probe(), k=50, metric="dot"))}
        assert got == {"v000a", "w-zero"}

    def test_projection_threshold_and_stream_read(self, vectors: Any) -> None:
        probe = _probe()
        q = Query().filter("team", "==", "core").similar_to(probe, k=5).select("n")
        records = vectors.search(q)
        assert records and all(list(r.data) == ["n"] for r in records)
        assert [r.id for r in vectors.stream_read(q)] == [r.id for r in records]
        best = vectors.vector_search(probe, k=5)
        cut = best[2].score
        kept = vectors.vector_search(probe, k=5, score_threshold=cut)
        assert [h.record.id for h in kept] == [h.record.id for h in best[:3]]
        assert vectors.count(q) == vectors.count(Query().filter("team", "==", "core"))

    def test_bad_vector_queries_are_refused_by_name(self, vectors: Any) -> None:
        with pytest.raises(QueryError, match="8 dimensions, the query vector has 3"):
            vectors.search(Query().similar_to([1.0, 2.0, 3.0], k=3))
        with pytest.raises(QueryError, match="finite"):
            vectors.search(Query().similar_to([math.nan] * DIM, k=3))
        with pytest.raises(QueryError, match="zero query vector"):
            vectors.search(Query().similar_to([0.0] * DIM, k=3))
        with pytest.raises(QueryError, match="sort keys"):
            vectors.search(Query().similar_to(_probe(), k=3).sort("n"))
        with pytest.raises(QueryError, match="unknown vector metric"):
            vectors.search(Query().similar_to(_probe(), k=3, metric="hamming"))
        with pytest.raises(QueryError, match="k must be"):
            Query().similar_to(_probe(), k=0)
        with pytest.raises(SerializationError, match="not a finite"):
            vectors.create(Record({"embedding": [math.inf] * DIM}))

    def test_numpy_vectors_are_stored_as_exact_floats(self, db: Any) -> None:
        np = pytest.importorskip("numpy")
        arr = np.array([0.1, -2.5, 3.0, 1e-30], dtype=np.float32)
        rid = db.create(Record({"embedding": arr, "m": np.arange(3)}))
        back = db.read(rid)
        assert back["embedding"] == [float(x) for x in arr]
        assert all(type(x) is float for x in back["embedding"])
        assert back["m"] == [0, 1, 2] and all(type(x) is int for x in back["m"])
        hits = db.vector_search(arr, k=1)
        assert [h.record.id for h in hits] == [rid] and math.isclose(hits[0].score, 1.0)

    def test_a_declared_vector_field_checks_dimensions_and_gives_the_metric(self, db: Any
                                                                             ) -> None:
        owner = _owner(db)
        owner.schema = Schema.from_config({"fields": {"embedding": {
            "type": "vector", "dimensions": 3, "metric": "euclidean"}}})
        with pytest.raises(ValidationError, match="3 dimensions, got 2"):
            db.create(Record({"embedding": [1.0, 2.0]}))
        db.create_batch([Record({"embedding": [1.0, 0.0, 0.0]}, id="a"),
                         Record({"embedding": [10.0, 0.0, 0.0]}, id="b")])
        assert db.count() == 2
        with pytest.raises(QueryError, match="declared with 3"):
            db.search(Query().similar_to([1.0, 2.0], k=1))
        # the declared metric: euclidean puts a before b for [2, 0, 0] (cosine would tie)
        hits = db.vector_search([2.0, 0.0, 0.0], k=2)
        assert [h.record.id for h in hits] == ["a", "b"]
        assert hits[0].score == pytest.approx(0.5)

    def test_the_reference_agrees_with_brute_force(self) -> None:
        np = pytest.importorskip("numpy")
        data = [r for r in vector_records() if isinstance(r.get("embedding"), list)
                and all(isinstance(x, float) for x in r["embedding"])
                and any(r["embedding"])]
        matrix = np.array([r["embedding"] for r in data])
        q = np.array(_probe())
        sims = matrix @ q / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(q))
        order = sorted(range(len(data)), key=lambda i: (-sims[i], data[i].id))[:10]
        hits = rank(data, VectorQuery(list(q), k=10), DistanceMetric.COSINE)
        assert [r.id for r, _ in hits] == [data[i].id for i in order]


__all__ = ["VectorTests", "vector_records"]
