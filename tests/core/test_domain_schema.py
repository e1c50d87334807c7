"""Schemas: field rules, strict mode, configuration, and validation on write."""

from __future__ import annotations

import pytest

from dataknobs_data import (
    ConfigurationError,
    FieldSchema,
    FieldType,
    MemoryDatabase,
    Record,
    Schema,
    ValidationError,
)
from dataknobs_data.domain.errors import BatchOperationError
from dataknobs_data.domain.values import MISSING

CONFIG = {
    "strict": False,
    "fields": {
        "name": {"type": "string", "required": True, "max_length": 5},
        "age": {"type": "integer", "min": 0, "max": 150},
        "team": {"type": "string", "choices": ["core", "infra"]},
        "code": {"type": "string", "pattern": "^[A-Z]{2}[0-9]+$"},
        "tags": {"type": "list", "min_length": 1},
        "score": {"type": "float", "nullable": False},
        "address.city": "string",
    },
}


@pytest.fixture
def schema() -> Schema:
    built = Schema.from_config(CONFIG)
    assert built is not None
    return built


def test_conforming_record_has_no_errors(schema: Schema) -> None:
    rec = Record({"name": "Ada", "age": 36, "team": "core", "code": "AB12", "tags": ["x"],
                  "score": 1, "address": {"city": "Oslo"}, "extra": True})
    assert schema.errors(rec) == []
    schema.validate(rec)


@pytest.mark.parametrize(("data", "message"), [
    ({}, "name: required field is missing"),
    ({"name": None}, None),  # nullable by default: a null name is present
    ({"name": "Adalbert"}, "name: longer than 5"),
    ({"name": 5}, "name: expected string, got int"),
    ({"name": "A", "age": -1}, "age: -1 is below the minimum 0"),
    ({"name": "A", "age": 151}, "age: 151 is above the maximum 150"),
    ({"name": "A", "age": True}, "age: expected integer, got bool"),
    ({"name": "A", "age": 3.0}, "age: expected integer, got float"),
    ({"name": "A", "team": "ops"}, "team: 'ops' is not in allowed values ['core', 'infra']"),
    ({"name": "A", "code": "ab12"}, "code: 'ab12' does not match '^[A-Z]{2}[0-9]+$'"),
    ({"name": "A", "tags": []}, "tags: shorter than 1"),
    ({"name": "A", "score": None}, "score: must not be null"),
    ({"name": "A", "address": {"city": 1}}, "address.city: expected string, got int"),
])
def test_each_violation_names_field_and_value(schema: Schema, data: dict[str, object],
                                              message: str | None) -> None:
    errors = schema.errors(Record(data))
    if message is None:
        assert errors == []
    else:
        assert message in errors


def test_validation_error_lists_every_violation(schema: Schema) -> None:
    rec = Record({"age": -5, "team": "ops"}, id="r1")
    with pytest.raises(ValidationError) as info:
        schema.validate(rec)
    err = info.value
    assert err.record_id == "r1"
    assert len(err.errors) == 3
    text = str(err)
    assert text.startswith("record 'r1': ")
    for part in ("name: required", "age: -5", "team: 'ops'"):
        assert part in text


def test_strict_rejects_undeclared_top_level_fields() -> None:
    schema = Schema.from_config({"strict": True, "fields": {"a": "integer", "b.c": "string"}})
    assert schema is not None
    assert schema.errors(Record({"a": 1, "b": {"c": "x", "d": 1}})) == []
    assert schema.errors(Record({"a": 1, "z": 0})) == ["Unknown fields in strict mode: z"]


def test_builder_and_field_check() -> None:
    schema = Schema().add_field("n", FieldType.INTEGER, required=True).add_field("s", "string")
    assert set(schema.fields) == {"n", "s"} and schema.fields["s"].type is FieldType.STRING
    rule = FieldSchema("n", FieldType.FLOAT, min=0)
    assert rule.check(MISSING) == [] and rule.check(None) == [] and rule.check(3) == []
    assert rule.check(-1) == ["n: -1 is below the minimum 0"]


@pytest.mark.parametrize(("config", "fragment"), [
    ({"fields": {}, "extra": 1}, "unknown keys ['extra']"),
    ({"fields": {"a": {"type": "decimal"}}}, "schema field 'a': unknown type 'decimal'"),
    ({"fields": {"a": {"type": "string", "maxlen": 3}}}, "schema field 'a': unknown options"),
    ({"fields": {"a": {"pattern": "("}}}, "schema field 'a': bad pattern '('"),
])
def test_bad_configuration_names_the_field(config: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Schema.from_config(config)
    assert fragment in str(info.value)


def test_from_config_passes_schemas_and_none_through(schema: Schema) -> None:
    assert Schema.from_config(None) is None
    assert Schema.from_config(schema) is schema


# --- validated on write --------------------------------------------------------------------------
def test_database_rejects_invalid_writes_and_stores_nothing() -> None:
    db = MemoryDatabase(schema=CONFIG)
    with pytest.raises(ValidationError, match="name: required field is missing"):
        db.create(Record({"age": 3}, id="k"))
    assert db.count() == 0
    rid = db.create(Record({"name": "Ada"}, id="k"))
    with pytest.raises(ValidationError, match="age: -1"):
        db.update(rid, Record({"name": "Ada", "age": -1}))
    with pytest.raises(ValidationError):
        db.upsert(rid, Record({"name": 1}))
    got = db.read(rid)
    assert got is not None and got.data == {"name": "Ada"}


def test_batch_reports_the_invalid_record() -> None:
    db = MemoryDatabase(schema=CONFIG)
    with pytest.raises(BatchOperationError) as info:
        db.create_batch([Record({"name": "A"}), Record({"name": "toolong"}), Record({})])
    assert set(info.value.failed) == {1, 2}
    assert isinstance(info.value.failed[1], ValidationError)
    assert db.count() == 0
