"""dataknobs-data 0.11's records, fields and exceptions, used as 0.11's README and docs use them.

Each test is a small user program written for 0.11 (its imports, its calls); the expected
values were checked side by side with dataknobs-data 0.11.0. Where this project deliberately
differs, the test says so and pins this project's behaviour.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from datetime import UTC, datetime

import pytest

from dataknobs_data import Field, FieldType, Record, SyncDatabase
from dataknobs_data.exceptions import (
    BackendNotFoundError,
    ConcurrencyError,
    ConfigurationError,
    DatabaseConnectionError,
    DatabaseError,
    DatabaseOperationError,
    DataFormatError,
    DataknobsDataError,
    DuplicateRecordError,
    FieldTypeError,
    MigrationError,
    NotFoundError,
    OperationError,
    QueryError,
    RecordNotFoundError,
    RecordValidationError,
    ResourceError,
    SerializationError,
    TransactionError,
)


@pytest.fixture
def db() -> SyncDatabase:
    return SyncDatabase.from_backend("memory")


# -- ids --------------------------------------------------------------------------------------
def test_storage_id_is_the_id_a_store_gives_or_the_caller_sets() -> None:
    record = Record(data={"name": "Charlie"}, storage_id="550e8400-e29b-41d4-a716-446655440000")
    assert record.id == record.storage_id == "550e8400-e29b-41d4-a716-446655440000"
    assert record.has_storage_id()

    # an id field in the data names the record, but is not a storage id
    user = Record({"id": "u-1", "name": "Ada"})
    assert user.id == "u-1" and user.get_user_id() == "u-1"
    assert user.storage_id is None and not user.has_storage_id()

    # both: the storage id wins, and the data keeps its own id
    both = Record({"id": "u-1"}, storage_id="s-9")
    assert both.id == "s-9" and both.get_user_id() == "u-1"
    both.storage_id = "s-10"
    assert both.id == "s-10" and both.to_dict() == {"id": "u-1"}


def test_conflicting_id_and_storage_id_are_refused() -> None:
    from dataknobs_data import InvalidRecordIdError

    assert Record({}, id="k", storage_id="k").id == "k"
    with pytest.raises(InvalidRecordIdError, match=r"'a'.*conflicts with id='b'"):
        Record({}, id="b", storage_id="a")


def test_id_resolution_order() -> None:
    # given id, then data "id", then metadata "id", then data "record_id"
    assert Record({"id": "d", "record_id": "r"}, metadata={"id": "m"}, id="g").id == "g"
    assert Record({"id": "d", "record_id": "r"}, metadata={"id": "m"}).id == "d"
    assert Record({"record_id": "r"}, metadata={"id": "m"}).id == "m"
    assert Record({"record_id": "r"}).id == "r"
    assert Record({"id": None}, metadata={"id": "m"}).id == "m"
    assert Record({"id": 12}).id == "12"
    # the id is read when asked: a later change to the data is seen
    record = Record({"name": "x"})
    record["id"] = "late"
    assert record.id == "late"
    # setting the id touches neither the data nor the caller's metadata
    record = Record({"name": "test"}, metadata={"tenant": "T-1"})
    record.id = "new-id"
    assert record.metadata == {"tenant": "T-1"} and "id" not in record


def test_the_store_uses_the_resolved_id(db: SyncDatabase) -> None:
    assert db.create(Record({"record_id": "r-1", "a": 1})) == "r-1"
    assert db.create(Record({"a": 1}, metadata={"id": "m-1"})) == "m-1"
    assert db.create(Record({"id": 7})) == "7"
    stored = db.read("r-1")
    assert stored is not None and stored.id == stored.storage_id == "r-1"


# -- Mapping behaviour and fields -------------------------------------------------------------
def test_record_reads_as_a_mapping() -> None:
    record = Record({"name": "Alice", "age": 30, "email": "alice@example.com"})
    assert record["age"] == 30 and record.name == "Alice"
    assert list(record) == ["name", "age", "email"] and len(record) == 3
    assert dict(record) == {"name": "Alice", "age": 30, "email": "alice@example.com"}
    assert {**record}["email"] == "alice@example.com"
    assert "age" in record and "city" not in record
    assert record.get("city") is None and record.get("city", "Oslo") == "Oslo"
    with pytest.raises(KeyError, match="city"):
        record["city"]


def test_get_value_reads_metadata_and_fields_paths() -> None:
    record = Record(
        id="test-1",
        data={"temperature": 25.5, "sensor_config": {"thresholds": {"min": 10}}},
        metadata={"type": "sensor_reading", "config": {"timeout": 30}},
    )
    assert record.get_value("metadata.type") == "sensor_reading"
    assert record.get_value("metadata.config.timeout") == 30
    assert record.get_value("fields.temperature") == 25.5
    assert record.get_value("sensor_config.thresholds.min") == 10
    assert record.get_value("metadata.missing", "default") == "default"
    # a data field named "metadata" comes first
    assert Record({"metadata": {"type": "mine"}}, metadata={"type": "x"}).get_value(
        "metadata.type") == "mine"


def test_position_gives_the_field() -> None:
    record = Record({"name": "Test", "value": 42})
    assert record[0] == Field("name", "Test") and record[1].value == 42
    with pytest.raises(IndexError, match="position 10"):
        record[10]
    with pytest.raises(IndexError):
        record[-1]  # 0.11 has no negative positions
    with pytest.raises(TypeError, match="float"):
        record[1.5]  # type: ignore[index]


def test_attributes_set_fields() -> None:
    record = Record({"name": "Alice", "age": 30})
    record.name = "Bob"
    record.country = "USA"
    assert record.to_dict() == {"name": "Bob", "age": 30, "country": "USA"}
    record.metadata = {"source": "test"}  # the record's own attributes stay attributes
    assert record.metadata == {"source": "test"} and "metadata" not in record
    with pytest.raises(AttributeError):
        record.keys = ["x"]  # a method's name is refused, not turned into a field
    record["_private"] = "secret"
    assert record["_private"] == "secret"
    with pytest.raises(AttributeError):
        _ = record._private


def test_fields_are_ordered_field_objects_and_a_live_view() -> None:
    fields = OrderedDict([("name", Field(name="name", value="Jane Doe")),
                          ("age", Field(name="age", value=25))])
    record = Record(fields)
    assert list(record.fields) == ["name", "age"]
    assert [f.type for f in record.fields.values()] == [FieldType.STRING, FieldType.INTEGER]
    assert record.validate() is True

    record.fields["bad"] = Field(name="bad", value="text", type=FieldType.INTEGER)
    assert record["bad"] == "text" and record.validate() is False
    del record.fields["bad"]
    assert "bad" not in record and record.validate() is True

    record.set_field("temperature", 25.5, FieldType.FLOAT, {"unit": "celsius"})
    field = record.get_field_object("temperature")
    assert field.type is FieldType.FLOAT and field.metadata == {"unit": "celsius"}
    with pytest.raises(KeyError, match="nonexistent"):
        record.get_field_object("nonexistent")

    record.fields = {"only": Field("only", 1, FieldType.FLOAT)}
    assert record.to_dict() == {"only": 1}
    assert record.get_field_object("only").type is FieldType.FLOAT


# -- to_dict and from_dict --------------------------------------------------------------------
def test_to_dict_forms_of_0_11() -> None:
    record = Record({"name": "Test", "value": 42}, metadata={"version": 1}, storage_id="r1")
    assert record.to_dict(flatten=True) == {"name": "Test", "value": 42, "_id": "r1"}
    assert record.to_dict(flatten=True, include_metadata=True) == {
        "name": "Test", "value": 42, "_id": "r1", "_metadata": {"version": 1}}
    assert record.to_dict(flatten=False) == {
        "fields": {"name": {"name": "name", "value": "Test", "type": "string", "metadata": {}},
                   "value": {"name": "value", "value": 42, "type": "integer", "metadata": {}}},
        "id": "r1"}
    assert record.to_dict(flatten=False, include_metadata=True,
                          include_field_objects=False) == {
        "fields": {"name": "Test", "value": 42}, "id": "r1", "metadata": {"version": 1}}


def test_to_dict_without_flatten_keeps_this_projects_forms() -> None:
    # deliberate difference: to_dict() is the data alone (0.11 adds "_id"), and
    # include_metadata=True alone gives the envelope (0.11: "_id" and "_metadata" keys)
    record = Record({"name": "Test"}, metadata={"version": 1}, id="r1")
    assert record.to_dict() == {"name": "Test"}
    assert record.to_dict(include_metadata=True) == {
        "id": "r1", "data": {"name": "Test"}, "metadata": {"version": 1}}


def test_flat_form_refuses_a_field_it_would_overwrite() -> None:
    record = Record({"_id": "mongo-1", "a": 1}, id="r1")
    with pytest.raises(SerializationError, match="'_id'"):
        record.to_dict(flatten=True)
    assert record.to_dict() == {"_id": "mongo-1", "a": 1}


@pytest.mark.parametrize("form", [
    {"flatten": True}, {"flatten": True, "include_metadata": True}, {"flatten": False},
    {"flatten": False, "include_metadata": True},
    {"flatten": False, "include_metadata": True, "include_field_objects": False},
    {"include_metadata": True},
])
def test_every_form_reads_back_with_types_and_signs(form: dict[str, bool]) -> None:
    values = {"n": -7, "big": -(2**63), "f": -0.0, "x": 1.0, "b": False, "none": None,
              "s": "-1", "when": datetime(2024, 1, 1, tzinfo=UTC),
              "nested": {"l": [1, -1.5, True, None]}}
    record = Record(values, metadata={"m": -1}, id="r1")
    back = Record.from_dict(record.to_dict(**form))
    assert back.to_dict() == values
    for key, value in values.items():
        assert type(back[key]) is type(value), key
    assert str(back["f"]) == "-0.0"
    assert back.id == "r1"
    assert back.metadata == ({"m": -1} if form.get("include_metadata") else {})


def test_structured_form_keeps_field_types() -> None:
    record = Record.from_dict({
        "fields": {"name": {"name": "name", "value": "Test", "type": "string", "metadata": {}},
                   "age": {"value": 30, "type": "float"}},
        "metadata": {"version": 1},
    })
    assert record.to_dict() == {"name": "Test", "age": 30} and record.metadata == {"version": 1}
    assert record.get_field_object("age").type is FieldType.FLOAT


def test_plain_data_reads_exactly_when_asked() -> None:
    assert Record.from_dict({"_id": "x", "a": 1}).id == "x"
    exact = Record.from_dict({"_id": "x", "a": 1}, envelope=False)
    assert exact.id is None and exact.to_dict() == {"_id": "x", "a": 1}


# -- Field and FieldType ----------------------------------------------------------------------
def test_binary_fields() -> None:
    field = Field(name="bin", value=b"data")
    assert field.type is FieldType.BINARY and FieldType.BINARY.value == "binary"
    assert field.validate() and not Field("bin", "text", FieldType.BINARY).validate()
    assert field.copy() == field


# -- exceptions -------------------------------------------------------------------------------
def test_a_duplicate_create_is_caught_by_every_0_11_name(db: SyncDatabase) -> None:
    db.create(Record({"name": "Ada"}, storage_id="dup"))
    for name in (DuplicateRecordError, ConcurrencyError, ValueError, DataknobsDataError):
        with pytest.raises(name) as info:
            db.create(Record({"name": "Bob"}, storage_id="dup"))
        assert str(info.value) == "Record with ID 'dup' already exists"
        assert info.value.id == "dup" and info.value.context == {"id": "dup"}


def test_errors_of_this_project_carry_0_11_categories() -> None:
    from dataknobs_data import BatchOperationError, DataknobsError, OperationalError

    assert DataknobsDataError is DataknobsError
    assert issubclass(RecordNotFoundError, NotFoundError)
    assert issubclass(RecordNotFoundError, KeyError)  # as this project has it
    assert issubclass(QueryError, OperationError) and issubclass(QueryError, ValueError)
    assert issubclass(BatchOperationError, OperationError)
    assert issubclass(OperationalError, ResourceError) and issubclass(DatabaseError, ResourceError)
    assert issubclass(DatabaseConnectionError, OperationalError)
    assert issubclass(BackendNotFoundError, ConfigurationError)
    for error in (TransactionError, MigrationError, DatabaseOperationError):
        assert issubclass(error, OperationError) and issubclass(error, DataknobsError)


def test_0_11_constructors() -> None:
    assert str(RecordNotFoundError("r1")) == "Record with ID 'r1' not found"
    assert str(ConfigurationError("max_connections", "Value must be positive")) == (
        "Configuration error for 'max_connections': Value must be positive")
    assert ConfigurationError("max_connections", "x").parameter == "max_connections"
    assert ConfigurationError("a plain message").parameter is None
    error = SerializationError("JSON", "Invalid character at position 42")
    assert error.format == "JSON" and error.context == {"format": "JSON"}
    assert str(ConcurrencyError("Resource locked")) == "Concurrency error: Resource locked"
    assert str(TransactionError("deadlock")) == "Transaction error: deadlock"
    migration = MigrationError("PostgreSQL", "S3", "Schema incompatibility")
    assert (migration.source, migration.target) == ("PostgreSQL", "S3")
    assert str(BackendNotFoundError("redis", ["memory"])) == (
        "Backend 'redis' not found. Available backends: memory")
    assert str(RecordValidationError("must be positive", field_name="age")) == (
        "Field 'age': must be positive")
    assert str(FieldTypeError("age", "int", "str")) == (
        "Field 'age' type mismatch: expected int, got str")
    assert str(DataFormatError("CSV", "no header")) == "Data format error (CSV): no header"
    assert DatabaseOperationError("INSERT", "x").operation == "INSERT"
    assert DatabaseConnectionError("PostgreSQL", "refused").backend == "PostgreSQL"
    query = object()
    assert QueryError("bad field", query=query).query is query
    with pytest.raises(TypeError, match=r"\(parameter, message\)"):
        ConfigurationError("a", "b", "c")  # type: ignore[call-arg]


def test_errors_cross_process_boundaries() -> None:
    errors = [DuplicateRecordError("d"), RecordNotFoundError("n"),
              ConcurrencyError("r", "1", "2"), ConcurrencyError("locked"),
              ConfigurationError("p", "m"), FieldTypeError("age", "int", "str"),
              DatabaseConnectionError("PostgreSQL", "refused"), BackendNotFoundError("x")]
    for error in errors:
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and str(back) == str(error)
        assert back.context == error.context


def test_field_convert_to_is_lossless_or_names_the_field() -> None:
    from dataknobs_data.exceptions import FieldTypeError

    assert Field("n", "12").convert_to(FieldType.INTEGER).value == 12
    assert Field("n", "12").convert_to("integer").type is FieldType.INTEGER
    with pytest.raises(FieldTypeError, match="n") as caught:
        Field("n", 3.5).convert_to(FieldType.INTEGER)
    assert isinstance(caught.value, ValueError)
