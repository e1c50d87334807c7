"""The Elasticsearch adapter's native nearest-neighbour search (``vectors``,
adapters/elasticsearch/vectors.py) against the memory adapter (the reference ranking), on a
server that scores ``dense_vector`` fields (noida-db, started by the suite): random data sets
across metrics, filters, offsets and k; small windows that must grow; hostile values at the
vector's path; writes; an index written before the option; refused options. Where the native
path must answer, the port's reference path is made an error (``forbid_reference``)."""

from __future__ import annotations

import asyncio
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
from dataknobs_data.testing.native_vectors import assert_same_hits as assert_same
from dataknobs_data.testing.native_vectors import forbid_reference, with_reference
from dataknobs_data.testing.native_vectors import random_vector_records as random_records
from dataknobs_data.testing.native_vectors import vector_hits as hits
from dataknobs_data.testing.servers import require_module

require_module("numpy")

#: the metrics the server ranks
NATIVE = ("cosine", "euclidean", "dot_product")
Options = Callable[..., dict[str, Any]]


@pytest.fixture
def no_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_reference(monkeypatch, ElasticsearchDatabase)


def both(options: Options, records: list[Record], vectors: dict[str, int]
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
    filters = [None, Query().filter("team", "==", "a"),
               Query().filter("n", "<", 50).filter("team", "!=", "c"),
               Query().filter("n", ">=", 1000),  # matches nothing
               Query().filter("team", "in", ["a", "b"]).offset(3)]
    with db:
        for _ in range(20):
            metric = rnd.choice(NATIVE)
            probe = ([rnd.randint(-2, 2) or 1 for _ in range(dim)] if rnd.random() < 0.3
                     else [rnd.uniform(-1, 1) for _ in range(dim)])
            flt = rnd.choice(filters)
            if rnd.random() < 0.3:
                flt = (flt or Query()).copy().offset(rnd.randint(0, 20))
            k = rnd.choice([1, 2, 5, 10, 50, 500])
            assert_same(hits(db, probe, k, metric, flt), hits(mem, probe, k, metric, flt))
        probe = [rnd.uniform(-1, 1) for _ in range(dim)]
        cut = hits(mem, probe, 8, "cosine", None)[-1][1]
        assert_same(hits(db, probe, 20, "cosine", None, cut),
                    hits(mem, probe, 20, "cosine", None, cut))
        q = Query().filter("team", "==", "b").similar_to(probe, k=9).limit(4).select("n")
        got, want = db.search(q), mem.search(q)
        assert [(r.id, r.data) for r in got] == [(r.id, r.data) for r in want]


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
    rnd = random.Random(3)
    records = random_records(rnd, 200, 4)
    records += [Record({"team": "z", "n": 999, "embedding": [1, 1, 1, 1]}, id=f"tie{i}")
                for i in range(12)]
    db, mem = both(es_vector_options, records, {"embedding": 4})
    with db:
        sent = searches(db, monkeypatch)
        for flt in (None, Query().filter("team", "!=", "a"),
                    Query().filter("n", ">", 150).offset(2)):
            for probe in ([1.0, 1.0, 1.0, 1.0], [0.3, -0.2, 0.9, 0.1]):
                assert_same(hits(db, probe, 7, metric, flt), hits(mem, probe, 7, metric, flt))
        assert any("min_score" in s for s in sent)  # a bound round ran


#: values at the vector's path (those a document can hold: lone surrogates are refused at
#: the write by this adapter, tests/elasticsearch/test_es_integrity.py)
HOSTILE: list[Any] = [
    None, "text", "", True, 0, 3.5, [], [None], [1.0, None, 2.0, 3.0], [True, 1, 2, 3],
    [1, 2, 3, False], ["1", "2", "3", "4"], [[1, 2], [3, 4], 5, 6], [{"a": 1}, 2, 3, 4],
    {"x": [1, 2, 3, 4]}, {"$datetime": "x"}, [2 ** 63 - 1, -(2 ** 63), 2 ** 53 + 1, 1],
    [1e308, -1e308, 1e308, 1e308], [5e-324, 0.0, 0.0, 0.0], [1e-200, 1e-200, 0.0, 1e-200],
    [0, 0, 0, 0], [0.0, -0.0, 0.0, 0.0], [1, 2, 3, 4], [0.5, 0.25, -1.0, 2.0],
    [1e16, 1.0, 1.0, 1.0], [1e-6, 1e-6, 1e-6, 1e-6], [3.0e38, 1.0, 1.0, 1.0],
    {"$object": [1, 2, 3, 4]}, [1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0, 5.0],
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference's own overflow
@pytest.mark.parametrize("metric", NATIVE)
def test_hostile_values_never_break_a_query(metric: str, es_vector_options: Options,
                                            no_reference: None) -> None:
    records = [Record({"team": "h", "embedding": v}, id=f"h{i:02d}")
               for i, v in enumerate(HOSTILE) if not (isinstance(v, list) and len(v) != 4)]
    records += [Record({"team": "h", "embedding": [0.1 * i, -1.0, 2.0, 0.5]}, id=f"ok{i}")
                for i in range(10)]
    db, mem = both(es_vector_options, records, {"embedding": 4})
    with db:
        for probe in ([1.0, 2.0, 3.0, 4.0], [1e-150, 0.0, 1.0, 0.0], [3.0, -1.0, 0.0, 0.5]):
            for k in (1, 5, 40):
                for flt in (None, Query().filter("team", "==", "h").offset(1)):
                    assert_same(hits(db, probe, k, metric, flt),
                                hits(mem, probe, k, metric, flt))


def test_another_dimension_among_the_matches_is_the_reference_error(
        es_vector_options: Options, no_reference: None) -> None:
    records = [Record({"team": "a", "embedding": [1.0, 2.0, 3.0]}, id="a1"),
               Record({"team": "a", "embedding": [1.0, 2.0]}, id="a2"),
               Record({"team": "b", "embedding": [1.0, 2.0, 3.0, 4.0]}, id="b1"),
               Record({"team": "b", "embedding": [4.0, 2.0, 3.0, 1.0]}, id="b2")]
    db, mem = both(es_vector_options, records, {"embedding": 3})
    with db:
        for flt in (None, Query().filter("team", "==", "a")):
            with pytest.raises(QueryError) as want:
                hits(mem, [1.0, 0.0, 0.0], 1, "cosine", flt)
            with pytest.raises(QueryError) as got:
                hits(db, [1.0, 0.0, 0.0], 1, "cosine", flt)
            assert str(got.value) == str(want.value)
        # the filter keeps the other dimensions out: no error
        flt = Query().filter("team", "==", "a").filter("embedding", "!=", [1.0, 2.0])
        assert_same(hits(db, [1.0, 0.0, 0.0], 5, "euclidean", flt),
                    hits(mem, [1.0, 0.0, 0.0], 5, "euclidean", flt))


def test_nested_and_wrapped_paths(es_vector_options: Options, no_reference: None) -> None:
    records = [Record({"doc": {"$meta": 1, "vec": [float(i), 1.0]}}, id=f"w{i}")
               for i in range(5)]
    records += [Record({"doc": {"vec": [1.0, float(i)]}}, id=f"p{i}") for i in range(5)]
    records += [Record({"doc": "flat", "doc.vec": [1.0, 1.0]}, id="dotted-key")]
    db, mem = both(es_vector_options, records, {"doc.vec": 2, "sp ace/\u00e9": 2})
    with db:
        for metric in NATIVE:
            got = [(h.record.id, h.score) for h in db.vector_search(
                [1.0, 0.2], "doc.vec", k=6, metric=metric)]
            want = [(h.record.id, h.score) for h in mem.vector_search(
                [1.0, 0.2], "doc.vec", k=6, metric=metric)]
            assert_same(got, want)


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


def test_an_index_written_without_the_option_is_ranked_exactly(
        es_vector_options: Options, no_reference: None) -> None:
    """Documents written before ``vectors`` was set have no sidecar: they are candidates of
    every query (the mapping is added when the option is), rewritten ones are ranked."""
    options = es_vector_options()
    records = random_records(random.Random(5), 60, 3)
    with ElasticsearchDatabase(**options) as plain:
        plain.create_batch([r.copy() for r in records])
    mem = MemoryDatabase()
    mem.create_batch([r.copy() for r in records])
    with ElasticsearchDatabase(**options, vectors={"embedding": 3}) as db:
        probe = [0.2, 0.9, -0.4]
        for metric in NATIVE:
            assert_same(hits(db, probe, 8, metric, None), hits(mem, probe, 8, metric, None))
        for store in (db, mem):
            store.upsert_batch([r.copy() for r in records[:30]])
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


def test_the_async_adapter_takes_the_native_path(es_vector_options: Options,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_reference(monkeypatch, AsyncElasticsearchDatabase)
    records = random_records(random.Random(2), 120, 5)
    mem = MemoryDatabase()
    mem.create_batch([r.copy() for r in records])
    probe = [0.5, -0.1, 0.3, 0.9, -0.7]
    flt = Query().filter("team", "==", "c")

    async def run() -> list[tuple[str, float]]:
        db = AsyncElasticsearchDatabase(**es_vector_options(vectors={"embedding": 5}))
        await db.connect()
        try:
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
    import numpy as np

    from dataknobs_data.domain.vectors import DistanceMetric, VectorQuery

    rnd = np.random.default_rng(dim)
    probe = rnd.standard_normal(dim)
    rows = [rnd.standard_normal(dim) * 10.0 ** rnd.integers(-8, 9) for _ in range(150)]
    rows += [probe * (1 + 1e-7 * rnd.standard_normal()) + 1e-7 * rnd.standard_normal(dim)
             for _ in range(150)]
    records = [Record({"embedding": [float(x) for x in v]}, id=f"r{i:03d}")
               for i, v in enumerate(rows)]
    matrix = np.asarray(rows, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    q_norm = float(np.sqrt(probe @ probe))
    exact = {DistanceMetric.COSINE: -(matrix @ probe) / (norms * q_norm),
             DistanceMetric.DOT_PRODUCT: -(matrix @ probe),
             DistanceMetric.EUCLIDEAN: np.sqrt(((matrix - probe) ** 2).sum(axis=1))}
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
