"""Records and fields: what a store keeps.

A ``Record`` is a mapping of field names to values (nested dicts and lists allowed), a
``metadata`` dict kept beside the data, and an ``id``. Field access follows the dataknobs-data
core API: ``rec["age"]``, ``rec.age``, ``rec.get_value("age")``, ``rec.set_value("age", 37)``.
"""

from __future__ import annotations

import copy as _copy
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from .values import MISSING


class FieldType(Enum):
    """The type of a field's value, as a schema declares it."""

    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    JSON = "json"
    LIST = "list"
    DICT = "dict"
    ANY = "any"

    @classmethod
    def infer(cls, value: Any) -> FieldType:
        """The field type of a Python value (``None`` infers ``ANY``)."""
        if isinstance(value, bool):
            return cls.BOOLEAN
        if isinstance(value, int):
            return cls.INTEGER
        if isinstance(value, float):
            return cls.FLOAT
        if isinstance(value, str):
            return cls.STRING
        if isinstance(value, datetime):
            return cls.DATETIME
        if isinstance(value, list | tuple):
            return cls.LIST
        if isinstance(value, dict):
            return cls.DICT
        return cls.ANY

    def accepts(self, value: Any) -> bool:
        """Whether a non-null value is of this type (integers are accepted as floats)."""
        if self in (FieldType.ANY, FieldType.JSON):
            return True
        if self in (FieldType.STRING, FieldType.TEXT):
            return isinstance(value, str)
        if self is FieldType.INTEGER:
            return isinstance(value, int) and not isinstance(value, bool)
        if self is FieldType.FLOAT:
            return isinstance(value, int | float) and not isinstance(value, bool)
        if self is FieldType.BOOLEAN:
            return isinstance(value, bool)
        if self is FieldType.DATETIME:
            return isinstance(value, datetime)
        if self is FieldType.LIST:
            return isinstance(value, list | tuple)
        if self is FieldType.DICT:
            return isinstance(value, dict)
        return False  # pragma: no cover


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


class Record:
    """A record: ordered field values, metadata and an id.

    ``Record(data, metadata=None, id=None)``. ``data`` maps field names to values or to
    ``Field`` objects. When ``id`` is not given, a string or integer ``id`` field in the data
    names the record; otherwise the store assigns one on ``create``. The data keeps exactly the
    keys it was given: a missing field stays missing, a null stays null.
    """

    __slots__ = ("_data", "_field_meta", "_id", "metadata")

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        id: str | None = None,
    ) -> None:
        values: dict[str, Any] = {}
        field_meta: dict[str, Field] = {}
        for key, value in (data or {}).items():
            if isinstance(value, Field):
                values[key] = value.value
                field_meta[key] = value
            else:
                values[key] = value
        self._data = values
        self._field_meta = field_meta
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._id: str | None = None
        self.id = id

    @classmethod
    def trusted(cls, data: dict[str, Any], metadata: dict[str, Any] | None = None,
                id: str | None = None) -> Record:
        """A record that owns ``data`` and ``metadata`` as given: no copy, no ``Field``
        unpacking, no checks.

        The seam for adapters, which build records from values the port has already checked
        or that they have just decoded from their own store: the dicts become the record's
        own, so the caller must not keep using them."""
        rec = cls.__new__(cls)
        rec._data = data
        rec._field_meta = {}
        rec.metadata = {} if metadata is None else metadata
        rec._id = id
        return rec

    # -- identity -------------------------------------------------------------------------
    @property
    def id(self) -> str | None:
        """The record's id: the one given, else its ``id`` field, else None until stored."""
        if self._id is not None:
            return self._id
        candidate = self._data.get("id")
        if isinstance(candidate, str):
            return candidate  # even "": the store refuses it rather than replace it
        if isinstance(candidate, int) and not isinstance(candidate, bool):
            return str(candidate)
        return None

    @id.setter
    def id(self, value: str | int | None) -> None:
        if value is None:
            self._id = None
        elif isinstance(value, bool) or not isinstance(value, str | int):
            raise TypeError(f"record id must be a string, got {type(value).__name__}")
        else:
            self._id = str(value)

    # -- data access ----------------------------------------------------------------------
    @property
    def data(self) -> dict[str, Any]:
        """The field values (the live dict; mutate through ``set_value`` for clarity)."""
        return self._data

    @property
    def fields(self) -> dict[str, Field]:
        """The fields as ``Field`` objects (built on demand; values are shared, not copied)."""
        out: dict[str, Field] = {}
        for name, value in self._data.items():
            known = self._field_meta.get(name)
            if known is not None:
                out[name] = Field(name, value, known.type, known.metadata)
            else:
                out[name] = Field(name, value)
        return out

    def get_value(self, name: str, default: Any = None) -> Any:
        """The value of a field (dotted paths reach into nested objects), or ``default``."""
        value = lookup(self._data, name)
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
        return self.fields[name]

    def has_field(self, name: str) -> bool:
        """Whether the (possibly dotted) field is present, even when null."""
        return lookup(self._data, name) is not MISSING

    def remove_field(self, name: str) -> bool:
        """Remove a top-level field; True when it was present."""
        self._field_meta.pop(name, None)
        return self._data.pop(name, MISSING) is not MISSING

    def __getitem__(self, name: str) -> Any:
        value = lookup(self._data, name)
        if value is MISSING:
            raise KeyError(name)
        return value

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
        # only called when normal attribute lookup fails: fields read as attributes
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            data = object.__getattribute__(self, "_data")
        except AttributeError:
            raise AttributeError(name) from None
        if name in data:
            return data[name]
        raise AttributeError(f"record has no field {name!r}")

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
        """The id the record is stored under (this project has one id: ``id``)."""
        return self._id

    def has_storage_id(self) -> bool:
        """Whether the record has an id."""
        return self._id is not None

    def generate_id(self) -> str:
        """Give the record a fresh id (as ``create`` would) and return it."""
        self.id = new_id()
        return self.id

    # -- copies and conversions -----------------------------------------------------------
    def copy(self, deep: bool = True) -> Record:
        """A copy; ``deep=True`` (default) copies nested values too."""
        clone = Record.__new__(Record)
        clone._data = _copy.deepcopy(self._data) if deep else dict(self._data)
        clone._field_meta = dict(self._field_meta)
        clone.metadata = _copy.deepcopy(self.metadata) if deep else dict(self.metadata)
        clone._id = self._id
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
        return merged

    def to_dict(self, include_metadata: bool = False) -> dict[str, Any]:
        """The data as a plain dict (deep copy).

        With ``include_metadata=True`` the envelope ``{"id", "data", "metadata"}``."""
        if include_metadata:
            return {
                "id": self.id,
                "data": _copy.deepcopy(self._data),
                "metadata": _copy.deepcopy(self.metadata),
            }
        return _copy.deepcopy(self._data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], envelope: bool | None = None) -> Record:
        """Build a record from ``to_dict`` output.

        ``envelope=None`` reads ``{"data": {...}, "id"?, "metadata"?}`` (and no other keys) as
        an envelope and anything else as plain field data; pass True or False to decide."""
        if envelope is None:
            envelope = (
                isinstance(data.get("data"), dict) and set(data) <= {"id", "data", "metadata"}
            )
        if envelope:
            return cls(
                _copy.deepcopy(data["data"]),
                _copy.deepcopy(data.get("metadata") or {}),
                data.get("id"),
            )
        return cls(_copy.deepcopy(dict(data)))

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
