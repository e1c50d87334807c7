"""The columnar path beyond the shared conformance tests: the layout's edge cases, the
inputs ``write_arrow`` takes, the memory adapter's native batches, async, vector queries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from dataknobs_data import MemoryDatabase, Query, Record
from dataknobs_data.adapters.memory import AsyncMemoryDatabase
from dataknobs_data.domain import columnar
from dataknobs_data.domain.errors import BatchOperationError, StorageError, ValidationError


def test_lone_surrogates_in_ids_keys_and_values_round_trip() -> None:
    db = MemoryDatabase()
    db.create_batch([Record({"k\ud800": "v\udfff", "$id": 1}, id="id\ud800", metadata={
        "m\udc00": "x"}), Record({"plain": 1}, id="b")])
    table = db.to_arrow()
    assert columnar.layout_fields(table.schema, "t") is not None
    other = MemoryDatabase()
    assert other.write_arrow(table) == 2
    got = other.read("id\ud800")
    assert got is not None and got.data == {"k\ud800": "v\udfff", "$id": 1}
    assert got.metadata == {"m\udc00": "x"}


def test_batches_with_different_kinds_join_into_one_exact_table() -> None:
    db = MemoryDatabase()
    db.create_batch([Record({"v": 1}, id="a"), Record({"v": 2}, id="b"),
                     Record({"v": "three"}, id="c"), Record({"w": None}, id="d")])
    batches = list(db.read_arrow(batch_size=2))
    assert [b.schema.field("v").type for b in batches] == [pa.int64(), pa.string()]
    table = db.to_arrow(batch_size=2)
    got = columnar.layout_records(table, "t")
    assert [(r.id, r.data) for r in got] == [("a", {"v": 1}), ("b", {"v": 2}),
                                            ("c", {"v": "three"}), ("d", {"w": None})]


def test_memory_reads_arrow_without_copying_records_out(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    db = MemoryDatabase()
    db.create_batch([Record({"n": i, "team": "ab"[i % 2]}, id=f"r{i}") for i in range(10)])

    def no_rows(*args: Any) -> Any:
        raise AssertionError("the row path was used")

    monkeypatch.setattr(db, "_stream_read", no_rows)
    table = db.to_arrow(Query().filter("team", "==", "a").sort_by("n", "desc").select("n"))
    assert table.column("$id").to_pylist() == ["r8", "r6", "r4", "r2", "r0"]
    assert table.column("n").to_pylist() == [8, 6, 4, 2, 0]
    assert table.schema.names == ["$id", "$metadata", "n"]


def test_inputs_write_arrow_takes() -> None:
    import pandas as pd

    frame = pd.DataFrame({"id": ["p1", "p2"], "x": [1.5, None], "s": ["a", "b"]})
    db = MemoryDatabase()
    assert db.write_arrow(frame, id_column="id") == 2  # through __arrow_c_stream__
    p2 = db.read("p2")
    assert p2 is not None and p2.data == {"id": "p2", "x": None, "s": "b"}
    table = pa.table({"v": list(range(25))})
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=10))
    assert db.write_arrow(reader) == 25
    assert db.write_arrow([table.slice(0, 3), table.to_batches()[0].slice(0, 2)]) == 5
    assert db.write_arrow(table.to_batches()[0]) == 25
    with pytest.raises(ValidationError, match="str"):
        db.write_arrow("not arrow")
    assert db.count() == 2 + 25 + 5 + 25


def test_a_damaged_layout_is_refused_by_name() -> None:
    db = MemoryDatabase()
    db.create(Record({"a": 1}, id="x"))
    good = db.to_arrow()
    bad = good.replace_schema_metadata({columnar.LAYOUT_KEY: b"{not json"})
    with pytest.raises(StorageError, match="damaged"):
        MemoryDatabase().write_arrow(bad)
    renamed = good.rename_columns(["$id", "$metadata", "b"]).replace_schema_metadata(
        good.schema.metadata)
    with pytest.raises(StorageError, match="does not match"):
        MemoryDatabase().write_arrow(renamed)


def test_a_vector_query_reads_its_ranked_hits_as_arrow() -> None:
    db = MemoryDatabase()
    db.create_batch([Record({"e": [float(i), 1.0]}, id=f"v{i}") for i in range(5)])
    q = Query().similar_to([4.0, 1.0], field="e", k=2, metric="euclidean")
    table = db.to_arrow(q)
    assert table.column("$id").to_pylist() == [r.id for r in db.search(q)] == ["v4", "v3"]
    assert pa.types.is_fixed_size_list(table.schema.field("e").type)


def test_async_ports_read_and_write_arrow() -> None:
    async def main() -> None:
        db = AsyncMemoryDatabase()
        when = datetime(2024, 1, 1, tzinfo=UTC)
        n = await db.write_arrow(pa.table({"id": ["a", "b"], "at": [when, when]}),
                                 id_column="id")
        assert n == 2
        batches = [b async for b in db.read_arrow(batch_size=1)]
        assert [b.num_rows for b in batches] == [1, 1]
        table = await db.to_arrow()
        assert table.column("$id").to_pylist() == ["a", "b"]
        got = await db.read("a")
        # a named zone (Arrow's "UTC") stays the zone pyarrow gives, the same instant
        assert got is not None and got["at"] == when and got["at"].utcoffset() is not None

    asyncio.run(main())


def test_the_file_adapter_reads_arrow_from_its_state(tmp_path: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from dataknobs_data.adapters.file import FileDatabase

    db = FileDatabase(path=str(tmp_path / "store.parquet"))
    db.create_batch([Record({"n": i}, id=f"r{i}") for i in range(4)])

    def no_rows(*args: Any) -> Any:
        raise AssertionError("the row path was used")

    monkeypatch.setattr(db, "_stream_read", no_rows)
    assert db.to_arrow(Query().sort_by("n", "desc")).column("n").to_pylist() == [3, 2, 1, 0]
    db.close()


def test_checked_records_give_the_same_table_as_the_encoding_walk() -> None:
    # checked=True writes JSON cells with orjson where it gives dump_value's text; every
    # value that needs the walk (a tag, an escaped key, a float orjson writes otherwise,
    # a lone surrogate, a big integer, a stored null) must still come out identical
    when = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    values: list[Any] = [
        {"a": 1}, [1, 2], {"$ref": "x"}, "$dollar", {"at": when}, 1e-07, 0.00001, None,
        "s\ud800", 2**70, {"n": [None, 1.5]}, [when, "x"], {"deep": {"er": [1, {"$": 2}]}},
        {"k": "line\nbreak"}, "plain",
    ]
    records = [Record({"mixed": v, "obj": {"i": i}}, id=f"r{i}")
               for i, v in enumerate(values)]
    records.append(Record({"only": [1]}, id="last", metadata={"m": when}))
    walked = columnar.records_table(records)
    fast = columnar.records_table(records, checked=True)
    assert fast.equals(walked) and fast.schema.metadata == walked.schema.metadata
    got = columnar.layout_records(fast, "t")
    assert [(r.id, r.data, r.metadata) for r in got] == \
        [(r.id, r.data, r.metadata) for r in records]


def test_timestamp_columns_read_back_exactly_with_missing_values() -> None:
    utc = [datetime(1, 1, 1, tzinfo=UTC),
           datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
           datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)]
    naive = [datetime(1900, 2, 28, 1, 2, 3, 4), datetime(2038, 1, 19, 3, 14, 8)]
    records = [Record({"u": u}, id=f"u{i}") for i, u in enumerate(utc)]
    records += [Record({"n": n, "other": 1}, id=f"n{i}") for i, n in enumerate(naive)]
    table = columnar.records_table(records)
    assert table.schema.field("u").type == pa.timestamp("us", tz="+00:00")
    assert table.schema.field("n").type == pa.timestamp("us")
    got = columnar.layout_records(table, "t")
    assert [(r.id, r.data) for r in got] == [(r.id, r.data) for r in records]
    assert all(r.data["u"].tzinfo is UTC for r in got if "u" in r.data)
    assert all(r.data["n"].tzinfo is None for r in got if "n" in r.data)


def test_a_timestamp_beyond_the_datetime_range_is_refused_by_name(tmp_path: Any) -> None:
    import pyarrow.parquet as pq

    from dataknobs_data.adapters.file import FileDatabase

    table = columnar.records_table([Record({"t": datetime(2024, 1, 1, tzinfo=UTC)}, id="a")])
    huge = pa.array([2**62], type=pa.int64()).cast(pa.timestamp("us", tz="+00:00"))
    bad = table.set_column(2, table.schema.field(2), huge)
    with pytest.raises(StorageError, match=r"damaged\.parquet"):
        columnar.layout_records(bad, "damaged.parquet")
    path = tmp_path / "hostile.parquet"
    pq.write_table(bad, str(path))
    with pytest.raises(StorageError, match=r"hostile\.parquet"):
        FileDatabase(path=str(path)).connect()


# -- the bulk paths of a snapshot load: columns to rows, the memory state, the collector ------

def test_sparse_columns_make_rows_in_column_order_without_the_missing_fields() -> None:
    recs = [Record({"a": 1, "b": [1], "c": None}, id="x"), Record({"c": 2.5, "a": 2}, id="y"),
            Record({"b": {"$k": -0.0}}, id="z", metadata={"m": [None]}), Record({}, id="w")]
    got = columnar.layout_records(columnar.records_table(recs, checked=True), "t")
    assert [(r.id, list(r.data), r.data, r.metadata) for r in got] == [
        ("x", ["a", "b", "c"], {"a": 1, "b": [1], "c": None}, {}),
        ("y", ["a", "c"], {"a": 2, "c": 2.5}, {}),
        ("z", ["b"], {"b": {"$k": -0.0}}, {"m": [None]}),
        ("w", [], {}, {})]
    assert repr(got[2].data["b"]["$k"]) == "-0.0"
    assert got[1].metadata is not got[3].metadata  # each record owns its dicts


def _state(db: MemoryDatabase) -> list[tuple[str, Any, Any]]:
    return [(r.id, r.data, r.metadata) for r in db.search(Query())]


def test_memory_bulk_create_is_what_one_by_one_gives() -> None:
    def batch() -> list[Record]:
        return [Record({"n": i, "team": "ab"[i % 2], "tags": [i]}, id=f"r{i}",
                       metadata={"i": i} if i % 3 else None) for i in range(50)]

    bulk, single = MemoryDatabase(indexes=["team"]), MemoryDatabase(indexes=["team"])
    bulk.create_batch(batch())
    for rec in batch():
        single.create(rec)
    assert _state(bulk) == _state(single)
    assert len(set(bulk._versions.values())) == 50
    assert len(bulk._rows().slots) == 50 and bulk._rows().ids[:2] == ["r0", "r1"]
    query = Query().filter("team", "==", "a").filter("n", ">=", 40)
    assert [r.id for r in bulk.search(query)] == [r.id for r in single.search(query)]
    assert bulk.read("r7") == single.read("r7")
    bulk.delete("r0")
    assert bulk.count() == 49 and bulk.read("r0") is None
    # a taken id still writes nothing of the batch
    with pytest.raises(BatchOperationError):
        bulk.create_batch([Record({"n": 1}, id="new"), Record({"n": 2}, id="r1")])
    assert bulk.read("new") is None


def test_memory_bulk_create_falls_back_for_repeated_ids_and_shared_dicts() -> None:
    shared = {"v": [1]}
    recs = [Record.trusted(shared, None, "a"), Record.trusted(shared, None, "b"),
            Record.trusted({"v": 2}, None, "c"), Record.trusted({"v": 3}, None, "c")]
    db = MemoryDatabase()
    assert not db._put_new(recs[2:])  # a repeated id: nothing written
    assert db._rows().rows == []
    # before the first sorted search two records may share a dict; that search (which
    # builds the row table's owner map) gives each its own copy
    assert db._put_new(recs[:2])
    assert [r.id for r in db.search(Query().sort_by("v"))] == ["a", "b"]
    assert db._records["a"].data is not db._records["b"].data
    # from then on the bulk path refuses a stored record's dict, and _put clones it
    assert not db._put_new([Record.trusted(db._records["a"].data, None, "d")])
    assert db._create_batch([Record.trusted(db._records["a"].data, None, "d"),
                             recs[3]]) == {}
    assert _state(db) == [("a", {"v": [1]}, {}), ("b", {"v": [1]}, {}), ("c", {"v": 3}, {}),
                          ("d", {"v": [1]}, {})]
    assert db._records["a"].data is not db._records["d"].data
    assert len(db._rows().rows) == 4


def test_collection_paused_restores_the_collector_as_it_found_it() -> None:
    import gc

    assert gc.isenabled()
    with columnar.collection_paused():
        assert not gc.isenabled()
        with columnar.collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer region still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with columnar.collection_paused():
            pass
        assert not gc.isenabled()  # the caller's choice stays
    finally:
        gc.enable()
    with pytest.raises(StorageError), columnar.collection_paused():
        raise StorageError("x")
    assert gc.isenabled()
