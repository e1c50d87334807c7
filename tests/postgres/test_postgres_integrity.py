"""Integrity of what the PostgreSQL adapters store and query (issue 12).

* Field names are SQL literals: with ``standard_conforming_strings`` off a backslash escapes
  the closing quote of a hand-quoted literal, so a crafted field name once ran its own SQL.
* ``-0.0`` keeps its sign (jsonb's numeric has no negative zero), while queries still see zero.
* Text PostgreSQL cannot hold (lone surrogates, NUL) and ids the table cannot hold are refused
  with a domain error naming the path or id, never a driver's ``UnicodeEncodeError``.

Every test runs on the sync and the async adapter.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest

from dataknobs_data import Operator, Query, Record, SortOrder
from dataknobs_data.adapters.memory import MemoryDatabase
from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.adapters.postgres.serializer import MAX_ID_BYTES
from dataknobs_data.domain.errors import (
    BatchOperationError,
    InvalidRecordIdError,
    SerializationError,
    UnsupportedQueryError,
)
from dataknobs_data.ports.flows import Call, Flow
from dataknobs_data.testing.runner import AsyncAsSync, EventLoopThread
from dataknobs_data.testing.servers.postgres import PostgresTestServer

Open = Callable[..., Any]


def with_scs(dsn: str, value: str) -> str:
    """``dsn`` with ``standard_conforming_strings`` set for every connection it opens."""
    option = f"-c standard_conforming_strings={value}"
    if dsn.startswith(("postgresql://", "postgres://")):
        return dsn + ("&" if "?" in dsn else "?") + "options=" + quote(option)
    return f"{dsn} options='{option}'"


@pytest.fixture(params=["sync", "async"])
def open_db(request: pytest.FixtureRequest, pg_options: dict[str, Any]) -> Iterator[Open]:
    """Open adapters on the test's table, sync or async, each seen through the sync port."""
    runner = EventLoopThread()
    opened: list[Any] = []

    def open_(**overrides: Any) -> Any:
        options = {**pg_options, **overrides}
        if request.param == "sync":
            db: Any = PostgresDatabase(**options)
        else:
            db = AsyncAsSync(AsyncPostgresDatabase(**options), runner)
        opened.append(db)
        return db

    try:
        yield open_
    finally:
        for db in opened:
            db.close()
        runner.stop()


def setting_on_the_adapters_connection(db: Any) -> str:
    """``standard_conforming_strings`` as the adapter's own connections see it (a flow run
    by the adapter's own driver, like every operation)."""
    sql = "SELECT current_setting('standard_conforming_strings')"

    def work(cur: Any) -> Flow:
        yield Call("execute", (sql, []), on=cur)
        return (yield Call("fetchone", on=cur))[0]

    return str(db._drive(db._run("probe", work)))


# -- 1. field names are literals quoted by the driver --------------------------------------
def hostile_names(victim: str) -> list[str]:
    """Field names that close a hand-quoted literal when backslashes escape quotes."""
    return [
        f"x\\') IS NULL); DROP TABLE {victim}; --",
        f"x\\' = 'x' OR (SELECT count(*) FROM {victim}) > 0 OR 'x",
        "\\'",
        "\\",
        "ends with \\",
        "\\\\'' quote mix %s %% \\",
    ]


@pytest.mark.parametrize("scs", ["off", "on"])
def test_field_names_with_backslash_and_quote_cannot_inject(
        open_db: Open, pg_server: PostgresTestServer, pg_options: dict[str, Any],
        scs: str) -> None:
    victim = pg_server.new_table("dk_victim")
    pg_server.execute(f'CREATE TABLE "{victim}" (x int)', ())
    try:
        names = hostile_names(victim)
        db = open_db(dsn=with_scs(pg_options["dsn"], scs),
                     indexes=[names[0], {"field": names[1], "type": "text"}])
        # Check the setting really is in force on the adapter's connections
        assert setting_on_the_adapters_connection(db) == scs
        data: dict[str, Any] = {name: f"v{i} \\' it's" for i, name in enumerate(names)}
        data["nest"] = {name: i for i, name in enumerate(names)}
        db.create(Record(data, id="hit"))
        db.create(Record({"other": 1}, id="miss"))
        got = db.read("hit")
        assert got is not None and got.data == data
        for i, name in enumerate(names):
            value = f"v{i} \\' it's"
            assert [r.id for r in db.search(Query().filter(name, Operator.EQ, value))] == ["hit"]
            assert db.count(Query().filter(name, Operator.NEQ, value)) == 0
            assert db.count(Query().filter(name, Operator.EXISTS)) == 1
            assert db.count(Query().filter(name, Operator.NOT_EXISTS)) == 1
            assert db.count(Query().filter(name, Operator.LIKE, f"v{i} %")) == 1
            assert db.count(Query().filter(name, Operator.GTE, "v")) == 1
            assert db.count(Query().filter(f"nest.{name}", Operator.EQ, i)) == 1
            assert db.count(Query().filter("nest", Operator.EQ, data["nest"])) == 1
            assert [r.id for r in db.search(Query().sort(name, SortOrder.DESC))] == [
                "hit", "miss"]
            projected = db.search(Query().filter(name, Operator.EXISTS).select(name))
            assert [r.data for r in projected] == [{name: value}]
        # Check the other table is still there, untouched
        assert pg_server.execute(f'SELECT count(*) FROM "{victim}"', ())[0][0] == 0
    finally:
        pg_server.execute(f'DROP TABLE IF EXISTS "{victim}"', ())


# -- 2. negative zero ------------------------------------------------------------------------
def signs(value: Any) -> Any:
    """``value`` with every float replaced by (value, sign), to compare zeros exactly."""
    if isinstance(value, float):
        return (value, math.copysign(1.0, value))
    if isinstance(value, dict):
        return {k: signs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [signs(v) for v in value]
    return value


ZEROS = {"neg": -0.0, "pos": 0.0, "int": 0, "list": [-0.0, 0.0, [-0.0]],
         "obj": {"z": -0.0, "$z": -0.0}, "tiny": -5e-324, "small": 1e-21, "big": -1e300}


@pytest.mark.parametrize("copy_threshold", [1, 1000])
def test_negative_zero_keeps_its_sign_everywhere(open_db: Open, copy_threshold: int) -> None:
    db = open_db(copy_threshold=copy_threshold)
    meta = {"m": -0.0}
    db.create(Record(ZEROS, id="one", metadata=meta))
    db.create_batch([Record(ZEROS, id="batch", metadata=meta)])
    db.upsert("up", Record(ZEROS, metadata=meta))
    db.create(Record({"neg": 1.0}, id="upd"))
    db.update("upd", Record(ZEROS, metadata=meta))
    db.upsert_batch([Record(ZEROS, id="upb", metadata=meta)])
    ids = ["batch", "one", "upb", "upd", "up"]
    for rid in ids:
        got = db.read(rid)
        assert got is not None
        assert signs(got.data) == signs(ZEROS) and signs(got.metadata) == signs(meta)
    for got in [*db.read_batch(ids), *db.search(Query()), *db.stream_read(Query())]:
        assert got is not None and signs(got.data) == signs(ZEROS)
    projected = db.search(Query().select("neg", "list", "obj.z"))
    assert all(signs(r.data) == signs({k: ZEROS[k] for k in ("neg", "list")} |
                                      {"obj": {"z": -0.0}}) for r in projected)


ZERO_QUERIES = [
    Query().filter("v", Operator.EQ, 0),
    Query().filter("v", Operator.EQ, -0.0),
    Query().filter("v", Operator.EQ, 0.0),
    Query().filter("v", Operator.NEQ, 0),
    Query().filter("v", Operator.IN, [-0.0]),
    Query().filter("v", Operator.NOT_IN, [0]),
    Query().filter("v", Operator.LT, 0),
    Query().filter("v", Operator.LTE, -0.0),
    Query().filter("v", Operator.GT, -0.0),
    Query().filter("v", Operator.GTE, 0),
    Query().filter("v", Operator.BETWEEN, [-0.0, 0.0]),
    Query().filter("v", Operator.EQ, [-0.0]),
    Query().filter("v", Operator.EQ, {"z": 0}),
    Query().sort("v"),
    Query().sort("v", SortOrder.DESC),
]


@pytest.mark.parametrize("query", ZERO_QUERIES, ids=repr)
def test_negative_zero_queries_as_the_reference(open_db: Open, query: Query) -> None:
    # -0.0 equals 0 and 0.0 and sorts with them, exactly as in the memory reference
    records = [Record({"v": v}, id=f"r{i}") for i, v in enumerate(
        [-0.0, 0.0, 0, 1, -1, -0.5, "0", None, [-0.0], [0], {"z": -0.0}, {"z": 0.0}])]
    records.append(Record({}, id="missing"))
    db, reference = open_db(), MemoryDatabase()
    db.create_batch(records)
    reference.create_batch(records)
    assert [r.id for r in db.search(query)] == [r.id for r in reference.search(query)]
    assert db.count(query) == reference.count(query)


# -- 3. text and ids the table cannot hold -------------------------------------------------
@pytest.mark.parametrize(("record", "error", "names"), [
    (Record({"a": {"b": "x\ud800y"}}, id="k"), SerializationError, r"data\.a\.b.*surrogate"),
    (Record({"a": ["ok", "\udfff"]}, id="k"), SerializationError, r"data\.a\[1\].*surrogate"),
    (Record({"k\ud83d": 1}, id="k"), SerializationError, r"key.*surrogate"),
    (Record({"a": 1}, metadata={"m": "\ud800"}, id="k"), SerializationError, "metadata"),
    (Record({"a": "\x00"}, id="k"), SerializationError, r"data\.a.*NUL"),
    (Record({"a": 1}, id="id\ud800"), InvalidRecordIdError, "record id.*surrogate"),
    (Record({"a": 1}, id="id\x00"), InvalidRecordIdError, "record id.*NUL"),
    (Record({"a": 1}, id="x" * (MAX_ID_BYTES + 1)), InvalidRecordIdError, "record id.*bytes"),
    (Record({"a": 1}, id="é" * (MAX_ID_BYTES // 2 + 1)), InvalidRecordIdError, "record id"),
], ids=["value", "list item", "key", "metadata", "nul", "id surrogate", "id nul", "long id",
        "long id in bytes"])
def test_what_postgres_cannot_hold_is_refused_naming_it(
        open_db: Open, record: Record, error: type[Exception], names: str) -> None:
    for copy_threshold in (1, 1000):
        db = open_db(copy_threshold=copy_threshold)
        with pytest.raises(error, match=names):
            db.create(record)
        with pytest.raises(error, match=names):
            db.upsert(record)
        with pytest.raises(BatchOperationError) as info:
            db.create_batch([Record({"fine": 1}, id="fine"), record])
        assert list(info.value.failed) == [1] and info.value.succeeded == {}
        assert isinstance(info.value.failed[1], error)
        assert db.count() == 0  # nothing written, the good record neither (atomic)
        db.close()
    # an id the table cannot hold names no stored record
    rid = record.id
    assert rid is not None
    assert db.read(rid) is None and db.exists(rid) is False and db.delete(rid) is False
    assert db.update(rid, Record({"a": 2})) is False
    assert db.read_batch([rid]) == [None] and db.delete_batch([rid]) == [False]
    assert db.update_batch([(rid, Record({"a": 2}))]) == [False]


def test_longest_id_is_stored(open_db: Open) -> None:
    db = open_db()
    # incompressible, so the primary key's btree sees every byte
    longest = uuid.uuid4().hex * (MAX_ID_BYTES // 32)
    four_byte = "\U0001f600" * (MAX_ID_BYTES // 4)
    db.create_batch([Record({"a": 1}, id=longest), Record({"a": 2}, id=four_byte)])
    db.create(Record({"a": 3}, id="\r\n\t'\\" + longest[5:]))
    assert db.read(longest)["a"] == 1 and db.read(four_byte)["a"] == 2
    assert db.count() == 3


def test_queries_on_text_postgres_cannot_hold(open_db: Open) -> None:
    db = open_db()
    db.create(Record({"s": "abc", "n": 1}, id="k"))
    # a path holding such text is refused, naming the path
    for path in ("s\ud800", "a.\udfff", "nul\x00"):
        for query in (Query().filter(path, Operator.EQ, 1), Query().filter(path, Operator.EXISTS),
                      Query().sort(path), Query().select(path)):
            with pytest.raises(UnsupportedQueryError, match="field path"):
                db.search(query)
    # an operand holding it equals no stored value
    for op, operand in ((Operator.EQ, "abc\ud800"), (Operator.IN, ["\ud800", "x"]),
                        (Operator.LIKE, "%\ud800%"), (Operator.ILIKE, "\udfff"),
                        (Operator.STARTS_WITH, "a\ud800"), (Operator.EQ, {"k\ud800": 1}),
                        (Operator.EQ, ["\ud800"])):
        assert db.count(Query().filter("s", op, operand)) == 0
    assert db.count(Query().filter("s", Operator.NEQ, "\ud800")) == 1
    assert db.count(Query().filter("s", Operator.NOT_IN, ["\ud800"])) == 1
    # ordering and REGEX with it cannot be compared: refused, naming the filter
    for op, operand in ((Operator.GT, "a\ud800"), (Operator.BETWEEN, ["a", "\ud800"]),
                        (Operator.REGEX, "\ud800")):
        with pytest.raises(UnsupportedQueryError, match="'s'"):
            db.count(Query().filter("s", op, operand))
