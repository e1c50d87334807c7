"""Durability, multi-process safety and change detection of the file adapter, with real
child processes (no mocks): concurrent writers lose nothing, a killed writer leaves a
readable store holding every acknowledged write, reads use memory until the store changes."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data import Query, Record
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.adapters.file import database as database_module
from dataknobs_data.adapters.file.formats import JsonLinesFormat
from dataknobs_data.adapters.file.oplog import OperationLog
from dataknobs_data.domain.errors import StorageError


class Calls:
    """Counts calls of a method while delegating to it (instrumentation, not a fake)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
        self.count = 0
        original = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


# -- several processes ----------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["jsonl", "parquet", "csv.gz"])
def test_concurrent_writers_lose_nothing(tmp_path: Path, workers: Any, suffix: str) -> None:
    # Check: three processes create records at once while compactions (threshold 50)
    # replace the snapshot and the log under them; every record is there, exactly once
    path = tmp_path / f"store.{suffix}"
    names = ["w1", "w2", "w3"]
    results = workers.run(path, "create", 300, names, threshold=50)
    assert results == [300, 300, 300]
    with FileDatabase(path=path) as db:
        per_writer = 300 + 30 * 3  # singles + batches of 3 every 10th
        assert db.count() == per_writer * len(names)
        for name in names:
            ids = {r.id for r in db.search(Query().filter("writer", "=", name))}
            assert len(ids) == per_writer
            assert f"{name}-299" in ids and f"{name}-b290-2" in ids


def test_conditional_increments_across_processes_are_exact(tmp_path: Path, workers: Any
                                                         ) -> None:
    path = tmp_path / "counter.json"
    with FileDatabase(path=path) as db:
        db.create(Record({"n": 0}, id="counter"))
    results = workers.run(path, "increment", 150, ["a", "b"], threshold=40)
    assert results == [150, 150]
    with FileDatabase(path=path) as db:
        counter = db.read("counter")
        assert counter is not None and counter["n"] == 300


def test_duplicate_creates_across_processes_succeed_once(tmp_path: Path, workers: Any) -> None:
    path = tmp_path / "shared.jsonl"
    results = workers.run(path, "contend", 200, ["a", "b"], threshold=10_000)
    assert sum(results) == 200
    with FileDatabase(path=path) as db:
        assert db.count() == 200


@pytest.mark.parametrize("threshold", [10_000, 7])
def test_killed_writer_keeps_every_acknowledged_write(tmp_path: Path, workers: Any,
                                                      threshold: int) -> None:
    # Check: SIGKILL a writer mid-stream (with threshold 7 often mid-compaction); the store
    # still loads and holds every write that returned
    path = tmp_path / "crash.json"
    proc = workers.start(path, "crasher", 0, "forever", threshold)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()
    acknowledged = [proc.stdout.readline().strip() for _ in range(300)]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with FileDatabase(path=path) as db:
        stored = {r.id for r in db.all()}
        assert set(acknowledged) <= stored
        db.create(Record({}, id="after the crash"))
    # the next compaction removes any temp file the killed writer left
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    with FileDatabase(path=path) as db:
        assert db.count() == len(stored) + 1


# -- one process, two instances ---------------------------------------------------------------
def test_reads_stay_in_memory_until_the_store_changes(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.parquet"
    writer = FileDatabase(path=path)
    writer.create_batch([Record({"n": i}, id=f"r{i}") for i in range(100)])
    writer.compact()
    reader = FileDatabase(path=path)
    reader.connect()
    snapshot_reads = Calls(monkeypatch, FileDatabase, "_read_snapshot")
    tails = Calls(monkeypatch, OperationLog, "read_tail")
    # Check: many reads and searches, no file read at all
    for i in range(200):
        assert reader.read(f"r{i % 100}") is not None
        reader.search(Query().filter("n", ">", 50))
    assert (snapshot_reads.count, tails.count) == (0, 0)
    # Check: another instance appends one record: the reader replays just the new lines
    writer.create(Record({"n": 1000}, id="new"))
    got = reader.read("new")
    assert got is not None and got["n"] == 1000
    assert (snapshot_reads.count, tails.count) == (0, 1)
    assert reader.count() == 101 and tails.count == 1
    # Check: another instance compacts: the reader reloads the snapshot once
    writer.delete("r0")
    writer.compact()
    assert reader.read("r0") is None and reader.count() == 100
    assert snapshot_reads.count == 1
    writer.close()
    reader.close()


def test_files_replaced_outside_the_library_are_noticed(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_module, "STAT_CHECK_INTERVAL", 0.0)
    path = tmp_path / "s.jsonl"
    with FileDatabase(path=path) as db:
        db.create(Record({"v": 1}, id="a"))
    reader = FileDatabase(path=path)
    assert reader.count() == 1
    os.unlink(f"{path}.log")
    path.write_bytes(JsonLinesFormat().dump([Record({"v": 2}, id="b")], None))
    assert [r.id for r in reader.all()] == ["b"]
    reader.close()


def test_no_full_rewrite_per_single_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    # Check: 3,000 single creates with threshold 500 compact only a handful of times, as the
    # log must outgrow max(threshold, records / 2) before it is folded into the snapshot
    compactions = Calls(monkeypatch, FileDatabase, "_compact_locked")
    db = FileDatabase(path=tmp_path / "s.jsonl", compaction_threshold=500, fsync=False)
    for i in range(3000):
        db.create(Record({"i": i}))
    assert compactions.count == 3  # at 501, 1003 and 2007 records
    db.close()
    assert compactions.count == 4
    assert FileDatabase(path=tmp_path / "s.jsonl").count() == 3000


# -- torn and damaged logs --------------------------------------------------------------------
def test_torn_last_log_line_is_ignored_then_truncated(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    db = FileDatabase(path=path)
    db.create(Record({"v": 1}, id="a"))
    log = Path(f"{path}.log")
    good = log.read_bytes()
    with open(log, "ab") as fh:  # what a writer killed mid-append leaves behind
        fh.write(b'{"op":"put","id":"b","da')
    other = FileDatabase(path=path)
    assert [r.id for r in other.all()] == ["a"]
    other.create(Record({"v": 2}, id="c"))
    assert log.read_bytes().startswith(good) and b'"id":"b"' not in log.read_bytes()
    assert [r.id for r in FileDatabase(path=path).all()] == ["a", "c"]
    db.close()
    other.close()


def test_damaged_log_line_is_a_storage_error_and_nothing_is_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with FileDatabase(path=path, compact_on_close=False) as db:
        db.create(Record({"v": 1}, id="a"))
        db.create(Record({"v": 2}, id="b"))
    log = Path(f"{path}.log")
    lines = log.read_bytes().split(b"\n")
    lines[1] = b"{garbage"
    log.write_bytes(b"\n".join(lines))
    before = log.read_bytes()
    db = FileDatabase(path=path)
    with pytest.raises(StorageError, match=r"s\.jsonl\.log.*line 2"):
        db.count()
    with pytest.raises(StorageError):
        db.create(Record({"v": 3}, id="c"))
    assert log.read_bytes() == before
    db.close()


def test_failed_compaction_keeps_snapshot_and_log(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # the disk refuses the snapshot's rename (an injected fault): close() reports it, and
    # the old snapshot, the log and every write survive
    path = tmp_path / "s.csv"
    with FileDatabase(path=path) as db:
        db.create(Record({"ok": 1}, id="a"))
    snapshot = path.read_bytes()
    db = FileDatabase(path=path)
    db.create(Record({"bad\udc80key": 1}, id="b"))

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", refuse)
        with pytest.raises(StorageError):
            db.close()
    assert path.read_bytes() == snapshot
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    with FileDatabase(path=path, compact_on_close=False) as again:
        assert {r.id for r in again.all()} == {"a", "b"}


def test_unsynced_mode_and_close_without_compaction(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with FileDatabase(path=path, fsync=False, compact_on_close=False) as db:
        db.upsert_batch([Record({"i": i}, id=str(i)) for i in range(5)])
        db.delete_batch(["0", "1", "1"])
        db.update_batch([("2", Record({"i": 20}))])
    assert not path.exists()  # everything is still in the log
    with FileDatabase(path=path) as db:
        assert {r.id: r["i"] for r in db.all()} == {"2": 20, "3": 3, "4": 4}
        db.clear()
    with FileDatabase(path=path) as db:
        assert db.count() == 0
    assert path.read_bytes() == b""
