"""Schema evolution: operations forward and backward, coercion, the version on each record,
interrupted applies, and evolving every backend in place."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dataknobs_data import MemoryDatabase, Record
from dataknobs_data.adapters.memory import AsyncMemoryDatabase
from dataknobs_data.domain.records import FieldType
from dataknobs_data.migration import (
    AddField,
    ChangeType,
    EvolutionError,
    Migrator,
    RemoveField,
    RenameField,
    SchemaEvolution,
    SchemaMigration,
    coerce,
)

#: version n is reached by the operations of STEPS[n - 1]
STEPS = [
    [AddField("status", "active"), RenameField("name", "full_name")],
    [ChangeType("age", to=FieldType.INTEGER, from_=FieldType.STRING),
     RemoveField("legacy", default="?")],
    [RenameField("address.zip", "address.postcode")],
]
EVOLUTION = SchemaEvolution([SchemaMigration(n, ops) for n, ops in enumerate(STEPS, 1)])


def v0(i: int) -> Record:
    return Record({"name": f"p{i}", "age": str(20 + i), "legacy": "x",
                   "address": {"zip": f"0{i}"}}, id=f"r{i:03d}")


def test_forward_then_backward_restores_the_record() -> None:
    rec = v0(1)
    up = EVOLUTION.evolve(rec.copy())
    assert up.data == {"full_name": "p1", "age": 21, "status": "active",
                       "address": {"postcode": "01"}}
    assert up.metadata == {"schema_version": 3}
    down = EVOLUTION.evolve(up, 0)
    assert down.data == {"name": "p1", "age": "21", "legacy": "?", "address": {"zip": "01"}}
    assert down.metadata == {}
    mid = EVOLUTION.evolve(v0(2), 1)
    assert mid.metadata["schema_version"] == 1 and mid["age"] == "22"


def test_apply_records_the_version_on_every_record_of_each_backend(stores: Any) -> None:
    db = stores.new()
    db.create_batch([v0(i) for i in range(12)])
    assert EVOLUTION.summary(db).version == 0
    result = EVOLUTION.apply(db, batch_size=5)
    assert result.ok and result.updated == 12 and result.from_versions == {0: 12}
    back = stores.reopen(db)
    assert EVOLUTION.summary(back).counts == {3: 12}
    assert back.read("r003").data["age"] == 23  # type: ignore[union-attr]
    # applying again changes nothing; going back restores version 1
    assert EVOLUTION.apply(back).updated == 0
    EVOLUTION.apply(back, 1)
    assert EVOLUTION.summary(back).version == 1
    assert back.read("r003").data == {  # type: ignore[union-attr]
        "full_name": "p3", "age": "23", "legacy": "?", "address": {"zip": "03"},
        "status": "active"}


def test_an_interrupted_apply_continues_with_the_remaining_records() -> None:
    db = MemoryDatabase()
    db.create_batch([v0(i) for i in range(10)])
    db.update("r007", Record({**v0(7).data, "age": "seven"}))
    with pytest.raises(EvolutionError, match=r"'r007'.*'age'.*'seven'"):
        EVOLUTION.apply(db, batch_size=3)
    summary = EVOLUTION.summary(db)
    assert summary.mixed and summary.counts == {0: 4, 3: 6}
    db.update("r007", Record({**v0(7).data, "age": "27"}))
    result = EVOLUTION.apply(db, batch_size=3)
    assert result.updated == 4 and result.unchanged == 6
    assert EVOLUTION.summary(db).version == 3


def test_skip_reports_records_an_operation_refuses() -> None:
    db = MemoryDatabase()
    db.create_batch([v0(1), Record({"name": "q", "age": "1.5"}, id="bad")])
    result = EVOLUTION.apply(db, on_error="skip")
    assert result.failed == 1 and result.failures[0][0] == "bad"
    assert "whole number" in result.failures[0][1]
    assert db.read("bad").metadata == {}  # type: ignore[union-attr]


def test_change_type_error_policies() -> None:
    rec = Record({"n": "abc"}, id="a")
    ChangeType("n", to="integer", on_error="null").forward(rec)
    assert rec.data == {"n": None}
    rec = Record({"n": "abc"}, id="a")
    ChangeType("n", to="integer", on_error="keep").forward(rec)
    assert rec.data == {"n": "abc"}
    with pytest.raises(EvolutionError, match="unknown field type"):
        ChangeType("n", to="number")


@pytest.mark.parametrize(("value", "to", "expected"), [
    ("42", "integer", 42), (3.0, "integer", 3), (True, "integer", 1), (" 7 ", "float", 7.0),
    (5, "float", 5.0), (12, "string", "12"), (False, "string", "false"),
    (datetime(2024, 1, 2, tzinfo=UTC), "string", "2024-01-02T00:00:00+00:00"),
    ("yes", "boolean", True), ("0", "boolean", False), (1, "boolean", True),
    ("2024-01-02T03:04:05Z", "datetime", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    (0, "datetime", datetime(1970, 1, 1, tzinfo=UTC)), ("[1, 2]", "list", [1, 2]),
    ('{"a": 1}', "dict", {"a": 1}), ({"a": [1]}, "string", '{"a": [1]}'), (None, "integer", None),
])
def test_coerce(value: Any, to: str, expected: Any) -> None:
    got = coerce(value, to)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(("value", "to"), [("1.5", "integer"), ("maybe", "boolean"),
                                           (2, "boolean"), ("x", "datetime"), ("3", "list")])
def test_coerce_refuses(value: Any, to: str) -> None:
    with pytest.raises(ValueError):
        coerce(value, to)


def test_rename_never_overwrites() -> None:
    rec = Record({"name": "a", "full_name": "b"}, id="x")
    with pytest.raises(EvolutionError, match="'full_name' exists"):
        RenameField("name", "full_name").forward(rec)


def test_versions_must_be_unique_and_known() -> None:
    with pytest.raises(EvolutionError, match="unique"):
        SchemaEvolution([SchemaMigration(1, []), SchemaMigration(1, [])])
    with pytest.raises(EvolutionError, match="unknown schema version 7"):
        EVOLUTION.evolve(v0(1), 7)
    with pytest.raises(EvolutionError, match="not a version"):
        EVOLUTION.version_of(Record({}, metadata={"schema_version": [1]}))


def test_evolve_while_migrating_to_another_store() -> None:
    source, target = MemoryDatabase(), MemoryDatabase()
    source.create_batch([v0(i) for i in range(6)])
    result = Migrator(source, target, transforms=EVOLUTION.transform(2)).run(verify=True)
    assert result.ok and EVOLUTION.summary(target).counts == {2: 6}
    assert EVOLUTION.summary(source).counts == {0: 6}


async def test_async_apply_and_summary() -> None:
    db = AsyncMemoryDatabase()
    await db.create_batch([v0(i) for i in range(7)])
    result = await EVOLUTION.apply_async(db, batch_size=3)
    assert result.updated == 7
    assert (await EVOLUTION.summary_async(db)).version == 3
    await EVOLUTION.apply_async(db, 0)
    back = await db.read("r002")
    assert back is not None and back.metadata == {}
    assert back.data == {**v0(2).data, "legacy": "?"}  # a removed field's value is not kept


def test_change_type_types_are_keywords() -> None:
    with pytest.raises(EvolutionError, match=r"ChangeType\('age', 'integer', 'string'\): "
                       r"give the types as keywords"):
        ChangeType("age", FieldType.INTEGER, FieldType.STRING)  # type: ignore[misc]
    with pytest.raises(EvolutionError, match=r"to= \(the new type\) is required"):
        ChangeType("age", from_="string")  # type: ignore[call-arg]
    op = ChangeType(field_name="age", to="integer", from_="string")  # 0.11's keyword
    rec = Record({"age": "36"}, id="a")
    op.forward(rec)
    assert rec.data == {"age": 36}
    op.backward(rec)
    assert rec.data == {"age": "36"}
