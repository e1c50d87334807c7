"""Records as typed-JSON envelopes: the text shape shared by the JSON, JSON Lines and CSV
snapshots and by the operation log.

An envelope is ``{"id": "...", "data": {...}, "metadata": {...}}`` with values in the typed
JSON of ``domain.codec`` (datetimes tagged, ``$``-keyed objects escaped), so every storable
value reads back exactly as written. ``metadata`` is left out when empty.
"""

from __future__ import annotations

import json
from typing import Any

from ...domain.codec import decode, encode
from ...domain.errors import StorageError
from ...domain.records import Record

_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_dumps_ascii = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode


def to_utf8(obj: Any) -> bytes:
    """Compact JSON of an already-encoded object as UTF-8 bytes.

    Strings holding lone surrogates cannot be UTF-8; those objects are written with ``\\u``
    escapes instead (still valid JSON, read back identically)."""
    text = _dumps(obj)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _dumps_ascii(obj).encode("ascii")


def dump_value(value: Any) -> str:
    """Typed JSON text of one storable value (the form of a CSV cell or Parquet JSON cell)."""
    text = _dumps(encode(value))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _dumps_ascii(encode(value))
    return text


def load_value(text: str | bytes) -> Any:
    """The inverse of ``dump_value``; skips the tag walk when the text holds no ``$`` key."""
    value = json.loads(text)
    needs_decode = ('"$' in text) if isinstance(text, str) else (b'"$' in text)
    return decode(value) if needs_decode else value


def envelope(record: Record) -> dict[str, Any]:
    """The encoded envelope of a stored record."""
    env: dict[str, Any] = {"id": record._id, "data": encode(record._data)}
    if record.metadata:
        env["metadata"] = encode(record.metadata)
    return env


def make_record(record_id: str, data: dict[str, Any], metadata: dict[str, Any] | None
                ) -> Record:
    """A Record over already-decoded values, without re-validating them."""
    rec = Record.__new__(Record)
    rec._data = data
    rec._field_meta = {}
    rec.metadata = metadata if metadata is not None else {}
    rec._id = record_id
    return rec


def from_envelope(env: Any, source: str, where: str, tagged: bool = True) -> Record:
    """A Record from a parsed envelope; ``StorageError`` naming ``source`` and ``where`` when
    the object is not an envelope. ``tagged=False`` skips the typed-JSON walk (the caller
    knows the text holds no ``$`` key)."""
    if type(env) is not dict:
        raise StorageError(f"{source}: {where}: expected a record object, got "
                           f"{type(env).__name__}")
    rid = env.get("id")
    data = env.get("data")
    metadata = env.get("metadata", {})
    if type(rid) is not str or not rid or type(data) is not dict or type(metadata) is not dict:
        raise StorageError(f"{source}: {where}: not a dataknobs-data record "
                           "(expected {\"id\": string, \"data\": object, \"metadata\": object})")
    if tagged:
        data = decode(data)
        metadata = decode(metadata)
        if type(data) is not dict or type(metadata) is not dict:  # pragma: no cover - defensive
            raise StorageError(f"{source}: {where}: record data is not an object")
    return make_record(rid, data, metadata)


__all__ = ["dump_value", "envelope", "from_envelope", "load_value", "make_record", "to_utf8"]
