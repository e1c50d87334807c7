"""Every value type, key and id round-trips exactly in every format, through the log and
through the snapshot; formats are chosen by option or extension; constructors do no I/O."""

from __future__ import annotations

import copy
import json
import os
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data import Record
from dataknobs_data.adapters.file import AsyncFileDatabase, FileDatabase, resolve_layout
from dataknobs_data.domain.errors import ConfigurationError

SUFFIXES = ["json", "jsonl", "csv", "parquet", "json.gz", "jsonl.gz", "csv.gz", "parquet.gz"]

NASTY = "NUL\x00 comma, quote\" apostrophe' newline\n cr\r tab\t back\\ emoji 🎉 \u2028 é"

RECORDS: list[Record] = [
    Record({
        "int": 7, "big": 2**63 - 1, "small": -(2**63), "float": 0.1, "whole": 3.0,
        "neg_zero": -0.0, "tiny": 5e-324, "true": True, "false": False, "str": NASTY,
        "empty": "", "null": None,
        "utc": datetime(2024, 5, 17, 10, 30, 15, 123456, tzinfo=UTC),
        "offset": datetime(2024, 5, 17, 12, 30, tzinfo=timezone(timedelta(hours=5, minutes=45))),
        "naive": datetime(2024, 5, 17, 10, 30),
        "nested": {"a": {"b": [1, "two", 3.5, None, {"c": False}, []]}},
        "list": [1, 2.0, "x", None, [True], {"$datetime": "x"}],
        "dollar": {"$datetime": "2020-01-01T00:00:00", "$object": {"$object": 1}},
        "dotted.key": 1, "comma,key": 2, "new\nline key": 3, "$id": "not the id",
        "$metadata": "not the metadata", "": "empty key", "id": "field called id",
    }, metadata={"m": [1, {"n": NASTY}], "when": datetime(2020, 1, 1, tzinfo=UTC)},
        id="all-types"),
    # the same fields with other types, missing or null: mixed-type columns
    Record({"int": "7", "float": 1, "true": None, "utc": datetime(2020, 1, 1),
            "naive": datetime(2020, 1, 1, tzinfo=UTC), "str": 5}, id="mixed"),
    Record({}, id="empty record"),
    Record({"int": None}, id="id with spaces, commas\nand newline 🎉"),
]


def assert_same(got: Record | None, expected: Record) -> None:
    assert got is not None, expected.id
    assert got.id == expected.id
    assert set(got.data) == set(expected.data), expected.id
    for key, value in expected.data.items():
        stored = got.data[key]
        assert stored == value, (expected.id, key)
        assert type(stored) is type(value), (expected.id, key)
        if isinstance(value, datetime):
            assert stored.utcoffset() == value.utcoffset(), (expected.id, key)
        if isinstance(value, float):
            assert repr(stored) == repr(value), (expected.id, key)  # -0.0 stays -0.0
    assert got.metadata == expected.metadata


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_every_type_round_trips_through_log_and_snapshot(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"store.{suffix}"
    writer = FileDatabase(path=path)
    writer.create_batch([copy.deepcopy(r) for r in RECORDS])
    # Check the log: a second instance sees the writes before any snapshot exists
    assert not path.exists()
    reader = FileDatabase(path=path)
    for rec in RECORDS:
        assert_same(reader.read(rec.id or ""), rec)
    # Check the snapshot: after close the snapshot alone holds everything
    writer.close()
    reader.close()
    os.unlink(f"{path}.log")
    again = FileDatabase(path=path)
    for rec in RECORDS:
        assert_same(again.read(rec.id or ""), rec)
    assert again.count() == len(RECORDS)
    again.close()


@pytest.mark.parametrize("suffix", ["json", "csv", "parquet"])
def test_surrogates_survive(tmp_path: Path, suffix: str) -> None:
    # a lone surrogate cannot be UTF-8; it is written as a \u escape and read back
    path = tmp_path / f"s.{suffix}"
    with FileDatabase(path=path) as db:
        db.create(Record({"s": "a\udc80b", "n": 1}, id="k"))
    with FileDatabase(path=path) as db:
        got = db.read("k")
        assert got is not None and got["s"] == "a\udc80b"


def test_parquet_uses_native_columns_for_uniform_fields(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "s.parquet"
    with FileDatabase(path=path) as db:
        db.create_batch([
            Record({"n": 1, "f": 1.5, "s": "a", "b": True, "t": datetime(2020, 1, 1, tzinfo=UTC),
                    "mixed": 1, "nullable": None}, id="a"),
            Record({"n": 2, "s": "b", "mixed": "1", "nullable": 2}, id="b"),
        ])
    table = pq.read_table(path)
    kinds = dict(json.loads(table.schema.metadata[b"dataknobs_data"])["fields"])
    assert kinds == {"n": "int", "f": "float", "s": "str", "b": "bool", "t": "utc",
                     "mixed": "json", "nullable": "json"}
    assert str(table.schema.field("n").type) == "int64"
    with FileDatabase(path=path) as db:
        b = db.read("b")
        assert b is not None and b.data == {"n": 2, "s": "b", "mixed": "1", "nullable": 2}
        a = db.read("a")
        assert a is not None and a["nullable"] is None and a["mixed"] == 1


def test_csv_layout_is_a_typed_header_and_json_cells(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    with FileDatabase(path=path) as db:
        db.create(Record({"name": "Ada", "age": 36}, id="p1", metadata={"src": "hr"}))
        db.create(Record({"age": None}, id="p2"))
    lines = path.read_text().splitlines()
    assert lines == ["$id,$metadata,name,age", 'p1,"{""src"":""hr""}","""Ada""",36', "p2,,,null"]


def test_json_layout(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    with FileDatabase(path=path) as db:
        db.create(Record({"when": datetime(2020, 1, 1, tzinfo=UTC)}, id="a"))
    doc = json.loads(path.read_text())
    assert doc == {"dataknobs_data": 1, "records": [
        {"id": "a", "data": {"when": {"$datetime": "2020-01-01T00:00:00+00:00"}}}]}


def test_json_file_reformatted_by_hand_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    doc = {"dataknobs_data": 1, "records": [{"id": "a", "data": {"x": [1, 2]}},
                                             {"id": "b", "data": {}, "metadata": {"m": 1}}]}
    path.write_text(json.dumps(doc, indent=4))
    with FileDatabase(path=path) as db:
        assert [r.id for r in db.all()] == ["a", "b"]
        b = db.read("b")
        assert b is not None and b.metadata == {"m": 1}


@pytest.mark.parametrize(("name", "fmt", "compression"), [
    ("a.json", "json", None), ("a.JSONL", "jsonl", None), ("a.ndjson", "jsonl", None),
    ("a.csv", "csv", None), ("a.parquet", "parquet", None), ("a.pq", "parquet", None),
    ("a.json.gz", "json", "gzip"), ("a.csv.gz", "csv", "gzip"),
])
def test_format_from_extension(name: str, fmt: str, compression: str | None) -> None:
    layout = resolve_layout(name, None, None)
    assert (layout.format, layout.compression) == (fmt, compression)


def test_format_option_wins_and_bad_options_are_named(tmp_path: Path) -> None:
    assert FileDatabase(path=tmp_path / "data.txt", format="csv").format == "csv"
    with pytest.raises(ConfigurationError, match=r"data\.txt"):
        FileDatabase(path=tmp_path / "data.txt")
    with pytest.raises(ConfigurationError, match="xml"):
        FileDatabase(path=tmp_path / "a.json", format="xml")
    with pytest.raises(ConfigurationError, match="zip"):
        FileDatabase(path=tmp_path / "a.json", compression="zip")
    with pytest.raises(ConfigurationError, match="compaction_threshold"):
        FileDatabase(path=tmp_path / "a.json", compaction_threshold=-1)
    with pytest.raises(ConfigurationError, match="pth"):
        FileDatabase.from_config({"backend": "file", "pth": "a.json"})
    db = FileDatabase.from_config({"backend": "file", "path": str(tmp_path / "a.csv"),
                                   "fsync": False})
    assert db.format == "csv" and db.fsync is False and db.backend_name == "file"


@pytest.mark.parametrize("cls", [FileDatabase, AsyncFileDatabase])
def test_constructor_does_no_io(tmp_path: Path, cls: Any) -> None:
    cls(path=tmp_path / "s.parquet")
    cls(path=tmp_path / "missing" / "dir" / "s.json")
    assert list(tmp_path.iterdir()) == []


async def test_async_adapter_persists(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    db = AsyncFileDatabase(path=path)
    await db.create(Record({"n": 1, "t": datetime(2020, 1, 1)}, id="a"))
    await db.close()
    db2 = AsyncFileDatabase(path=path, max_workers=2)
    got = await db2.read("a")
    assert got is not None and got.data == {"n": 1, "t": datetime(2020, 1, 1)}
    await db2.delete("a")
    await db2.compact()
    assert path.read_bytes() == b""
    assert repr(db2).startswith("AsyncFileDatabase(FileDatabase(path=")
    await db2.close()


def test_fast_encoder_matches_the_codec() -> None:
    from dataknobs_data.domain import codec
    from dataknobs_data.domain.envelope import encode
    from dataknobs_data.domain.errors import SerializationError

    for rec in RECORDS:
        assert encode(rec.data) == codec.encode(rec.data)
        assert encode(rec.metadata) == codec.encode(rec.metadata)
    for value in [[], {}, [[{"$a": [datetime(2020, 1, 1)]}]], {"$": None}, 1, "x", None]:
        assert encode(value) == codec.encode(value)
    with pytest.raises(SerializationError):
        encode({"a": [object()]})


def test_built_through_the_factory_from_configuration(tmp_path: Path) -> None:
    from dataknobs_data.containers.factory import database_factory

    db = database_factory.create(backend="file", path=str(tmp_path / "f.csv"), fsync=False)
    assert isinstance(db, FileDatabase) and db.format == "csv"
    adb = database_factory.create(backend="file", use_async=True,
                                  path=str(tmp_path / "f.parquet"), max_workers=2)
    assert isinstance(adb, AsyncFileDatabase)
    assert list(tmp_path.iterdir()) == []  # configuration does no I/O


def test_missing_pyarrow_gives_the_install_hint(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from dataknobs_data.domain.errors import BackendNotAvailableError

    # a missing optional package cannot be produced otherwise in a full development venv
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    db = FileDatabase(path=tmp_path / "s.parquet")
    with pytest.raises(BackendNotAvailableError, match=r"dataknobs-data\[parquet\]"):
        db.create(Record({"a": 1}))
    db.close()
