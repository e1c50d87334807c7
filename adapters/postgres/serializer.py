"""Records to jsonb text and back: the one serializer of the sync and async adapters.

The stored form is typed JSON that keeps SQL paths static (``data->'team'->'name'``):

* a datetime is the object ``{"$datetime": "<ISO 8601>"}`` (``domain.codec``'s tag), so
  queries compare ``(v->>'$datetime')::timestamptz`` as instants;
* an object key that starts with ``$`` gets one more ``$`` (``"$id"`` is stored as
  ``"$$id"``), so the only stored key with a single leading ``$`` is the datetime tag and no
  wrapper object ever sits between a field and its children (``codec``'s ``$object``
  wrapper would break static paths and expression indexes);
* a float with an integral value is written with its exact digits and ``.0``
  (``1e300`` -> ``1000...0.0``): jsonb keeps numbers as exact decimals, so the ``.0`` keeps
  it a float on the way back and int/float comparisons stay exact.

jsonb cannot hold the character U+0000; a record with NUL in a string or key is refused
with ``SerializationError`` naming the path (never stored altered). ``dumps`` takes a fast
path through the C JSON encoder and only walks the value when the output shows a datetime,
a ``$`` key, a large integral float or a NUL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ...domain.codec import DATETIME_TAG
from ...domain.errors import SerializationError
from ...domain.records import Record

_NUL_ESCAPE = "\\u0000"
_PLACEHOLDER = "\x00F"  # never a stored string: NUL is refused before we get here
_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_loads = json.loads


def _datetime_default(value: Any) -> Any:
    if type(value) is datetime:
        return {DATETIME_TAG: value.isoformat()}
    raise SerializationError(f"{type(value).__name__} is not storable")


_dumps_fast = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                               default=_datetime_default).encode


def find_nul(value: Any, path: str) -> str | None:
    """The path of the first string or key holding NUL, or None."""
    t = type(value)
    if t is str:
        return path if "\x00" in value else None
    if t is dict:
        for key, item in value.items():
            if "\x00" in key:
                return f"{path} key {key!r}"
            found = find_nul(item, f"{path}.{key}")
            if found is not None:
                return found
    elif t is list:
        for i, item in enumerate(value):
            found = find_nul(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def nul_error(record_id: str | None, where: str) -> SerializationError:
    """The error for a NUL character PostgreSQL cannot store."""
    rec = f"record {record_id!r}: " if record_id is not None else ""
    return SerializationError(
        f"{rec}{where}: contains the NUL character (U+0000), which PostgreSQL text and "
        "jsonb cannot store")


class _Encoder:
    """The slow path: walk the value, tag datetimes, escape ``$`` keys, pin floats."""

    def __init__(self) -> None:
        self.floats: list[str] = []

    def value(self, v: Any) -> Any:
        t = type(v)
        if t is float:
            if v.is_integer() and "e" in repr(v):
                self.floats.append(f"{int(v)}.0")
                return f"{_PLACEHOLDER}{len(self.floats) - 1}"
            return v
        if t is dict:
            return {("$" + k if k.startswith("$") else k): self.value(x) for k, x in v.items()}
        if t is list:
            return [self.value(x) for x in v]
        if t is datetime:
            return {DATETIME_TAG: v.isoformat()}
        return v

    def finish(self, text: str) -> str:
        for i in range(len(self.floats) - 1, -1, -1):
            text = text.replace(f'"\\u0000F{i}"', self.floats[i])
        return text


def dumps_object(value: dict[str, Any], record_id: str | None = None,
                 where: str = "data") -> str:
    """The jsonb text of a record's data or metadata (a dict of storable values)."""
    text = _dumps_fast(value)
    if '"$' not in text and "e+" not in text and _NUL_ESCAPE not in text:
        return text
    if _NUL_ESCAPE in text:
        found = find_nul(value, where)
        if found is not None:
            raise nul_error(record_id, found)
    encoder = _Encoder()
    return encoder.finish(_dumps(encoder.value(value)))


def dumps_operand(value: Any) -> str:
    """The jsonb text of a query operand (same encoding as stored values)."""
    encoder = _Encoder()
    return encoder.finish(_dumps(encoder.value(value)))


def _decode(v: Any) -> Any:
    t = type(v)
    if t is dict:
        if len(v) == 1 and DATETIME_TAG in v:
            return datetime.fromisoformat(v[DATETIME_TAG])
        return {(k[1:] if k.startswith("$") else k): _decode(x) for k, x in v.items()}
    if t is list:
        return [_decode(x) for x in v]
    return v


def loads_object(text: str | None) -> dict[str, Any]:
    """The inverse of ``dumps_object``."""
    if text is None:
        return {}
    value = _loads(text)
    if '"$' in text:
        value = _decode(value)
    if type(value) is not dict:
        raise SerializationError(f"stored value is not an object: {text[:80]!r}")
    return value


def loads_value(text: str) -> Any:
    """One stored value (a projected field) decoded."""
    value = _loads(text)
    if '"$' in text:
        value = _decode(value)
    return value


def check_id(record_id: str) -> None:
    """Refuse an id PostgreSQL text cannot hold."""
    if "\x00" in record_id:
        raise nul_error(None, f"record id {record_id!r}")


def row_values(record: Record) -> tuple[str, str, str]:
    """(id, data jsonb text, metadata jsonb text) of a prepared record."""
    rid = record.id
    assert rid is not None
    check_id(rid)
    return (rid, dumps_object(record.data, rid, "data"),
            dumps_object(record.metadata, rid, "metadata") if record.metadata else "{}")


def to_record(record_id: str, data_text: str, metadata_text: str | None) -> Record:
    """A record from a row's id, data text and metadata text."""
    out = Record.__new__(Record)
    out._data = loads_object(data_text)
    out._field_meta = {}
    out.metadata = loads_object(metadata_text) if metadata_text not in (None, "{}") else {}
    out._id = record_id
    return out


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_lines(rows: Iterable[tuple[str, str, str]]) -> str:
    """Rows in COPY text format (tab-separated; backslash, tab and newlines escaped)."""
    out = []
    for rid, data, metadata in rows:
        # JSON text never holds a raw tab or newline; only its backslashes need escaping
        out.append(f"{rid.translate(_COPY_ESCAPES)}\t{data.replace(chr(92), chr(92) * 2)}"
                   f"\t{metadata.replace(chr(92), chr(92) * 2)}\n")
    return "".join(out)
