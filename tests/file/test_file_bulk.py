"""Big batches go straight into a new snapshot instead of through the operation log: when
appending a batch would make the write compact anyway, the file adapter applies it to the
state and writes the snapshot (no log line is encoded). These tests check that the path is
taken, that it keeps the log's semantics (atomic batches, refusals, durability, other
instances) and what happens when the snapshot cannot be written."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data import MemoryDatabase, Record
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.adapters.file import database as file_database
from dataknobs_data.adapters.file.formats import get_format
from dataknobs_data.adapters.file.oplog import OperationLog
from dataknobs_data.domain.errors import (
    BatchOperationError,
    RecordExistsError,
    SerializationError,
    StorageError,
)
from dataknobs_data.domain.values import MAX_DEPTH
from dataknobs_data.migration import Migrator
from dataknobs_data.testing.runner import exactly

FORMATS = ["json", "jsonl", "csv", "parquet", "jsonl.gz", "parquet.gz"]
THRESHOLD = 10


def make(i: int) -> Record:
    """A record with every kind of value the snapshots must keep exactly."""
    return Record({
        "i": i, "f": i / 7, "neg": -0.0, "b": i % 2 == 0, "s": f"name {i}, \"q\"\n🎉",
        "none": None, "utc": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=i),
        "naive": datetime(2024, 1, 1, 12, 30) + timedelta(seconds=i),
        "offset": datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=45))),
        "nested": {"a": [1, {"b": "two"}, [3.5]], "$tag": {"$datetime": "not a date"}},
        "vec": [float(i), 0.5, -1.25], "big": 2**63 - 1,
        **({"sometimes": i} if i % 3 else {}),
    }, metadata={"m": i, "when": datetime(2020, 1, 1, tzinfo=UTC)} if i % 2 else {},
        id=f"r{i:04d}")


def records(start: int, stop: int) -> list[Record]:
    return [make(i) for i in range(start, stop)]


def store(tmp_path: Path, fmt: str, **options: Any) -> FileDatabase:
    return FileDatabase(path=tmp_path / f"store.{fmt}", fsync=False,
                        compaction_threshold=THRESHOLD, **options)


def assert_holds(db: FileDatabase, expected: list[Record]) -> None:
    got = {rec.id: rec for rec in db.search()}
    assert sorted(got) == sorted(rec.id for rec in expected)
    for rec in expected:
        assert exactly(got[rec.id].data, rec.data), rec.id
        assert exactly(got[rec.id].metadata, rec.metadata), rec.id


def log_operations(db: FileDatabase) -> int:
    """The operations in the store's log file, read afresh."""
    return len(OperationLog(db.layout.log_path).read_all())


def snapshot_records(db: FileDatabase) -> list[Record]:
    """The records of the snapshot file, read afresh (none when there is no file)."""
    if not os.path.exists(db.path):
        return []
    with open(db.path, "rb") as fh:
        payload = fh.read()
    return get_format(db.format).load(payload, db.layout.compression, db.path)


class Spy:
    """Counts log lines encoded and snapshots written by the file adapter."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.encoded = 0
        self.snapshots: list[int] = []
        real_encode = file_database.encode_operation
        real_compact = FileDatabase._compact_locked

        def encode(op: Any) -> Any:
            self.encoded += 1
            return real_encode(op)

        def compact(db: FileDatabase, state: Any) -> None:
            real_compact(db, state)
            self.snapshots.append(len(state))

        monkeypatch.setattr(file_database, "encode_operation", encode)
        monkeypatch.setattr(FileDatabase, "_compact_locked", compact)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_big_batch_goes_straight_into_the_snapshot(
        tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    db = store(tmp_path, fmt)
    batch = records(0, 3 * THRESHOLD)
    assert db.create_batch(batch) == [rec.id for rec in batch]
    assert spy.encoded == 0  # no log line was built
    assert spy.snapshots == [len(batch)]
    assert log_operations(db) == 0
    on_disk = snapshot_records(db)
    assert [rec.id for rec in on_disk] == [rec.id for rec in batch]
    for got, rec in zip(on_disk, batch, strict=True):
        assert exactly(got.data, rec.data) and exactly(got.metadata, rec.metadata)
    assert_holds(db, batch)
    db.close()
    assert spy.snapshots == [len(batch)]  # nothing left to fold in at close
    reopened = store(tmp_path, fmt)
    assert_holds(reopened, batch)
    reopened.close()


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_a_small_batch_still_goes_to_the_log(tmp_path: Path, fmt: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    db = store(tmp_path, fmt)
    db.create_batch(records(0, THRESHOLD))  # exactly the threshold: no compaction
    assert spy.encoded == THRESHOLD and spy.snapshots == []
    assert log_operations(db) == THRESHOLD
    assert snapshot_records(db) == []
    db.create_batch(records(THRESHOLD, 3 * THRESHOLD))  # now it would compact: direct
    assert spy.encoded == THRESHOLD and spy.snapshots == [3 * THRESHOLD]
    assert log_operations(db) == 0
    assert len(snapshot_records(db)) == 3 * THRESHOLD
    db.close()
    reopened = store(tmp_path, fmt)
    assert_holds(reopened, records(0, 3 * THRESHOLD))
    reopened.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_another_instance_sees_the_batch(tmp_path: Path, fmt: str) -> None:
    writer = store(tmp_path, fmt)
    reader = store(tmp_path, fmt)
    writer.create(make(0))
    assert [rec.id for rec in reader.search()] == ["r0000"]  # reader has loaded the store
    writer.create_batch(records(1, 4 * THRESHOLD))
    assert log_operations(writer) == 0
    assert_holds(reader, records(0, 4 * THRESHOLD))
    reader.create(make(999))  # and it writes on top of the new snapshot
    assert_holds(writer, [*records(0, 4 * THRESHOLD), make(999)])
    writer.close()
    reader.close()
    reopened = store(tmp_path, fmt)
    assert_holds(reopened, [*records(0, 4 * THRESHOLD), make(999)])
    reopened.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_taken_id_writes_nothing(tmp_path: Path, fmt: str) -> None:
    db = store(tmp_path, fmt)
    db.create(make(5))
    before = snapshot_records(db), log_operations(db)
    with pytest.raises(BatchOperationError) as info:
        db.create_batch(records(0, 3 * THRESHOLD))
    assert set(info.value.failed) == {5}
    assert isinstance(info.value.failed[5], RecordExistsError)
    assert (snapshot_records(db), log_operations(db)) == before
    assert [rec.id for rec in db.search()] == ["r0005"]
    db.close()
    reopened = store(tmp_path, fmt)
    assert [rec.id for rec in reopened.search()] == ["r0005"]
    reopened.close()


def deep_value(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unstorable_record_writes_nothing(tmp_path: Path, fmt: str) -> None:
    """The port refuses such records before the adapter sees them; the adapter's own check
    (the log's) still refuses one handed to the batch hook, per index, without a write."""
    db = store(tmp_path, fmt)
    batch = records(0, 3 * THRESHOLD)
    batch[3] = Record.trusted({"d": deep_value(MAX_DEPTH + 1)}, {}, "deep")
    batch[7] = Record.trusted({"o": object()}, {}, "object")
    batch[9] = Record.trusted({"ok": deep_value(MAX_DEPTH)}, {}, "deep but allowed")
    failed = db._create_batch(batch)
    assert sorted(failed) == [3, 7]
    assert all(isinstance(err, SerializationError) for err in failed.values())
    assert "deeper than" in str(failed[3])
    assert len(db) == 0 and not os.path.exists(db.path) and log_operations(db) == 0
    with pytest.raises(SerializationError):
        db._upsert_batch(batch)
    assert len(db) == 0 and not os.path.exists(db.path) and log_operations(db) == 0
    del batch[7], batch[3]
    assert db._create_batch(batch) == {}
    db.close()
    reopened = store(tmp_path, fmt)
    assert_holds(reopened, batch)
    reopened.close()


def test_the_cheap_check_agrees_with_the_log() -> None:
    """``_loggable`` vouches only for records the log's encoder takes."""
    from dataknobs_data.adapters.file.oplog import encode_operation

    cases: list[tuple[dict[str, Any], bool]] = [
        ({"a": 1}, True),
        ({"a": deep_value(MAX_DEPTH)}, True),
        ({"a": deep_value(MAX_DEPTH + 1)}, False),
        ({"a": {"b": [datetime(2020, 1, 1)]}}, True),
        ({"a": float("nan")}, False),
        ({"a": (1, 2)}, False),
        ({"a": {1: 2}}, False),
    ]
    for data, plain in cases:
        rec = Record.trusted(data, {}, "x")
        assert file_database._loggable(rec) is plain, data
        if plain:
            encode_operation(("put", rec))  # the log takes every record vouched for


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet"])
def test_a_failed_snapshot_keeps_the_batch_in_the_log(
        tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = store(tmp_path, fmt)
    db.create(make(0))
    fmt_class = type(db._snapshot_format())
    real_dump = fmt_class.dump

    def broken(self: Any, recs: Any, compression: Any) -> bytes:
        raise OSError("disk on fire")

    monkeypatch.setattr(fmt_class, "dump", broken)
    batch = records(1, 3 * THRESHOLD)
    assert db.create_batch(batch) == [rec.id for rec in batch]  # durable in the log instead
    assert log_operations(db) == 1 + len(batch)
    assert snapshot_records(db) == []
    assert_holds(db, records(0, 3 * THRESHOLD))
    other = store(tmp_path, fmt)  # the log replays in another instance
    assert_holds(other, records(0, 3 * THRESHOLD))
    other._log.close()
    other._lock.close()
    # the compaction is retried only once the log has doubled, not on the next write
    db.create(make(100))
    assert log_operations(db) == 2 + len(batch)
    with pytest.raises(StorageError, match="no write is lost"):
        db.close()
    monkeypatch.setattr(fmt_class, "dump", real_dump)
    reopened = store(tmp_path, fmt)
    assert_holds(reopened, [*records(0, 3 * THRESHOLD), make(100)])
    reopened.compact()
    reopened.close()
    assert log_operations(reopened) == 0
    assert len(snapshot_records(reopened)) == 3 * THRESHOLD + 1


def test_a_failed_snapshot_and_log_write_nothing(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db = store(tmp_path, "jsonl")
    db.create(make(0))
    fmt_class = type(db._snapshot_format())

    def broken(self: Any, recs: Any, compression: Any) -> bytes:
        raise OSError("disk on fire")

    def no_append(payload: bytes, operations: int, fsync: bool) -> None:
        raise StorageError("cannot write the log: no space left on device")

    monkeypatch.setattr(fmt_class, "dump", broken)
    monkeypatch.setattr(db._log, "append", no_append)
    with pytest.raises(StorageError, match="no space left"):
        db.create_batch(records(1, 3 * THRESHOLD))
    assert [rec.id for rec in db.search()] == ["r0000"]  # the state rolled back
    with pytest.raises(StorageError, match="no space left"):
        db.upsert_batch(records(1, 3 * THRESHOLD))
    assert [rec.id for rec in db.search()] == ["r0000"]
    monkeypatch.undo()
    reopened = store(tmp_path, "jsonl")
    assert [rec.id for rec in reopened.search()] == ["r0000"]
    reopened.close()
    db.create_batch(records(1, 3 * THRESHOLD))  # and the batch can be written afterwards
    db.close()
    reopened = store(tmp_path, "jsonl")
    assert_holds(reopened, records(0, 3 * THRESHOLD))
    reopened.close()


def test_a_snapshot_written_but_the_log_not_renewed(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The crash window between the snapshot's rename and the log's renewal: the old log
    is replayed over the new snapshot, which is harmless (it deletes and clears nothing)."""
    db = store(tmp_path, "jsonl")
    db.create(make(0))

    def no_renew() -> None:
        raise StorageError("cannot write the log")

    monkeypatch.setattr(db._log, "renew", no_renew)
    batch = records(1, 3 * THRESHOLD)
    db.create_batch(batch)
    assert len(snapshot_records(db)) == 3 * THRESHOLD  # the snapshot was written
    assert log_operations(db) == 3 * THRESHOLD  # and the batch appended to the old log
    monkeypatch.undo()
    assert_holds(db, records(0, 3 * THRESHOLD))
    other = store(tmp_path, "jsonl")
    assert_holds(other, records(0, 3 * THRESHOLD))
    other.close()
    db.close()


@pytest.mark.parametrize("removal", ["delete", "clear"])
def test_a_log_that_removes_records_is_not_skipped(
        tmp_path: Path, removal: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replaying ``del r0001`` (or ``clear``) over a snapshot holding a re-created r0001
    would lose it if a crash kept the old log: such a batch goes through the log."""
    spy = Spy(monkeypatch)
    db = store(tmp_path, "jsonl")
    db.create_batch(records(0, 2))
    if removal == "delete":
        db.delete("r0001")
    else:
        db.clear()
    other = store(tmp_path, "jsonl")  # another instance learns of the removal from the log
    spy.encoded = 0
    other.create_batch(records(1, 3 * THRESHOLD))
    assert spy.encoded == 3 * THRESHOLD - 1  # through the log, then compacted
    assert spy.snapshots == [3 * THRESHOLD - (1 if removal == "clear" else 0)]
    assert log_operations(other) == 0
    spy.encoded = 0
    other.create_batch(records(100, 200))  # the new log removes nothing: direct again
    assert spy.encoded == 0
    other.close()
    db.close()
    expected = records(0 if removal == "delete" else 1, 3 * THRESHOLD) + records(100, 200)
    reopened = store(tmp_path, "jsonl")
    assert_holds(reopened, expected)
    reopened.close()


def test_inside_a_transaction_the_batch_waits_for_the_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    db = store(tmp_path, "parquet")
    with db.transaction():
        db.create_batch(records(0, 3 * THRESHOLD))
        assert spy.snapshots == [] and not os.path.exists(db.path)
        assert spy.encoded == 3 * THRESHOLD
    assert len(db) == 3 * THRESHOLD
    with pytest.raises(RuntimeError), db.transaction():
        db.create_batch(records(100, 200))
        raise RuntimeError("roll back")
    assert len(db) == 3 * THRESHOLD
    db.close()
    reopened = store(tmp_path, "parquet")
    assert_holds(reopened, records(0, 3 * THRESHOLD))
    reopened.close()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_big_upsert_and_update_batches_go_straight_into_the_snapshot(
        tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = Spy(monkeypatch)
    db = store(tmp_path, fmt)
    db.upsert_batch(records(0, 3 * THRESHOLD))
    assert spy.encoded == 0 and spy.snapshots == [3 * THRESHOLD]
    changed = [Record({**make(i).data, "i": -i}, id=f"r{i:04d}") for i in range(3 * THRESHOLD)]
    versions = [db.get_version(rec.id or "") for rec in changed]
    found = db.update_batch([(rec.id or "", rec) for rec in changed] + [("absent", make(1))])
    assert found == [True] * len(changed) + [False]
    assert spy.encoded == 0 and spy.snapshots == [3 * THRESHOLD] * 2
    assert all(db.get_version(rec.id or "") != v for rec, v in zip(changed, versions,
                                                                     strict=True))
    mixed = [*changed[:THRESHOLD], *records(100, 100 + 2 * THRESHOLD)]
    db.upsert_batch(mixed)
    assert spy.encoded == 0 and spy.snapshots[-1] == 5 * THRESHOLD
    assert log_operations(db) == 0
    db.close()
    reopened = store(tmp_path, fmt)
    assert_holds(reopened, [*changed, *records(100, 100 + 2 * THRESHOLD)])
    reopened.close()


def test_a_migration_writes_the_snapshot_once(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten batches of the threshold's size: the Migrator writes them in one
    ``deferred_compaction`` block, so every batch goes to the log (durable as it returns)
    and the snapshot is written once, when the migration ends, not at 2 and 5 batches."""
    spy = Spy(monkeypatch)
    source = MemoryDatabase()
    source.create_batch(records(0, 10 * THRESHOLD))
    target = store(tmp_path, "parquet")
    result = Migrator(source, target, batch_size=THRESHOLD).run(count_total=False)
    assert result.ok and result.written == 10 * THRESHOLD
    assert spy.snapshots == [10 * THRESHOLD]  # at the end of the run, before close
    assert spy.encoded == 10 * THRESHOLD
    target.close()
    assert spy.snapshots == [10 * THRESHOLD]  # nothing left to compact
    reopened = store(tmp_path, "parquet")
    assert_holds(reopened, records(0, 10 * THRESHOLD))
    reopened.close()


def test_without_the_block_writes_compact_as_they_go(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The same batches written one by one: the snapshot is written when the log would be
    compacted anyway (at 2 and 5 batches, and at close); the batches written there skip
    the log."""
    spy = Spy(monkeypatch)
    target = store(tmp_path, "parquet")
    for lo in range(0, 10 * THRESHOLD, THRESHOLD):
        target.create_batch(records(lo, lo + THRESHOLD))
    target.close()
    assert spy.snapshots == [2 * THRESHOLD, 5 * THRESHOLD, 10 * THRESHOLD]
    assert spy.encoded == 8 * THRESHOLD


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_inside_deferred_compaction_every_batch_is_durable(
        tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside the block nothing compacts, yet each batch is on disk when its call returns:
    another handle on the file (another process's view) reads it at once; nested blocks end
    with the outermost, which compacts once."""
    spy = Spy(monkeypatch)
    target = store(tmp_path, fmt)
    with target.deferred_compaction():
        with target.deferred_compaction():
            for lo in range(0, 6 * THRESHOLD, THRESHOLD):
                target.create_batch(records(lo, lo + THRESHOLD))
                other = store(tmp_path, fmt, compact_on_close=False)
                assert other.count() == lo + THRESHOLD
                other.close()
        assert spy.snapshots == []  # the inner block's end is not the end
    assert spy.snapshots == [6 * THRESHOLD]
    target.create_batch(records(100, 101))  # after the block, writes compact as before
    target.close()
    reopened = store(tmp_path, fmt)
    assert_holds(reopened, [*records(0, 6 * THRESHOLD), *records(100, 101)])
    reopened.close()


def test_the_async_migrator_defers_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from dataknobs_data.adapters.file import AsyncFileDatabase
    from dataknobs_data.adapters.memory import AsyncMemoryDatabase
    from dataknobs_data.migration import AsyncMigrator

    spy = Spy(monkeypatch)

    async def main() -> None:
        source = AsyncMemoryDatabase()
        await source.create_batch(records(0, 6 * THRESHOLD))
        target = AsyncFileDatabase(path=tmp_path / "store.parquet", fsync=False,
                                   compaction_threshold=THRESHOLD)
        result = await AsyncMigrator(source, target, batch_size=THRESHOLD).run(
            count_total=False)
        assert result.ok and result.written == 6 * THRESHOLD
        assert spy.snapshots == [6 * THRESHOLD]
        await target.close()

    asyncio.run(main())
    reopened = store(tmp_path, "parquet")
    assert_holds(reopened, records(0, 6 * THRESHOLD))
    reopened.close()


class Crash(BaseException):
    """The process dying at this point (nothing catches it)."""


def changed(recs: list[Record], tag: str) -> list[Record]:
    return [Record({**rec.data, "tag": tag}, metadata=rec.metadata, id=rec.id) for rec in recs]


def _after_puts(db: FileDatabase) -> tuple[Any, list[Record]]:
    db.create_batch(records(0, 5))  # in the log
    return (lambda: db.create_batch(records(5, 40))), records(0, 40)


def _after_delete(db: FileDatabase) -> tuple[Any, list[Record]]:
    db.create_batch(records(0, 5))
    db.delete("r0002")  # ``del r0002`` in the log, then r0002 created again
    return (lambda: db.create_batch([make(2), *records(5, 40)])), records(0, 40)


def _after_clear(db: FileDatabase) -> tuple[Any, list[Record]]:
    db.create_batch(records(0, 5))
    db.clear()
    return (lambda: db.create_batch(records(0, 40))), records(0, 40)


def _upsert_new_ids(db: FileDatabase) -> tuple[Any, list[Record]]:
    db.create_batch(records(0, 5))
    return (lambda: db.upsert_batch(records(5, 40))), records(0, 40)


def _upsert_over_logged(db: FileDatabase) -> tuple[Any, list[Record]]:
    db.create_batch(records(0, 5))  # ``put r0000`` ... in the log, then replaced
    batch = changed(records(0, 40), "new")
    return (lambda: db.upsert_batch(batch)), batch


def _update_over_logged(db: FileDatabase) -> tuple[Any, list[Record]]:
    db.create_batch(records(0, 40))  # straight into the snapshot: the log is empty
    db.update("r0001", changed(records(1, 2), "old")[0])  # ``put r0001`` in the log
    batch = changed(records(0, 40), "new")
    return (lambda: db.update_batch([(rec.id or "", rec) for rec in batch])), batch


def _update_empty_log(db: FileDatabase) -> tuple[Any, list[Record]]:
    db.create_batch(records(0, 40))
    batch = changed(records(0, 40), "new")
    return (lambda: db.update_batch([(rec.id or "", rec) for rec in batch])), batch


@pytest.mark.parametrize("scenario", [_after_puts, _after_delete, _after_clear,
                                      _upsert_new_ids, _upsert_over_logged,
                                      _update_over_logged, _update_empty_log],
                         ids=lambda f: f.__name__.strip("_"))
def test_a_crash_between_the_snapshot_and_the_new_log_loses_nothing(
        tmp_path: Path, scenario: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies after the new snapshot's rename, before the log is renewed: the
    store reopens with the new snapshot and the old log replayed over it, which must give
    the state after the batch, whether the batch went straight into the snapshot or (when
    the old log could undo it) through the log."""
    db = store(tmp_path, "jsonl")
    write, expected = scenario(db)

    def crash() -> None:
        raise Crash

    monkeypatch.setattr(db._log, "renew", crash)
    with pytest.raises(Crash):
        write()
    assert len(snapshot_records(db)) == len(expected)  # the snapshot was written
    db._log.close()
    db._lock.close()
    reopened = store(tmp_path, "jsonl")
    assert_holds(reopened, expected)
    reopened.close()
