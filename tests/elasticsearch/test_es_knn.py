"""The Elasticsearch adapter's approximate nearest-neighbour search: ``vectors`` entries with
``method: hnsw`` (adapters/elasticsearch/vectors.py, ``KnnSearch``/``knn_flow``), on the
server the suite starts (noida-db, or ``DATAKNOBS_TEST_ES_URL`` in ``elasticsearch`` mode).

The index is approximate by contract (``capabilities.approximate_vectors``), so the
conformance suite holds it to recall@10 (test_es_vector_conformance.py). The data sets here
are smaller than ``num_candidates`` (400 by default), so the server's kNN search sees every
placed match and the window holds the exact answer: these tests compare ids, order and
scores with the memory reference. Where the kNN search must answer, the port's reference
path is made an error (``forbid_reference``) and the requests are read back."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from dataknobs_data.adapters.elasticsearch import ElasticsearchDatabase
from dataknobs_data.adapters.elasticsearch import vectors as native
from dataknobs_data.domain.errors import ConfigurationError, QueryError
from dataknobs_data.domain.query import Query
from dataknobs_data.domain.records import Record
from dataknobs_data.testing.native_vectors import (
    HOSTILE_VALUES,
    OTHER_DIMENSION,
    check_hostile,
    check_nested,
    check_other_dimension,
    check_random_sets,
    hostile_records,
    nested_records,
)
from dataknobs_data.testing.native_vectors import assert_same_hits as assert_same
from dataknobs_data.testing.native_vectors import random_vector_records as random_records
from dataknobs_data.testing.native_vectors import vector_hits as hits
from dataknobs_data.testing.servers import require_module

from .test_es_vectors import NATIVE, both, searches

require_module("numpy")

Options = Callable[..., dict[str, Any]]


def hnsw(dim: int, metric: str, **settings: Any) -> dict[str, Any]:
    return {"dimensions": dim, "method": "hnsw", "metric": metric, **settings}


def knn_requests(sent: list[Any]) -> list[Any]:
    return [s for s in sent if "knn" in s]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("metric", NATIVE)
def test_random_sets_equal_the_memory_reference(metric: str, es_vector_options: Options,
                                                no_reference: None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Queries of the index's metric take the kNN search, the others the exact one: both
    answer as the reference does (filters, offsets, k, thresholds)."""
    rnd = random.Random(NATIVE.index(metric))
    dim = rnd.choice([3, 8, 33])
    db, mem = both(es_vector_options, random_records(rnd, rnd.randint(60, 300), dim),
                   {"embedding": hnsw(dim, metric)})
    with db:
        sent = searches(db, monkeypatch)
        check_random_sets(db, mem, rnd, dim, NATIVE, rounds=30)
        assert knn_requests(sent) and len(knn_requests(sent)) < len(sent)
        assert db.capabilities.approximate_vectors
        assert not ElasticsearchDatabase.capabilities.approximate_vectors


def test_a_query_is_one_knn_request_with_the_filter_inside(
        es_vector_options: Options, no_reference: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    db, mem = both(es_vector_options, random_records(random.Random(1), 300, 8),
                   {"embedding": hnsw(8, "euclidean", num_candidates=50)})
    flt = Query().filter("team", "==", "a")
    with db:
        sent = searches(db, monkeypatch)
        probe = [0.1 * i - 0.3 for i in range(8)]
        assert_same(hits(db, probe, 10, "euclidean", flt), hits(mem, probe, 10, "euclidean", flt))
        assert len(sent) == 1
        knn = sent[0]["knn"]
        name = native.sidecar_name("embedding")
        assert knn["query_vector"] == probe and knn["field"] == f"v.{name}.x"
        assert knn["k"] == native.first_window(10) and knn["num_candidates"] == 52
        assert {"term": {f"v.{name}.k": native.PLACED}} in knn["filter"]
        assert len(knn["filter"]) == 2  # the translator's filter beside it
        mapping = db.client.indices.get_mapping(index=db.index).body[db.index]["mappings"]
        vector = mapping["properties"]["v"]["properties"][name]["properties"]["x"]
        assert vector["index"] is True and vector["similarity"] == "l2_norm"
        assert vector["index_options"] == {"type": "hnsw", "m": 16, "ef_construction": 100}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference's own overflow
@pytest.mark.parametrize("metric", NATIVE)
def test_hostile_values_never_break_a_query(metric: str, es_vector_options: Options,
                                            no_reference: None) -> None:
    """Every hostile value a document can hold (as test_es_vectors.py) under an HNSW index
    of the query's metric: unplaced ones come beside the kNN window and rank exactly."""
    values = [v for v in HOSTILE_VALUES if v != ["\ud800", 1, 2, 3]]
    db, mem = both(es_vector_options, hostile_records(values),
                   {"embedding": hnsw(4, metric)})
    with db:
        check_hostile(db, mem, metric)


def test_another_dimension_and_nested_paths(es_vector_options: Options,
                                            no_reference: None) -> None:
    db, mem = both(es_vector_options, list(OTHER_DIMENSION), {"embedding": hnsw(3, "cosine")})
    with db:
        check_other_dimension(db, mem)  # the reference's own error, from the kNN path
    records = [*nested_records(), Record({"doc": "flat", "doc.vec": [1.0, 1.0]}, id="dotted")]
    for metric in NATIVE:
        db, mem = both(es_vector_options, records, {"doc.vec": hnsw(2, metric)})
        with db:
            check_nested(db, mem, (metric,))


@pytest.mark.parametrize("unplaced", [30, 80])
def test_always_candidate_rows_that_fill_a_request_ask_again(
        unplaced: int, es_vector_options: Options, no_reference: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Zero vectors and elements above 1e15 are not in the kNN index: they come beside it
    (30 leave the first window short of placed rows, 80 fill it) and the request is sent
    again, larger; documents without a sidecar are candidates too."""
    records = [Record({"embedding": [0.0, 0.0, 0.0] if i % 2 else [1e16, 1.0, 2.0]},
                      id=f"z{i:03d}") for i in range(unplaced)]
    records += [Record({"embedding": [1.0, float(i), -0.5]}, id=f"v{i:03d}") for i in range(40)]
    for metric in NATIVE:
        db, mem = both(es_vector_options, records, {"embedding": hnsw(3, metric)})
        with db:
            sent = searches(db, monkeypatch)
            assert_same(hits(db, [1.0, 0.5, 0.2], 5, metric, None),
                        hits(mem, [1.0, 0.5, 0.2], 5, metric, None))
            assert len(knn_requests(sent)) == 2 and sent[1]["size"] > sent[0]["size"]


def test_an_exact_index_refuses_an_hnsw_option(es_vector_options: Options) -> None:
    options = es_vector_options()
    with ElasticsearchDatabase(**options, vectors={"embedding": 3}) as db:
        db.create(Record({"embedding": [1.0, 2.0, 3.0]}))
    other = ElasticsearchDatabase(**options, vectors={"embedding": hnsw(3, "cosine")})
    with pytest.raises(ConfigurationError, match="'method': 'hnsw'"):
        other.count()
    other.close()


@pytest.mark.parametrize("entry, named", [
    ({"dimensions": 3, "method": "ivf"}, "'ivf'"),
    ({"dimensions": 3, "m": 1}, "'m'"),
    ({"dimensions": 3, "ef_construction": 2000}, "2000"),
    ({"dimensions": 3, "num_candidates": 10_001}, "10001"),
    ({"dimensions": 3, "num_candidates": True}, "True"),
    ({"dimensions": 4097}, "4097"),
    ({"method": "hnsw"}, "'dimensions'"),
    ({"dimensions": 3, "dims": 3}, "['dims']"),
    ({"dimensions": 3, "metric": "manhattan"}, "'manhattan'"),
    ({"dimensions": 3, "method": "none", "m": 8}, "'m' is a setting of method 'hnsw', not of "
                                                  "'none'"),
])
def test_refused_settings_name_the_value(entry: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        ElasticsearchDatabase(hosts=["http://127.0.0.1:1"], vectors={"e": entry})
    assert named in str(err.value) and "vectors['e']" in str(err.value)


def test_method_none_is_the_exact_path() -> None:
    db = ElasticsearchDatabase(hosts=["http://127.0.0.1:1"],
                               vectors={"e": {"dimensions": 3, "method": "none"}})
    assert not db.capabilities.approximate_vectors
    assert db.operations.vectors["e"] == native.VectorPath(3)


def test_the_filter_holds_for_rows_beside_the_index(es_vector_options: Options,
                                                    no_reference: None) -> None:
    """Rows outside the kNN index (unplaced, another dimension) come only when the filter
    matches them; two of another dimension, written in reverse id order, raise the
    reference's error, which names the first in id order."""
    records = [Record({"team": "z", "embedding": [0.0, 0.0, 0.0] if i % 2 else [1e16, 1.0, 2.0]},
                      id=f"z{i:03d}") for i in range(20)]
    records += [Record({"team": "v", "embedding": [1.0, float(i), -0.5]}, id=f"v{i:03d}")
                for i in range(40)]
    records += [Record({"team": "w", "embedding": [1.0, 2.0]}, id=f"w{i}") for i in (2, 1)]
    flt = Query().filter("team", "==", "v")
    for metric in NATIVE:
        db, mem = both(es_vector_options, records, {"embedding": hnsw(3, metric)})
        with db:
            assert_same(hits(db, [1.0, 0.5, 0.2], 5, metric, flt),
                        hits(mem, [1.0, 0.5, 0.2], 5, metric, flt))
            with pytest.raises(QueryError) as want:
                hits(mem, [1.0, 0.5, 0.2], 5, metric, None)
            with pytest.raises(QueryError) as got:
                hits(db, [1.0, 0.5, 0.2], 5, metric, None)
            assert str(got.value) == str(want.value) and "'w1'" in str(got.value)
