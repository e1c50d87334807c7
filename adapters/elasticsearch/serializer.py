"""Records to Elasticsearch documents and back: the one serializer sync and async share.

A record is stored as one document with three parts:

``rid``
    the record id as a ``keyword`` (the id tie-break of every sort; Elasticsearch no longer
    sorts on ``_id``).
``r``
    the record itself (data and metadata) as typed JSON text (``domain/codec``), never
    indexed. Reading a record decodes only this string, so every value comes back with its
    type and every key exactly as written (keys with dots, spaces, leading underscores,
    empty keys; OpenSearch-compatible servers rewrite dotted keys inside object fields,
    text is left alone).
``q``
    the query shadow: for every addressable path of the data (dotted segments through
    objects, docs/query-semantics.md "Paths") one object named by ``field_name(path)``
    holding typed subfields, so a field may hold an integer in one record and a string in
    another without a mapping conflict. A value sets one subfield (two for some strings,
    lists and objects); null and missing set none:

    =====  ===========  ===========================================================
    ``b``  boolean      booleans
    ``n``  keyword      numbers: ``number_code``, fixed width, ordered like the numbers
    ``s``  keyword      strings, the first ``STRING_PREFIX`` characters
    ``sf`` keyword      strings whose case folding differs: ``fold`` of ``s`` (ILIKE)
    ``sl`` boolean      strings longer than ``STRING_PREFIX`` characters (only those)
    ``d``  keyword      datetimes: ``instant_code``, fixed width, ordered like instants
    ``h``  keyword      lists, objects and long strings: canonical equality key
    ``o``  byte         lists and objects: their type rank (lists sort before objects)
    =====  ===========  ===========================================================

    Numbers and instants are coded as keywords because no numeric type holds them all
    exactly: a double cannot hold every int64, a long no fraction, and some servers
    (osmem-server) compare and sort longs as doubles. Keyword order is byte order, so range
    queries and sorts on the codes are exact. The type order of a mixed-type sort comes
    from the order of the sort keys (``b``, ``n``, ``s``, ``d``, ``o``, each missing last),
    so no field stores the type; one indexed field per value keeps bulk indexing fast.
    The shadow is excluded from ``_source``.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ...domain import codec
from ...domain.errors import StorageError
from ...domain.records import Record
from ...domain.values import (
    RANK_BOOL,
    RANK_DATETIME,
    RANK_DICT,
    RANK_LIST,
    RANK_NUMBER,
    RANK_STRING,
    as_instant,
    type_rank,
)

ID_FIELD: Final = "rid"
RECORD_FIELD: Final = "r"
SHADOW_FIELD: Final = "q"
#: Strings are indexed by their first STRING_PREFIX characters (Lucene refuses terms above
#: 32,766 UTF-8 bytes; 8,191 characters of up to 4 bytes stay below).
STRING_PREFIX: Final = 8191
#: Canonical keys longer than this are replaced by a hash (keyword terms stay small).
MAX_PLAIN_KEY: Final = 128
#: Elasticsearch refuses ids above 512 bytes.
MAX_ID_BYTES: Final = 512

INT64_LOW: Final = -(2**63)
INT64_HIGH: Final = 2**63
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_ZERO_FRACTION: Final = "8000000000000000"
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


# -- field names ------------------------------------------------------------------------------
def field_name(path: str) -> str:
    """The shadow object name of a dotted path: one segment, ASCII letters and digits, every
    other character as ``-<hex code point>-`` (the path's dots too). Injective, so any key
    (spaces, leading underscores, unicode) has its own field and no path nests another."""
    out = ["f"]
    for ch in path:
        out.append(ch if ch in _SAFE else f"-{ord(ch):x}-")
    return "".join(out)


def shadow_field(path: str, sub: str) -> str:
    """The full field name of subfield ``sub`` of ``path``'s shadow (``q.<name>.<sub>``)."""
    return f"{SHADOW_FIELD}.{field_name(path)}.{sub}"


# -- value keys -------------------------------------------------------------------------------
def _double_code(value: float) -> str:
    """16 hex digits ordered like the doubles (sign flipped, negatives inverted)."""
    bits = struct.unpack(">Q", struct.pack(">d", value + 0.0))[0]  # + 0.0: -0.0 -> 0.0
    bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | 0x8000000000000000
    return f"{bits:016x}"


def number_code(value: int | float) -> str:
    """An exact, order-preserving keyword for every int64 and finite double.

    Inside the int64 range: ``1`` + the truncated integer part (offset, 16 hex digits) +
    the fraction (``_double_code``); outside it ``0``/``2`` + the double itself. Equal
    numbers (``1 == 1.0``) get equal codes."""
    if type(value) is int:
        return f"1{value + INT64_HIGH:016x}{_ZERO_FRACTION}"
    if value >= INT64_HIGH:
        return "2" + _double_code(value)
    if value < INT64_LOW:
        return "0" + _double_code(value)
    whole = int(value)
    return f"1{whole + INT64_HIGH:016x}{_double_code(value - whole)}"


def fold_char(ch: str) -> str:
    """Simple (one-to-one) case folding of one character, as ILIKE compares them."""
    upper = ch.upper()
    lower = (upper if len(upper) == 1 else ch).lower()
    if len(lower) == 1:
        return lower
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


def fold(text: str) -> str:
    """A string with every character case-folded (same length, character by character)."""
    if text.isascii():
        return text.lower()
    return "".join(map(fold_char, text))


def instant_micros(value: datetime) -> int:
    """Microseconds since the epoch of a datetime read as an instant (naive = UTC)."""
    return (as_instant(value) - _EPOCH) // _MICROSECOND


def instant_code(value: datetime) -> str:
    """An order-preserving keyword of a datetime's instant (microseconds, offset, hex)."""
    return f"{instant_micros(value) + INT64_HIGH:016x}"


def canonical(value: Any) -> str:
    """A string equal for two values exactly when ``values.values_equal`` holds."""
    rank = type_rank(value)
    if rank == RANK_BOOL:
        return "b:1" if value else "b:0"
    if rank == RANK_NUMBER:
        if type(value) is float and not value.is_integer():
            return "n:" + repr(value)
        return "n:" + str(int(value))
    if rank == RANK_STRING:
        return "s:" + value
    if rank == RANK_DATETIME:
        return "d:" + str(instant_micros(value))
    if rank == RANK_LIST:
        return "l:" + json.dumps([None if v is None else canonical(v) for v in value],
                                 ensure_ascii=False)
    return "o:" + json.dumps(
        sorted((k, None if v is None else canonical(v)) for k, v in value.items()),
        ensure_ascii=False)


def equality_key(value: Any) -> str:
    """The ``h`` term of a value: its canonical string, hashed when long."""
    key = canonical(value)
    if len(key) <= MAX_PLAIN_KEY:
        return key
    return "#" + hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


# -- documents --------------------------------------------------------------------------------
def _shadow_entry(value: Any) -> dict[str, Any]:
    t = type(value)
    if t is str:
        if len(value) > STRING_PREFIX:
            prefix = value[:STRING_PREFIX]
            entry: dict[str, Any] = {"s": prefix, "sl": True, "h": equality_key(value)}
        else:
            prefix = value
            entry = {"s": value}
        folded = fold(prefix)
        if folded != prefix:
            entry["sf"] = folded
        return entry
    if t is int or t is float:
        return {"n": number_code(value)}
    if t is bool:
        return {"b": value}
    if t is datetime:
        return {"d": instant_code(value)}
    return {"o": RANK_LIST if t is list else RANK_DICT, "h": equality_key(value)}


def iter_paths(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) for every addressable path with a value: keys without dots, through
    objects only (a list is a value of its own; nothing below it is addressable)."""
    for key, value in data.items():
        if not key or "." in key or value is None:
            continue
        path = prefix + key
        yield path, value
        if type(value) is dict:
            yield from iter_paths(value, path + ".")


def shadow(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``q`` object of a record's data."""
    return {field_name(path): _shadow_entry(value) for path, value in iter_paths(data)}


def encode_record(record: Record) -> str:
    """The ``r`` text of a record: typed JSON of its data and metadata."""
    body: dict[str, Any] = {"d": record.data}
    if record.metadata:
        body["m"] = record.metadata
    return codec.dumps(body, separators=(",", ":"))


def to_document(record_id: str, record: Record) -> dict[str, Any]:
    """The document stored for a record."""
    return {ID_FIELD: record_id, RECORD_FIELD: encode_record(record),
            SHADOW_FIELD: shadow(record.data)}


def from_source(record_id: str, source: dict[str, Any] | None) -> Record:
    """The record of a stored document's ``_source``; ``StorageError`` naming the id when
    the document was not written by this adapter."""
    try:
        text = (source or {})[RECORD_FIELD]
        body = codec.loads(text)
        data, metadata = body["d"], body.get("m") or {}
        if not isinstance(data, dict) or not isinstance(metadata, dict):
            raise TypeError("data and metadata must be objects")
    except (KeyError, TypeError, ValueError) as err:
        raise StorageError(
            f"document {record_id!r} does not hold a dataknobs record ({err})") from err
    return Record(data, metadata, id=record_id)


def id_too_long(record_id: str) -> bool:
    """Whether Elasticsearch would refuse this id (above 512 UTF-8 bytes)."""
    return len(record_id.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES
