"""The Elasticsearch adapter with ``vectors`` (its native nearest-neighbour search, exact and
with an HNSW index) through the whole conformance suite and the fidelity suite (hostile
values at the vector path and the sidecar's name too), sync and async, on the server that
scores ``dense_vector`` fields
(noida-db, or ``DATAKNOBS_TEST_ES_URL`` in ``elasticsearch`` mode): the vector tests hold it
to the reference's ids, order and scores, the others to every record rule with the sidecar
written beside each record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from dataknobs_data.adapters.elasticsearch import (
    AsyncElasticsearchDatabase,
    ElasticsearchDatabase,
)
from dataknobs_data.adapters.elasticsearch.vectors import VECTOR_FIELD
from dataknobs_data.testing.conformance import DatabaseConformance
from dataknobs_data.testing.vector_conformance import DIM

from . import test_es_fidelity as plain


@pytest.fixture
def adapter_options(es_vector_options: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """The shipped suite runs against the vector server here."""
    return es_vector_options()


#: rules the query translator passes on osmem-server (test_es_conformance.py) and noida-db
#: answers differently from Elasticsearch, in its own ``wildcard`` and ``regexp`` queries
NOIDA_DIFFERS = {
    "R40": "noida-db's wildcard query misreads an escaped backslash",
    "R41": "noida-db's wildcard query misreads a trailing backslash",
    "R42": "noida-db's wildcard query misses '[a]*' written as '[a]\\*' (an escaped '*')",
    "R49": "noida-db's regexp '.' does not match a newline (Lucene's does)",
    "R75": "noida-db ignores case_insensitive in a wildcard query",
}


class TestNativeVectorConformance(DatabaseConformance):
    adapter = ElasticsearchDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"vectors": {"embedding": DIM}}
    spec_skips = NOIDA_DIFFERS
    approximate: ClassVar[bool] = False

    def test_the_native_path_answers(self, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        from dataknobs_data.domain.records import Record

        owner = getattr(db, "async_database", db)
        monkeypatch.setattr(type(owner), "_stream_read", None)  # the reference path
        db.create(Record({"embedding": [1.0] * DIM}, id="a"))
        db.create(Record({"embedding": [1.0, -1.0] * (DIM // 2)}, id="b"))
        assert [h.record.id for h in db.vector_search([1.0] * DIM, k=2)] == ["a", "b"]
        assert owner.capabilities.approximate_vectors is self.approximate


class TestAsyncNativeVectorConformance(TestNativeVectorConformance):
    adapter = AsyncElasticsearchDatabase


class TestKnnVectorConformance(TestNativeVectorConformance):
    """An HNSW index of the cosine (``method: hnsw``): approximate, so the suite's vector
    tests hold it to recall@10 >= 0.95; the other metrics take the exact path."""

    adapter_kwargs: ClassVar[dict[str, Any]] = {
        "vectors": {"embedding": {"dimensions": DIM, "method": "hnsw"}}}
    approximate = True
    spec_rules = False  # the exact class checks the query path rule by rule


class TestNativeVectorFidelity(plain.TestElasticsearchFidelity):
    adapter = ElasticsearchDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"vectors": {"embedding": 3, "v": 2}}
    envelope_names = (*plain.TestElasticsearchFidelity.envelope_names, VECTOR_FIELD, "embedding")
    fidelity_examples = 60


class TestAsyncNativeVectorFidelity(TestNativeVectorFidelity):
    adapter = AsyncElasticsearchDatabase
    fidelity_examples = 30


class TestKnnVectorFidelity(TestNativeVectorFidelity):
    adapter_kwargs: ClassVar[dict[str, Any]] = {"vectors": {
        "embedding": {"dimensions": 3, "method": "hnsw", "metric": "euclidean"},
        "v": {"dimensions": 2, "method": "hnsw", "metric": "dot_product"}}}
    fidelity_examples = 30
