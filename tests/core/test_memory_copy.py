"""The memory adapter hands out copies: what a caller does to a record it read (its data, its
nested objects and lists, its metadata) never reaches the store, and a later write never
reaches a record read before it.

Reads remember, per stored record, which of its fields hold containers (``_copy_known`` in
adapters/memory.py), so the tests here also change a record between flat and nested shapes
under one id -- by update, upsert, batches, delete and re-create, and a rolled-back
transaction -- and check that the copy follows the record, not what was remembered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from dataknobs_data import MemoryDatabase, Operator, Query, Record
from dataknobs_data.domain.values import clone

FLAT: dict[str, Any] = {"name": "Ada", "age": 36, "score": 9.5, "active": True, "note": None,
                        "born": datetime(1815, 12, 10, tzinfo=UTC)}
NESTED: dict[str, Any] = {
    "name": "Bob",
    "address": {"city": "Oslo", "geo": [59.9, 10.7], "tags": {"zone": ["a", "b"]}},
    "tags": ["x", "y"],
    "history": [{"year": 2020, "events": ["in"]}, {"year": 2021, "events": []}],
    "matrix": [[1, 2], [3, [4, 5]]],
    "empty_list": [],
    "empty_dict": {},
    "n": 3,
}
META_FLAT: dict[str, Any] = {"source": "import", "rev": 2}
META_NESTED: dict[str, Any] = {"source": "import", "labels": ["a"], "audit": {"by": ["me"]}}


def deep(value: Any) -> Any:
    """An independent deep copy of a storable value (as a reference for equality)."""
    if type(value) is dict:
        return {k: deep(v) for k, v in value.items()}
    if type(value) is list:
        return [deep(v) for v in value]
    return value


def assert_same_types(got: Any, want: Any, path: str = "value") -> None:
    """``got`` equals ``want`` with the very same type at every position (1 is not 1.0,
    True is not 1, a list is not a tuple)."""
    assert type(got) is type(want), f"{path}: {type(got).__name__} != {type(want).__name__}"
    if type(want) is dict:
        assert list(got) == list(want), path  # the same keys, in the same order
        for key in want:
            assert_same_types(got[key], want[key], f"{path}.{key}")
    elif type(want) is list:
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same_types(g, w, f"{path}[{i}]")
    else:
        assert got == want, path
        if type(want) is datetime:
            assert got.tzinfo == want.tzinfo, path


def assert_no_shared_containers(a: Any, b: Any, path: str = "value") -> None:
    """No dict or list object appears at the same position in both ``a`` and ``b``."""
    if type(a) is dict and type(b) is dict:
        assert a is not b, f"{path}: the same dict object"
        for key in a.keys() & b.keys():
            assert_no_shared_containers(a[key], b[key], f"{path}.{key}")
    elif type(a) is list and type(b) is list:
        assert a is not b, f"{path}: the same list object"
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            assert_no_shared_containers(x, y, f"{path}[{i}]")


def scribble(rec: Record) -> None:
    """Change everything a caller can change in place in a record it holds."""
    data = rec.data
    for key, value in list(data.items()):
        if type(value) is dict:
            value["__added"] = 1
            for inner in value.values():
                if type(inner) is list:
                    inner.append("__added")
                elif type(inner) is dict:
                    inner["__added"] = 1
        elif type(value) is list:
            for inner in value:
                if type(inner) is list:
                    inner.append("__added")
                elif type(inner) is dict:
                    inner["__added"] = 1
            value.append("__added")
        else:
            data[key] = "__changed"
    data["__new_field"] = 1
    for key, value in list(rec.metadata.items()):
        if type(value) is list:
            value.append("__added")
        elif type(value) is dict:
            value["__added"] = 1
        else:
            rec.metadata[key] = "__changed"
    rec.metadata["__new_meta"] = 1


def stored_data(db: MemoryDatabase, rid: str) -> dict[str, Any]:
    return db._records[rid].data


SHAPES = [pytest.param(FLAT, META_FLAT, id="flat"), pytest.param(NESTED, META_NESTED, id="nested"),
          pytest.param(FLAT, {}, id="flat-no-metadata"),
          pytest.param(NESTED, {}, id="nested-no-metadata")]


# -- read -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "meta"), SHAPES)
def test_changing_a_read_record_leaves_the_store_alone(data: dict[str, Any],
                                                       meta: dict[str, Any]) -> None:
    db = MemoryDatabase()
    db.create(Record(deep(data), deep(meta), id="r1"))
    for _ in range(3):  # the first read learns the record's shape, later ones use it
        rec = db.read("r1")
        assert rec is not None
        assert type(rec) is Record and rec.id == "r1"
        assert rec.data == data and rec.metadata == meta
        assert_no_shared_containers(rec.data, stored_data(db, "r1"))
        assert_no_shared_containers(rec.metadata, db._records["r1"].metadata)
        scribble(rec)
        assert stored_data(db, "r1") == data
        assert db._records["r1"].metadata == meta


@pytest.mark.parametrize(("data", "meta"), SHAPES)
def test_two_reads_share_nothing(data: dict[str, Any], meta: dict[str, Any]) -> None:
    db = MemoryDatabase()
    db.create(Record(deep(data), deep(meta), id="r1"))
    first, second = db.read("r1"), db.read("r1")
    assert first is not None and second is not None
    assert_no_shared_containers(first.data, second.data)
    assert first.metadata is not second.metadata
    assert_no_shared_containers(first.metadata, second.metadata)
    scribble(first)
    assert second.data == data and second.metadata == meta


@pytest.mark.parametrize(("data", "meta"), SHAPES)
def test_a_later_write_leaves_an_earlier_copy_alone(data: dict[str, Any],
                                                    meta: dict[str, Any]) -> None:
    db = MemoryDatabase()
    db.create(Record(deep(data), deep(meta), id="r1"))
    before = db.read("r1")
    db.update("r1", Record({"name": "other", "address": {"city": "Rome"}}, {"source": "x"}))
    assert before is not None
    assert before.data == data and before.metadata == meta
    db.delete("r1")
    db.clear()
    assert before.data == data and before.metadata == meta


def test_the_written_record_is_not_the_stored_one() -> None:
    db = MemoryDatabase()
    original = Record(deep(NESTED), deep(META_NESTED), id="r1")
    db.create(original)
    scribble(original)
    rec = db.read("r1")
    assert rec is not None and rec.data == NESTED and rec.metadata == META_NESTED


def test_a_missing_record_reads_as_none() -> None:
    db = MemoryDatabase()
    assert db.read("nope") is None
    db.create(Record(FLAT, id="r1"))
    db.delete("r1")
    assert db.read("r1") is None


def test_the_id_is_checked_as_before() -> None:
    from dataknobs_data.domain.errors import InvalidRecordIdError

    db = MemoryDatabase()
    db.create(Record(FLAT, id="7"))
    rec = db.read(7)  # type: ignore[arg-type]  # integers are read as their string
    assert rec is not None and rec.id == "7"
    for bad in ("", None, True, 1.5):
        with pytest.raises(InvalidRecordIdError):
            db.read(bad)  # type: ignore[arg-type]


# -- a record that changes shape under one id ---------------------------------------------
Write = Callable[[MemoryDatabase, str, dict[str, Any], dict[str, Any]], None]


def _update(db: MemoryDatabase, rid: str, data: dict[str, Any], meta: dict[str, Any]) -> None:
    assert db.update(rid, Record(deep(data), deep(meta)))


def _upsert(db: MemoryDatabase, rid: str, data: dict[str, Any], meta: dict[str, Any]) -> None:
    db.upsert(rid, Record(deep(data), deep(meta)))


def _update_batch(db: MemoryDatabase, rid: str, data: dict[str, Any],
                  meta: dict[str, Any]) -> None:
    assert db.update_batch([(rid, Record(deep(data), deep(meta)))]) == [True]


def _upsert_batch(db: MemoryDatabase, rid: str, data: dict[str, Any],
                  meta: dict[str, Any]) -> None:
    db.upsert_batch([(rid, Record(deep(data), deep(meta)))])


def _recreate(db: MemoryDatabase, rid: str, data: dict[str, Any], meta: dict[str, Any]) -> None:
    assert db.delete(rid)
    db.create(Record(deep(data), deep(meta), id=rid))


def _conditional(db: MemoryDatabase, rid: str, data: dict[str, Any],
                 meta: dict[str, Any]) -> None:
    version = db.get_version(rid)
    assert db.update(rid, Record(deep(data), deep(meta)), expected_version=version)


WRITES = [pytest.param(w, id=w.__name__.strip("_"))
          for w in (_update, _upsert, _update_batch, _upsert_batch, _recreate, _conditional)]
READS = [pytest.param(lambda db, rid: db.read(rid), id="read"),
         pytest.param(lambda db, rid: db.read_batch(["nope", rid])[1], id="read_batch")]


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("read", READS)
def test_a_record_that_changes_shape_is_copied_as_it_is_now(
        write: Write, read: Callable[[MemoryDatabase, str], Record | None]) -> None:
    db = MemoryDatabase()
    db.create(Record(deep(FLAT), id="r1"))
    shapes = [(NESTED, META_NESTED), (FLAT, META_FLAT), (NESTED, {}), (FLAT, {}),
              (FLAT, META_NESTED), (FLAT, {}), (FLAT, META_FLAT),
              ({**FLAT, "late": [1, 2]}, META_FLAT), ({**FLAT, "late": 1}, META_NESTED)]
    for data, meta in shapes:
        for _ in range(2):  # one read after the write, one with what it learnt
            rec = read(db, "r1")
            assert rec is not None
            scribble(rec)
            assert db.read("r1") is not None
        write(db, "r1", data, meta)
        for _ in range(2):
            rec = read(db, "r1")
            assert rec is not None and rec.data == data and rec.metadata == meta
            assert_no_shared_containers(rec.data, stored_data(db, "r1"))
            scribble(rec)
            assert stored_data(db, "r1") == data
            assert db._records["r1"].metadata == meta


@pytest.mark.parametrize(("inside", "outside"), [(NESTED, FLAT), (FLAT, NESTED)])
def test_a_rolled_back_shape_is_forgotten(inside: dict[str, Any],
                                          outside: dict[str, Any]) -> None:
    db = MemoryDatabase()
    db.create(Record(deep(outside), id="r1"))
    assert db.read("r1") is not None  # the committed shape, learnt
    with pytest.raises(RuntimeError), db.transaction():
        db.update("r1", Record(deep(inside)))
        rec = db.read("r1")  # the uncommitted shape, learnt
        assert rec is not None and rec.data == inside
        scribble(rec)
        assert stored_data(db, "r1") == inside
        raise RuntimeError("roll back")
    for _ in range(2):
        rec = db.read("r1")
        assert rec is not None and rec.data == outside
        scribble(rec)
        assert stored_data(db, "r1") == outside


def test_records_placed_straight_into_the_store_are_copied_too() -> None:
    # a bulk load (no version, or a version not from this adapter) is never remembered wrong
    db = MemoryDatabase()
    db._records["a"] = Record(deep(NESTED), id="a")
    db._records["b"] = Record(deep(FLAT), id="b")
    db._versions["b"] = "1"
    for rid, want in (("a", NESTED), ("b", FLAT), ("a", NESTED), ("b", FLAT)):
        rec = db.read(rid)
        assert rec is not None and rec.data == want
        scribble(rec)
        assert stored_data(db, rid) == want


def test_what_reads_remember_stays_bounded() -> None:
    db = MemoryDatabase()
    for i in range(3000):  # every record read once, then replaced: its plan goes stale
        db.create(Record({"v": i, "tags": ["t"]} if i % 2 else {"v": i}, id=f"r{i}"))
        assert db.read(f"r{i}") is not None
        db.delete(f"r{i}")
    assert len(db._copy_plans) <= 1025 + 2 * len(db)
    db.create(Record(deep(NESTED), id="x"))
    rec = db.read("x")
    assert rec is not None and rec.data == NESTED
    scribble(rec)
    assert stored_data(db, "x") == NESTED


# -- read_batch, search, streams ------------------------------------------------------------
def test_read_batch_hands_out_copies_in_order() -> None:
    db = MemoryDatabase()
    db.create_batch([Record(deep(FLAT), deep(META_FLAT), id="f"),
                     Record(deep(NESTED), deep(META_NESTED), id="n")])
    for _ in range(2):
        got = db.read_batch(["n", "missing", "f", "n"])
        assert [r.id if r else None for r in got] == ["n", None, "f", "n"]
        assert got[0] is not None and got[3] is not None and got[0] is not got[3]
        assert_no_shared_containers(got[0].data, got[3].data)
        for rec in got:
            if rec is not None:
                scribble(rec)
        assert stored_data(db, "f") == FLAT and stored_data(db, "n") == NESTED
        assert db._records["n"].metadata == META_NESTED
    assert db.read_batch([]) == []
    before = db.read_batch(["n", "f"])
    db.update_batch([("n", Record({"x": 1})), ("f", Record({"x": [1]}))])
    assert [r.data if r else None for r in before] == [NESTED, FLAT]


@pytest.mark.parametrize("query", [
    pytest.param(Query(), id="all"),
    pytest.param(Query().filter("name", Operator.EQ, "Bob"), id="filtered"),
    pytest.param(Query().filter("id", Operator.IN, ["n", "f"]), id="by-id"),
    pytest.param(Query().sort("name").limit(5), id="sorted"),
    pytest.param(Query().select("address", "tags", "name"), id="projected"),
])
def test_search_results_are_copies(query: Query) -> None:
    db = MemoryDatabase(indexes=["name"])
    db.create_batch([Record(deep(FLAT), deep(META_FLAT), id="f"),
                     Record(deep(NESTED), deep(META_NESTED), id="n")])
    for _ in range(2):
        found = db.search(query.copy())
        assert found
        for rec in found:
            assert type(rec) is Record
            scribble(rec)
        assert stored_data(db, "f") == FLAT and stored_data(db, "n") == NESTED
        assert db._records["f"].metadata == META_FLAT
        assert db._records["n"].metadata == META_NESTED
    streamed = list(db.stream_read(query.copy()))
    for rec in streamed:
        scribble(rec)
    assert stored_data(db, "f") == FLAT and stored_data(db, "n") == NESTED
    earlier = db.search(Query().filter("id", Operator.EQ, "n"))
    db.update("n", Record({"name": "Bob"}))
    assert earlier[0].data == NESTED


# -- value types ---------------------------------------------------------------------------
EVERY_TYPE: dict[str, Any] = {
    "none": None, "true": True, "false": False, "zero": 0, "int": -42,
    "int_max": 2**63 - 1, "int_min": -(2**63), "float": 1.5, "float_int": 2.0,
    "neg_zero": -0.0, "str": "héllo", "empty_str": "",
    "naive": datetime(2024, 2, 29, 12, 30, 1, 5),
    "utc": datetime(2024, 1, 1, tzinfo=UTC),
    "offset": datetime(2024, 1, 1, 8, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    "list": [None, True, 1, 1.0, "s", datetime(2020, 1, 1), [], {}],
    "dict": {"a": 1, "b": 1.0, "c": True, "d": [1, "x", {"e": [2.5, None]}]},
    "vector": [0.1, 0.2, 0.3],
    "empty_list": [], "empty_dict": {},
}


@pytest.mark.parametrize("where", ["data", "metadata"])
def test_every_storable_type_reads_back_as_itself(where: str) -> None:
    db = MemoryDatabase()
    rec = (Record(deep(EVERY_TYPE), id="r1") if where == "data"
           else Record({"x": 1}, deep(EVERY_TYPE), id="r1"))
    db.create(rec)
    for _ in range(2):
        reads = [db.read("r1"), db.read_batch(["r1"])[0], db.search(Query())[0]]
        for got in reads:
            assert got is not None
            assert_same_types(got.data if where == "data" else got.metadata, EVERY_TYPE)


def test_tuples_are_stored_and_read_as_lists() -> None:
    db = MemoryDatabase()
    db.create(Record({"t": (1, (2, 3)), "d": {"t": ("a",)}}, id="r1"))
    for _ in range(2):
        rec = db.read("r1")
        assert rec is not None
        assert_same_types(rec.data, {"t": [1, [2, 3]], "d": {"t": ["a"]}})
        rec.data["t"][1].append(4)
        rec.data["d"]["t"].append("b")
    assert stored_data(db, "r1") == {"t": [1, [2, 3]], "d": {"t": ["a"]}}


def test_field_metadata_is_not_shared_between_reads() -> None:
    from dataknobs_data import Field

    db = MemoryDatabase()
    db.create(Record(deep(FLAT), id="r1"))
    for _ in range(3):  # the first read learns the record's shape, later ones use it
        first, second = db.read("r1"), db.read("r1")
        assert first is not None and second is not None
        first["age"] = Field("age", 37, metadata={"unit": "years"})
        assert second.get_field("age") == Field("age", 36)
        assert db._records["r1"]._field_meta == {}
        assert stored_data(db, "r1") == FLAT


# -- clone ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    FLAT, NESTED, META_NESTED, EVERY_TYPE, [], {}, [1, 2.0, "x", None, True],
    [[1], [2, [3]]], [{"a": [1]}, 2, {"b": {}}], {"only": {"deeper": {"deepest": [[]]}}},
])
def test_clone_copies_every_container_and_shares_every_scalar(value: Any) -> None:
    out = clone(value)
    assert_same_types(out, value)
    assert_no_shared_containers(out, value)


def test_clone_shares_what_is_not_a_container() -> None:
    when = datetime(2020, 1, 1)
    text = "x" * 100
    for scalar in (None, True, 3, 2.5, text, when):
        assert clone(scalar) is scalar
    out = clone([text, when, {"k": text}])
    assert out[0] is text and out[1] is when and out[2]["k"] is text
    tup = (1, 2)
    assert clone(tup) is tup  # not a storable container: left as it is, as before


# -- threads -------------------------------------------------------------------------------
class _WriteOnFirstGet(dict[str, str]):
    """The store's versions, running ``hook`` at the first ``get`` (in the middle of a read):
    a read must take a record and its version together, under the store's lock."""

    def __init__(self, versions: dict[str, str], hook: Callable[[], None]) -> None:
        super().__init__(versions)
        self.hook: Callable[[], None] | None = hook

    def get(self, key: str, default: Any = None) -> Any:
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return super().get(key, default)


@pytest.mark.parametrize("read", READS)
def test_a_write_in_the_middle_of_a_read_is_not_mistaken_for_the_record_read(
        read: Callable[[MemoryDatabase, str], Record | None]) -> None:
    db = MemoryDatabase()
    db.create(Record(deep(FLAT), id="r1"))
    writer = threading.Thread(target=lambda: db.update("r1", Record(deep(NESTED))))

    def write_now() -> None:  # waits for the store's lock, if the read holds it
        writer.start()
        writer.join(0.3)

    db._versions = _WriteOnFirstGet(db._versions, write_now)
    rec = read(db, "r1")
    writer.join()
    assert rec is not None and rec.data == FLAT  # what was stored when the read began
    for _ in range(2):  # the flat shape was not remembered under the nested record's version
        rec = read(db, "r1")
        assert rec is not None and rec.data == NESTED
        assert_no_shared_containers(rec.data, stored_data(db, "r1"))
        scribble(rec)
        assert stored_data(db, "r1") == NESTED


def test_reads_while_a_record_changes_shape_in_another_thread() -> None:
    db = MemoryDatabase()
    db.create(Record(deep(FLAT), id="r1"))
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            i = 0
            while not stop.is_set():
                db.update("r1", Record(deep(NESTED if i % 2 else FLAT)))
                i += 1
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(3000):
            rec = db.read("r1")
            assert rec is not None
            assert rec.data in (FLAT, NESTED)
            # the copy shares no container with whatever is stored now or was stored then
            scribble(rec)
            with db._lock:
                assert stored_data(db, "r1") in (FLAT, NESTED)
    finally:
        stop.set()
        thread.join()
    assert not errors
    for _ in range(2):
        rec = db.read("r1")
        assert rec is not None
        scribble(rec)
    assert stored_data(db, "r1") in (FLAT, NESTED)
