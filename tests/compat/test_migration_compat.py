"""dataknobs-data 0.11's ``dataknobs_data.migration``, written as 0.11 programs write it."""

from __future__ import annotations

import pytest

from dataknobs_data import MemoryDatabase, Query
from dataknobs_data.fields import FieldType
from dataknobs_data.migration import (
    AddField,
    CompositeOperation,
    EvolutionError,
    Migration,
    MigrationError,
    MigrationProgress,
    Migrator,
    Operation,
    RemoveField,
    RenameField,
    Transformer,
    TransformField,
    TransformRule,
)
from dataknobs_data.records import Record


def test_operations_apply_to_copies_and_reverse() -> None:
    record = Record({"name": "Ada", "old": 1, "secret": "s", "price": 10})
    ops = CompositeOperation([
        AddField("status", "active", FieldType.STRING),
        RenameField("old", "new"),
        RemoveField("secret", store_removed=True),
        TransformField("price", transform_fn=lambda p: p * 2, reverse_fn=lambda p: p // 2),
    ])
    migrated = ops.apply(record)
    assert record.to_dict() == {"name": "Ada", "old": 1, "secret": "s", "price": 10}
    assert migrated.to_dict() == {"name": "Ada", "price": 20, "status": "active", "new": 1}
    assert migrated.metadata["_removed_secret"] == "s"
    back = ops.reverse(migrated)
    assert back.to_dict() == {"name": "Ada", "price": 10, "old": 1, "secret": "s"}
    assert "_removed_secret" not in back.metadata


def test_a_failing_transform_keeps_the_value_and_notes_the_error() -> None:
    op = TransformField("n", transform_fn=lambda v: int(v))
    out = op.apply(Record({"n": "seven"}))
    assert out.get_value("n") == "seven"
    assert "ValueError" in out.metadata["_transform_error_n"]
    strict = TransformField("n", transform_fn=lambda v: int(v), on_error="raise")
    with pytest.raises(EvolutionError, match="'n' value 'seven'"):
        strict.apply(Record({"n": "seven"}))


def test_a_rename_never_overwrites_a_value() -> None:
    with pytest.raises(EvolutionError, match="'b' exists"):
        RenameField("a", "b").apply(Record({"a": 1, "b": 2}))


def test_a_migration_moves_records_between_named_versions() -> None:
    migration = (Migration("v1", "v2", "split names")
                 .add(AddField("created", "2024-01-01"))
                 .add(RenameField("username", "user_name")))
    v1 = Record({"username": "ada"}, metadata={"version": "v1"})
    assert migration.validate(v1) == (True, [])
    v2 = migration.apply(v1)
    assert v2.metadata["version"] == "v2" and v2.get_value("user_name") == "ada"
    again = migration.apply(v2, reverse=True)
    assert again.metadata["version"] == "v1" and again.to_dict() == {"username": "ada"}
    ok, issues = migration.validate(Record({"other": 1}, metadata={"version": "v3"}))
    assert not ok
    assert any("version mismatch" in i for i in issues)
    assert any("'username'" in i for i in issues)
    assert migration.get_affected_fields() == {"created", "username", "user_name"}


def test_an_operation_written_as_in_0_11_works_both_ways() -> None:
    class Upper(Operation):
        def apply(self, record: Record) -> Record:
            out = record.copy()
            out.set_value("name", out.get_value("name").upper())
            return out

        def reverse(self, record: Record) -> Record:
            out = record.copy()
            out.set_value("name", out.get_value("name").lower())
            return out

    migration = Migration("1", "2").add(Upper()).add(AddField("x", 0))
    out = migration.apply(Record({"name": "ada"}))
    assert out.to_dict() == {"name": "ADA", "x": 0}
    assert migration.apply(out, reverse=True).to_dict() == {"name": "ada"}

    with pytest.raises(TypeError, match="must define forward"):
        type("Nothing", (Operation,), {})


def test_a_transformer_maps_excludes_and_adds() -> None:
    transformer = (Transformer()
                   .map("id", "_id")
                   .rename("username", "user_name")
                   .map("price", "price", lambda p: p * 2)
                   .exclude("password")
                   .add("full", lambda r: f"{r.get_value('user_name')}!"))
    record = Record({"id": 1, "username": "ada", "password": "x", "price": 5})
    out = transformer.transform(record)
    assert out is not None
    assert out.to_dict() == {"_id": 1, "user_name": "ada", "price": 10, "full": "ada!"}
    assert record.get_value("password") == "x"  # the input is left as it was
    assert len(transformer) == 5
    assert transformer.transform_many([Record({"price": 1}), Record({"price": 2})])[1] \
        .get_value("price") == 4

    class DropTests(TransformRule):
        def apply(self, record: Record) -> Record | None:
            return None if record.get_value("test") else record

    only = Transformer().add_rule(DropTests())
    assert only.transform_many([Record({"test": True}), Record({"a": 1})]) == [Record({"a": 1})]


def _source(n: int) -> MemoryDatabase:
    db = MemoryDatabase()
    db.create_batch([Record({"n": i, "value": i, "cat": "A" if i % 2 else "B"}, id=f"r{i:02d}")
                     for i in range(n)])
    return db


def test_migrate_copies_through_a_transformer_and_reports_progress() -> None:
    source, target = _source(10), MemoryDatabase()
    updates: list[int] = []
    progress = Migrator().migrate(
        source=source, target=target,
        transform=Transformer().map("value", "price").add("currency", "USD"),
        batch_size=3, on_progress=lambda p: updates.append(p.processed))
    assert (progress.succeeded, progress.failed, progress.processed) == (10, 0, 10)
    assert progress.percent == 100.0 and progress.is_complete
    assert updates == sorted(updates) and updates[-1] == 10
    copied = target.read("r03")
    assert copied is not None
    assert copied.to_dict() == {"n": 3, "cat": "A", "price": 3, "currency": "USD"}
    assert Migrator().validate_migration(source, target) == (True, [])


def test_migrate_with_a_query_and_a_migration() -> None:
    source, target = _source(6), MemoryDatabase()
    migration = Migration("v1", "v2").add(RenameField("n", "number"))
    progress = Migrator().migrate(source, target, transform=migration,
                                  query=Query().filter("cat", "=", "A"))
    assert progress.succeeded == 3
    rows = target.search(Query())
    assert [r.get_value("number") for r in rows] == [1, 3, 5]
    assert all(r.metadata["version"] == "v2" for r in rows)


def test_migrate_failures_raise_unless_a_handler_continues() -> None:
    source = _source(4)
    existing = MemoryDatabase()
    existing.create(Record({"n": 99}, id="r02"))
    with pytest.raises(MigrationError, match="'r02'"):
        Migrator().migrate(source, existing)

    target = MemoryDatabase()
    target.create(Record({"n": 99}, id="r02"))
    seen: list[str | None] = []

    def carry_on(error: Exception, record: Record | None) -> bool:
        seen.append(record.id if record is not None else None)
        return True

    progress = Migrator().migrate(source, target, on_error=carry_on)
    assert (progress.succeeded, progress.failed) == (3, 1)
    assert seen == ["r02"] and progress.errors[0]["record_id"] == "r02"
    replaced = Migrator().migrate(source, target, on_conflict="upsert")
    assert replaced.succeeded == 4 and target.read("r02").get_value("n") == 2  # type: ignore[union-attr]
    target.delete("r01")
    again = Migrator().migrate(source, target, on_conflict="skip")
    assert (again.succeeded, again.skipped, again.failed) == (1, 3, 0)
    assert target.count() == 4


def test_validate_migration_reports_count_and_missing_ids() -> None:
    source, target = _source(3), MemoryDatabase()
    target.create(Record({"n": 0}, id="r00"))
    ok, issues = Migrator().validate_migration(source, target)
    assert not ok
    assert issues[0] == "Record count mismatch: source=3, target=1"
    assert "Record r01 not found in target" in issues


def test_progress_tallies_as_0_11_code_keeps_them() -> None:
    progress = MigrationProgress()
    progress.total = 10
    progress.start()
    for i in range(6):
        progress.record_success(f"r{i}")
    progress.record_failure("boom", "r6")
    progress.record_skip("filtered", "r7")
    progress.finish()
    assert (progress.processed, progress.succeeded, progress.failed, progress.skipped) == (
        8, 6, 1, 1)
    assert progress.percent == 80.0 and progress.success_rate == 75.0
    assert progress.has_errors and not progress.is_complete
    other = MigrationProgress(total=5)
    other.succeeded = 5
    progress.merge(other)
    assert (progress.total, progress.succeeded) == (15, 11)
    summary = progress.get_summary()
    assert "succeeded 11" in summary and "failed 1" in summary
    assert progress.to_dict()["processed"] == 8


def test_a_migrator_without_databases_only_migrates() -> None:
    with pytest.raises(MigrationError, match="no source and target"):
        Migrator().run()
    with pytest.raises(MigrationError, match="both source and target"):
        Migrator(MemoryDatabase())


def test_factories_build_0_11_configurations() -> None:
    from dataknobs_data import ConfigurationError
    from dataknobs_data.migration import migration_factory, migrator_factory, transformer_factory

    migration = migration_factory.create(from_version="1", to_version="2", operations=[
        {"type": "add_field", "field_name": "n", "default_value": 0, "field_type": "INTEGER"},
        {"type": "rename_field", "old_name": "a", "new_name": "b"},
        {"type": "transform_field", "field_name": "name", "transform": "uppercase"},
        {"type": "composite", "operations": [
            {"type": "transform_field", "field_name": "p", "transform": {"multiply": 2},
             "reverse": {"divide": 2}}]},
    ])
    out = migration.apply(Record({"a": 1, "name": "ada", "p": 3}))
    assert out.to_dict() == {"name": "ADA", "p": 6, "n": 0, "b": 1}
    assert migration.apply(out, reverse=True).get_value("p") == 3
    transformer = transformer_factory.create(rules=[
        {"type": "map", "source": "a", "target": "z"}, {"type": "exclude", "fields": ["p"]},
        {"type": "add", "field_name": "k", "value": True}])
    assert transformer.transform(Record({"a": 1, "p": 2})).to_dict() == {"z": 1, "k": True}  # type: ignore[union-attr]
    assert isinstance(migrator_factory.create(), Migrator)
    with pytest.raises(ConfigurationError, match="unsupported transform 'reverse'"):
        migration_factory.create(operations=[
            {"type": "transform_field", "field_name": "a", "transform": "reverse"}])
    with pytest.raises(ConfigurationError, match="unknown rule type 'copy'"):
        transformer_factory.create(rules=[{"type": "copy"}])


def test_migrate_async_and_parallel() -> None:
    import asyncio

    from dataknobs_data import AsyncMemoryDatabase, StreamConfig

    async def main() -> tuple[MigrationProgress, int, list[int]]:
        source, target = AsyncMemoryDatabase(), AsyncMemoryDatabase()
        await source.create_batch([Record({"n": i}, id=f"r{i}") for i in range(5)])
        seen: list[int] = []

        async def note(progress: MigrationProgress) -> None:
            seen.append(progress.processed)

        progress = await Migrator().migrate_async(
            source, target, Transformer().add("copied", True), config=StreamConfig(batch_size=2),
            on_progress=note)
        return progress, await target.count(), seen

    progress, copied, seen = asyncio.run(main())
    assert (progress.succeeded, copied) == (5, 5) and seen[-1] == 5

    source, target = MemoryDatabase(), MemoryDatabase()
    source.create_batch([Record({"partition_id": i % 3, "n": i}) for i in range(7)])
    merged: list[int] = []
    total = Migrator().migrate_parallel(source, target, partitions=3,
                                        on_progress=lambda p: merged.append(p.succeeded))
    assert total.succeeded == 7 and merged == [3, 5, 7] and target.count() == 7
