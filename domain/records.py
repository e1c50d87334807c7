"""Records and fields: what a store keeps.

A ``Record`` is a mapping of field names to values (nested dicts and lists allowed), a
``metadata`` dict kept beside the data, and an ``id``. Field access follows the dataknobs-data
core API: ``rec["age"]``, ``rec.age``, ``rec.get_value("age")``, ``rec.set_value("age", 37)``,
and dataknobs-data 0.11's record API on top (``storage_id``, ``fields`` as ordered ``Field``s,
``to_dict(flatten=...)``, ``validate``, ``get_user_id``, ``record[0]``, ``rec.age = 37``).
"""

from __future__ import annotations

import copy as _copy
import itertools
import uuid
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from .errors import FieldTypeError, InvalidRecordIdError, QueryError, SerializationError
from .values import MISSING, coerce, field_type
from .values import FieldType as FieldType  # its home is domain.values; importable here too


@dataclass
class Field:
    """One named value of a record, with its type and optional field-level metadata."""

    name: str
    value: Any = None
    type: FieldType | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type is None:
            self.type = FieldType.infer(self.value)

    def validate(self) -> bool:
        """Whether the value is null or of the field's type."""
        return self.value is None or (self.type or FieldType.ANY).accepts(self.value)

    def convert_to(self, target: FieldType | str) -> Field:
        """A new field holding the value converted to ``target`` (``domain.values.coerce``:
        lossless conversions only, so ``"12"`` becomes 12 but 3.5 never becomes 3).

        ``FieldTypeError`` (a ``ValueError``) names the field and the value that cannot be
        converted."""
        wanted = field_type(target)
        try:
            value = coerce(self.value, wanted)
        except (ValueError, TypeError, OverflowError) as err:
            raise FieldTypeError(self.name, wanted.value,
                                 f"{(self.type or FieldType.ANY).value} {self.value!r} ({err})"
                                 ) from err
        return Field(self.name, value, wanted, _copy.deepcopy(self.metadata))

    def copy(self) -> Field:
        """A deep copy of the field."""
        return Field(self.name, _copy.deepcopy(self.value), self.type,
                     _copy.deepcopy(self.metadata))

    def to_dict(self) -> dict[str, Any]:
        """The field as a plain dict."""
        return {
            "name": self.name,
            "value": self.value,
            "type": (self.type or FieldType.ANY).value,
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Field:
        """The inverse of ``to_dict``."""
        ftype = data.get("type")
        return cls(
            name=data["name"],
            value=data.get("value"),
            type=FieldType(ftype) if ftype else None,
            metadata=dict(data.get("metadata") or {}),
        )


def check_path(path: object) -> None:
    """``QueryError`` unless ``path`` is a dotted field path with no empty segment."""
    if not isinstance(path, str) or not path:
        raise QueryError(f"field path must be a non-empty string, got {path!r}")
    if any(not part for part in path.split(".")):
        raise QueryError(f"field path {path!r} has an empty segment")


def split_path(path: str) -> tuple[str, ...]:
    """The segments of a dotted path (``"team.name"`` -> ``("team", "name")``)."""
    return tuple(path.split("."))


def lookup(data: Mapping[str, Any], path: str | tuple[str, ...]) -> Any:
    """The value at a dotted path, or ``MISSING`` when any segment is absent.

    Dots always separate segments, and a segment only descends into an object (dict): a path
    through a list or a scalar is missing. A key that itself contains a dot is stored and
    returned intact but cannot be addressed by a path (docs/query-semantics.md, "Paths")."""
    if isinstance(path, str):
        if "." not in path:
            return data.get(path, MISSING)
        path = split_path(path)
    current: Any = data
    for segment in path:
        if type(current) is not dict and not isinstance(current, Mapping):
            return MISSING
        current = current.get(segment, MISSING)
        if current is MISSING:
            return MISSING
    return current


def assign_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``data[path]``; a dotted path creates (or replaces non-object) parents."""
    if "." not in path:
        data[path] = value
        return
    *parents, leaf = split_path(path)
    current = data
    for segment in parents:
        nxt = current.get(segment)
        if not isinstance(nxt, dict):
            nxt = {}
            current[segment] = nxt
        current = nxt
    current[leaf] = value


def as_id(value: object) -> str | None:
    """``value`` as a record id when it can be one (a string, or an integer that is not a
    bool), else None. The one rule for ids taken from data and metadata."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _checked_id(value: object) -> str | None:
    """A given record id as a string (None stays None); ``TypeError`` naming another type."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"record id must be a string, got {type(value).__name__}")
    return str(value)


class FieldsView(MutableMapping[str, Field]):
    """A record's fields as ordered ``Field`` objects (dataknobs-data 0.11's ``fields``).

    A live view: ``rec.fields["x"] = Field("x", 1, FieldType.FLOAT)`` sets the record's field
    (value, type and metadata), ``del rec.fields["x"]`` removes it. The ``Field`` objects are
    made on each access and share the record's values: change a value through the record
    (``rec["x"] = 2``), not by assigning ``field.value``."""

    __slots__ = ("_record",)

    def __init__(self, record: Record) -> None:
        self._record = record

    def __getitem__(self, name: str) -> Field:
        found = self._record.get_field(name)
        if found is None:
            raise KeyError(name)
        return found

    def __setitem__(self, name: str, value: Field | Any) -> None:
        self._record._put(name, value)

    def __delitem__(self, name: str) -> None:
        if not self._record.remove_field(name):
            raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._record.data)

    def __len__(self) -> int:
        return len(self._record.data)

    def __repr__(self) -> str:
        return f"FieldsView({list(self.values())!r})"


class Record:
    """A record: ordered field values, metadata and an id.

    ``Record(data, metadata=None, id=None, storage_id=None)``. ``data`` maps field names to
    values or to ``Field`` objects. ``id`` and ``storage_id`` (dataknobs-data 0.11's name)
    both give the id the record is stored under. When neither is given, the record's ``id``
    is its data's ``id`` field, else its metadata's ``id``, else its data's ``record_id`` (a
    string or an integer; read when asked, so a later change is seen); otherwise the store
    assigns one on ``create``. The data keeps exactly the keys it was given: a missing field
    stays missing, a null stays null.
    """

    __slots__ = ("_data", "_field_meta", "_id", "metadata")
    _data: dict[str, Any]
    _field_meta: dict[str, Field]
    _id: str | None
    metadata: dict[str, Any]

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        id: str | None = None,
        storage_id: str | None = None,
    ) -> None:
        values: dict[str, Any] = dict(data) if data else {}
        field_meta: dict[str, Field] = {}
        if any(map(isinstance, values.values(), itertools.repeat(Field))):
            # Field objects give their value and keep their metadata (the common case, plain
            # values, is the C-level scan above: records are built by the million)
            for key, value in values.items():
                if isinstance(value, Field):
                    values[key] = value.value
                    field_meta[key] = value
        if storage_id is not None and id is not None and str(storage_id) != str(id):
            raise InvalidRecordIdError(storage_id, f"storage_id conflicts with id={id!r}")
        _set = object.__setattr__  # the slots directly, past __setattr__ (a hot path)
        _set(self, "_data", values)
        _set(self, "_field_meta", field_meta)
        _set(self, "metadata", dict(metadata or {}))
        _set(self, "_id", _checked_id(storage_id if storage_id is not None else id))

    @classmethod
    def trusted(cls, data: dict[str, Any], metadata: dict[str, Any] | None = None,
                id: str | None = None) -> Record:
        """A record that owns ``data`` and ``metadata`` as given: no copy, no ``Field``
        unpacking, no checks.

        The seam for adapters, which build records from values the port has already checked
        or that they have just decoded from their own store: the dicts become the record's
        own, so the caller must not keep using them."""
        if cls is Record:  # adapters build records by the million: fill the slots by plain
            rec: Record = _Filling.__new__(_Filling)  # assignment (Record.__setattr__ is a
            rec._data = data                          # Python call per slot), then retype
            rec._field_meta = {}
            rec.metadata = {} if metadata is None else metadata
            rec._id = id
            rec.__class__ = Record
            return rec
        rec = cls.__new__(cls)
        _set = object.__setattr__
        _set(rec, "_data", data)
        _set(rec, "_field_meta", {})
        _set(rec, "metadata", {} if metadata is None else metadata)
        _set(rec, "_id", id)
        return rec

    # -- identity -------------------------------------------------------------------------
    @property
    def id(self) -> str | None:
        """The record's id: the one given (``storage_id``), else its data's ``id`` field, else
        its metadata's ``id``, else its data's ``record_id`` field, else None until stored.

        An empty string counts: the store refuses it rather than replace it."""
        if self._id is not None:
            return self._id
        for source, key in ((self._data, "id"), (self.metadata, "id"), (self._data, "record_id")):
            found = as_id(source.get(key))
            if found is not None:
                return found
        return None

    @id.setter
    def id(self, value: str | int | None) -> None:
        object.__setattr__(self, "_id", _checked_id(value))

    # -- data access ----------------------------------------------------------------------
    @property
    def data(self) -> dict[str, Any]:
        """The field values (the live dict; mutate through ``set_value`` for clarity)."""
        return self._data

    @property
    def fields(self) -> FieldsView:
        """The fields as ordered ``Field`` objects: a live view (see ``FieldsView``)."""
        return FieldsView(self)

    @fields.setter
    def fields(self, fields: Mapping[str, Field | Any]) -> None:
        replacement = Record(fields)
        object.__setattr__(self, "_data", replacement._data)
        object.__setattr__(self, "_field_meta", replacement._field_meta)

    def _put(self, name: str, value: Field | Any) -> None:
        """Set the top-level field ``name`` exactly (a dot in it is part of the name)."""
        if isinstance(value, Field):
            self._field_meta[name] = value
            value = value.value
        else:
            self._field_meta.pop(name, None)
        self._data[name] = value

    def get_value(self, name: str, default: Any = None) -> Any:
        """The value of a field (dotted paths reach into nested objects), or ``default``.

        As in dataknobs-data 0.11, a path starting ``metadata.`` reads the record's metadata
        and one starting ``fields.`` reads its data, unless the data has a field of that name
        (which then comes first)."""
        value = lookup(self._data, name)
        if value is MISSING and "." in name:
            root, rest = name.split(".", 1)
            if root not in self._data:
                if root == "metadata":
                    value = lookup(self.metadata, rest)
                elif root == "fields":
                    value = lookup(self._data, rest)
        return default if value is MISSING else value

    def get_nested_value(self, path: str, default: Any = None) -> Any:
        """The value at a dotted path such as ``"team.lead.name"``, or ``default``."""
        return self.get_value(path, default)

    def set_value(self, name: str, value: Any) -> None:
        """Set a field (a dotted path creates the nested objects it needs)."""
        if isinstance(value, Field):
            self._field_meta[name] = value
            value = value.value
        assign_path(self._data, name, value)

    def get_field(self, name: str) -> Field | None:
        """The named top-level field as a ``Field``, or None."""
        if name not in self._data:
            return None
        value = self._data[name]
        known = self._field_meta.get(name)
        if known is None:
            return Field(name, value)
        return Field(name, value, known.type, known.metadata)

    def get_field_object(self, name: str) -> Field:
        """The named top-level field as a ``Field``; ``KeyError`` naming a missing one."""
        found = self.get_field(name)
        if found is None:
            raise KeyError(name)
        return found

    def validate(self) -> bool:
        """Whether every field's value is null or of its field's type (``Field.validate``)."""
        return all(f.validate() for f in self.fields.values())

    def has_field(self, name: str) -> bool:
        """Whether the (possibly dotted) field is present, even when null."""
        return lookup(self._data, name) is not MISSING

    def remove_field(self, name: str) -> bool:
        """Remove a top-level field; True when it was present."""
        self._field_meta.pop(name, None)
        return self._data.pop(name, MISSING) is not MISSING

    def __getitem__(self, name: str | int) -> Any:
        if isinstance(name, str):
            value = lookup(self._data, name)
            if value is MISSING:
                raise KeyError(name)
            return value
        if isinstance(name, int) and not isinstance(name, bool):
            # 0.11's positional access: the Field at that position (no negative positions)
            if not 0 <= name < len(self._data):
                raise IndexError(f"field position {name} out of range (0..{len(self._data) - 1})")
            return self.get_field(next(itertools.islice(self._data, name, None)))
        raise TypeError(f"a record is indexed by field name (str) or position (int), "
                        f"not {type(name).__name__} {name!r}")

    def __setitem__(self, name: str, value: Any) -> None:
        self.set_value(name, value)

    def __delitem__(self, name: str) -> None:
        if not self.remove_field(name):
            raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has_field(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> Iterable[str]:
        """The top-level field names."""
        return self._data.keys()

    def values(self) -> Iterable[Any]:
        """The top-level field values."""
        return self._data.values()

    def items(self) -> Iterable[tuple[str, Any]]:
        """The top-level (name, value) pairs."""
        return self._data.items()

    def __getattr__(self, name: str) -> Any:
        # only called when normal attribute lookup fails: fields read as attributes, except
        # names starting with "_" (read those with rec["_name"] or rec.get("_name"))
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            data = object.__getattribute__(self, "_data")
        except AttributeError:
            raise AttributeError(name) from None
        if name in data:
            return data[name]
        raise AttributeError(f"record has no field {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        # the record's own attributes (slots, properties) as usual; any other public name
        # sets a field, as in 0.11 (rec.age = 37); a method's name is refused, not shadowed
        if name.startswith("_") or hasattr(type(self), name):
            object.__setattr__(self, name, value)
        else:
            self._put(name, value)

    # -- dataknobs-data 0.11's names --------------------------------------------------------
    def get(self, name: str, default: Any = None) -> Any:
        """The value of a top-level field, or ``default`` (as ``Mapping.get``)."""
        return self._data.get(name, default)

    def field_names(self) -> list[str]:
        """The top-level field names, in order."""
        return list(self._data)

    def field_count(self) -> int:
        """How many top-level fields the record has."""
        return len(self._data)

    def set_field(self, name: str, value: Any, field_type: FieldType | None = None,
                  field_metadata: Mapping[str, Any] | None = None) -> None:
        """Set a field; with ``field_type`` or ``field_metadata`` it is kept as a ``Field``."""
        if field_type is None and field_metadata is None:
            self.set_value(name, value)
        else:
            self.set_value(name, Field(name, value, field_type, dict(field_metadata or {})))

    @property
    def storage_id(self) -> str | None:
        """The id given to the record or assigned by a store (not one read from its data)."""
        return self._id

    @storage_id.setter
    def storage_id(self, value: str | int | None) -> None:
        self.id = value

    def has_storage_id(self) -> bool:
        """Whether the record has a given or store-assigned id."""
        return self._id is not None

    def get_user_id(self) -> str | None:
        """The data's own ``id`` field as an id (whatever id the record is stored under)."""
        return as_id(self._data.get("id"))

    def generate_id(self) -> str:
        """Give the record a fresh id (as ``create`` would) and return it."""
        self.id = new_id()
        return self.id

    # -- copies and conversions -----------------------------------------------------------
    def copy(self, deep: bool = True) -> Record:
        """A copy; ``deep=True`` (default) copies nested values too."""
        clone = Record.__new__(Record)
        _set = object.__setattr__
        _set(clone, "_data", _copy.deepcopy(self._data) if deep else dict(self._data))
        _set(clone, "_field_meta", dict(self._field_meta))
        _set(clone, "metadata", _copy.deepcopy(self.metadata) if deep else dict(self.metadata))
        _set(clone, "_id", self._id)
        return clone

    def with_id(self, record_id: str) -> Record:
        """A shallow copy carrying ``record_id``."""
        clone = self.copy(deep=False)
        clone._id = record_id
        return clone

    def project(self, fields: Iterable[str]) -> Record:
        """A copy holding only the named fields (dotted paths keep their nesting).

        Fields the record lacks stay absent; id and metadata are kept."""
        out: dict[str, Any] = {}
        for path in fields:
            value = lookup(self._data, path)
            if value is not MISSING:
                assign_path(out, path, _copy.deepcopy(value))
        clone = Record(out, _copy.deepcopy(self.metadata))
        clone._id = self.id
        return clone

    def merge(self, other: Record | Mapping[str, Any], overwrite: bool = True) -> Record:
        """A new record with ``other``'s fields added (overwriting ours when ``overwrite``)."""
        data = _copy.deepcopy(self._data)
        metadata = _copy.deepcopy(self.metadata)
        other_data = other.data if isinstance(other, Record) else other
        for key, value in other_data.items():
            if overwrite or key not in data:
                data[key] = _copy.deepcopy(value)
        if isinstance(other, Record):
            for key, value in other.metadata.items():
                if overwrite or key not in metadata:
                    metadata[key] = _copy.deepcopy(value)
        merged = Record(data, metadata)
        merged._id = self._id
        if merged._id is None and isinstance(other, Record):
            merged._id = other._id
        return merged

    def to_dict(self, include_metadata: bool = False, flatten: bool | None = None,
                include_field_objects: bool = True) -> dict[str, Any]:
        """The record as a plain dict (a deep copy).

        Without ``flatten``: the data; with ``include_metadata=True`` the envelope
        ``{"id", "data", "metadata"}``. dataknobs-data 0.11's forms when ``flatten`` is given:
        ``flatten=True`` is the data plus ``"_id"`` (when the record has an id) and, with
        ``include_metadata``, ``"_metadata"`` (when there is metadata); ``flatten=False`` is
        ``{"fields": {name: Field.to_dict()}, "id"?, "metadata"?}``, with plain values instead
        of field dicts when ``include_field_objects=False``. ``from_dict`` reads every form."""
        data = _copy.deepcopy(self._data)
        record_id = self.id
        if flatten is None:
            if not include_metadata:
                return data
            return {"id": record_id, "data": data, "metadata": _copy.deepcopy(self.metadata)}
        if flatten:
            extra: dict[str, Any] = {}
            if record_id:
                extra["_id"] = record_id
            if include_metadata and self.metadata:
                extra["_metadata"] = _copy.deepcopy(self.metadata)
            clash = sorted(set(extra) & set(data))
            if clash:
                raise SerializationError(
                    f"record {record_id!r}: field {clash[0]!r} would be overwritten by the "
                    "flat form's own key; use to_dict() or to_dict(flatten=False)")
            return {**data, **extra}
        if include_field_objects:
            fields: dict[str, Any] = {name: _copy.deepcopy(f.to_dict())
                                      for name, f in self.fields.items()}
        else:
            fields = data
        out: dict[str, Any] = {"fields": fields}
        if record_id:
            out["id"] = record_id
        if include_metadata:
            out["metadata"] = _copy.deepcopy(self.metadata)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], envelope: bool | None = None) -> Record:
        """Build a record from any form ``to_dict`` makes.

        ``envelope=None`` reads ``{"data": {...}, "id"?, "metadata"?}`` (and no other keys) as
        this project's envelope, ``{"fields": {...}, "id"?, "_id"?, "metadata"?}`` as 0.11's
        structured form, and anything else as field data, taking 0.11's flat keys ``"_id"``
        and ``"_metadata"`` out of it as the id and the metadata. ``envelope=True`` reads
        the envelope; ``envelope=False`` reads the mapping as field data exactly as given."""
        if envelope is None:
            if isinstance(data.get("data"), dict) and set(data) <= {"id", "data", "metadata"}:
                envelope = True
            elif (isinstance(data.get("fields"), Mapping)
                  and set(data) <= {"fields", "id", "_id", "metadata"}):
                return cls._from_structured(data)
            else:
                return cls._from_flat(data)
        if envelope:
            return cls(
                _copy.deepcopy(data["data"]),
                _copy.deepcopy(data.get("metadata") or {}),
                data.get("id"),
            )
        return cls(_copy.deepcopy(dict(data)))

    @classmethod
    def _from_structured(cls, data: Mapping[str, Any]) -> Record:
        fields: dict[str, Any] = {}
        for name, entry in data["fields"].items():
            if (isinstance(entry, Mapping) and "value" in entry
                    and set(entry) <= {"name", "value", "type", "metadata"}):
                fields[name] = Field.from_dict({**_copy.deepcopy(dict(entry)), "name": name})
            else:
                fields[name] = _copy.deepcopy(entry)
        record_id = data.get("id")
        return cls(fields, _copy.deepcopy(data.get("metadata") or {}),
                   record_id if record_id is not None else data.get("_id"))

    @classmethod
    def _from_flat(cls, data: Mapping[str, Any]) -> Record:
        values = _copy.deepcopy(dict(data))
        record_id = values.get("_id")
        metadata = values.get("_metadata")
        if as_id(record_id) is not None:
            del values["_id"]
        else:
            record_id = None
        if isinstance(metadata, dict):
            del values["_metadata"]
        else:
            metadata = None
        return cls(values, metadata, record_id)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return (
            self.id == other.id and self._data == other._data and self.metadata == other.metadata
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in list(self._data.items())[:6])
        more = ", ..." if len(self._data) > 6 else ""
        return f"Record(id={self.id!r}, {shown}{more})"


def new_id() -> str:
    """A fresh record id (UUID4, 32 hex characters), as the ports assign."""
    return uuid.uuid4().hex


class _Filling(Record):
    """``Record.trusted``'s scaffold: Record's slots with plain attribute assignment (the C
    one, which ``Record.__setattr__`` replaces to turn public names into fields); a filled
    instance is retyped to ``Record`` at once."""

    __slots__ = ()
    __setattr__ = object.__setattr__  # type: ignore[assignment]
