"""The vector domain: values, metrics, the query's vector part and its dict form.

The ranking itself (exact ids, order, scores, filters, ties) is the shipped
``testing.vector_conformance`` suite, which every adapter runs; these are the rules around it.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from dataknobs_data import (
    DistanceMetric,
    MemoryDatabase,
    Query,
    Record,
    VectorField,
    VectorQuery,
)
from dataknobs_data.adapters.memory import AsyncMemoryDatabase
from dataknobs_data.domain.errors import ConfigurationError, QueryError, SerializationError
from dataknobs_data.domain.vectors import as_vector, stored_vector


def test_metric_names_and_aliases() -> None:
    assert DistanceMetric("inner_product") is DistanceMetric.DOT_PRODUCT
    assert DistanceMetric.INNER_PRODUCT is DistanceMetric.DOT_PRODUCT  # 0.11's member names
    assert DistanceMetric.L2 is DistanceMetric.EUCLIDEAN
    assert DistanceMetric(" COS ") is DistanceMetric.COSINE
    assert [m.value for m in DistanceMetric] == ["cosine", "dot_product", "euclidean"]
    with pytest.raises(QueryError, match="unknown vector metric 'l1'"):
        Query().similar_to([1.0], metric="l1")


@pytest.mark.parametrize(("value", "message"), [
    ([], "at least one dimension"),
    ("1,2", "sequence of numbers, got str"),
    ({"x": 1.0}, "sequence of numbers, got dict"),
    ([1.0, True], r"\[1\]: True is not a number"),
    ([1.0, "2"], r"\[1\]: '2' is not a number"),
    ([1.0, [2.0]], r"\[1\]: \[2.0\] is not a number"),
    ([float("inf")], "not a finite number"),
    (np.array([[1.0, 2.0]]), r"one-dimensional, got an array of shape \(1, 2\)"),
    (np.array([1.0, np.nan]), "not a finite number"),
    (np.array([2 ** 60 + 1], dtype=np.int64), "above 2\\*\\*53"),
])
def test_bad_vectors_are_refused_by_name(value: object, message: str) -> None:
    with pytest.raises(SerializationError, match=message):
        as_vector(value, "embedding")


def test_numpy_values_become_exact_floats() -> None:
    f32 = np.array([0.1, -0.0, 3.0], dtype=np.float32)
    out = as_vector(f32)
    assert out == [float(x) for x in f32] and all(type(x) is float for x in out)
    assert str(out[1]) == "-0.0"  # the sign survives
    assert as_vector(np.array([1, 2], dtype=np.uint8)) == [1.0, 2.0]
    assert as_vector((np.float64(0.5), 2)) == [0.5, 2.0]


def test_stored_vector_reads_only_lists_of_numbers() -> None:
    assert stored_vector([1, 2.5]) == [1, 2.5]
    for value in ([], [True, 1.0], ["1"], (1.0, 2.0), [1.0, None], [[1.0]], "1", None):
        assert stored_vector(value) is None


def test_the_vector_query_checks_its_arguments() -> None:
    for k in (0, -1, 1.5, True):
        with pytest.raises(QueryError, match="k must be a positive integer"):
            VectorQuery([1.0], k=k)  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="score_threshold must be a finite number"):
        VectorQuery([1.0], score_threshold=float("nan"))
    with pytest.raises(QueryError, match="query vector"):
        Query().similar_to(["a"])
    with pytest.raises(QueryError, match="cosine similarity is undefined for a zero query"):
        MemoryDatabase().vector_search([0.0, 0.0])


def test_similar_to_travels_through_to_dict() -> None:
    q = (Query().filter("team", "==", "core").select("title")
         .similar_to(np.array([0.5, -1.0]), field="doc.vec", k=3, metric="dot",
                     score_threshold=0.25))
    assert q.limit_value == 3  # as 0.11: the limit is k
    data = q.to_dict()
    assert data["similar_to"] == {"vector": [0.5, -1.0], "field": "doc.vec", "k": 3,
                                  "metric": "dot_product", "score_threshold": 0.25}
    back = Query.from_dict(data)
    assert back.vector_query == q.vector_query and back.to_dict() == data
    with pytest.raises(QueryError, match=r"unknown similar_to keys: \['kk'\]"):
        Query.from_dict({"similar_to": {"vector": [1.0], "kk": 2}})
    assert Query.from_dict(data).clear_vector().vector_query is None


def test_paging_and_sorting_of_a_vector_query() -> None:
    db = MemoryDatabase()
    db.create_batch([Record({"e": [1.0, float(i)]}, id=f"r{i}") for i in range(6)])
    near = [h.id for h in db.vector_search([1.0, 0.0], "e", k=6, metric="euclidean")]
    assert near == ["r0", "r1", "r2", "r3", "r4", "r5"]
    q = Query().similar_to([1.0, 0.0], field="e", k=4, metric="euclidean")
    assert [r.id for r in db.search(q.limit(2))] == ["r0", "r1"]  # a smaller limit wins
    # offset skips ranked hits, then k (or a smaller limit) are returned
    assert [r.id for r in db.search(q.limit(4).offset(3))] == ["r3", "r4", "r5"]
    assert [r.id for r in db.search(
        Query().similar_to([1.0, 0.0], field="e", k=2, metric="euclidean").offset(3))] \
        == ["r3", "r4"]
    with pytest.raises(QueryError, match=r"ranked by score: remove its sort keys \(e\)"):
        db.search(Query().sort_by("e").similar_to([1.0, 0.0], field="e"))


def test_vector_field_and_schema_options() -> None:
    rec = Record({"embedding": VectorField(np.array([1, 2, 3]), model_name="m")})
    assert rec["embedding"] == [1.0, 2.0, 3.0]
    with pytest.raises(SerializationError, match="expected 2 dimensions, got 3"):
        VectorField([1.0, 2.0, 3.0], dimensions=2)
    with pytest.raises(ConfigurationError, match="'dimensions' applies to type vector only"):
        MemoryDatabase(schema={"fields": {"e": {"type": "string", "dimensions": 3}}})
    with pytest.raises(ConfigurationError, match="dimensions must be an integer"):
        MemoryDatabase(schema={"fields": {"e": {"type": "vector", "dimensions": 0}}})


def test_the_async_port_answers_the_same() -> None:
    async def main() -> list[tuple[str | None, float]]:
        db = AsyncMemoryDatabase()
        await db.create_batch([Record({"e": [1.0, 0.0]}, id="a"),
                               Record({"e": [0.0, 1.0]}, id="b")])
        hits = await db.vector_search([1.0, 0.1], "e", k=2)
        by_query = await db.search(Query().similar_to([1.0, 0.1], field="e", k=2))
        assert [r.id for r in by_query] == [h.id for h in hits]
        return [(h.id, round(h.score, 6)) for h in hits]

    assert asyncio.run(main()) == [("a", 0.995037), ("b", 0.099504)]


def test_an_indexed_filter_sees_every_write_between_queries() -> None:
    db = MemoryDatabase(indexes=["team"])
    db.create_batch([Record({"team": "a", "e": [1.0, float(i)]}, id=f"r{i}") for i in range(4)])
    flt = Query().filter("team", "==", "a")

    def near() -> list[str | None]:
        return [h.id for h in db.vector_search([1.0, 0.0], "e", k=3, filter=flt,
                                               metric="euclidean")]

    assert near() == ["r0", "r1", "r2"]
    db.update("r0", Record({"team": "b", "e": [1.0, 0.0]}))
    assert near() == ["r1", "r2", "r3"]
    db.create(Record({"team": "a", "e": [1.0, 0.5]}, id="r9"))
    assert near() == ["r9", "r1", "r2"]
    db.delete("r1")
    assert near() == ["r9", "r2", "r3"]
    in_flt = Query().filter("team", "in", ["b", "a"])
    assert [h.id for h in db.vector_search([1.0, 0.0], "e", k=2, filter=in_flt,
                                           metric="euclidean")] == ["r0", "r9"]
