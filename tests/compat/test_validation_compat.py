"""dataknobs-data 0.11's ``dataknobs_data.validation``, written as 0.11 programs write it."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from dataknobs_data import ConfigurationError, MemoryDatabase, ValidationError
from dataknobs_data.fields import FieldType
from dataknobs_data.records import Record
from dataknobs_data.validation import (
    Coercer,
    Custom,
    Enum,
    Field,
    Length,
    Not,
    Pattern,
    Range,
    Required,
    Schema,
    Unique,
    ValidationContext,
    ValidationResult,
)


def user_schema() -> Schema:
    return (Schema("User", strict=True)
            .field("username", FieldType.STRING, required=True,
                   constraints=[Length(min=3, max=20), Pattern(r"^[a-z_]+$"),
                                Unique("username")])
            .field("age", "INTEGER", constraints=[Range(min=13, max=120)])
            .field("role", FieldType.STRING, default="user",
                   constraints=[Enum(["user", "admin"])])
            .with_description("registration"))


def test_a_fluent_schema_validates_records_and_returns_results() -> None:
    schema = user_schema()
    ok = schema.validate(Record({"username": "ada_l", "age": 36}))
    assert ok and ok.valid and ok.errors == []
    # the validated record carries the default of a missing field
    assert ok.value.get_value("role") == "user"

    bad = schema.validate({"username": "Ada", "age": 7, "role": "root", "extra": 1})
    assert not bad
    text = " ".join(bad.errors)
    for fragment in ("username", "age: 7 is below the minimum 13", "role: 'root'",
                     "Unknown fields in strict mode: extra"):
        assert fragment in text


def test_required_refuses_missing_null_and_empty() -> None:
    schema = Schema("S").field("name", FieldType.STRING, required=True)
    for data in ({}, {"name": None}, {"name": ""}):
        assert not schema.validate(Record(data)).valid, data
    assert schema.validate(Record({"name": "x"})).valid


def test_validate_many_shares_the_uniqueness_context() -> None:
    results = user_schema().validate_many(
        [Record({"username": n}) for n in ("ada", "bob", "ada")])
    assert [r.valid for r in results] == [True, True, False]
    assert "Duplicate value 'ada'" in results[2].errors[0]
    stopped = user_schema().validate_many(
        [Record({"username": "x"}), Record({"username": "ada"})], stop_on_error=True)
    assert len(stopped) == 1


def test_coercion_converts_to_the_declared_types() -> None:
    schema = (Schema("C").field("age", FieldType.INTEGER, required=True)
              .field("score", FieldType.FLOAT).field("active", FieldType.BOOLEAN))
    record = Record({"age": "25", "score": "98.5", "active": "yes"})
    assert not schema.validate(record).valid
    result = schema.validate(record, coerce=True)
    assert result.valid
    assert result.value.to_dict() == {"age": 25, "score": 98.5, "active": True}
    failed = schema.validate(Record({"age": "twenty"}), coerce=True)
    assert not failed.valid and "age" in failed.errors[0]


def test_constraints_compose_and_report_their_reason() -> None:
    either = Pattern(r"^\d+$") | Pattern(r"^[a-z]+$")
    assert either.check("123") and either.check("abc") and not either.check("ABC")
    both = Required() & Range(min=0, max=10)
    assert not both.check(None) and not both.check(11) and both.check(5)
    assert (~Enum(["root"])).check("ada") and not Not(Enum(["root"])).check("root")
    assert "must be a number" in Range(max=1).check("x").errors[0]
    assert "NaN" in Range(min=0).check(math.nan).errors[0]
    assert not Range(min=0, max=1, max_exclusive=True).check(1)
    assert "must be a string" in Pattern("a").check(1).errors[0]
    assert Enum(["Red"], case_sensitive=False).check("RED")
    assert Unique().check("v").warnings  # no context: nothing to compare with

    def even(value: int) -> bool:
        return value % 2 == 0

    assert Custom(even, "odd").check(3).errors == ["odd"]
    assert "ZeroDivisionError" in Custom(lambda v: 1 / v > 0).check(0).errors[0]


def test_bad_constraints_are_refused_with_a_named_error() -> None:
    with pytest.raises(ConfigurationError, match="min=5 is greater than max=1"):
        Range(min=5, max=1)
    with pytest.raises(ConfigurationError, match="Length min=-1"):
        Length(min=-1)
    with pytest.raises(ConfigurationError, match="at least one"):
        Enum([])
    with pytest.raises(ConfigurationError, match="bad pattern"):
        Pattern("(")
    with pytest.raises(ConfigurationError, match="unknown type 'DECIMAL'"):
        Schema("S").field("x", "DECIMAL")


def test_results_and_context() -> None:
    merged = ValidationResult.success(1, ["w"]).merge(ValidationResult.failure(2, ["e"]))
    assert (merged.valid, merged.value, merged.errors, merged.warnings) == (False, 1, ["e"],
                                                                           ["w"])
    context = ValidationContext()
    context.mark_seen("tags", ["a", "b"])  # unhashable values are compared as JSON
    assert context.has_seen("tags", ["a", "b"]) and not context.has_seen("tags", ["b"])
    context.clear()
    assert not context.has_seen("tags", ["a", "b"])


def test_field_definitions_validate_single_values() -> None:
    age = Field("age", FieldType.INTEGER, constraints=[Range(min=0)])
    assert age.field_type is FieldType.INTEGER
    assert age.validate(3).valid and not age.validate(-1).valid
    assert age.add_constraint(Range(max=10)).validate(11).errors == [
        "age: 11 is above the maximum 10"]


def test_schema_round_trips_through_its_dict_form() -> None:
    schema = Schema("T").field("a", FieldType.STRING, required=True).field("b", "INTEGER")
    data = schema.to_dict()
    assert data["name"] == "T" and data["fields"]["a"]["required"] is True
    again = Schema.from_dict(data)
    assert again.name == "T" and set(again.fields) == {"a", "b"}
    assert not again.validate(Record({"b": 1})).valid


def test_a_validation_schema_guards_a_database_and_raises() -> None:
    db = MemoryDatabase(schema=Schema("P").field("age", FieldType.INTEGER,
                                                 constraints=[Range(min=0)]))
    db.create(Record({"age": 1}))
    with pytest.raises(ValidationError, match="age: -1 is below the minimum 0"):
        db.create(Record({"age": -1}))
    assert db.count() == 1


def test_coercer_returns_results_never_raises() -> None:
    coercer = Coercer()
    assert coercer.coerce("0xFF", int).value == 255
    assert coercer.coerce("0b1010", int).value == 10
    assert "losslessly" in coercer.coerce(5.5, int).errors[0]
    assert "not a valid boolean" in coercer.coerce("maybe", bool).errors[0]
    assert "Cannot coerce None" in coercer.coerce(None, str).errors[0]
    assert coercer.coerce("2024-01-15 10:30:00", datetime).value == datetime(2024, 1, 15, 10,
                                                                               30)
    assert coercer.coerce(123, FieldType.STRING).value == "123"
    many = coercer.coerce_many({"age": "25", "on": "true", "raw": "x"},
                               {"age": int, "on": bool})
    assert (many["age"].value, many["on"].value, many["raw"].value) == (25, True, "x")
    with pytest.raises(ConfigurationError, match="cannot coerce to complex"):
        coercer.coerce(1, complex)


def test_schema_factory_builds_0_11_configurations() -> None:
    from dataknobs_data.validation import coercer_factory, schema_factory

    schema = schema_factory.create(name="user", strict=True, fields=[
        {"name": "username", "type": "STRING", "required": True,
         "constraints": [{"type": "length", "min": 3, "max": 20},
                         {"type": "any", "constraints": [
                             {"type": "pattern", "pattern": "^[a-z]+$"},
                             {"type": "enum", "values": ["ADMIN"]}]}]},
        {"name": "age", "type": "INTEGER", "constraints": [{"type": "range", "min": 13}]},
    ])
    assert schema.validate(Record({"username": "ADMIN", "age": 20})).valid
    assert schema.validate(Record({"username": "ab", "age": 5})).errors == [
        "username: shorter than 3", "age: 5 is below the minimum 13"]
    assert isinstance(coercer_factory.create(), Coercer)
    with pytest.raises(ConfigurationError, match="unknown constraint type 'regex'"):
        schema_factory.create(fields=[{"name": "a", "constraints": [{"type": "regex"}]}])
    with pytest.raises(ConfigurationError, match=r"unknown keys \['maximum'\]"):
        schema_factory.create(fields=[{"name": "a",
                                       "constraints": [{"type": "range", "maximum": 1}]}])
