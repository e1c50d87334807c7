"""A program written only from dataknobs-data 0.11's README, step by step.

Each step is one README section, as its code shows it (memory and file stores stand in for
servers). The program prints one line per step, ``ok <step>`` or ``FAIL <step>: <error>``,
and runs unchanged on dataknobs-data 0.11.0 itself, which is how the steps that 0.11 passes
were found (``tests/compat/test_readme_0_11.py`` runs it here).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

WORK = Path(tempfile.mkdtemp(prefix="readme011-"))
RESULTS: list[tuple[str, str | None]] = []


def step(name: str) -> Callable[[Callable[[], Any]], None]:
    def run(fn: Callable[[], Any]) -> None:
        try:
            outcome = fn()
            if asyncio.iscoroutine(outcome):
                asyncio.run(outcome)
            RESULTS.append((name, None))
        except Exception as exc:  # the program reports every failing step
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            RESULTS.append((name, detail.splitlines()[-1][:200]))

    return run


@step("quick start, async")
async def _quick_async() -> None:
    from dataknobs_data import AsyncDatabase, Operator, Query, Record

    db = await AsyncDatabase.from_backend("memory")
    record = Record({"name": "John Doe", "age": 30, "email": "john@example.com", "active": True})
    rid = await db.create(record)
    retrieved = await db.read(rid)
    assert retrieved is not None and retrieved.get_value("name") == "John Doe"
    record.set_value("age", 31)
    await db.update(rid, record)
    assert (await db.read(rid)).get_value("age") == 31
    await db.create(Record({"name": "Ann", "age": 40, "active": True}))
    await db.create(Record({"name": "Bob", "age": 20, "active": True}))
    query = (Query()
             .filter("age", Operator.GTE, 25)
             .filter("active", Operator.EQ, True)
             .sort("name")
             .limit(10))
    results = await db.search(query)
    assert [r.get_value("name") for r in results] == ["Ann", "John Doe"]
    await db.delete(rid)
    assert await db.read(rid) is None
    await db.close()


@step("quick start, sync")
def _quick_sync() -> None:
    from dataknobs_data import Record, SyncDatabase

    db = SyncDatabase.from_backend("memory")
    rid = db.create(Record({"name": "Jane Doe", "age": 28}))
    assert db.read(rid).get_value("age") == 28
    db.close()


@step("file backend")
async def _file_backend() -> None:
    from dataknobs_data import AsyncDatabase, Record

    db = await AsyncDatabase.from_backend("file", {"path": str(WORK / "records.json"),
                                                   "format": "json"})
    rid = await db.create(Record({"name": "x"}))
    assert (await db.read(rid)).get_value("name") == "x"
    await db.close()


@step("factory")
def _factory() -> None:
    from dataknobs_data import DatabaseFactory, Record

    factory = DatabaseFactory()
    memory_db = factory.create(backend="memory")
    file_db = factory.create(backend="file", path=str(WORK / "data.json"), format="json")
    for db in (memory_db, file_db):
        rid = db.create(Record({"v": 1}))
        assert db.read(rid).get_value("v") == 1
        db.close()


@step("direct configuration (from_config)")
def _from_config() -> None:
    from dataknobs_data import Record
    from dataknobs_data.backends.file import SyncFileDatabase

    db = SyncFileDatabase.from_config({"path": str(WORK / "direct.json")})
    rid = db.create(Record({"v": 2}))
    assert db.read(rid).get_value("v") == 2
    db.close()


def _pandas_steps(**options: Any) -> None:
    from dataknobs_data import Record, SyncDatabase
    from dataknobs_data.pandas import BatchOperations, DataFrameConverter

    records = [Record({"user_id": f"u{i}", "age": 20 + i, "category": "ab"[i % 2],
                       "price": 1.5 * i}) for i in range(10)]
    converter = DataFrameConverter()
    df = converter.records_to_dataframe(records, **options)
    df_filtered = df[df["age"] > 25]
    df_aggregated = df.groupby("category").agg({"price": "mean"})
    assert len(df_aggregated) == 2
    new_records = converter.dataframe_to_records(df_filtered)
    assert len(new_records) == 4
    database = SyncDatabase.from_backend("memory")
    batch_ops = BatchOperations(database)
    result = batch_ops.bulk_insert_dataframe(df, batch_size=1000)
    assert result.successful == 10
    result = batch_ops.bulk_upsert_dataframe(df, id_column="user_id", merge_strategy="update")
    assert result.failed == 0


@step("pandas")
def _pandas() -> None:
    _pandas_steps(preserve_types=True)


@step("pandas, records_to_dataframe without preserve_types")
def _pandas_plain() -> None:
    _pandas_steps()


@step("schema validation")
def _validation() -> None:
    from dataknobs_data import FieldType, Record
    from dataknobs_data.validation import Schema
    from dataknobs_data.validation.constraints import Enum, Pattern, Range, Unique

    user_schema = Schema("UserSchema")
    user_schema.field("email", FieldType.STRING, required=True,
                      constraints=[Pattern(r"^.+@.+\..+$"), Unique()])
    user_schema.field("age", FieldType.INTEGER, constraints=[Range(min=0, max=150)])
    user_schema.field("status", FieldType.STRING, default="active",
                      constraints=[Enum(["active", "inactive", "suspended"])])
    bad = user_schema.validate(Record({"email": "nope", "age": 200}))
    assert not bad.valid and bad.errors
    good = user_schema.validate(Record({"email": "a@b.org", "age": 30}))
    assert good.valid, good.errors
    record = Record({"email": "c@d.org", "age": "30"})
    result = user_schema.validate(record, coerce=True)
    assert result.valid, result.errors


@step("migration between backends")
async def _migration() -> None:
    from dataknobs_data import AsyncDatabase, Record
    from dataknobs_data.migration import (
        AddField,
        Migration,
        Migrator,
        RenameField,
        TransformField,
    )

    migration = Migration("1.0.0", "2.0.0", description="Upgrade user schema")
    migration.add(AddField("created_at", default_value=datetime(2024, 1, 1)))
    migration.add(RenameField("user_name", "username"))
    migration.add(TransformField("email", lambda x: x.lower()))
    source_db = await AsyncDatabase.from_backend("memory")
    target_db = await AsyncDatabase.from_backend("memory")
    for i in range(3):
        await source_db.create(Record({"user_name": f"u{i}", "email": f"U{i}@X.ORG"}))
    seen: list[float] = []
    migrator = Migrator()
    progress = await migrator.migrate_async(source_db, target_db, transform=migration,
                                            on_progress=lambda p: seen.append(p.percent))
    assert progress.succeeded == 3 and progress.failed == 0, progress
    assert progress.duration >= 0
    moved = await target_db.search(__import__("dataknobs_data").Query())
    assert sorted(r.get_value("username") for r in moved) == ["u0", "u1", "u2"]
    assert {r.get_value("email") for r in moved} == {"u0@x.org", "u1@x.org", "u2@x.org"}
    await source_db.close()
    await target_db.close()


@step("advanced queries")
async def _advanced() -> None:
    from dataknobs_data import AsyncDatabase, Operator, Query, Record, SortOrder

    db = await AsyncDatabase.from_backend("memory")
    for i in range(40):
        await db.create(Record({"status": ["active", "pending", "gone"][i % 3],
                                "created_at": f"2024-01-{1 + i % 28:02d}",
                                "name": f"John {i:02d}" if i % 2 else f"Jim {i:02d}",
                                "priority": i % 4, "email": f"{i}@x.org"}))
    query = (Query()
             .filter("status", Operator.IN, ["active", "pending"])
             .filter("created_at", Operator.GTE, "2024-01-01")
             .filter("name", Operator.LIKE, "John%")
             .sort("priority", SortOrder.DESC)
             .sort("created_at", SortOrder.ASC)
             .offset(2)
             .limit(10)
             .select(["name", "email", "status"]))
    results = await db.search(query)
    assert len(results) == 10
    assert set(results[0].to_dict()) <= {"name", "email", "status"}
    assert all(r.get_value("name").startswith("John") for r in results)
    await db.close()


@step("streaming")
async def _streaming() -> None:
    from dataknobs_data import AsyncDatabase, Query, Record, StreamConfig

    db = await AsyncDatabase.from_backend("memory")
    config = StreamConfig(batch_size=100, buffer_size=1000)

    async def record_generator() -> Any:
        for i in range(250):
            yield Record({"i": i})

    result = await db.stream_write(record_generator(), config)
    assert result.total_processed == 250
    count = 0
    async for _record in db.stream_read(Query(), config):
        count += 1
    assert count == 250


@step("streaming, StreamConfig without buffer_size")
async def _streaming_plain() -> None:
    from dataknobs_data import AsyncDatabase, Query, Record, StreamConfig

    db = await AsyncDatabase.from_backend("memory")
    config = StreamConfig(batch_size=100)

    async def record_generator() -> Any:
        for i in range(250):
            yield Record({"i": i})

    result = await db.stream_write(record_generator(), config)
    assert result.total_processed == 250 and result.successful == 250
    count = 0
    async for _record in db.stream_read(Query(), config):
        count += 1
    assert count == 250


@step("custom backend")
def _custom_backend() -> None:
    from dataknobs_data import Record, SyncDatabase
    from dataknobs_data.backends import register_backend, sync_backends
    from dataknobs_data.backends.memory import SyncMemoryDatabase

    class CustomBackend(SyncMemoryDatabase):
        pass

    register_backend(sync_backends, "custom", lambda: CustomBackend,
                     metadata={"description": "A custom backend"})
    db = SyncDatabase.from_backend("custom", {})
    assert isinstance(db, CustomBackend)
    rid = db.create(Record({"v": 3}))
    assert db.read(rid).get_value("v") == 3


if __name__ == "__main__":
    for name, error in RESULTS:
        print(f"ok {name}" if error is None else f"FAIL {name}: {error}")
    sys.exit(0)
