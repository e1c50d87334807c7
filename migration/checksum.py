"""Per-record checksums for verifying a migration.

A checksum is the SHA-256 of a canonical JSON form of the record's data (and metadata):
keys sorted, ``1`` and ``1.0`` and ``true`` kept distinct (the type round-trip the stores
promise), and aware datetimes taken as UTC instants so that a backend that returns the same
instant in another offset still matches. Two records have equal checksums exactly when a
reader of the library sees equal values of equal types.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from ..domain.records import Record


def canonical(value: Any) -> Any:
    """A JSON-safe, order-independent form of a storable value."""
    t = type(value)
    if t is dict:
        return {k: canonical(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [canonical(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            return {"$instant": value.astimezone(UTC).replace(tzinfo=None).isoformat()}
        return {"$naive": value.isoformat()}
    if t is float:
        return {"$float": repr(value)}
    return value


def record_checksum(record: Record, *, include_metadata: bool = True) -> str:
    """The checksum of a record's data (and metadata); the id is not part of it."""
    body: dict[str, Any] = {"data": canonical(record.data)}
    if include_metadata:
        body["metadata"] = canonical(record.metadata)
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def differing_fields(expected: Record, actual: Record, *, include_metadata: bool = True
                     ) -> list[str]:
    """Top-level field names whose values differ (``metadata`` when only metadata does)."""
    names: list[str] = []
    for key in sorted(set(expected.data) | set(actual.data)):
        a, b = expected.data.get(key, _ABSENT), actual.data.get(key, _ABSENT)
        if a is _ABSENT or b is _ABSENT or canonical(a) != canonical(b):
            names.append(key)
    if include_metadata and canonical(expected.metadata) != canonical(actual.metadata):
        names.append("(metadata)")
    return names


_ABSENT = object()

__all__ = ["canonical", "differing_fields", "record_checksum"]
