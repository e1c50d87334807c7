"""Hostile and awkward input: every case is stored exactly or refused with a clear domain
error -- never injected, never silently altered, never half-written."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from dataknobs_data import Operator, Query, Record
from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.domain.errors import (
    BatchOperationError,
    InvalidRecordIdError,
    SerializationError,
    UnsupportedQueryError,
)
from dataknobs_data.testing.servers.postgres import PostgresTestServer

MakeDb = Callable[..., PostgresDatabase]
HOSTILE_KEYS = ['a"; DROP TABLE x; --', "'); DROP TABLE x; --", "%s", "%(x)s", "100%",
                "back\\slash", "$id", "$datetime", "tab\tkey", "ünï 🎉", "a'b\"c"]
AWKWARD_VALUES = ["it's", 'say "hi"', "back\\slash", "\\x00 is not NUL", "%s %(x)s %%",
                  "line\nbreak\ttab\r", "'; DROP TABLE x; --", "\\", "🎉\uffff\ue000", ""]


def table_count(pg_server: PostgresTestServer, table: str) -> int:
    return int(pg_server.execute(f'SELECT count(*) FROM "{table}"', ())[0][0])


def test_hostile_field_names_are_stored_and_queried(make_db: MakeDb, pg_table: str,
                                                    pg_server: PostgresTestServer) -> None:
    db = make_db(indexes=[HOSTILE_KEYS[0], {"field": HOSTILE_KEYS[1], "type": "text"}])
    data = {key: f"v-{i}" for i, key in enumerate(HOSTILE_KEYS)}
    data["nest"] = {key: i for i, key in enumerate(HOSTILE_KEYS)}
    db.create(Record(data, id="k"))
    got = db.read("k")
    assert got is not None and got.data == data
    for i, key in enumerate(HOSTILE_KEYS):
        assert [r.id for r in db.search(Query().filter(key, Operator.EQ, f"v-{i}"))] == ["k"]
        assert db.count(Query().filter(f"nest.{key}", Operator.EQ, i)) == 1
        assert db.count(Query().filter(key, Operator.LIKE, "v-%")) == 1
    projected = db.search(Query().select(HOSTILE_KEYS[0], f"nest.{HOSTILE_KEYS[2]}"))
    assert projected[0].data == {HOSTILE_KEYS[0]: "v-0", "nest": {HOSTILE_KEYS[2]: 2}}
    assert db.search(Query().sort(HOSTILE_KEYS[3]))[0].id == "k"
    assert table_count(pg_server, pg_table) == 1  # the table is still there, untouched


@pytest.mark.parametrize("value", AWKWARD_VALUES)
def test_quotes_and_backslashes_in_values_and_ids(make_db: MakeDb, value: str) -> None:
    db = make_db(copy_threshold=1)  # the COPY path escapes these too
    rid = "id " + value if value else "id-empty"
    db.create_batch([Record({"v": value, "list": [value]}, id=rid)])
    db.create(Record({"v": value}, id=rid + "-single"))
    got = db.read(rid)
    assert got is not None and got.data == {"v": value, "list": [value]}
    assert sorted(r.id for r in db.search(Query().filter("v", Operator.EQ, value))) == [
        rid, rid + "-single"]
    assert db.count(Query().filter("v", Operator.STARTS_WITH, value)) == 2
    assert db.count(Query().filter("v", Operator.IN, [value, "other"])) == 2
    assert db.delete(rid) is True and db.exists(rid) is False


def test_nul_is_refused_with_the_path_and_nothing_is_stored(make_db: MakeDb) -> None:
    # jsonb and text cannot hold U+0000; the adapter refuses, naming where it is
    db = make_db()
    with pytest.raises(SerializationError, match=r"data\.a\.b.*NUL"):
        db.create(Record({"a": {"b": "x\x00y"}}, id="k"))
    with pytest.raises(SerializationError, match="key"):
        db.create(Record({"k\x00": 1}, id="k"))
    with pytest.raises(SerializationError, match="metadata"):
        db.create(Record({"a": 1}, id="k", metadata={"m": ["\x00"]}))
    with pytest.raises(InvalidRecordIdError, match=r"record id.*NUL"):
        db.create(Record({"a": 1}, id="bad\x00id"))
    with pytest.raises(SerializationError):
        db.upsert("k2", Record({"a": "\x00"}))
    assert db.count() == 0
    db.create(Record({"a": "clean"}, id="k"))
    with pytest.raises(SerializationError):
        db.update("k", Record({"a": "\x00"}))
    assert db.read("k")["a"] == "clean"
    # an id with NUL can name no stored record
    assert db.read("bad\x00id") is None and db.exists("bad\x00id") is False
    assert db.delete("bad\x00id") is False
    # a query operand with NUL matches nothing (equality, patterns) or is refused (REGEX)
    assert db.count(Query().filter("a", Operator.EQ, "clean\x00")) == 0
    assert db.count(Query().filter("a", Operator.NEQ, "clean\x00")) == 1
    with pytest.raises(UnsupportedQueryError):
        db.count(Query().filter("a", Operator.REGEX, "\x00"))


@pytest.mark.parametrize("copy_threshold", [1, 1000])
def test_nul_in_a_batch_writes_none_and_reports_each(make_db: MakeDb,
                                                      copy_threshold: int) -> None:
    db = make_db(copy_threshold=copy_threshold)
    records = [Record({"n": i}) for i in range(20)]
    records[5] = Record({"n": "five\x00"})
    records[17] = Record({"n": {"x\x00": 1}})
    with pytest.raises(BatchOperationError) as info:
        db.create_batch(records)
    assert set(info.value.failed) == {5, 17} and info.value.succeeded == {}
    assert db.count() == 0


def test_ten_megabyte_record(make_db: MakeDb) -> None:
    db = make_db()
    big = {"text": "x" * (10 * 1024 * 1024), "many": {f"f{i}": i for i in range(20_000)}}
    db.create(Record(big, id="big"))
    got = db.read("big")
    assert got is not None and got.data == big
    assert db.count(Query().filter("many.f19999", Operator.EQ, 19_999)) == 1


@pytest.mark.parametrize("value", [object(), {1, 2}, b"bytes", float("nan"), float("inf"),
                                   2**64, {1: "int key"}])
def test_values_that_are_not_json_are_refused(make_db: MakeDb, value: Any) -> None:
    db = make_db()
    with pytest.raises(SerializationError):
        db.create(Record({"bad": value}, id="k"))
    with pytest.raises(BatchOperationError) as info:
        db.create_batch([Record({"ok": 1}), Record({"bad": value})])
    assert set(info.value.failed) == {1}
    assert db.count() == 0


def test_async_bad_input(make_async_db: Callable[..., AsyncPostgresDatabase]) -> None:
    async def scenario() -> None:
        db = make_async_db(copy_threshold=1)
        try:
            key = HOSTILE_KEYS[0]
            await db.create(Record({key: "it's \\ %s"}, id="k'\\"))
            got = await db.read("k'\\")
            assert got is not None and got[key] == "it's \\ %s"
            with pytest.raises(BatchOperationError) as info:
                await db.create_batch([Record({"a": 1}), Record({"a": "\x00"})])
            assert set(info.value.failed) == {1}
            assert await db.count() == 1
        finally:
            await db.close()

    asyncio.run(scenario())
