"""Elasticsearch-specific behaviour: bad input, mapping, deep paging, bulk errors, point in
time, compatibility, configuration, auth and secrets; plus the translator's pure parts.

Runs against osmem-server (or ``DATAKNOBS_TEST_ES_URL``) through the ``es_options`` fixture.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataknobs_data import Operator, Query, Record, SortOrder
from dataknobs_data.adapters.elasticsearch import (
    AsyncElasticsearchDatabase,
    ElasticsearchDatabase,
)
from dataknobs_data.adapters.elasticsearch.connection import compat_node_class, redact_url
from dataknobs_data.adapters.elasticsearch.serializer import (
    STRING_PREFIX,
    canonical,
    field_name,
    fold,
    instant_code,
    number_code,
)
from dataknobs_data.adapters.elasticsearch.translator import like_to_wildcard, regex_to_lucene
from dataknobs_data.domain.errors import (
    BackendNotAvailableError,
    BatchOperationError,
    ConfigurationError,
    OperationalError,
    RecordExistsError,
    UnsupportedQueryError,
    ValidationError,
)
from dataknobs_data.domain.values import values_equal
from dataknobs_data.ports.streaming import StreamConfig
from dataknobs_data.testing.servers.elasticsearch import ElasticsearchTestServer

TRICKY_IDS = ["a/b", "../x", "ünïcødé-名前", "with space", "q?x=1&y#z", "%41", ".", "..",
              "_underscore", "tab\there", "😀", "x" * 500]


@pytest.fixture
def db(es_options: dict[str, Any]) -> Iterator[ElasticsearchDatabase]:
    database = ElasticsearchDatabase(**es_options)
    yield database
    database.close()


def ids(records: list[Record]) -> list[str]:
    return [r.id or "" for r in records]


# --- bad input ---------------------------------------------------------------------------------
def test_field_names_with_dots_spaces_and_underscores(db: ElasticsearchDatabase) -> None:
    data = {"k.d": 1, "with space": "s", "_under": 2, "__x": {"_y": 3}, "": "empty",
            "$dollar": True, "名前": "n", "a.b": {"c.d": [1]}, "_id": "not the id",
            "_source": "field", "q": "clash with the shadow name"}
    db.create(Record(data, id="r1"))
    db.create(Record({"with space": "t", "_under": 1}, id="r2"))
    got = db.read("r1")
    assert got is not None and got.data == data
    # Check spaces, underscores and unicode are addressable; dotted keys are not (spec)
    assert ids(db.search(Query().filter("with space", Operator.EQ, "s"))) == ["r1"]
    assert ids(db.search(Query().filter("_under", Operator.GT, 1))) == ["r1"]
    assert ids(db.search(Query().filter("__x._y", Operator.EQ, 3))) == ["r1"]
    assert ids(db.search(Query().filter("名前", Operator.EXISTS))) == ["r1"]
    assert ids(db.search(Query().filter("k.d", Operator.EXISTS))) == []
    assert ids(db.search(Query().filter("q", Operator.EQ, "clash with the shadow name"))) == [
        "r1"]
    assert ids(db.search(Query().sort("_under"))) == ["r2", "r1"]


def test_field_name_encoding_is_injective() -> None:
    names = ["a.b", "a-2e-b", "a b", "a_b", "_a", "a", "A", "é", "e\u0301", "a.b.c", "-"]
    encoded = [field_name(n) for n in names]
    assert len(set(encoded)) == len(names)
    assert all(re.fullmatch(r"f[A-Za-z0-9-]*", e) for e in encoded)


def test_mapping_conflict_integer_then_string_is_stored(db: ElasticsearchDatabase) -> None:
    # the same field: an integer, a string, a float, a boolean, a datetime, a list, an object
    values: list[Any] = [7, "7", 7.5, True, datetime(2020, 1, 1, tzinfo=UTC), [7], {"v": 7}]
    db.create_batch([Record({"v": v}, id=f"m{i}") for i, v in enumerate(values)])
    for i, v in enumerate(values):
        got = db.read(f"m{i}")
        assert got is not None and type(got["v"]) is type(v) and got["v"] == v
    assert ids(db.search(Query().filter("v", Operator.EQ, 7))) == ["m0"]
    assert ids(db.search(Query().filter("v", Operator.EQ, "7"))) == ["m1"]
    assert ids(db.search(Query().filter("v", Operator.GT, 7))) == ["m2"]
    assert ids(db.search(Query().filter("v", Operator.EQ, [7]))) == ["m5"]
    assert ids(db.search(Query().sort("v"))) == ["m3", "m0", "m2", "m1", "m4", "m5", "m6"]


def test_ten_megabyte_record(db: ElasticsearchDatabase) -> None:
    big = "x" * (10 * 1024 * 1024)
    db.create(Record({"blob": big, "n": 1}, id="big"))
    db.create(Record({"blob": "x" * 10, "n": 2}, id="small"))
    got = db.read("big")
    assert got is not None and got["blob"] == big
    # Check equality and ordering stay exact beyond the indexed prefix
    assert ids(db.search(Query().filter("blob", Operator.EQ, big))) == ["big"]
    assert ids(db.search(Query().filter("blob", Operator.EQ, big[:-1]))) == []
    assert ids(db.search(Query().filter("blob", Operator.GT, "x" * 10))) == ["big"]
    assert ids(db.search(Query().filter("blob", Operator.LTE, "x" * STRING_PREFIX))) == [
        "small"]
    assert ids(db.search(Query().filter("blob", Operator.STARTS_WITH, "xxx"))) == [
        "big", "small"]
    assert ids(db.search(Query().sort("blob", SortOrder.DESC))) == ["big", "small"]
    # Check pattern operators refuse clearly instead of answering from the prefix
    with pytest.raises(UnsupportedQueryError, match="blob"):
        db.search(Query().filter("blob", Operator.LIKE, "x%"))
    with pytest.raises(UnsupportedQueryError, match="operand has"):
        db.search(Query().filter("blob", Operator.GT, big))
    assert ids(db.search(Query().filter("n", Operator.EQ, 2).filter(
        "blob", Operator.EXISTS))) == ["small"]


def test_ids_with_slashes_and_unicode(db: ElasticsearchDatabase) -> None:
    db.create_batch([Record({"i": i}, id=rid) for i, rid in enumerate(TRICKY_IDS)])
    assert sorted(ids(db.all())) == sorted(TRICKY_IDS)
    for i, rid in enumerate(TRICKY_IDS):
        got = db.read(rid)
        assert got is not None and got.id == rid and got["i"] == i
    assert [r.id if r else None for r in db.read_batch(["a/b", "nope", "😀"])] == [
        "a/b", None, "😀"]
    assert db.update("a/b", Record({"i": -1})) is True
    assert db.delete("../x") is True and db.read("../x") is None
    assert ids(db.search(Query().sort("i").limit(1))) == ["a/b"]


def test_too_long_id_is_a_clear_error_and_batch_reports_it(db: ElasticsearchDatabase) -> None:
    long_id = "é" * 300  # 600 bytes
    with pytest.raises(ValidationError, match="512 bytes"):
        db.create(Record({"v": 1}, id=long_id))
    with pytest.raises(BatchOperationError) as info:
        db.create_batch([Record({"v": 1}, id="ok"), Record({"v": 2}, id=long_id)])
    assert set(info.value.failed) == {1} and info.value.succeeded == {0: "ok"}
    assert db.read(long_id) is None and db.exists("ok")


# --- bulk ----------------------------------------------------------------------------------------
def test_bulk_reports_every_failed_item(db: ElasticsearchDatabase) -> None:
    db.create_batch([Record({"n": i}, id=f"t{i}") for i in range(0, 30, 3)])
    batch = [Record({"n": i}, id=f"t{i}") for i in range(30)]
    with pytest.raises(BatchOperationError) as info:
        db.create_batch(batch)
    err = info.value
    assert set(err.failed) == set(range(0, 30, 3))
    assert all(isinstance(e, RecordExistsError) for e in err.failed.values())
    assert set(err.succeeded) | set(err.failed) == set(range(30))
    assert db.count() == 30


def test_upsert_update_delete_batches_through_bulk(db: ElasticsearchDatabase) -> None:
    db.upsert_batch([Record({"n": i}, id=f"u{i}") for i in range(1200)])
    assert db.count() == 1200
    flags = db.update_batch([(f"u{i}", Record({"n": -i})) for i in range(0, 1300, 100)])
    assert flags == [True] * 12 + [False]
    assert db.delete_batch(["u0", "u0", "none", "u1"]) == [True, False, False, True]
    assert db.count(Query().filter("n", Operator.LT, 0)) == 11


# --- paging --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def many(es_session: Any) -> Iterator[ElasticsearchDatabase]:
    """25,000 records, written once for the paging tests of this module."""
    database = ElasticsearchDatabase(**es_session.options())
    database.create_batch([Record({"n": i, "g": i % 7}, id=f"r{i:05d}") for i in range(25_000)])
    yield database
    database.close()


def test_stream_read_returns_25000_records_exactly_once(many: ElasticsearchDatabase) -> None:
    seen = [r.id for r in many.stream_read(None, StreamConfig(batch_size=1000))]
    assert len(seen) == 25_000 and len(set(seen)) == 25_000
    assert seen == sorted(seen)
    # Check a sorted stream with small pages keeps the (sort keys, id) order
    q = Query().filter("g", Operator.EQ, 3).sort("n", SortOrder.DESC)
    streamed = [r["n"] for r in many.stream_read(q, StreamConfig(batch_size=777))]
    assert streamed == sorted((i for i in range(25_000) if i % 7 == 3), reverse=True)


def test_search_beyond_the_result_window(many: ElasticsearchDatabase) -> None:
    assert len(many.search(Query())) == 25_000
    assert ids(many.search(Query().offset(12_345).limit(3))) == ["r12345", "r12346", "r12347"]
    assert ids(many.search(Query().sort("n", SortOrder.DESC).offset(24_998))) == [
        "r00001", "r00000"]
    assert many.count(Query().filter("n", Operator.GTE, 10_000)) == 15_000
    # Check the deep pages ran inside a point in time (osmem offers OpenSearch's)
    assert many.operations.pit_api in ("opensearch", "elasticsearch")


def test_paging_without_point_in_time(es_options: dict[str, Any]) -> None:
    database = ElasticsearchDatabase(point_in_time="none", page_size=7, **es_options)
    database.create_batch([Record({"n": i % 5}, id=f"p{i:03d}") for i in range(100)])
    got = database.search(Query().sort("n").offset(3).limit(60))
    expected = sorted((f"p{i:03d}" for i in range(100)), key=lambda r: (int(r[1:]) % 5, r))
    assert ids(got) == expected[3:63]
    assert database.operations.pit_api is None


def test_stopping_a_stream_early_is_clean(es_options: dict[str, Any]) -> None:
    database = ElasticsearchDatabase(page_size=5, **es_options)
    database.create_batch([Record({"n": i}) for i in range(40)])
    stream = database.stream_read(None, StreamConfig(batch_size=5))
    first = [next(stream) for _ in range(12)]
    stream.close()
    assert len(first) == 12
    assert database.count() == 40


# --- async ---------------------------------------------------------------------------------------
def test_async_adapter_is_native_and_pages(es_options: dict[str, Any]) -> None:
    async def scenario() -> tuple[int, list[str], str | None]:
        adb = AsyncElasticsearchDatabase(page_size=4, **es_options)
        async with adb:
            await adb.create_batch([Record({"n": i}, id=f"a{i:02d}") for i in range(30)])
            seen = [r.id async for r in adb.stream_read(Query().sort("n", SortOrder.DESC))]
            version = await adb.get_version("a00")
            return await adb.count(), [s or "" for s in seen], version
    count, seen, version = asyncio.run(scenario())
    assert count == 30 and seen == [f"a{i:02d}" for i in range(29, -1, -1)]
    assert version is not None
    assert AsyncElasticsearchDatabase.capabilities.native_async


# --- index, refresh, versions ---------------------------------------------------------------------
def test_foreign_index_is_refused(es_options: dict[str, Any]) -> None:
    database = ElasticsearchDatabase(**es_options)
    database.client.indices.create(index=database.index)
    with pytest.raises(ConfigurationError, match="not created by dataknobs"):
        database.read("x")


def test_refresh_policies(es_options: dict[str, Any]) -> None:
    index = es_options["index"]
    for policy in ("wait_for", True):
        database = ElasticsearchDatabase(**{**es_options, "refresh": policy})
        database.create(Record({"p": str(policy)}))
        database.create_batch([Record({"p": str(policy)}) for _ in range(3)])
        assert database.count(Query().filter("p", Operator.EQ, str(policy))) == 4
    lazy = ElasticsearchDatabase(**{**es_options, "refresh": "false", "index": index})
    assert lazy.operations.refresh == "false"
    lazy.create(Record({"p": "lazy"}, id="lazy"))
    assert lazy.read("lazy") is not None  # reads by id are realtime
    with pytest.raises(ConfigurationError, match="refresh"):
        ElasticsearchDatabase(**{**es_options, "refresh": "sometimes"})


def test_versions_are_seq_no_and_primary_term(db: ElasticsearchDatabase) -> None:
    db.create(Record({"v": 1}, id="k"))
    v1 = db.get_version("k")
    assert v1 is not None and re.fullmatch(r"\d+:\d+", v1)
    db.update("k", Record({"v": 2}), expected_version=v1)
    from dataknobs_data.domain.errors import ConcurrencyError

    with pytest.raises(ConcurrencyError) as info:
        db.update("k", Record({"v": 3}), expected_version="garbage")
    assert info.value.actual == db.get_version("k")


# --- compatibility, configuration, auth, secrets -----------------------------------------
def test_default_media_types_are_refused_by_osmem(es_server: ElasticsearchTestServer) -> None:
    if es_server.name != "osmem":
        pytest.skip("only osmem-server refuses the compatible-with media types")
    plain = ElasticsearchDatabase(hosts=es_server.url, index="dk-compat-check")
    with pytest.raises(OperationalError, match=r"406|compatib|failed"):
        plain.create(Record({"v": 1}))


def test_compat_node_rewrites_media_types() -> None:
    sent: dict[str, Any] = {}

    class Recorder:
        def perform_request(self, method: str, target: str, body: Any = None,
                            headers: Any = None, **kwargs: Any) -> str:
            sent.update(headers)
            return "ok"

    from elastic_transport import HttpHeaders

    node = compat_node_class(Recorder, asynchronous=False)()
    headers = HttpHeaders({
        "accept": "application/vnd.elasticsearch+json; compatible-with=9",
        "content-type": "application/vnd.elasticsearch+x-ndjson; compatible-with=9"})
    assert node.perform_request("POST", "/_bulk", headers=headers) == "ok"
    assert sent == {"accept": "application/json", "content-type": "application/x-ndjson"}
    assert headers["accept"].startswith("application/vnd")  # the caller's copy is untouched


def test_constructor_does_no_io_and_from_config_checks_keys() -> None:
    db = ElasticsearchDatabase.from_config({"backend": "elasticsearch", "name": "x",
                                            "hosts": "http://127.0.0.1:9", "index": "people"})
    assert db._es is None and not db.operations.ready
    with pytest.raises(ConfigurationError, match="'indx' is not an option of elasticsearch; "
                                                 "did you mean 'index'"):
        ElasticsearchDatabase.from_config({"hosts": "http://h:9200", "indx": "x"})
    for bad in ("UPPER", "_x", "a/b", "a b", "", "..", "x" * 256):
        with pytest.raises(ConfigurationError, match="index"):
            ElasticsearchDatabase(hosts="http://h:9200", index=bad)
    with pytest.raises(ConfigurationError, match="hosts"):
        ElasticsearchDatabase(index="x")
    with pytest.raises(ConfigurationError, match="compatibility"):
        ElasticsearchDatabase(hosts="http://h:9200", compatibility="solr")
    with pytest.raises(ConfigurationError, match="either api_key or basic"):
        ElasticsearchDatabase(hosts="http://h:9200", api_key="k", basic_auth=["u", "p"])


def test_unreachable_server_is_an_operational_error() -> None:
    db = ElasticsearchDatabase(hosts="http://127.0.0.1:9", max_retries=0, request_timeout=2)
    with pytest.raises(OperationalError, match="could not be reached"):
        db.count()


def test_missing_client_raises_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "elasticsearch", None)
    db = ElasticsearchDatabase(hosts="http://127.0.0.1:9")
    with pytest.raises(BackendNotAvailableError,
                       match=r"pip install 'dataknobs-data\[elasticsearch\]'"):
        db.read("x")


def test_auth_options_reach_the_client() -> None:
    kwargs = ElasticsearchDatabase(hosts="https://h:9200", api_key=["id", "key"],
                                   ca_certs="/etc/ca.pem", verify_certs=True
                                   ).settings.client_kwargs(asynchronous=False)
    assert kwargs["api_key"] == ("id", "key") and kwargs["ca_certs"] == "/etc/ca.pem"
    basic = ElasticsearchDatabase(hosts="https://h:9200", username="elastic", password="pw"
                                  ).settings.client_kwargs(asynchronous=True)
    assert basic["basic_auth"] == ("elastic", "pw")
    cloud = ElasticsearchDatabase(cloud_id="name:ZXhhbXBsZS5jb20kYWJjJGRlZg==", api_key="k"
                                  ).settings.client_kwargs(asynchronous=False)
    assert "hosts" not in cloud and cloud["cloud_id"].startswith("name:")
    with pytest.raises(ConfigurationError, match="basic_auth"):
        ElasticsearchDatabase(hosts="http://h:9200", basic_auth=["only-user"])


def test_secrets_never_in_repr_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    secret, key, cloud = "S3cr3tPassw0rd", "APIKEYsecretvalue", "c:Q0xPVURTRUNSRVQ="
    dbs = [
        ElasticsearchDatabase(hosts="http://127.0.0.1:9", username="elastic", password=secret,
                              max_retries=0, request_timeout=1),
        ElasticsearchDatabase(hosts=f"http://elastic:{secret}@127.0.0.1:9", max_retries=0,
                              request_timeout=1),
        ElasticsearchDatabase(hosts="http://127.0.0.1:9", api_key=key, max_retries=0,
                              request_timeout=1),
        ElasticsearchDatabase(cloud_id=cloud, api_key=key),
    ]
    adb = AsyncElasticsearchDatabase(hosts="http://127.0.0.1:9", api_key=key)
    caplog.set_level(logging.DEBUG)
    texts = [repr(adb), str(adb)]
    for database in dbs[:3]:
        with pytest.raises(OperationalError) as info:
            database.read("x")
        texts += [str(info.value), repr(info.value)]
    for database in dbs:
        texts += [repr(database), str(database), repr(vars(database)),
                  repr(database.settings)]
    texts.append(caplog.text)
    for text in texts:
        assert secret not in text and key not in text and "Q0xPVURTRUNSRVQ" not in text
    assert redact_url(f"https://u:{secret}@h:9200/p") == "https://***@h:9200/p"


def test_config_through_the_container(es_server: ElasticsearchTestServer, tmp_path: Any) -> None:
    from dataknobs_data.containers import DatabasesContainer, database_factory

    path = tmp_path / "config.yaml"
    path.write_text("""
databases:
  - name: search
    backend: elasticsearch
    hosts: ${ES_URL}
    index: ${ES_INDEX:dk-container}
    compatibility: ${ES_COMPATIBILITY:elasticsearch}
    api_key: ${ES_API_KEY:}
""")
    environ = {"ES_URL": es_server.url, "ES_COMPATIBILITY": es_server.compatibility,
               "ES_INDEX": "dk-container-test"}
    container = DatabasesContainer.from_yaml(path, environ)
    db = container.search()
    assert isinstance(db, ElasticsearchDatabase)
    db.upsert(Record({"v": 1}, id="wired"))
    made = database_factory.create(backend="elasticsearch", **es_server.options(
        "dk-container-test"))
    assert isinstance(made, ElasticsearchDatabase) and made.read("wired") is not None
    assert isinstance(database_factory.create_async(backend="elasticsearch",
                                                    hosts=es_server.url),
                      AsyncElasticsearchDatabase)
    db.client.indices.delete(index="dk-container-test")


# --- the translator and serializer's pure parts ------------------------------------------
NUMBERS = st.one_of(st.integers(-(2**63), 2**63 - 1),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from([2**53 + 1, 2.0**53, -0.0, 0.0, 2.0**63, -(2.0**63), 0.5]))


@settings(max_examples=400, deadline=None)
@given(NUMBERS, NUMBERS)
def test_number_code_orders_exactly(a: float, b: float) -> None:
    ka, kb = number_code(a), number_code(b)
    assert (ka < kb) == (a < b) and (ka == kb) == (a == b)
    assert len(ka) in (17, 33) and len(kb) in (17, 33)
    assert (canonical(a) == canonical(b)) == (a == b)


def test_instant_codes_and_canonical_equality() -> None:
    naive = datetime(2021, 6, 1, 12, 0)
    aware = datetime(2021, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert instant_code(naive) == instant_code(aware)
    before = datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    assert instant_code(before) < instant_code(datetime(1970, 1, 1)) < instant_code(
        datetime(9999, 12, 31))
    assert instant_code(datetime(1, 1, 1)) < instant_code(before)
    pairs = [(1, 1.0), (True, 1), ([1, None], [1.0, None]), ({"a": 1}, {"a": 1.0}),
             ("1", 1), ({"a": [True]}, {"a": [1]}), (naive, aware)]
    for left, right in pairs:
        assert (canonical(left) == canonical(right)) == values_equal(left, right)


def test_like_and_regex_translation() -> None:
    assert like_to_wildcard("a%b_c") == "a*b?c"
    assert like_to_wildcard("\\%*?\\\\") == "%\\*\\?\\\\"
    assert like_to_wildcard("ÉM%", ignore_case=True) == "ém*"
    assert fold("ÉmIlE") == "émile" and len(fold("İſ")) == 2
    assert regex_to_lucene("da") == ".*(da).*"
    assert regex_to_lucene("^[A-D]") == "([A-D]).*"
    assert regex_to_lucene("(ob|y)$") == ".*((ob|y))"
    assert regex_to_lucene("^a|b$") == "((a).*)|(.*(b))"
    assert regex_to_lucene("a\\$") == ".*(a\\$).*"
    assert regex_to_lucene('@#&~<>"') == '.*(\\@\\#\\&\\~\\<\\>\\").*'
    assert regex_to_lucene("[]a-]") == ".*([\\]a\\-]).*"
    assert regex_to_lucene("(|a)") == ".*((()|a)).*"
    assert number_code(1e308) > number_code(2**63 - 1) > number_code(0.5)


@pytest.mark.parametrize("text_subfield", [True, False])
def test_strings_have_a_text_subfield_for_direct_full_text_queries(
        es_options: dict[str, Any], text_subfield: bool) -> None:
    from dataknobs_data.adapters.elasticsearch.serializer import SHADOW_FIELD

    database = ElasticsearchDatabase(**es_options, text_subfield=text_subfield)
    try:
        database.create(Record({"title": "The Quick brown fox"}, id="t1"))
        database.create(Record({"title": "lazy dogs"}, id="t2"))
        keyword = f"{SHADOW_FIELD}.{field_name('title')}.s"
        mapping = database.client.indices.get_mapping(index=database.index)
        props = mapping[database.index]["mappings"]["properties"][SHADOW_FIELD]["properties"]
        string_field = props[field_name("title")]["properties"]["s"]
        assert string_field["type"] == "keyword"
        assert ("text" in string_field.get("fields", {})) is text_subfield
        if text_subfield:
            found = database.client.search(
                index=database.index, query={"match": {f"{keyword}.text": "quick"}})
            assert [hit["_id"] for hit in found["hits"]["hits"]] == ["t1"]
        # the adapter's own operators stay exact either way
        assert ids(database.search(Query().filter("title", Operator.EQ, "lazy dogs"))) == ["t2"]
    finally:
        database.close()
