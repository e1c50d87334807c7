"""Record and Field: the dataknobs-data core record API, as a unit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dataknobs_data import Field, FieldType, Record
from dataknobs_data.domain.records import lookup
from dataknobs_data.domain.values import MISSING


@pytest.fixture
def rec() -> Record:
    return Record({"name": "Ada", "age": 36, "team": {"name": "core", "lead": {"id": 7}},
                   "tags": ["x"], "note": None}, metadata={"source": "hr"})


# --- reading -------------------------------------------------------------------------------
def test_item_attribute_and_get_value(rec: Record) -> None:
    assert rec["age"] == 36 and rec.age == 36 and rec.get_value("age") == 36
    assert rec["team.name"] == "core"
    assert rec.get_value("team.lead.id") == 7
    assert rec.get_nested_value("team.lead.id") == 7
    assert rec.get_value("nope") is None
    assert rec.get_value("nope", "dflt") == "dflt"
    assert rec.get_nested_value("team.nope.x", 0) == 0


def test_null_is_a_value_missing_is_not(rec: Record) -> None:
    assert rec["note"] is None
    assert rec.get_value("note", "dflt") is None
    assert "note" in rec and rec.has_field("note")
    assert "nope" not in rec and not rec.has_field("nope")
    assert rec.has_field("team.lead") and not rec.has_field("team.lead.name")


def test_missing_field_errors_name_the_field(rec: Record) -> None:
    with pytest.raises(KeyError, match="nope"):
        rec["nope"]
    with pytest.raises(AttributeError, match="nope"):
        _ = rec.nope
    with pytest.raises(KeyError):
        del rec["nope"]


def test_paths_do_not_descend_into_lists_or_scalars(rec: Record) -> None:
    assert rec.get_value("tags.0") is None
    assert rec.get_value("name.x") is None
    assert lookup({"a": [{"b": 1}]}, "a.b") is MISSING
    assert lookup({"a.b": 1}, "a.b") is MISSING  # dots always split
    assert lookup({"a": None}, ("a", "b")) is MISSING


def test_mapping_protocol(rec: Record) -> None:
    assert list(rec) == ["name", "age", "team", "tags", "note"]
    assert len(rec) == 5
    assert list(rec.keys()) == list(rec)
    assert next(iter(rec.values())) == "Ada"
    assert dict(rec.items())["age"] == 36


# --- writing -------------------------------------------------------------------------------
def test_set_value_and_setitem(rec: Record) -> None:
    rec.set_value("age", 37)
    rec["city"] = "Oslo"
    assert rec.age == 37 and rec["city"] == "Oslo"


def test_set_value_dotted_creates_objects(rec: Record) -> None:
    rec.set_value("address.city.name", "Rome")
    assert rec.data["address"] == {"city": {"name": "Rome"}}
    rec.set_value("name.first", "Ada")  # a scalar on the way is replaced by an object
    assert rec["name"] == {"first": "Ada"}


def test_remove_field(rec: Record) -> None:
    assert rec.remove_field("age") is True
    assert rec.remove_field("age") is False
    del rec["note"]
    assert "note" not in rec and "age" not in rec


def test_field_objects_keep_their_type_and_metadata() -> None:
    rec = Record({"score": Field("score", 9, FieldType.FLOAT, {"unit": "pt"})})
    assert rec["score"] == 9
    field = rec.get_field("score")
    assert field is not None and field.type is FieldType.FLOAT and field.metadata == {"unit": "pt"}
    assert rec.get_field("nope") is None
    rec.set_value("other", Field("other", "x"))
    assert rec.fields["other"].type is FieldType.STRING and rec["other"] == "x"


def test_field_objects_among_plain_values_and_of_a_subclass_are_unpacked() -> None:
    class Unit(Field):
        pass

    rec = Record({"a": 1, "b": [1], "c": Unit("c", 2.5, FieldType.FLOAT, {"u": "m"}), "d": None})
    assert rec.data == {"a": 1, "b": [1], "c": 2.5, "d": None}
    field = rec.get_field("c")
    assert field is not None and field.type is FieldType.FLOAT and field.metadata == {"u": "m"}
    assert Record({"t": (1, 2)}).data == {"t": (1, 2)}  # a value of another type, kept as given


def test_a_record_subclass_is_built_as_itself() -> None:
    class Tagged(Record):
        __slots__ = ()

    rec = Tagged({"a": 1}, {"m": 1}, id="k")
    assert type(rec) is Tagged and rec.id == "k" and rec.data == {"a": 1}
    assert rec.metadata == {"m": 1}
    plain = Record({"a": 1}, {"m": 1}, id="k")
    assert type(plain) is Record and plain.data == rec.data and plain.metadata == rec.metadata
    plain.age = 3  # public names still set fields after the build
    assert plain["age"] == 3


# --- ids -------------------------------------------------------------------------------------
def test_id_given_then_from_field() -> None:
    assert Record({"a": 1}).id is None
    assert Record({"a": 1}, id="k").id == "k"
    assert Record({"id": "f"}).id == "f"
    assert Record({"id": 12}).id == "12"
    assert Record({"id": True}).id is None
    assert Record({"id": ""}).id == ""  # an empty id field is refused by the store, not replaced
    assert Record({"id": "f"}, id="given").id == "given"
    rec = Record({}, id=5)
    assert rec.id == "5"


def test_bad_id_type_names_it() -> None:
    with pytest.raises(TypeError, match="float"):
        Record({}, id=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bool"):
        Record({}, id=True)


# --- copies and conversions ------------------------------------------------------------------
def test_copy_is_deep_by_default(rec: Record) -> None:
    deep = rec.copy()
    shallow = rec.copy(deep=False)
    rec["team"]["name"] = "infra"
    rec.metadata["source"] = "x"
    assert deep["team.name"] == "core" and deep.metadata == {"source": "hr"}
    assert shallow["team.name"] == "infra"
    assert deep != rec and shallow.data == rec.data  # equality is by value


def test_with_id(rec: Record) -> None:
    other = rec.with_id("k")
    assert other.id == "k" and rec.id is None and other.data == rec.data


def test_project_keeps_nesting_id_and_metadata(rec: Record) -> None:
    rec.id = "r1"
    got = rec.project(["name", "team.lead.id", "nope", "tags.0"])
    assert got.data == {"name": "Ada", "team": {"lead": {"id": 7}}}
    assert got.id == "r1" and got.metadata == {"source": "hr"}
    got["team"]["lead"]["id"] = 0
    assert rec["team.lead.id"] == 7  # a copy


def test_project_keeps_null(rec: Record) -> None:
    assert rec.project(["note"]).data == {"note": None}


def test_merge(rec: Record) -> None:
    rec.id = "r1"
    other = Record({"age": 40, "city": "Oslo"}, metadata={"source": "crm", "x": 1})
    merged = rec.merge(other)
    assert merged["age"] == 40 and merged["city"] == "Oslo" and merged["name"] == "Ada"
    assert merged.metadata == {"source": "crm", "x": 1}
    assert merged.id == "r1"
    kept = rec.merge(other, overwrite=False)
    assert kept["age"] == 36 and kept["city"] == "Oslo"
    assert kept.metadata == {"source": "hr", "x": 1}
    assert rec.merge({"age": 1})["age"] == 1
    assert rec["age"] == 36  # the original is unchanged


def test_to_dict_and_from_dict(rec: Record) -> None:
    rec.id = "r1"
    plain = rec.to_dict()
    assert plain == rec.data and plain is not rec.data
    plain["team"]["name"] = "x"
    assert rec["team.name"] == "core"
    env = rec.to_dict(include_metadata=True)
    assert env == {"id": "r1", "data": rec.data, "metadata": {"source": "hr"}}
    back = Record.from_dict(env)
    assert back == rec
    assert Record.from_dict(plain).data == plain  # no envelope: plain field data
    # a record whose only field is called "data" is read as data when asked
    assert Record.from_dict({"data": {"a": 1}}, envelope=False).data == {"data": {"a": 1}}
    assert Record.from_dict({"data": {"a": 1}}).data == {"a": 1}


def test_equality_and_hash() -> None:
    a = Record({"v": 1}, {"m": 1}, id="k")
    assert a == Record({"v": 1}, {"m": 1}, id="k")
    assert a != Record({"v": 1}, {"m": 2}, id="k")
    assert a != Record({"v": 1}, {"m": 1}, id="j")
    assert a.__eq__(1) is NotImplemented
    with pytest.raises(TypeError):
        hash(a)


def test_repr_is_short() -> None:
    rec = Record({f"f{i}": i for i in range(10)}, id="k")
    text = repr(rec)
    assert text.startswith("Record(id='k', f0=0") and text.endswith(", ...)")
    assert "f9" not in text


# --- Field and FieldType ---------------------------------------------------------------------
@pytest.mark.parametrize(("value", "ftype"), [
    (True, FieldType.BOOLEAN), (1, FieldType.INTEGER), (1.5, FieldType.FLOAT),
    ("s", FieldType.STRING), (datetime(2020, 1, 1, tzinfo=UTC), FieldType.DATETIME),
    ([1], FieldType.LIST), ((1,), FieldType.LIST), ({"a": 1}, FieldType.DICT),
    (None, FieldType.ANY), (object(), FieldType.ANY),
])
def test_field_type_infer(value: object, ftype: FieldType) -> None:
    assert FieldType.infer(value) is ftype


def test_field_type_accepts() -> None:
    assert FieldType.FLOAT.accepts(1) and not FieldType.FLOAT.accepts(True)
    assert not FieldType.INTEGER.accepts(True) and not FieldType.INTEGER.accepts(1.0)
    assert FieldType.TEXT.accepts("x") and FieldType.JSON.accepts(object())
    assert FieldType.LIST.accepts((1,)) and not FieldType.DICT.accepts([])


def test_field_round_trip_and_validate() -> None:
    f = Field("age", 36, metadata={"unit": "y"})
    assert f.type is FieldType.INTEGER and f.validate()
    assert Field.from_dict(f.to_dict()) == f
    assert not Field("age", "x", FieldType.INTEGER).validate()
    assert Field("age", None, FieldType.INTEGER).validate()
    assert Field.from_dict({"name": "n"}).type is FieldType.ANY


# -- dataknobs-data 0.11's record names (behaviour compared side by side with 0.11.0) -----------
def test_record_answers_the_0_11_record_api():
    from dataknobs_data import FieldType

    rec = Record({"a": 1, "b": {"c": 2}}, metadata={"m": 1}, id="x")
    assert rec.get("a") == 1 and rec.get("zz", 5) == 5
    assert rec.get("b.c") is None  # a top-level lookup, as Mapping.get (0.11 alike)
    assert rec.field_names() == ["a", "b"] and rec.field_count() == 2
    assert rec.storage_id == "x" and rec.has_storage_id()
    rec.set_field("d", "t", FieldType.STRING, {"unit": "none"})
    field = rec.get_field("d")
    assert field is not None and field.type is FieldType.STRING
    assert field.metadata == {"unit": "none"}
    assert rec["d"] == "t"
    rec.set_field("e", 3)
    assert rec.get_field("e").type is FieldType.INTEGER  # type: ignore[union-attr]


def test_generate_id_gives_a_fresh_id_the_ports_accept():
    from dataknobs_data import MemoryDatabase

    rec = Record({"a": 1})
    assert not rec.has_storage_id() and rec.storage_id is None
    rid = rec.generate_id()
    assert rec.id == rid and len(rid) == 32 and rid != Record({}).generate_id()
    db = MemoryDatabase()
    assert db.create(rec) == rid and db.read(rid)["a"] == 1
