"""Regression tests for stores that one record used to break (issue 12, items 1, 2 and 9).

Each record is written, the store closed (which compacts the log into the snapshot) and
reopened from the file; the record must read back exactly and every other record with it."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data import Record
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.adapters.file import database as file_database
from dataknobs_data.domain.errors import RecordExistsError, SerializationError, StorageError
from dataknobs_data.testing.servers import require_module

require_module("pyarrow")


def _round_trip(path: Path, records: list[Record]) -> FileDatabase:
    db = FileDatabase(path=path, fsync=False)
    db.create_batch(records)
    db.close()
    return FileDatabase(path=path, fsync=False)


def _same(db: FileDatabase, records: list[Record]) -> None:
    assert db.count() == len(records)
    for rec in records:
        got = db.read(rec.id)
        assert got is not None, rec.id
        assert dict(got.data) == dict(rec.data), rec.id


@pytest.mark.parametrize("suffix", ["csv", "csv.gz"])
def test_csv_cell_longer_than_the_csv_module_limit(tmp_path: Path, suffix: str) -> None:
    limit = csv.field_size_limit()
    records = [Record({"big": "x" * (limit + 10), "n": 1}, id="a"), Record({"n": 2}, id="b")]
    db = _round_trip(tmp_path / f"s.{suffix}", records)
    _same(db, records)
    assert csv.field_size_limit() == limit  # the module's limit is restored afterwards


@pytest.mark.parametrize("key,rid", [
    ("cr\rkey", "plain"), ("crlf\r\nkey", "id2"), ("k", "cr\rid"), ("k", "crlf\r\nid"),
    ('"quoted', '"starts with a quote'), ("k", "lone\ud800surrogate"), ("lone\udfffkey", "x"),
])
def test_csv_keeps_cr_quotes_and_surrogates_in_ids_and_field_names(
        tmp_path: Path, key: str, rid: str) -> None:
    records = [Record({key: "v", "other": 1}, id=rid), Record({"other": 2}, id="neighbour")]
    db = _round_trip(tmp_path / "s.csv", records)
    _same(db, records)
    assert {r.id for r in db.search()} == {rid, "neighbour"}


@pytest.mark.parametrize("keys", [
    ["$id", "$id (field)"], ["$metadata", "$metadata (field)"], ["$id", "$$id"],
    ["$x", "$$x", "x"], ['$"a"', "a"],
])
def test_parquet_field_names_never_collide_with_the_envelope(
        tmp_path: Path, keys: list[str]) -> None:
    records = [Record({k: i}, id=f"r{i}") for i, k in enumerate(keys)]
    records.append(Record({k: f"v{i}" for i, k in enumerate(keys)}, id="all"))
    db = _round_trip(tmp_path / "s.parquet", records)
    _same(db, records)


@pytest.mark.parametrize("data,rid", [
    ({"lone\ud800key": 1}, "a"), ({"k": "lone\udc00value"}, "b"), ({"k": 1}, "lone\ud83did"),
])
def test_parquet_compaction_keeps_lone_surrogates(
        tmp_path: Path, data: dict[str, Any], rid: str) -> None:
    records = [Record(data, id=rid), Record({"k": 2}, id="neighbour")]
    db = _round_trip(tmp_path / "s.parquet", records)
    _same(db, records)


def test_write_is_acknowledged_when_durable_even_if_compaction_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault a real disk rarely gives on demand: the snapshot write fails while the log
    write succeeded. The write must report success (it is durable), a retry must not be
    needed, and the store must reopen with it."""
    path = tmp_path / "s.parquet"
    db = FileDatabase(path=path, fsync=False, compaction_threshold=0)
    real = file_database.atomic_write
    failures = []

    def failing(target: str, payload: bytes) -> None:
        failures.append(target)
        raise StorageError(f"injected: cannot write {target}")

    monkeypatch.setattr(file_database, "atomic_write", failing)
    db.create(Record({"n": 1}, id="one"))  # compaction runs and fails; the write stands
    assert failures
    db.create(Record({"n": 2}, id="two"))
    with pytest.raises(RecordExistsError):
        db.create(Record({"n": 1}, id="one"))
    with pytest.raises(StorageError, match="no write is lost"):
        db.compact()
    monkeypatch.setattr(file_database, "atomic_write", real)
    db.close()
    reopened = FileDatabase(path=path, fsync=False)
    assert sorted(r.id for r in reopened.search()) == ["one", "two"]


def test_nesting_past_the_file_limit_is_refused_and_nothing_stored(tmp_path: Path) -> None:
    from dataknobs_data.domain.envelope import MAX_DEPTH

    deep: Any = 0
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    ok: Any = 0
    for _ in range(MAX_DEPTH):
        ok = [ok]
    db = FileDatabase(path=tmp_path / "s.jsonl", fsync=False)
    with pytest.raises(SerializationError, match=f"deeper than {MAX_DEPTH} levels"):
        db.create(Record({"d": deep}, id="deep"))
    db.create(Record({"d": ok}, id="ok"))
    db.close()
    reopened = FileDatabase(path=tmp_path / "s.jsonl", fsync=False)
    assert [r.id for r in reopened.search()] == ["ok"]
    assert reopened.read("ok").data["d"] == ok
