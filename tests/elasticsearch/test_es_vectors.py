"""The Elasticsearch adapter's native nearest-neighbour search (``vectors``,
adapters/elasticsearch/vectors.py) against the memory adapter (the reference ranking), on a
server that scores ``dense_vector`` fields (noida-db, started by the suite): random data sets
across metrics, filters, offsets and k; small windows that must grow; hostile values at the
vector's path; writes; an index written before the option; refused options. Where the native
path must answer, the port's reference path is made an error (``forbid_reference``)."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable
from typing import Any

import pytest

from dataknobs_data.adapters import vector_window
from dataknobs_data.adapters.elasticsearch import (
    AsyncElasticsearchDatabase,
    ElasticsearchDatabase,
)
from dataknobs_data.adapters.elasticsearch import vectors as native
from dataknobs_data.adapters.memory import MemoryDatabase
from dataknobs_data.domain.errors import ConfigurationError, QueryError
from dataknobs_data.domain.query import Query
from dataknobs_data.domain.records import Record
from dataknobs_data.testing.native_vectors import (
    HOSTILE_VALUES,
    OTHER_DIMENSION,
    bound_case,
    check_hostile,
    check_nested,
    check_other_dimension,
    check_random_sets,
    check_small_windows,
    forbid_reference,
    hostile_records,
    nested_records,
    tied_records,
    with_reference,
)
from dataknobs_data.testing.native_vectors import assert_same_hits as assert_same
from dataknobs_data.testing.native_vectors import random_vector_records as random_records
from dataknobs_data.testing.native_vectors import vector_hits as hits
from dataknobs_data.testing.servers import require_module

require_module("numpy")

#: the metrics the server ranks
NATIVE = ("cosine", "euclidean", "dot_product")
Options = Callable[..., dict[str, Any]]


def both(options: Options, records: list[Record], vectors: dict[str, Any]
         ) -> tuple[ElasticsearchDatabase, MemoryDatabase]:
    return with_reference(ElasticsearchDatabase(**options(vectors=vectors)), records)


def searches(db: ElasticsearchDatabase, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The ``search`` requests ``db`` sends from now on (their keyword arguments)."""
    seen: list[Any] = []
    original = db._perform

    def perform(step: Any) -> Any:
        if getattr(step, "method", None) == "search":
            seen.append(step.kwargs)
        return original(step)

    monkeypatch.setattr(db, "_perform", perform)
    return seen


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("seed", range(4))
def test_random_sets_equal_the_memory_reference(seed: int, es_vector_options: Options,
                                                no_reference: None) -> None:
    rnd = random.Random(seed)
    dim = rnd.choice([1, 3, 8, 33])
    db, mem = both(es_vector_options, random_records(rnd, rnd.randint(30, 300), dim),
                   {"embedding": dim})
    with db:
        check_random_sets(db, mem, rnd, dim, NATIVE, rounds=20)


def test_other_dimensions_and_ranges_answer_through_the_port(
        es_vector_options: Options) -> None:
    """Not ranked by the server (module doc of vectors.py), the same answer all the same:
    a query vector of another dimension, one outside float32's range."""
    rnd = random.Random(8)
    db, mem = both(es_vector_options, random_records(rnd, 120, 6), {"embedding": 6})
    with db:
        for metric in NATIVE:
            probe = [1e20, 1.0, -1.0, 0.5, 0.0, 2.0]
            assert_same(hits(db, probe, 5, metric, None), hits(mem, probe, 5, metric, None))
        for flt in (None, Query().filter("team", "==", "c")):
            probe = [rnd.uniform(-1, 1) for _ in range(6)]
            with pytest.raises(QueryError) as want:
                hits(mem, probe[:4], 7, "cosine", flt)
            with pytest.raises(QueryError) as got:  # a query of another dimension
                hits(db, probe[:4], 7, "cosine", flt)
            assert str(got.value) == str(want.value)


def test_a_query_is_one_request_ranked_by_the_server(
        es_vector_options: Options, no_reference: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    db, mem = both(es_vector_options, random_records(random.Random(1), 300, 8),
                   {"embedding": 8})
    with db:
        sent = searches(db, monkeypatch)
        probe = [0.1 * i - 0.3 for i in range(8)]
        for metric in NATIVE:
            sent.clear()
            assert_same(hits(db, probe, 10, metric, Query().filter("team", "==", "a")),
                        hits(mem, probe, 10, metric, Query().filter("team", "==", "a")))
            assert len(sent) == 1 and sent[0]["size"] == vector_window.first_window(10)
            script = sent[0]["query"]["script_score"]["script"]
            assert script["params"]["q"] == probe  # the vector is a parameter, not text


@pytest.mark.parametrize("metric", NATIVE)
def test_a_small_window_grows_until_certain(metric: str, es_vector_options: Options,
                                            no_reference: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Small windows: ties at the boundary need the bound's second request (``min_score``)."""
    monkeypatch.setattr(vector_window, "WINDOW_FACTOR", 1)
    monkeypatch.setattr(vector_window, "WINDOW_EXTRA", 0)
    db, mem = both(es_vector_options, tied_records(random.Random(3)), {"embedding": 4})
    with db:
        sent = searches(db, monkeypatch)
        check_small_windows(db, mem, (metric,))
        assert any("min_score" in s for s in sent)  # a bound round ran


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference's own overflow
@pytest.mark.parametrize("metric", NATIVE)
def test_hostile_values_never_break_a_query(metric: str, es_vector_options: Options,
                                            no_reference: None) -> None:
    """Every hostile value a document can hold (a lone surrogate is refused at the write by
    this adapter, tests/elasticsearch/test_es_integrity.py)."""
    values = [v for v in HOSTILE_VALUES if v != ["\ud800", 1, 2, 3]]
    db, mem = both(es_vector_options, hostile_records(values), {"embedding": 4})
    with db:
        check_hostile(db, mem, metric)


def test_another_dimension_among_the_matches_is_the_reference_error(
        es_vector_options: Options, no_reference: None) -> None:
    db, mem = both(es_vector_options, list(OTHER_DIMENSION), {"embedding": 3})
    with db:
        check_other_dimension(db, mem)
        # the filter keeps the other dimensions out: no error
        flt = Query().filter("team", "==", "a").filter("embedding", "!=", [1.0, 2.0])
        assert_same(hits(db, [1.0, 0.0, 0.0], 5, "euclidean", flt),
                    hits(mem, [1.0, 0.0, 0.0], 5, "euclidean", flt))


def test_nested_and_wrapped_paths(es_vector_options: Options, no_reference: None) -> None:
    records = [*nested_records(), Record({"doc": "flat", "doc.vec": [1.0, 1.0]}, id="dotted")]
    db, mem = both(es_vector_options, records, {"doc.vec": 2, "sp ace/\u00e9": 2})
    with db:
        check_nested(db, mem, NATIVE)


def test_writes_show_in_the_next_query(es_vector_options: Options,
                                       no_reference: None) -> None:
    """Every write rewrites the document's sidecar: creates, updates (to another dimension,
    to no vector, back), deletes, upserts and batches, each checked against the reference."""
    records = random_records(random.Random(4), 80, 5)
    db, mem = both(es_vector_options, records, {"embedding": 5})
    probe = [0.4, -0.3, 0.8, 0.1, -0.5]

    def check() -> None:
        for metric in NATIVE:
            assert_same(hits(db, probe, 10, metric, None), hits(mem, probe, 10, metric, None))

    with db:
        check()
        for store in (db, mem):
            store.create(Record({"team": "a", "embedding": list(probe)}, id="near"))
        check()
        # the sidecar ranks; the mapping keeps it out of _source (noida-db keeps it anyway)
        mapping = db.client.indices.get_mapping(index=db.index).body[db.index]["mappings"]
        assert mapping["_source"]["excludes"] == ["q", "v"]
        first, second, third = (r.id or "" for r in records[:3])
        for store in (db, mem):
            store.update(first, Record({"embedding": [-x for x in probe]}))
            store.update(second, Record({"embedding": [1.0, "x"]}))
            store.delete(third)
        check()
        for store in (db, mem):
            store.upsert("near", Record({"embedding": "gone"}))
            store.update_batch([(second, Record({"embedding": [2 * x for x in probe]}))])
            store.upsert_batch([Record({"embedding": [x + 0.01 for x in probe]}, id="u")])
        check()


@pytest.mark.parametrize("entry", [3, {"dimensions": 3, "method": "hnsw",
                                        "metric": "dot_product"}], ids=["exact", "hnsw"])
def test_an_index_written_without_the_option_is_ranked_exactly(
        entry: Any, es_vector_options: Options, no_reference: None) -> None:
    """Documents written before ``vectors`` was set have no sidecar: they are candidates of
    every query (the mapping is added when the option is, an HNSW index too), rewritten,
    updated and deleted ones are ranked as the reference ranks them."""
    options = es_vector_options()
    records = random_records(random.Random(5), 60, 3)
    with ElasticsearchDatabase(**options) as plain:
        plain.create_batch([r.copy() for r in records])
    mem = MemoryDatabase()
    mem.create_batch([r.copy() for r in records])
    with ElasticsearchDatabase(**options, vectors={"embedding": entry}) as db:
        probe = [0.2, 0.9, -0.4]
        for metric in NATIVE:
            assert_same(hits(db, probe, 8, metric, None), hits(mem, probe, 8, metric, None))
        for store in (db, mem):
            store.upsert_batch([r.copy() for r in records[:30]])
            store.update(records[40].id or "", Record({"embedding": [9.0, 9.0, 9.0]}))
            store.delete(records[41].id or "")
        for metric in NATIVE:
            assert_same(hits(db, probe, 8, metric, None), hits(mem, probe, 8, metric, None))
    other = ElasticsearchDatabase(**options, vectors={"embedding": 4})
    with pytest.raises(ConfigurationError, match="vectors"):
        other.count()
    other.close()


def test_too_many_unplaced_matches_take_the_reference_path(
        es_vector_options: Options, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "MAX_WINDOW", 5)
    records = [Record({"embedding": [0.0, 0.0]}, id=f"z{i}") for i in range(8)]
    records += [Record({"embedding": [1.0, float(i)]}, id=f"v{i}") for i in range(8)]
    db, mem = both(es_vector_options, records, {"embedding": 2})
    with db:
        for metric in NATIVE:
            assert_same(hits(db, [1.0, 0.5], 4, metric, None),
                        hits(mem, [1.0, 0.5], 4, metric, None))


@pytest.mark.parametrize("vectors, compatibility, named", [
    (["embedding"], "elasticsearch", "list"),
    ({"": 3}, "elasticsearch", "''"),
    ({"a..b": 3}, "elasticsearch", "'a..b'"),
    ({"id": 3}, "elasticsearch", "'id'"),
    ({"e": 0}, "elasticsearch", "0"),
    ({"e": 4097}, "elasticsearch", "4097"),
    ({"e": True}, "elasticsearch", "True"),
    ({"e": "3"}, "elasticsearch", "'3'"),
    ({"e": 3}, "opensearch", "'opensearch'"),
])
def test_refused_options_name_the_value(vectors: Any, compatibility: str, named: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        ElasticsearchDatabase(hosts=["http://127.0.0.1:1"], compatibility=compatibility,
                              vectors=vectors)
    assert named in str(err.value)


@pytest.mark.parametrize("entry", [5, {"dimensions": 5, "method": "hnsw", "metric": "euclidean"}],
                         ids=["exact", "hnsw"])
def test_the_async_adapter_takes_the_native_path(entry: Any, es_vector_options: Options,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Exact, and with an HNSW index of the query's metric (the ``knn`` search,
    test_es_knn.py): the async adapter answers natively, as the reference."""
    forbid_reference(monkeypatch, AsyncElasticsearchDatabase)
    records = random_records(random.Random(2), 120, 5)
    mem = MemoryDatabase()
    mem.create_batch([r.copy() for r in records])
    probe = [0.5, -0.1, 0.3, 0.9, -0.7]
    flt = Query().filter("team", "==", "c")

    async def run() -> list[tuple[str, float]]:
        db = AsyncElasticsearchDatabase(**es_vector_options(vectors={"embedding": entry}))
        await db.connect()
        try:
            assert db.capabilities.approximate_vectors is isinstance(entry, dict)
            await db.create_batch([r.copy() for r in records])
            found = await db.vector_search(probe, k=12, metric="euclidean", filter=flt)
            return [(h.record.id or "", h.score) for h in found]
        finally:
            await db.close()

    assert_same(asyncio.run(run()), hits(mem, probe, 12, "euclidean", flt))


@pytest.mark.parametrize("dim", [3, 384])
def test_every_bound_is_below_the_exact_key(dim: int, es_vector_options: Options,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The float32 slack and the score's rounding allowance make each placed row's bound
    (from the server's ``_score``) a true lower bound of its float64 key, on vectors of many
    magnitudes and near copies of the probe (cancellation); without them some bounds land
    above the exact key, so the check can fail."""
    from dataknobs_data.domain.vectors import DistanceMetric, VectorQuery

    probe, records, keys = bound_case(dim)
    q_norm = float(math.sqrt(probe @ probe))
    exact = {DistanceMetric(name): value for name, value in keys.items()}
    with ElasticsearchDatabase(**es_vector_options(vectors={"embedding": dim})) as db:
        db.create_batch(records)

        def over(metric: DistanceMetric) -> list[float]:
            """Each placed row's bound minus its exact key."""
            vq = VectorQuery(probe.tolist(), "embedding", metric=metric)
            search = native.VectorSearch(db.index, {"match_all": {}}, vq, metric, probe,
                                         q_norm)
            resp = db.client.search(**search.body(len(records), None))
            return [bound - float(exact[metric][int(key[1:])])
                    for key, kind, bound in search.rows(resp.body) if kind == native.PLACED]

        for metric in exact:
            gaps = over(metric)
            assert len(gaps) == len(records) and max(gaps) <= 0, (metric, max(gaps))
        monkeypatch.setattr(native, "slack", lambda d: 0.0)
        monkeypatch.setattr(native, "SCORE_ROUNDING", 0.0)
        assert any(max(over(metric)) > 0 for metric in exact)


@pytest.mark.parametrize("unplaced", [30, 80])
def test_always_candidate_rows_that_fill_a_request_ask_again(
        unplaced: int, es_vector_options: Options, no_reference: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows no float32 bound holds (zero vectors, an element above 1e15) come first in a
    response: 30 of them leave the first window (42 rows for k=5) short of placed rows, 80
    fill it; either way the request is sent again, larger, and the answer is the reference's."""
    records = [Record({"embedding": [0.0, 0.0, 0.0] if i % 2 else [1e16, 1.0, 2.0]},
                      id=f"z{i:03d}") for i in range(unplaced)]
    records += [Record({"embedding": [1.0, float(i), -0.5]}, id=f"v{i:03d}") for i in range(40)]
    db, mem = both(es_vector_options, records, {"embedding": 3})
    with db:
        sent = searches(db, monkeypatch)
        for metric in NATIVE:
            sent.clear()
            assert_same(hits(db, [1.0, 0.5, 0.2], 5, metric, None),
                        hits(mem, [1.0, 0.5, 0.2], 5, metric, None))
            assert len(sent) == 2 and sent[1]["size"] > sent[0]["size"]
