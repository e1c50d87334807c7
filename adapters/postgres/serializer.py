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
  it a float on the way back and int/float comparisons stay exact;
* ``-0.0`` is written as the number ``0.000...0`` with ``NEGATIVE_ZERO_SCALE`` decimals:
  jsonb's numeric has no negative zero (``-0.0`` would come back as ``0.0``) but keeps the
  scale it was given, and a Python float never prints with more than one trailing zero,
  so the scale marks the sign exactly while every query still sees a zero (it equals ``0``
  and ``0.0``, sorts with them and passes ``jsonb_typeof = 'number'``).

jsonb and text cannot hold the character U+0000, and UTF-8 cannot hold a lone surrogate; a
record holding either in a string or key is refused with ``SerializationError`` naming the
path, an id holding either (or longer than ``MAX_ID_BYTES``) with ``InvalidRecordIdError``
-- never stored altered. ``dumps`` takes a fast path through the C JSON encoder and only
walks the value when the output shows a datetime, a ``$`` key, a large integral float, a
negative zero, a NUL or a lone surrogate. With orjson installed (the ``fast`` extra) that
first text comes from orjson when it is the standard library's byte for byte (the rules of
``domain.codec.fast_text_trusted``), and a text whose only ``"$`` are the datetime tags
orjson wrote needs no walk; with msgspec installed, stored text is parsed by msgspec where
it gives what ``json.loads`` gives (``domain.codec.fast_parse``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ...domain.codec import _MISSING, DATETIME_TAG, fast_parse, fast_tagged
from ...domain.errors import InvalidRecordIdError, SerializationError
from ...domain.records import Record
from ...domain.values import check_texts, lone_surrogate

#: The longest record id, in UTF-8 bytes: the primary key's btree holds entries up to about
#: 2,700 bytes (less for ids that do not compress), so longer ones are refused up front
#: rather than failing -- or not -- depending on how well they compress.
MAX_ID_BYTES = 2048
#: The decimals of the stored zero that stands for ``-0.0`` (``0.`` and this many zeros).
NEGATIVE_ZERO_SCALE = 20
NEGATIVE_ZERO_TEXT = "0." + "0" * NEGATIVE_ZERO_SCALE

_NUL_ESCAPE = "\\u0000"
_PLACEHOLDER = "\x00F"  # never a stored string: NUL is refused before we get here
# -0.0 as the JSON encoder writes it: not followed by another digit or an exponent
_NEGATIVE_ZERO = re.compile(r"-0\.0(?![0-9eE])")
_NEGATIVE_ZERO_BYTES = re.compile(rb"-0\.0(?![0-9eE])")
_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_loads = json.loads


def _datetime_default(value: Any) -> Any:
    if type(value) is datetime:
        return {DATETIME_TAG: value.isoformat()}
    raise SerializationError(f"{type(value).__name__} is not storable")


_dumps_fast = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                               default=_datetime_default).encode


def text_problem(text: str) -> str | None:
    """Why PostgreSQL cannot hold ``text`` (a NUL or a lone surrogate), or None."""
    if "\x00" in text:
        return (f"the NUL character (U+0000) at position {text.index(chr(0))} cannot be "
                "stored by PostgreSQL text or jsonb")
    at = lone_surrogate(text)
    if at is not None:
        return f"lone surrogate {text[at]!r} at position {at} cannot be stored as UTF-8"
    return None


def unstorable(value: Any) -> bool:
    """True when a string or key inside ``value`` is text PostgreSQL cannot hold (so no
    stored value can equal it)."""
    t = type(value)
    if t is str:
        return text_problem(value) is not None
    if t is list:
        return any(unstorable(v) for v in value)
    if t is dict:
        return any(text_problem(k) is not None or unstorable(v) for k, v in value.items())
    return False


def _refuse_text(value: dict[str, Any], record_id: str | None, where: str) -> None:
    """Raise ``SerializationError`` naming the first string or key PostgreSQL cannot hold."""
    try:
        check_texts(value, where, nul=False)
    except SerializationError as err:
        rec = f"record {record_id!r}: " if record_id is not None else ""
        raise SerializationError(f"{rec}{err} (PostgreSQL jsonb)") from None


class _Encoder:
    """The slow path: walk the value, tag datetimes, escape ``$`` keys, pin floats."""

    def __init__(self) -> None:
        self.floats: list[str] = []

    def value(self, v: Any) -> Any:
        t = type(v)
        if t is float:
            if v == 0.0 and math.copysign(1.0, v) < 0:
                self.floats.append(NEGATIVE_ZERO_TEXT)
                return f"{_PLACEHOLDER}{len(self.floats) - 1}"
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


def _dumps_orjson(value: dict[str, Any]) -> str | None:
    """orjson's text of ``value`` when no walk is needed and it is the standard library's
    text, byte for byte; else None."""
    data = fast_tagged(value)  # None when a key starting with '$' needs escaping
    if data is None or b"\\u0000" in data or b"e+" in data or (
            b"-0.0" in data and _NEGATIVE_ZERO_BYTES.search(data)):
        return None  # NUL (refused), large integral float or -0.0 (pinned): the walk
    return data.decode()


def dumps_object(value: dict[str, Any], record_id: str | None = None,
                 where: str = "data") -> str:
    """The jsonb text of a record's data or metadata (a dict of storable values)."""
    fast = _dumps_orjson(value)
    if fast is not None:
        return fast
    text = _dumps_fast(value)
    if _NUL_ESCAPE in text or (not text.isascii() and lone_surrogate(text) is not None):
        _refuse_text(value, record_id, where)
    if '"$' not in text and "e+" not in text and not (
            "-0.0" in text and _NEGATIVE_ZERO.search(text)):
        return text
    return dumps_operand(value)


def dumps_operand(value: Any) -> str:
    """The jsonb text of a query operand (same encoding as stored values)."""
    encoder = _Encoder()
    return encoder.finish(_dumps(encoder.value(value)))


def _parse_float(text: str) -> float:
    return -0.0 if text == NEGATIVE_ZERO_TEXT else float(text)


_loads_signed = json.JSONDecoder(parse_float=_parse_float).decode


def _load(text: str) -> Any:
    if NEGATIVE_ZERO_TEXT in text:
        return _loads_signed(text)
    value = fast_parse(text)
    return _loads(text) if value is _MISSING else value


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
    value = loads_value(text)
    if type(value) is not dict:
        raise SerializationError(f"stored value is not an object: {text[:80]!r}")
    return value


def loads_value(text: str) -> Any:
    """One stored value (a projected field) decoded."""
    value = _load(text)
    if '"$' in text:
        value = _decode(value)
    return value


def id_problem(record_id: str) -> str | None:
    """Why the table cannot hold ``record_id``, or None."""
    problem = text_problem(record_id)
    if problem is not None:
        return problem
    size = len(record_id.encode("utf-8"))
    if size > MAX_ID_BYTES:
        return f"is {size} bytes long in UTF-8; PostgreSQL ids hold at most {MAX_ID_BYTES}"
    return None


def check_id(record_id: str) -> None:
    """Refuse an id the table cannot hold with ``InvalidRecordIdError``."""
    problem = id_problem(record_id)
    if problem is not None:
        raise InvalidRecordIdError(record_id, problem)


def storable_id(record_id: str) -> bool:
    """True when the table can hold ``record_id`` (a lookup of any other id finds nothing)."""
    return id_problem(record_id) is None


def row_values(record: Record) -> tuple[str, str, str]:
    """(id, data jsonb text, metadata jsonb text) of a prepared record."""
    rid = record.id
    assert rid is not None
    check_id(rid)
    return (rid, dumps_object(record.data, rid, "data"),
            dumps_object(record.metadata, rid, "metadata") if record.metadata else "{}")


def to_record(record_id: str, data_text: str, metadata_text: str | None) -> Record:
    """A record from a row's id, data text and metadata text."""
    return Record.trusted(loads_object(data_text),
                          loads_object(metadata_text) if metadata_text not in (None, "{}") else {},
                          record_id)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_lines(rows: Iterable[tuple[str, str, str]]) -> str:
    """Rows in COPY text format (tab-separated; backslash, tab and newlines escaped)."""
    rows = list(rows)
    # JSON text never holds a raw tab or newline; only its backslashes need escaping. When
    # no id holds one either, the backslashes of the whole text are doubled in one pass.
    if not any("\t" in rid or "\n" in rid or "\r" in rid for rid, _, _ in rows):
        return "".join([f"{rid}\t{data}\t{metadata}\n"
                        for rid, data, metadata in rows]).replace("\\", "\\\\")
    out = []
    for rid, data, metadata in rows:
        out.append(f"{rid.translate(_COPY_ESCAPES)}\t{data.replace(chr(92), chr(92) * 2)}"
                   f"\t{metadata.replace(chr(92), chr(92) * 2)}\n")
    return "".join(out)
