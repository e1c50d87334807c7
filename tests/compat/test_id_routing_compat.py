"""dataknobs-data 0.11 programs that query and sort on ``id``: the path names the record's
storage key (``record.id``) on every backend, never a data field called ``id``.

The same rules run on PostgreSQL, Elasticsearch and S3 through the specification's examples
(docs/query-semantics.md R75-R77, run by each backend's conformance suite); these tests are
written the way a 0.11 user program reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data import AsyncDatabase, Query, Record, SyncDatabase
from dataknobs_data.domain import matches
from dataknobs_data.domain.query import (
    RESERVED_KEY_FIELD,
    Filter,
    is_storage_key_field,
)
from dataknobs_data.query import Operator


@pytest.fixture(params=["memory", "file"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "file":
        store = SyncDatabase.from_backend("file", config={"path": str(tmp_path / "t.json")})
    else:
        store = SyncDatabase.from_backend("memory")
    yield store
    store.close()


def _ids(records: list[Record]) -> list[str | None]:
    return [r.id for r in records]


def test_the_reserved_name_is_id() -> None:
    assert RESERVED_KEY_FIELD == "id"
    assert is_storage_key_field("id")
    assert not is_storage_key_field("node_id")
    assert not is_storage_key_field("id.x")


def test_every_operator_on_id_reads_the_storage_key(db: Any) -> None:
    for i in range(5):
        db.create(Record(id=str(i), data={"value": i * 10}))
    cases: list[tuple[Operator, Any, list[str]]] = [
        (Operator.EQ, "3", ["3"]),
        (Operator.NEQ, "3", ["0", "1", "2", "4"]),
        (Operator.GT, "2", ["3", "4"]),
        (Operator.GTE, "3", ["3", "4"]),
        (Operator.LT, "2", ["0", "1"]),
        (Operator.LTE, "1", ["0", "1"]),
        (Operator.IN, ["0", "2", "4"], ["0", "2", "4"]),
        (Operator.NOT_IN, ["0", "2", "4"], ["1", "3"]),
        (Operator.BETWEEN, ["1", "3"], ["1", "2", "3"]),
        (Operator.NOT_BETWEEN, ["1", "3"], ["0", "4"]),
        (Operator.LIKE, "_", ["0", "1", "2", "3", "4"]),
        (Operator.EXISTS, None, ["0", "1", "2", "3", "4"]),
        (Operator.NOT_EXISTS, None, []),
        (Operator.EQ, 3, []),  # ids are strings: no coercion
    ]
    for op, value, expected in cases:
        query = Query().filter("id", op, value).sort_by("id", "asc")
        assert _ids(db.search(query)) == expected, (op, value)
        assert db.count(query) == len(expected), (op, value)
        assert _ids(list(db.stream_read(query))) == expected, (op, value)


def test_ids_compare_as_strings_and_page_in_id_order(db: Any) -> None:
    for i in [1, 2, 10, 20, 100]:
        db.create(Record(id=str(i), data={"value": i}))
    assert _ids(db.search(Query().filter("id", Operator.GT, "2").sort_by("id"))) == ["20"]
    db.clear()
    for i in range(10):
        db.create(Record(id=str(i).zfill(2), data={"value": i}))
    query = Query().filter("id", Operator.GTE, "03").sort_by("id", "asc").limit(3).offset(2)
    assert _ids(db.search(query)) == ["05", "06", "07"]
    assert _ids(db.search(Query().sort_by("id", "desc").limit(2))) == ["09", "08"]


def test_id_filters_combine_with_data_filters(db: Any) -> None:
    for i in range(10):
        db.create(Record(id=str(i), data={"value": i * 10,
                                          "category": "even" if i % 2 == 0 else "odd"}))
    query = (Query().filter("id", Operator.GT, "3").filter("category", Operator.EQ, "even")
             .sort_by("id", "asc"))
    assert _ids(db.search(query)) == ["4", "6", "8"]
    either = Query().or_(Filter("id", Operator.EQ, "1"), Filter("value", Operator.EQ, 90))
    assert _ids(db.search(either)) == ["1", "9"]
    assert db.count(Query().not_(Filter("id", Operator.IN, ["1", "2"]))) == 8


def test_a_data_field_named_id_is_kept_but_not_queried(db: Any) -> None:
    db.create(Record(id="a", data={"id": "b", "n": 1}))
    db.create(Record(id="b", data={"id": 7, "n": 2}))
    db.create(Record(id="c", data={"n": 3}))
    assert db.read("a").data == {"id": "b", "n": 1}
    assert db.read("b").data["id"] == 7
    assert _ids(db.search(Query().filter("id", Operator.EQ, "b"))) == ["b"]
    assert db.count(Query().filter("id", Operator.EQ, 7)) == 0
    assert _ids(db.search(Query().sort_by("id", "desc"))) == ["c", "b", "a"]
    projected = db.search(Query().filter("id", Operator.EQ, "a").select("id"))
    assert [(r.id, r.data) for r in projected] == [("a", {"id": "b"})]


def test_a_memory_index_on_a_data_field_named_id_never_answers_id_filters() -> None:
    from dataknobs_data.adapters.memory import MemoryDatabase

    store = MemoryDatabase(indexes=["id"])
    store.create(Record(id="x", data={"id": "y"}))
    store.create(Record(id="y", data={"id": "x"}))
    assert _ids(store.search(Query().filter("id", Operator.EQ, "x"))) == ["x"]
    assert _ids(store.search(Query().filter("id", Operator.IN, ["y", "z"]))) == ["y"]
    assert store.count(Query().filter("id", Operator.IN, ["x", "y", 1])) == 2
    store.delete("x")
    assert store.count(Query().filter("id", Operator.NOT_EXISTS)) == 0
    assert store.count(Query().filter("id", Operator.NEQ, "q")) == 1


def test_a_query_matches_a_record_by_its_id() -> None:
    query = Query().filter("id", Operator.STARTS_WITH, "user-")
    assert matches(Record({"id": "team-1"}, id="user-1"), query)
    assert not matches(Record({"id": "user-1"}, id="team-1"), query)
    assert not matches({"id": "user-1"}, query)  # a bare data dict has no id
    either = Query().or_(Filter("id", Operator.EQ, "a"), Filter("n", Operator.EQ, 1)).condition
    assert either is not None and either.matches(Record({"n": 2}, id="a"))


async def test_async_memory_routes_id_too() -> None:
    store = await AsyncDatabase.from_backend("memory")
    for rid in ["b", "a", "c"]:
        await store.create(Record(id=rid, data={"v": 1}))
    query = Query().filter("id", Operator.NEQ, "b").sort_by("id", "desc")
    assert _ids(await store.search(query)) == ["c", "a"]
    assert await store.count(query) == 2
