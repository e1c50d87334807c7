"""Typed JSON: storable values to JSON-safe values and back, losslessly.

JSON has no datetime, and a reader cannot tell a datetime string from a string. The codec
tags datetimes as ``{"$datetime": "<ISO 8601>"}`` and escapes user objects that have a key
starting with ``$`` as ``{"$object": {...}}``, so every storable value (docs/query-semantics.md,
"Values") decodes to exactly what was encoded: int stays int, a naive datetime stays naive,
an aware one keeps its offset. File, S3 and other text-based adapters share it.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .errors import SerializationError

DATETIME_TAG = "$datetime"
OBJECT_TAG = "$object"


def encode(value: Any) -> Any:
    """A JSON-safe form of a storable value."""
    t = type(value)
    if value is None or t is str or t is bool or t is int or t is float:
        return value
    if t is dict:
        body = {k: encode(v) for k, v in value.items()}
        if any(k.startswith("$") for k in value):
            return {OBJECT_TAG: body}
        return body
    if t is list:
        return [encode(v) for v in value]
    if t is datetime:
        return {DATETIME_TAG: value.isoformat()}
    raise SerializationError(f"{type(value).__name__} is not storable")


def decode_datetime(text: Any) -> datetime:
    """The datetime of a ``{"$datetime": text}`` tag; ``SerializationError`` naming the tag
    when ``text`` is not ISO 8601 text (a damaged or hand-made tag)."""
    if type(text) is str:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise SerializationError(
        f"{{{DATETIME_TAG!r}: {text!r:.80}}} is not a datetime tag (ISO 8601 text expected)")


def decode(value: Any, *, in_place: bool = False) -> Any:
    """The inverse of ``encode``. ``in_place`` fixes up the containers of freshly parsed
    JSON instead of copying them (only for a parse result nobody else holds)."""
    t = type(value)
    if t is dict:
        if len(value) == 1:
            if DATETIME_TAG in value:
                return decode_datetime(value[DATETIME_TAG])
            if OBJECT_TAG in value:
                return _decode_items(value[OBJECT_TAG], in_place)
        return _decode_items(value, in_place)
    if t is list:
        if not in_place:
            return [decode(v) for v in value]
        for i, item in enumerate(value):
            if type(item) is dict or type(item) is list:
                value[i] = decode(item, in_place=True)
        return value
    return value


def _decode_items(items: dict[str, Any], in_place: bool) -> dict[str, Any]:
    if not in_place:
        return {k: decode(v) for k, v in items.items()}
    for key, item in items.items():
        if type(item) is dict or type(item) is list:
            items[key] = decode(item, in_place=True)
    return items


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` of the encoded value (UTF-8 safe, no NaN)."""
    return json.dumps(encode(value), ensure_ascii=False, allow_nan=False, **kwargs)


def loads(text: str | bytes) -> Any:
    """``json.loads`` then decode."""
    return decode(json.loads(text))


def json_encoder(*, ensure_ascii: bool) -> Callable[[Any], str]:
    """A reusable ``json.dumps`` with ``allow_nan=False`` and the default separators: the
    same text, without the set-up ``json.dumps`` and ``JSONEncoder.encode`` repeat on every
    call (a quarter of the time of encoding a small record). Adapters that encode every row
    of a batch keep one. ``ValueError`` for NaN or infinity, ``TypeError`` for a value JSON
    has no form for, as ``json.dumps``."""
    plain = json.JSONEncoder(ensure_ascii=ensure_ascii, allow_nan=False)
    # the C encoder JSONEncoder.encode itself builds on each call (typeshed omits it)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # a Python without the C accelerator
        return plain.encode
    basestring = (json.encoder.encode_basestring_ascii if ensure_ascii
                  else json.encoder.encode_basestring)
    # no markers dict: the C encoder leaves an object's entry behind when it raises, so a
    # shared one would later call an unrelated object circular. A cycle cannot get here (the
    # port refuses values nested deeper than MAX_DEPTH) and would be a RecursionError.
    chunks = make(None, plain.default, basestring, None, ": ", ", ", False, False, False)

    def encode(value: Any) -> str:
        if type(value) is str:  # as JSONEncoder.encode: the C encoder wants a container
            return plain.encode(value)
        return "".join(chunks(value, 0))

    return encode
