"""Migrator on every backend, as target (from memory) and as source (into memory): batches,
transforms, queries, verification, dry run, error policies and resuming after a crash."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from dataknobs_data import MemoryDatabase, Operator, Query, Record
from dataknobs_data.adapters.memory import AsyncMemoryDatabase
from dataknobs_data.migration import (
    AddDefault,
    AsyncMigrator,
    Drop,
    FileCheckpointStore,
    MapField,
    MemoryCheckpointStore,
    MigrationError,
    Migrator,
    Rename,
)

N = 60


def source_records(n: int = N) -> list[Record]:
    """Varied values: every storable type, nested, null and missing fields."""
    base = datetime(2024, 3, 1, 12, tzinfo=UTC)
    out = []
    for i in range(n):
        data: dict[str, Any] = {
            "name": f"p{i:03d}", "age": 20 + i % 40, "score": i / 8, "active": i % 3 != 0,
            "joined": base + timedelta(days=i), "team": {"name": ["core", "infra"][i % 2]},
            "tags": [f"t{i % 4}", i % 5], "note": None if i % 7 == 0 else f"n{i}",
        }
        if i % 5 == 0:
            del data["score"]
        out.append(Record(data, metadata={"source": "hr"}, id=f"id{i:04d}"))
    return out


def fill(db: Any, n: int = N) -> list[Record]:
    recs = source_records(n)
    db.create_batch(recs)
    return recs


def drop_minors(rec: Record) -> Record | None:
    return None if rec["age"] < 25 else rec


TRANSFORMS = [Rename("name", "full_name"), Drop("tags"), AddDefault("country", "NO"),
              MapField("age", lambda a: a + 1), drop_minors]


def expected_after(recs: list[Record]) -> dict[str, dict[str, Any]]:
    out = {}
    for rec in recs:
        data = dict(rec.data)
        data["full_name"] = data.pop("name")
        data.pop("tags")
        data["country"] = "NO"
        data["age"] += 1
        if data["age"] >= 25:
            out[rec.id or ""] = data
    return out


# -- into every backend ------------------------------------------------------------------------
def test_migrate_into_backend_with_transforms_and_verify(stores: Any) -> None:
    source = MemoryDatabase()
    recs = fill(source)
    target = stores.new()
    seen: list[Any] = []
    m = Migrator(source, target, transforms=TRANSFORMS, batch_size=16, progress=seen.append)
    result = m.run(verify=True)
    want = expected_after(recs)
    assert result.ok and result.completed, result.summary()
    assert (result.read, result.written, result.dropped) == (N, len(want), N - len(want))
    assert result.verification is not None and result.verification.ok
    assert result.verification.matched == len(want)
    # the target holds exactly the transformed records, with their types and metadata
    back = stores.reopen(target)
    stored = {r.id: r for r in back.all()}
    assert {k: v.data for k, v in stored.items()} == want
    assert all(r.metadata == {"source": "hr"} for r in stored.values())
    # progress: once before the first batch and after each one, ending at the total
    assert seen[0].total == N and seen[-1].done == N and seen[-1].eta == 0.0


def test_migrate_out_of_backend_with_query(stores: Any) -> None:
    source = stores.new()
    recs = fill(source)
    target = MemoryDatabase()
    q = Query().filter("team.name", Operator.EQ, "core").filter("age", Operator.GTE, 30)
    result = Migrator(source, target, query=q, batch_size=7).run(verify=True)
    want = [r for r in recs if r["team"]["name"] == "core" and r["age"] >= 30]
    assert result.ok and result.written == len(want) and result.verification.ok  # type: ignore[union-attr]
    assert [r.id for r in target.all()] == [r.id for r in want]
    assert target.read(want[0].id or "") == want[0]


def test_dry_run_writes_nothing_and_reports_what_the_target_refuses(stores: Any) -> None:
    source = MemoryDatabase()
    fill(source, 20)
    source.update("id0003", Record({"name": "x", "age": "old"}))
    target = stores.new(schema={"fields": {"age": {"type": "integer"}}})
    result = Migrator(source, target, batch_size=8, on_error="stop").run(dry_run=True)
    assert result.dry_run and result.read == 20 and result.written == 19
    assert [(f.index, f.record_id) for f in result.failures] == [(3, "id0003")]
    assert "age" in result.failures[0].error
    assert target.count() == 0


def test_error_policies_stop_and_skip(stores: Any) -> None:
    source = MemoryDatabase()
    fill(source, 30)
    source.update("id0011", Record({"name": "x", "age": "old"}))
    schema = {"fields": {"age": {"type": "integer"}}}
    store = MemoryCheckpointStore()
    stopped = Migrator(source, stores.new(schema=schema), batch_size=5, checkpoint=store,
                       migration_id="m").run()
    assert stopped.stopped_early and not stopped.ok and stopped.failed == 1
    assert stopped.failures[0].record_id == "id0011"
    assert store.load("m").position == 10  # type: ignore[union-attr]
    target = stores.new(schema=schema)
    skipped = Migrator(source, target, batch_size=5, on_error="skip").run(verify=True)
    assert not skipped.stopped_early and skipped.written == 29 and skipped.failed == 1
    assert target.count() == 29 and not target.exists("id0011")
    report = skipped.verification
    assert report is not None and report.missing_ids == ["id0011"] and not report.ok


def test_verify_reports_missing_changed_and_extra_records(stores: Any) -> None:
    source = MemoryDatabase()
    fill(source, 25)
    target = stores.new()
    m = Migrator(source, target, batch_size=10)
    assert m.run().ok
    target.delete("id0004")
    changed = target.read("id0007")
    changed["age"] = 99
    changed["extra"] = 1
    target.update("id0007", changed)
    target.create(Record({"name": "stray"}, id="zz-stray"))
    report = m.verify()
    assert not report.ok
    assert (report.expected, report.target_count) == (25, 25)
    assert (report.matched, report.missing, report.mismatched, report.extra) == (23, 1, 1, 1)
    assert report.missing_ids == ["id0004"] and report.extra_ids == ["zz-stray"]
    assert report.mismatches[0].record_id == "id0007"
    assert report.mismatches[0].fields == ["age", "extra"]


def test_resume_after_a_crash_mid_batch_has_no_duplicates_or_gaps(
        stores: Any, helpers: Any, tmp_path: Any) -> None:
    source = MemoryDatabase()
    recs = fill(source)
    target = stores.new()
    checkpoints = FileCheckpointStore(tmp_path / "cp")
    crashing = helpers.FaultyStore(target, crash_on_batch=3)
    with pytest.raises(helpers.Crash):
        Migrator(source, crashing, batch_size=10, checkpoint=checkpoints,
                 migration_id="copy").run()
    saved = checkpoints.load("copy")
    assert saved is not None and saved.position == 20 and saved.last_id == "id0019"
    assert target.count() == 25  # two batches and half of the third landed
    # a second run without --resume refuses to start over silently
    with pytest.raises(MigrationError, match="checkpoint"):
        Migrator(source, target, batch_size=10, checkpoint=checkpoints,
                 migration_id="copy").run()
    resumed = Migrator(source, target, batch_size=10, checkpoint=checkpoints,
                       migration_id="copy").run(resume=True, verify=True)
    assert resumed.resume_mode == "anchored" and resumed.resumed_from == 20
    assert resumed.read == N - 20 and resumed.total_written == N
    assert resumed.verification is not None and resumed.verification.ok
    assert sorted(r.id for r in target.all()) == [r.id for r in recs]


def test_resume_rescans_when_the_source_changed_before_the_checkpoint(stores: Any) -> None:
    source = stores.new()
    fill(source, 30)
    target = MemoryDatabase()
    store = MemoryCheckpointStore()

    class Stop(Exception):
        pass

    def stop_after_two(progress: Any) -> None:
        if progress.read >= 20:
            raise Stop

    with pytest.raises(Stop):
        Migrator(source, target, batch_size=10, checkpoint=store, migration_id="m",
                 progress=stop_after_two).run()
    assert store.load("m").last_id == "id0019"  # type: ignore[union-attr]
    # records before the checkpoint disappear, one appears before it, one after it
    source.delete_batch(["id0001", "id0002", "id0003"])
    source.create(Record({"name": "late", "age": 1}, id="id0005a"))
    source.create(Record({"name": "new", "age": 2}, id="id9999"))
    resumed = Migrator(source, target, batch_size=10, checkpoint=store,
                       migration_id="m").run(resume=True)
    assert resumed.resume_mode == "scan"
    ids = [r.id for r in target.all()]
    assert ids == sorted(set(ids))  # no duplicates
    assert {f"id{i:04d}" for i in range(30)} <= set(ids) and "id9999" in ids


async def test_async_migrator_resumes_and_verifies(stores: Any, helpers: Any) -> None:
    source = AsyncMemoryDatabase()
    recs = source_records(40)
    await source.create_batch(recs)
    target = stores.new_async()
    store = MemoryCheckpointStore()

    class Stop(Exception):
        pass

    def stop_once(progress: Any) -> None:
        if progress.read == 16 and progress.resumed_from == 0:
            raise Stop

    try:
        with pytest.raises(Stop):
            await AsyncMigrator(source, target, batch_size=8, checkpoint=store,
                                migration_id="a", transforms=TRANSFORMS,
                                progress=stop_once).run()
        result = await AsyncMigrator(source, target, batch_size=8, checkpoint=store,
                                     migration_id="a", transforms=TRANSFORMS
                                     ).run(resume=True, verify=True)
        assert result.resumed_from == 16 and result.verification.ok  # type: ignore[union-attr]
        assert await target.count() == len(expected_after(recs))
    finally:
        await stores.aclose()


# -- backend-independent behaviour -------------------------------------------------------------
def test_upsert_mode_replaces_and_create_mode_reports_existing() -> None:
    source, target = MemoryDatabase(), MemoryDatabase()
    fill(source, 10)
    target.create(Record({"name": "old"}, id="id0002"))
    created = Migrator(source, target, on_error="skip").run()
    assert created.failed == 1 and "exists" in created.failures[0].error
    assert target.read("id0002")["name"] == "old"  # type: ignore[index]
    upserted = Migrator(source, target, mode="upsert").run(verify=True)
    assert upserted.ok and target.read("id0002")["name"] == "p002"  # type: ignore[index]


def test_skip_mode_leaves_existing_records_and_resumes_idempotently() -> None:
    source, target = MemoryDatabase(), MemoryDatabase()
    fill(source, 10)
    target.create(Record({"name": "old"}, id="id0002"))
    store = MemoryCheckpointStore()
    result = Migrator(source, target, mode="skip", batch_size=4, checkpoint=store).run()
    assert (result.written, result.existing, result.failed) == (9, 1, 0) and result.ok
    assert "already there 1" in result.summary()
    assert target.read("id0002")["name"] == "old"  # type: ignore[index]
    with pytest.raises(MigrationError, match="'create', 'upsert' or 'skip'"):
        Migrator(source, target, mode="merge")  # type: ignore[arg-type]


def test_a_failing_transform_is_reported_per_record() -> None:
    source, target = MemoryDatabase(), MemoryDatabase()
    fill(source, 10)

    def picky(rec: Record) -> Record:
        if rec.id == "id0004":
            raise ValueError("cannot handle this one")
        return rec

    result = Migrator(source, target, transforms=picky, on_error="skip").run()
    assert result.written == 9 and result.failures[0].record_id == "id0004"
    assert "cannot handle" in result.failures[0].error


def test_completed_checkpoint_resumes_to_nothing_and_reset_starts_over() -> None:
    source, target = MemoryDatabase(), MemoryDatabase()
    fill(source, 12)
    store = MemoryCheckpointStore()
    m = Migrator(source, target, checkpoint=store, migration_id="x", batch_size=5)
    assert m.run().completed
    again = m.run(resume=True)
    assert again.read == 0 and again.total_written == 12
    m.reset()
    assert m.checkpoint() is None
    with pytest.raises(MigrationError, match="different query"):
        store.save(m.spec.checkpoints.load("x") or _saved(m))  # type: ignore[union-attr]
        Migrator(source, target, checkpoint=store, migration_id="x",
                 query=Query().filter("age", Operator.GT, 1)).run(resume=True)


def _saved(m: Migrator) -> Any:
    from dataknobs_data.migration import Checkpoint

    return Checkpoint("x", m.spec.fingerprint(), position=3, last_id="id0002")


def test_sorted_query_cannot_be_resumable() -> None:
    with pytest.raises(MigrationError, match="sort"):
        Migrator(MemoryDatabase(), MemoryDatabase(), query=Query().sort("age"),
                 checkpoint=MemoryCheckpointStore())


def test_unordered_source_is_refused_when_checkpointing() -> None:
    class Shuffled(MemoryDatabase):
        def _stream_read(self, query: Any, config: Any) -> Any:
            return iter(reversed(list(super()._stream_read(query, config))))

    source = Shuffled()
    fill(source, 5)
    with pytest.raises(MigrationError, match="id order"):
        Migrator(source, MemoryDatabase(), checkpoint=MemoryCheckpointStore()).run()


def test_verify_compares_instants_not_offsets() -> None:
    source, target = MemoryDatabase(), MemoryDatabase()
    t = datetime(2024, 1, 1, 12, tzinfo=UTC)
    source.create(Record({"t": t, "n": 1}, id="a"))
    target.create(Record({"t": t.astimezone(timezone(timedelta(hours=2))), "n": 1}, id="a"))
    assert Migrator(source, target).verify().ok
    target.update("a", Record({"t": t, "n": 1.0}))
    report = Migrator(source, target).verify()
    assert report.mismatches[0].fields == ["n"]  # 1 and 1.0 are different types


def test_resume_keeps_the_query_window_in_both_modes() -> None:
    source, target = MemoryDatabase(), MemoryDatabase()
    fill(source, 40)
    q = Query().offset(5).limit(20)
    store = MemoryCheckpointStore()

    class Stop(Exception):
        pass

    def stop(progress: Any) -> None:
        if progress.read >= 8 and progress.resumed_from == 0:
            raise Stop

    with pytest.raises(Stop):
        Migrator(source, target, query=q, batch_size=4, checkpoint=store, migration_id="w",
                 progress=stop).run()
    anchored = Migrator(source, target, query=q, batch_size=4, checkpoint=store,
                        migration_id="w").run(resume=True)
    assert anchored.resume_mode == "anchored"
    assert [r.id for r in target.all()] == [f"id{i:04d}" for i in range(5, 25)]
    # the same after a change before the checkpoint (rescan): the window is not cut short
    target2, store2 = MemoryDatabase(), MemoryCheckpointStore()
    with pytest.raises(Stop):
        Migrator(source, target2, query=q, batch_size=4, checkpoint=store2, migration_id="w",
                 progress=stop).run()
    target2.delete("id0005")
    cp = store2.load("w")
    assert cp is not None
    cp.last_id = "id0012x"  # no such record: the anchor cannot match
    store2.save(cp)
    scanned = Migrator(source, target2, query=q, batch_size=4, checkpoint=store2,
                       migration_id="w").run(resume=True)
    assert scanned.resume_mode == "scan"
    assert [r.id for r in target2.all()] == [f"id{i:04d}" for i in range(6, 25)]


# -- records handed over without a copy -------------------------------------------------------


def test_a_stream_read_without_copy_yields_the_stored_records() -> None:
    """``StreamConfig(copy=False)``: the memory store yields its own records (the caller
    promised not to change them); an update replaces the stored record, so what was read
    stays what it was. The default still copies."""
    from dataknobs_data.adapters.memory import MemoryDatabase
    from dataknobs_data.ports.streaming import StreamConfig

    db = MemoryDatabase()
    db.create(Record({"a": [1], "b": {"c": 2}}, id="x"))
    shared = StreamConfig(copy=False)
    first = list(db.stream_read(config=shared))
    assert first[0] is next(iter(db.stream_read(config=shared)))
    copied = next(iter(db.stream_read()))
    assert copied is not first[0] and copied.data["a"] is not first[0].data["a"]
    db.update("x", Record({"a": [2], "b": {"c": 3}}))
    assert first[0].data == {"a": [1], "b": {"c": 2}}
    assert [r.data for r in db.stream_read(config=shared)] == [{"a": [2], "b": {"c": 3}}]


def test_a_migration_without_transform_shares_nothing_that_changes() -> None:
    """Without a transform the Migrator reads without copies and hands the records over;
    the two stores stay independent: an update of either leaves the other as it was. With a
    transform that changes the record it is given in place, the source is copied from."""
    from dataknobs_data.adapters.memory import MemoryDatabase

    source, target = MemoryDatabase(), MemoryDatabase()
    source.create_batch([Record({"n": i, "tags": [i]}, id=f"r{i}") for i in range(5)])
    assert Migrator(source, target, batch_size=2).run(count_total=False).ok
    source.update("r1", Record({"n": 10, "tags": [10]}))
    target.update("r2", Record({"n": 20, "tags": [20]}))
    assert target.read("r1").data == {"n": 1, "tags": [1]}
    assert source.read("r2").data == {"n": 2, "tags": [2]}

    def in_place(rec: Record) -> Record:
        rec.data["tags"].append(99)  # a transform may change what it is given
        return rec

    other = MemoryDatabase()
    assert Migrator(source, other, transforms=in_place, batch_size=2).run(count_total=False).ok
    assert [source.read(f"r{i}").data["tags"] for i in range(5)] == [[0], [10], [2], [3], [4]]
    assert other.read("r0").data["tags"] == [0, 99]


def test_a_store_s_own_records_are_vouched_for_once(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Any) -> None:
    """Untransformed records from a memory store's stored records are not walked again by
    the target (``preparation.VOUCHED``), nor those of a file store that wrote them itself
    or loaded them from a Parquet snapshot whose columns pass the screen; with a transform,
    from a JSON Lines store another handle wrote (records decoded from text), from a store
    that decodes fresh records, or in a plain ``create_batch(copy=False)``, the walk runs;
    after the migration nothing is vouched for."""
    from dataknobs_data.adapters.file import FileDatabase
    from dataknobs_data.adapters.sqlite import SQLiteDatabase
    from dataknobs_data.ports import preparation

    walked: list[Any] = []
    real = preparation.is_plain

    def counted(value: Any, depth: int = 0) -> bool:
        walked.append(value)
        return real(value, depth)

    real_normalize = preparation.normalize_value

    def normalized(value: Any, path: str, *args: Any, **kwargs: Any) -> Any:
        if path == "data":  # a copying write checks each record's values here instead
            walked.append(value)
        return real_normalize(value, path, *args, **kwargs)

    monkeypatch.setattr(preparation, "is_plain", counted)
    monkeypatch.setattr(preparation, "normalize_value", normalized)
    records = [Record({"n": i, "tags": [i]}, id=f"r{i}") for i in range(6)]
    source = MemoryDatabase()
    source.create_batch(records)
    file_source = FileDatabase(path=tmp_path / "s.jsonl")
    file_source.create_batch(records)
    parquet = FileDatabase(path=tmp_path / "s.parquet")
    parquet.create_batch(records)
    parquet.close()
    file_source.compact()  # the records are now the JSON Lines snapshot's (and its state's)
    reopened = FileDatabase(path=tmp_path / "s.jsonl")
    reopened_parquet = FileDatabase(path=tmp_path / "s.parquet")
    for n, (stored, walks) in enumerate(((source, 0), (file_source, 0), (reopened, 6),
                                         (reopened_parquet, 0))):
        walked.clear()
        target = SQLiteDatabase(path=tmp_path / f"t{n}.db")  # checks, never copies
        assert Migrator(stored, target, batch_size=4).run(count_total=False).ok
        assert (n, len(walked)) == (n, walks) and target.count() == 6
        target.close()
    assert preparation.VOUCHED.get() is False
    walked.clear()
    other = SQLiteDatabase(path=tmp_path / "other.db")
    assert Migrator(source, other, transforms=lambda r: r, batch_size=4).run(
        count_total=False).ok
    assert len(walked) == 6  # a transform's output is checked
    walked.clear()
    again = SQLiteDatabase(path=tmp_path / "again.db")
    assert Migrator(other, again, batch_size=4).run(count_total=False).ok
    assert len(walked) == 6  # SQLite decodes fresh records: checked
    walked.clear()
    again.create_batch([Record({"n": 1}, id="x")], copy=False)
    assert len(walked) == 1

    async def on_the_async_port(transform: Any) -> int:
        from dataknobs_data.adapters.sqlite import AsyncSQLiteDatabase

        src = AsyncMemoryDatabase()
        dst = AsyncSQLiteDatabase(path=tmp_path / f"async{transform is None}.db")
        await src.create_batch(records)
        walked.clear()
        result = await AsyncMigrator(src, dst, transforms=transform, batch_size=4).run(
            count_total=False)
        assert result.ok and await dst.count() == 6
        await dst.close()
        return len(walked)

    assert asyncio.run(on_the_async_port(None)) == 0
    assert asyncio.run(on_the_async_port(lambda r: r)) == 6
    for db in (other, again, file_source, reopened, reopened_parquet):
        db.close()


def test_a_file_store_s_records_are_checked_again(tmp_path: Any) -> None:
    """A JSON Lines store another program wrote may hold what the port refuses (NaN, a
    100-bit integer); migrating it refuses those records by name and copies the rest."""
    from dataknobs_data.adapters.file import FileDatabase
    from dataknobs_data.adapters.sqlite import SQLiteDatabase

    path = tmp_path / "edited.jsonl"
    path.write_text('{"id": "nan", "data": {"x": NaN}}\n'
                    '{"id": "big", "data": {"x": 1267650600228229401496703205376}}\n'
                    '{"id": "ok", "data": {"x": 1.5}}\n')
    source = FileDatabase(path=path)
    target = SQLiteDatabase(path=tmp_path / "t.db")
    result = Migrator(source, target, batch_size=10, on_error="skip").run(count_total=False)
    failures = {f.record_id: f for f in result.failures}
    assert sorted(failures) == ["big", "nan"] and result.failed == 2
    assert "nan is not a finite number" in failures["nan"].error
    assert "does not fit in 64 bits" in failures["big"].error
    assert [r.id for r in target.all()] == ["ok"] and target.read("ok").data == {"x": 1.5}
    source.close()
    target.close()


def test_a_hand_edited_parquet_store_is_checked_again(tmp_path: Any) -> None:
    """A Parquet snapshot another program rewrote with a NaN, and a log line it appended
    with a 100-bit integer, turn the store's vouching off (for good, on that handle):
    migrating refuses those records by name and copies the rest."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dataknobs_data.adapters.file import FileDatabase
    from dataknobs_data.adapters.sqlite import SQLiteDatabase

    path = tmp_path / "s.parquet"
    writer = FileDatabase(path=path)
    writer.create_batch([Record({"x": float(i)}, id=f"r{i}") for i in range(3)])
    writer.close()
    table = pq.read_table(path)
    index = table.schema.names.index("x")
    edited = table.set_column(index, table.schema.field(index),
                              pa.array([0.0, float("nan"), 2.0])).replace_schema_metadata(
        table.schema.metadata)
    pq.write_table(edited, path)
    source = FileDatabase(path=path)
    assert source.count() == 3 and not source.checked_stream
    target = SQLiteDatabase(path=tmp_path / "t.db")
    result = Migrator(source, target, batch_size=10, on_error="skip").run(count_total=False)
    assert [f.record_id for f in result.failures] == ["r1"]
    assert "nan is not a finite number" in result.failures[0].error
    assert sorted(r.id for r in target.all()) == ["r0", "r2"]
    source.close()
    target.close()

    async def on_the_async_port() -> bool:
        from dataknobs_data.adapters.file import AsyncFileDatabase

        db = AsyncFileDatabase(path=path)
        assert await db.count() == 3
        await db.close()
        return db.checked_stream  # the sync handle's

    assert asyncio.run(on_the_async_port()) is False

    clean = tmp_path / "clean.parquet"
    writer = FileDatabase(path=clean)
    writer.create_batch([Record({"x": 1.0}, id="a")])
    writer.close()
    reader = FileDatabase(path=clean)
    assert reader.count() == 1 and reader.checked_stream  # the screen passes it
    line = '{"op": "put", "id": "big", "data": {"x": 1267650600228229401496703205376}}\n'
    other = FileDatabase(path=clean)  # another writer appends to the log ...
    other.create(Record({"x": 2.0}, id="b"))
    with open(str(clean) + ".log", "a", encoding="utf-8") as fh:
        fh.write(line)  # ... and a program by hand
    assert reader.count() in (2, 3)
    assert not reader.checked_stream
    other.close()
    reader.close()


def test_an_interrupted_migration_leaves_nothing_vouched_for() -> None:
    """An interrupt (a ``BaseException``, which the flow driver does not hand to the flow)
    escaping the target's write leaves ``VOUCHED`` unset, sync and async, while the
    interrupt is still held (its traceback keeps the migration's frames alive)."""
    from dataknobs_data.ports import preparation

    class Interrupted(MemoryDatabase):
        def stream_write(self, *args: Any, **kwargs: Any) -> Any:
            assert preparation.VOUCHED.get() is True  # the write itself is vouched for
            raise KeyboardInterrupt

    source = MemoryDatabase()
    source.create_batch([Record({"n": i}, id=f"r{i}") for i in range(3)])
    with pytest.raises(KeyboardInterrupt) as caught:
        Migrator(source, Interrupted()).run(count_total=False)
    assert caught.traceback and preparation.VOUCHED.get() is False

    class Cancelled(AsyncMemoryDatabase):
        async def stream_write(self, *args: Any, **kwargs: Any) -> Any:
            assert preparation.VOUCHED.get() is True
            raise asyncio.CancelledError

    async def main() -> bool:
        src = AsyncMemoryDatabase()
        await src.create_batch([Record({"n": i}, id=f"r{i}") for i in range(3)])
        try:
            await AsyncMigrator(src, Cancelled()).run(count_total=False)
        except asyncio.CancelledError as held:
            assert held.__traceback__ is not None
            return preparation.VOUCHED.get()
        raise AssertionError("not cancelled")

    assert asyncio.run(main()) is False
