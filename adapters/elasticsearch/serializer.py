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
    another without a mapping conflict:

    =====  ===========  ===========================================================
    ``t``  byte         type rank (values.type_rank); absent for null and missing
    ``h``  keyword      canonical equality key (1 == 1.0, True != 1, instants)
    ``b``  boolean      booleans
    ``nc`` byte         numbers: -1 / 0 / 1 for below / inside / above the int64 range
    ``nh`` long         numbers: integer part (truncated) inside the range, high 32 bits
    ``nl`` long         numbers: the same integer part, low 32 bits (0 .. 2**32 - 1)
    ``nf`` double       numbers: fractional part, or the value itself outside the range
    ``s``  keyword      strings, the first ``STRING_PREFIX`` characters
    ``sf`` keyword      strings, case-folded (``fold``) for ILIKE
    ``sl`` boolean      strings: longer than ``STRING_PREFIX`` characters
    ``d``  long         datetimes: whole seconds since the epoch (UTC instant)
    ``du`` long         datetimes: the microseconds within that second
    =====  ===========  ===========================================================

    ``(nc, nh, nl, nf)`` orders every int64 and every finite double exactly: a double
    cannot hold every int64 and a long cannot hold a fraction; and no part exceeds 2**53,
    because some servers (osmem-server) compare and sort longs as doubles. The shadow is
    excluded from ``_source``.
"""

from __future__ import annotations

import hashlib
import json
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
def number_key(value: int | float) -> tuple[int, int, int, float]:
    """``(nc, nh, nl, nf)``: an exact, order-preserving key over int64 and finite doubles.

    Inside the int64 range a number is its truncated integer part (split into high and low
    32 bits, each exact as a double) plus a fraction (exact); outside it only doubles exist
    and they order by themselves."""
    if type(value) is int:
        return 0, value >> 32, value & 0xFFFFFFFF, 0.0
    if value >= INT64_HIGH:
        return 1, 0, 0, float(value)
    if value < INT64_LOW:
        return -1, 0, 0, float(value)
    whole = int(value)
    # + 0.0 turns -0.0 into 0.0 (Lucene orders -0.0 below 0.0)
    return 0, whole >> 32, whole & 0xFFFFFFFF, (value - whole) + 0.0


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


def instant_key(value: datetime) -> tuple[int, int]:
    """``(d, du)``: whole seconds since the epoch and the microseconds within the second."""
    return divmod(instant_micros(value), 1_000_000)


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
        prefix = value[:STRING_PREFIX]
        return {"t": RANK_STRING, "h": equality_key(value), "s": prefix, "sf": fold(prefix),
                "sl": len(value) > STRING_PREFIX}
    if t is int or t is float:
        nc, nh, nl, nf = number_key(value)
        return {"t": RANK_NUMBER, "h": equality_key(value), "nc": nc, "nh": nh, "nl": nl,
                "nf": nf}
    if t is bool:
        return {"t": RANK_BOOL, "h": "b:1" if value else "b:0", "b": value}
    if t is datetime:
        seconds, micros = instant_key(value)
        return {"t": RANK_DATETIME, "h": equality_key(value), "d": seconds, "du": micros}
    rank = RANK_LIST if t is list else RANK_DICT
    return {"t": rank, "h": equality_key(value)}


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
