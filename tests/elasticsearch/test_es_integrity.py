"""Elasticsearch integrity limits: a record costs memory linear in its size, nesting beyond
``MAX_DEPTH`` and lone surrogates (values, keys, ids, query operands) are refused with an
error naming the path, and nothing refused is stored (issue 12, items 6 and 7).

The serializer tests need no server; the rest run against osmem-server (or
``DATAKNOBS_TEST_ES_URL``) through the ``es_options`` fixture.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataknobs_data import Operator, Query, Record
from dataknobs_data.adapters.elasticsearch import (
    AsyncElasticsearchDatabase,
    ElasticsearchDatabase,
)
from dataknobs_data.adapters.elasticsearch.serializer import (
    MAX_DEPTH,
    MAX_PLAIN_NAME,
    equality_key,
    field_name,
    iter_paths,
    to_document,
)
from dataknobs_data.domain.errors import (
    BatchOperationError,
    DataError,
    InvalidRecordIdError,
    QueryError,
    SerializationError,
)
from dataknobs_data.domain.values import values_equal


@pytest.fixture
def db(es_options: dict[str, Any]) -> Iterator[ElasticsearchDatabase]:
    with ElasticsearchDatabase(**es_options) as database:
        yield database


def nested(depth: int, key: str = "k") -> Any:
    """A value ``depth`` levels deep, lists and objects alternating, quotes and
    backslashes at every level (what the old canonical form escaped again per level)."""
    value: Any = 'q"\\'
    for level in range(depth):
        value = {f"{key}{level}": value, "t": 'x"\\y'} if level % 2 else [value, 'x"\\']
    return value


def nested_objects(depth: int, key: str) -> Any:
    """Objects only (every level is an addressable path), ``depth`` levels deep."""
    value: Any = 1
    for level in range(depth):
        value = {f"{key}{level}": value}
    return value


def document_peak(data: dict[str, Any]) -> int:
    """Peak bytes allocated while building the document of a record."""
    record = Record(data, id="r")
    tracemalloc.start()
    try:
        to_document("r", record)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- item 6: memory linear in the record ---------------------------------------------------------
def test_document_memory_is_linear_in_depth_and_key_length() -> None:
    # Check doubling the depth roughly doubles the peak (it doubled per level: depth 28
    # took 1.4 GiB); measured at small depths first so a regression fails fast
    small, double = document_peak({"f": nested(8)}), document_peak({"f": nested(16)})
    assert double < 3 * small, (small, double)
    small, double = document_peak({"f": nested(40)}), document_peak({"f": nested(80)})
    assert double < 3 * small, (small, double)
    # Check long keys at every level cost linear memory too: shadow names of deep paths
    # are hashed, not the whole dotted path escaped per level (quadratic: 16x for 4x depth)
    key = "é" * 2000
    shallow = document_peak({"f": nested_objects(10, key)})
    deep = document_peak({"f": nested_objects(40, key)})
    assert deep < 6 * shallow, (shallow, deep)
    doc = to_document("r", Record({"f": nested_objects(40, key)}, id="r"))
    assert max(map(len, doc["q"])) <= MAX_PLAIN_NAME
    assert len(doc["q"]) == 41


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.5, -0.0, 1.0, 2**63 - 1]),
    st.sampled_from(["", "a", '"', "\\", ", ", "null", "l:[", "o:[", "#", "]", '["a", "n:1"]']),
    st.sampled_from([datetime(2020, 1, 1), datetime(2020, 1, 1, tzinfo=UTC)]))
VALUES = st.recursive(
    SCALARS, lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", '"', "", "a, b"]), inner, max_size=3)),
    max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(VALUES, VALUES)
def test_equality_key_is_equal_exactly_when_values_are(a: Any, b: Any) -> None:
    if a is None or b is None:
        return
    assert (equality_key(a) == equality_key(b)) == values_equal(a, b)
    assert (equality_key([a]) == equality_key([b])) == values_equal(a, b)
    assert (equality_key({"x": [a, {"y": a}]}) == equality_key({"x": [b, {"y": b}]})) == \
        values_equal(a, b)


def test_equality_key_keeps_the_flat_form() -> None:
    # one level of scalars keeps the form indexes already hold
    assert equality_key([1, None, "x"]) == 'l:["n:1", null, "s:x"]'
    assert equality_key({"b": 1, "a": None}) == 'o:[["a", null], ["b", "n:1"]]'


KEYS = st.one_of(st.text(max_size=4), st.sampled_from(["a" * 150, "é" * 40, "x.y", ""]))
OBJECTS = st.recursive(st.integers(0, 3), lambda inner: st.dictionaries(KEYS, inner, max_size=3),
                       max_leaves=10)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, OBJECTS, max_size=4))
def test_shadow_names_are_the_field_names_of_the_paths(data: dict[str, Any]) -> None:
    def paths(value: dict[str, Any], prefix: str = "") -> Iterator[str]:
        for key, item in value.items():
            if key and "." not in key and item is not None:
                yield prefix + key
                if type(item) is dict:
                    yield from paths(item, prefix + key + ".")

    assert [name for name, _ in iter_paths(data)] == [field_name(p) for p in paths(data)]


def test_long_field_names_are_hashed_and_distinct() -> None:
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    names = {field_name(long_a), field_name(long_b), field_name("a" * 199), field_name("a")}
    assert len(names) == 4
    assert all(len(n) <= MAX_PLAIN_NAME for n in names)
    assert field_name(long_a).startswith("h") and field_name("a" * 199).startswith("f")


def test_long_and_deep_keys_are_queryable(db: ElasticsearchDatabase) -> None:
    key = "k" * 10_000
    data = {key: {key: "deep"}, "n": nested_objects(60, "level-")}
    db.create(Record(data, id="long"))
    db.create(Record({key: {key: "other"}}, id="other"))
    got = db.read("long")
    assert got is not None and got.data == data
    path = "n." + ".".join(f"level-{i}" for i in reversed(range(60)))
    assert [r.id for r in db.search(Query().filter(f"{key}.{key}", Operator.EQ, "deep"))] == [
        "long"]
    assert [r.id for r in db.search(Query().filter(path, Operator.EQ, 1))] == ["long"]
    assert [r.id for r in db.search(Query().sort(f"{key}.{key}"))] == ["long", "other"]


# --- item 6: the documented depth limit --------------------------------------------------------
def test_nesting_to_the_limit_is_stored_and_beyond_it_refused(db: ElasticsearchDatabase) -> None:
    at_limit = {"f": nested(MAX_DEPTH), "g": nested_objects(MAX_DEPTH, "o")}
    db.create(Record(at_limit, metadata={"m": nested(MAX_DEPTH)}, id="ok"))
    got = db.read("ok")
    assert got is not None and got.data == at_limit and got.metadata == {"m": nested(MAX_DEPTH)}
    assert db.count(Query().filter("f", Operator.EQ, nested(MAX_DEPTH))) == 1
    # Check one level more (and the depth that was killed by the OOM killer) is refused,
    # naming the record and the path, by every write
    for depth in (MAX_DEPTH + 1, 200):
        too_deep = Record({"f": nested(depth)}, id="deep")
        with pytest.raises(SerializationError,
                           match=r"record 'deep': data\.f(\.k\d+)?\[0\]\.k") as info:
            db.create(too_deep)
        assert f"deeper than {MAX_DEPTH} levels" in str(info.value)
    with pytest.raises(SerializationError, match=r"'deep': data\.g\.o100\.o99\..*\.o1: nested"):
        db.create(Record({"g": nested_objects(MAX_DEPTH + 1, "o")}, id="deep"))
    with pytest.raises(SerializationError, match=r"'deep': metadata\.m"):
        db.create(Record({}, metadata={"m": nested(MAX_DEPTH + 1)}, id="deep"))
    with pytest.raises(SerializationError, match=r"'ok': data\.f"):
        db.update("ok", Record({"f": nested(MAX_DEPTH + 1)}))
    with pytest.raises(SerializationError, match=r"'deep': data\.f"):
        db.upsert("deep", Record({"f": nested(MAX_DEPTH + 1)}))
    # A batch holding one record too deep is refused before anything is written
    with pytest.raises(BatchOperationError) as batch:
        db.create_batch([Record({"v": 1}, id="b0"), Record({"f": nested(MAX_DEPTH + 1)}, id="b1")])
    assert set(batch.value.failed) == {1} and batch.value.succeeded == {}
    assert isinstance(batch.value.failed[1], SerializationError)
    db.create(Record({"v": 1}, id="b0"))
    with pytest.raises(SerializationError, match=r"'b0': data\.f"):
        db.update_batch([("ok", Record({"v": 2})), ("b0", Record({"f": nested(MAX_DEPTH + 1)}))])
    with pytest.raises(SerializationError, match=r"'b2': data\.f"):
        db.upsert_batch([Record({"v": 3}, id="b3"), Record({"f": nested(MAX_DEPTH + 1)}, id="b2")])
    # Check nothing refused was stored or changed
    assert sorted(r.id or "" for r in db.all()) == ["b0", "ok"]
    assert db.read("ok") == Record(at_limit, metadata={"m": nested(MAX_DEPTH)}, id="ok")
    assert db.read("b0") == Record({"v": 1}, id="b0")
    # Check an operand deeper than any stored value is refused, naming the filter
    with pytest.raises(QueryError, match=r"'f' EQ.*deeper than"):
        db.search(Query().filter("f", Operator.EQ, nested(MAX_DEPTH + 1)))


# --- item 7: lone surrogates -------------------------------------------------------------------
def test_lone_surrogates_are_refused_naming_the_path(db: ElasticsearchDatabase) -> None:
    db.create(Record({"v": "kept"}, id="s0"))
    bad = [({"v": "a\ud800b"}, {}, r"data\.v: lone surrogate '\\ud800' at position 1"),
           ({"a": {"k\udc00": 1}}, {}, r"data\.a: key 'k\\udc00'"),
           ({"l": [1, ["\udfff"]]}, {}, r"data\.l\[1\]\[0\]"),
           ({"v": 1}, {"m": "\ud800"}, r"metadata\.m")]
    for data, metadata, message in bad:
        record = Record(data, metadata=metadata)
        with pytest.raises(SerializationError, match=message):
            db.create(Record(data, metadata=metadata, id="s1"))
        with pytest.raises(SerializationError, match="'s0': " + message):
            db.update("s0", record)
        with pytest.raises(SerializationError, match="'s1': " + message):
            db.upsert("s1", record)
        with pytest.raises(BatchOperationError) as batch:
            db.create_batch([Record(data, metadata=metadata, id="s1"),
                             Record({"v": 2}, id="s2")])
        assert set(batch.value.failed) == {0}
        assert isinstance(batch.value.failed[0], SerializationError)
        with pytest.raises(BatchOperationError) as batch:
            db.upsert_batch([Record(data, metadata=metadata, id="s1")])
        with pytest.raises(BatchOperationError) as batch:
            db.update_batch([("s0", record)])
        assert set(batch.value.failed) == {0}
        db.delete("s2")
    # Check nothing refused was stored (the server would have stored U+FFFD instead)
    assert [(r.id, r.data) for r in db.all()] == [("s0", {"v": "kept"})]
    # Check query operands are refused, naming the filter: no stored string can match them,
    # and the server would compare another string
    for query in (Query().filter("v", Operator.EQ, "a\ud800b"),
                  Query().filter("v", Operator.NEQ, "\udc00"),
                  Query().filter("v", Operator.IN, ["ok", "\ud800"]),
                  Query().filter("v", Operator.LIKE, "%\ud800%"),
                  Query().filter("v", Operator.BETWEEN, ("a", "\ud800")),
                  Query().filter("v", Operator.EQ, {"k\ud800": 1})):
        with pytest.raises(QueryError, match=r"filter 'v' .*lone surrogate"):
            db.search(query)
        with pytest.raises(QueryError, match="lone surrogate"):
            db.count(query)
    # a field path with a surrogate names a field no record has: it matches nothing
    assert db.count(Query().filter("v\ud800", Operator.EXISTS)) == 0


def test_ids_elasticsearch_cannot_hold_are_refused_and_never_found(
        db: ElasticsearchDatabase) -> None:
    db.create(Record({"v": 1}, id="ok"))
    for bad_id, reason in (("a\ud800", "lone surrogate"), ("é" * 257, "514 UTF-8 bytes")):
        with pytest.raises(InvalidRecordIdError, match=reason):
            db.create(Record({"v": 1}, id=bad_id))
        with pytest.raises(InvalidRecordIdError, match=reason):
            db.upsert(bad_id, Record({"v": 1}))
        with pytest.raises(BatchOperationError) as batch:
            db.create_batch([Record({"v": 1}, id=bad_id), Record({"v": 2}, id="fine")])
        assert set(batch.value.failed) == {0} and batch.value.succeeded == {1: "fine"}
        assert isinstance(batch.value.failed[0], InvalidRecordIdError)
        with pytest.raises(BatchOperationError) as batch:
            db.upsert_batch([Record({"v": 1}, id=bad_id)])
        assert isinstance(batch.value.failed[0], InvalidRecordIdError)
        # Check lookups find nothing (such an id is never stored) and never reach the
        # server (the client raised UnicodeEncodeError on a lone surrogate)
        assert db.read(bad_id) is None and not db.exists(bad_id)
        assert db.get_version(bad_id) is None and db.delete(bad_id) is False
        assert db.update(bad_id, Record({"v": 3})) is False
        assert [r.id if r else None for r in db.read_batch(["ok", bad_id])] == ["ok", None]
        assert db.update_batch([(bad_id, Record({"v": 3})), ("fine", Record({"v": 3}))]) == [
            False, True]
        assert db.delete_batch([bad_id, "fine"]) == [False, True]
    assert [(r.id, r.data) for r in db.all()] == [("ok", {"v": 1})]
    # Check ids the server can hold are stored exactly: control characters, NUL,
    # CR LF, noncharacters, 512 bytes exactly
    odd = ["nul\x00id", "cr\r\nlf", "\x7f\x1b", " ", "\ufeff", "\uffff", "\U0010ffff",
           "é" * 256]
    db.create_batch([Record({"i": i}, id=rid) for i, rid in enumerate(odd)])
    for i, rid in enumerate(odd):
        assert db.read(rid) == Record({"i": i}, id=rid)


def test_async_adapter_refuses_the_same(es_options: dict[str, Any]) -> None:
    async def run() -> None:
        database = AsyncElasticsearchDatabase(**es_options)
        try:
            with pytest.raises(SerializationError, match=r"data\.v: lone surrogate"):
                await database.create(Record({"v": "\ud800"}, id="a"))
            with pytest.raises(SerializationError, match="deeper than"):
                await database.upsert("a", Record({"f": nested(MAX_DEPTH + 1)}))
            with pytest.raises(InvalidRecordIdError, match="lone surrogate"):
                await database.create(Record({}, id="\udc00"))
            assert await database.read("\udc00") is None
            with pytest.raises(QueryError, match="lone surrogate"):
                await database.search(Query().filter("v", Operator.EQ, "\ud800"))
            assert await database.count() == 0
        finally:
            await database.close()

    asyncio.run(run())


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_dot_segment_ids_reach_their_record(es_options: dict[str, Any],
                                            asynchronous: bool) -> None:
    # aiohttp normalized the URL of record '..' to the index itself (found by the fidelity
    # suite): every single-record operation must address the record
    async def run(database: Any) -> None:
        async def call(result: Any) -> Any:
            return await result if asynchronous else result

        try:
            for rid in (".", "..", "./..", "a/../b"):
                await call(database.create(Record({"v": rid}, id=rid)))
                assert await call(database.read(rid)) == Record({"v": rid}, id=rid)
                assert await call(database.update(rid, Record({"v": 2}))) is True
                await call(database.upsert(rid, Record({"v": 3})))
                assert (await call(database.get_version(rid))) is not None
                assert await call(database.read(rid)) == Record({"v": 3}, id=rid)
            assert await call(database.count()) == 4
            for rid in (".", "..", "./..", "a/../b"):
                assert await call(database.delete(rid)) is True
            assert await call(database.count()) == 0
        finally:
            await call(database.close())

    if asynchronous:
        asyncio.run(run(AsyncElasticsearchDatabase(**es_options)))
    else:
        asyncio.run(run(ElasticsearchDatabase(**es_options)))


def test_mapping_field_limit_refuses_the_record_clearly(es_options: dict[str, Any]) -> None:
    # every distinct path maps a few shadow fields; index.mapping.total_fields.limit
    # (20000 by default here, index_settings raise it) bounds them over the index's life
    database = ElasticsearchDatabase(
        **es_options, index_settings={"index.mapping.total_fields.limit": 40})
    try:
        database.create(Record({"a": 1}, id="small"))
        wide = Record({f"k{i}": i for i in range(40)}, id="wide")
        with pytest.raises(DataError, match=r"'wide'.*[Ll]imit of total fields"):
            database.create(wide)
        with pytest.raises(BatchOperationError) as batch:
            database.create_batch([wide, Record({"a": 2}, id="fits")])
        assert set(batch.value.failed) == {0} and batch.value.succeeded == {1: "fits"}
        assert isinstance(batch.value.failed[0], DataError)
        assert "wide" in str(batch.value.failed[0])
        assert sorted(r.id or "" for r in database.all()) == ["fits", "small"]
    finally:
        database.close()
