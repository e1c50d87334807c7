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

Limits (docs/limits.md): a record's data and metadata nest lists and objects at most
``MAX_DEPTH`` levels below a field (``{"f": [[1]]}`` is two levels); a lone surrogate in
any key or string, and an id of more than ``MAX_ID_BYTES`` UTF-8 bytes or with a lone
surrogate, cannot be sent to Elasticsearch (UTF-8 JSON): ``check_record`` and
``id_problem`` refuse them with an error naming the path or id instead of letting the
server replace them with U+FFFD. Everything the serializer builds costs time and memory
linear in the record's size: canonical keys embed nested values by their own (bounded)
equality keys, and shadow names of long paths are hashed (``MAX_PLAIN_NAME``).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring
from typing import Any, Final

from ...domain import codec
from ...domain.errors import SerializationError, StorageError
from ...domain.records import Record
from ...domain.values import (
    MAX_DEPTH,
    RANK_BOOL,
    RANK_DATETIME,
    RANK_DICT,
    RANK_LIST,
    RANK_NUMBER,
    RANK_STRING,
    as_instant,
    check_texts,
    lone_surrogate,
    type_rank,
)

ID_FIELD: Final = "rid"
RECORD_FIELD: Final = "r"
SHADOW_FIELD: Final = "q"
#: the vector sidecars of the ``vectors`` option (vectors.py), kept out of ``_source`` too
VECTOR_FIELD: Final = "v"
#: Strings are indexed by their first STRING_PREFIX characters (Lucene refuses terms above
#: 32,766 UTF-8 bytes; 8,191 characters of up to 4 bytes stay below).
STRING_PREFIX: Final = 8191
#: Canonical keys longer than this are replaced by a hash (keyword terms stay small).
MAX_PLAIN_KEY: Final = 128
#: Shadow names longer than this are replaced by a hash of the path (field names stay small
#: however long or deep the keys).
MAX_PLAIN_NAME: Final = 200
#: Elasticsearch refuses ids above 512 bytes.
MAX_ID_BYTES: Final = 512
#: Levels of lists and objects a field's value may nest (``{"f": [[1]]}``: 2). The
#: document Elasticsearch parses is flat (the record is one string, the shadow three
#: levels), so neither ``index.mapping.depth.limit`` nor the server's JSON nesting limit
#: applies; this bound keeps every recursive step (codec, canonical keys) far from
#: Python's recursion limit.

INT64_LOW: Final = -(2**63)
INT64_HIGH: Final = 2**63
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_ZERO_FRACTION: Final = "8000000000000000"
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


# -- field names ------------------------------------------------------------------------------
def _escaped(text: str) -> str:
    if text.isascii() and text.isalnum():
        return text
    return "".join(ch if ch in _SAFE else f"-{ord(ch):x}-" for ch in text)


def _path_hash(path: str) -> Any:
    return hashlib.blake2b(path.encode("utf-8", "surrogatepass"), digest_size=20)


def _hashed_name(digest: Any) -> str:
    return "h" + digest.hexdigest()


def field_name(path: str) -> str:
    """The shadow object name of a dotted path: one segment, ``f`` then ASCII letters and
    digits, every other character as ``-<hex code point>-`` (the path's dots too); a name
    longer than ``MAX_PLAIN_NAME`` becomes ``h`` + the BLAKE2b hash of the path. Injective
    (up to hash collisions), so any key (spaces, leading underscores, unicode, 10 KB) has
    its own field and no path nests another."""
    name = "f" + _escaped(path)
    if len(name) <= MAX_PLAIN_NAME:
        return name
    return _hashed_name(_path_hash(path))


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


def canonical(value: Any, memo: dict[int, str] | None = None) -> str:
    """A string equal for two values exactly when ``values.values_equal`` holds.

    Scalars are tagged (``n:1``); a list is ``l:[...]`` and an object ``o:[[key, ...], ...]``
    (keys sorted) of their items' tokens: a scalar as a JSON string, a null as ``null``, a
    nested list or object by its ``equality_key`` (plain when short, else its hash). Nested
    values are never escaped again, so the text is linear in the value's size (escaping a
    nested canonical text at every level doubled it per level)."""
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
        return "l:[" + ", ".join([_token(v, memo) for v in value]) + "]"
    items = sorted(value.items())  # keys are unique: values are never compared
    return "o:[" + ", ".join([f"[{encode_basestring(k)}, {_token(v, memo)}]"
                              for k, v in items]) + "]"


def _token(value: Any, memo: dict[int, str] | None) -> str:
    """A list item's or object member's part of its container's canonical text."""
    if value is None:
        return "null"
    if type_rank(value) >= RANK_LIST:
        return equality_key(value, memo)  # starts with l:, o: or #: never with a quote
    return encode_basestring(canonical(value))  # as json.dumps(..., ensure_ascii=False)


def equality_key(value: Any, memo: dict[int, str] | None = None) -> str:
    """The ``h`` term of a value: its canonical string, hashed when long. ``memo`` (by
    ``id``, for values alive during the call) computes each nested list or object once."""
    known = memo if type(value) in (list, dict) else None
    if known is not None and id(value) in known:
        return known[id(value)]
    key = canonical(value, memo)
    if len(key) > MAX_PLAIN_KEY:
        key = "#" + hashlib.blake2b(key.encode("utf-8", "surrogatepass"),
                                    digest_size=20).hexdigest()
    if known is not None:
        known[id(value)] = key
    return key


# -- documents --------------------------------------------------------------------------------
def _shadow_entry(value: Any, memo: dict[int, str]) -> dict[str, Any]:
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
    return {"o": RANK_LIST if t is list else RANK_DICT, "h": equality_key(value, memo)}


def iter_paths(data: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(shadow name, value) for every addressable path with a value: keys without dots,
    through objects only (a list is a value of its own; nothing below it is addressable).

    Names are built level by level (``field_name`` of the dotted path; once it is long,
    the hash of the path, continued segment by segment below it), so no path text is
    built and deep records with long keys cost time linear in their size."""
    yield from _paths(data, [], "f", None)


def _paths(data: dict[str, Any], keys: list[str], plain: str | None, digest: Any
           ) -> Iterator[tuple[str, Any]]:
    # keys: the parent path's segments; plain: its escaped name and dot while short,
    # else None and digest: the running hash of the parent path and its dot
    for key, value in data.items():
        if not key or "." in key or value is None:
            continue
        name = path_digest = None
        if plain is not None and len(plain) + len(key) <= MAX_PLAIN_NAME:
            name = plain + _escaped(key)
            if len(name) > MAX_PLAIN_NAME:
                name = None
        if name is None:
            if digest is None:  # the first long name on this branch
                path_digest = _path_hash(".".join([*keys, key]))
            else:
                path_digest = digest.copy()
                path_digest.update(key.encode("utf-8", "surrogatepass"))
            name = _hashed_name(path_digest)
        yield name, value
        if type(value) is dict:
            if path_digest is None:
                keys.append(key)
                yield from _paths(value, keys, name + "-2e-", None)
                keys.pop()
            else:
                path_digest.update(b".")
                yield from _paths(value, keys, None, path_digest)


def shadow(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``q`` object of a record's data."""
    memo: dict[int, str] = {}
    return {name: _shadow_entry(value, memo) for name, value in iter_paths(data)}


def too_deep(value: Any, levels: int = MAX_DEPTH) -> str | None:
    """The path (``.key`` / ``[i]`` segments) of the first list or object nested more than
    ``levels`` levels inside ``value`` (its items are level 1), else None."""
    t = type(value)
    if t is not dict and t is not list:
        return None
    items = value.items() if t is dict else enumerate(value)
    for key, item in items:
        if type(item) is dict or type(item) is list:
            step = f".{key}" if t is dict else f"[{key}]"
            if levels == 0:
                return step
            below = too_deep(item, levels - 1)
            if below is not None:
                return step + below
    return None


def check_record(record_id: str, record: Record) -> None:
    """``SerializationError`` naming the record and the path of anything this adapter
    cannot store exactly: a field nested deeper than ``MAX_DEPTH`` levels."""
    for part, value in (("data", record.data), ("metadata", record.metadata)):
        path = too_deep(value)
        if path is not None:
            raise SerializationError(
                f"record {record_id!r}: {part}{path}: nested deeper than {MAX_DEPTH} "
                "levels (the elasticsearch adapter's limit)")


def _check_text(record_id: str, record: Record, text: str) -> None:
    """``SerializationError`` naming the path of a lone surrogate when ``text`` (the
    record's encoding) holds one: Elasticsearch would store U+FFFD in its place."""
    if lone_surrogate(text) is None:
        return
    try:
        check_texts(record.data, "data")
        check_texts(record.metadata, "metadata")
    except SerializationError as err:
        raise SerializationError(f"record {record_id!r}: {err}") from None
    raise SerializationError(f"record {record_id!r}: a lone surrogate cannot be stored")


def encode_record(record: Record) -> str:
    """The ``r`` text of a record: typed JSON of its data and metadata."""
    body: dict[str, Any] = {"d": record.data}
    if record.metadata:
        body["m"] = record.metadata
    return codec.dumps(body, separators=(",", ":"))


def to_document(record_id: str, record: Record) -> dict[str, Any]:
    """The document stored for a record; ``SerializationError`` naming the record and the
    path when it cannot be stored exactly (``check_record``, lone surrogates)."""
    check_record(record_id, record)
    text = encode_record(record)
    _check_text(record_id, record, text)
    return {ID_FIELD: record_id, RECORD_FIELD: text, SHADOW_FIELD: shadow(record.data)}


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


def id_problem(record_id: str) -> str | None:
    """Why Elasticsearch cannot hold this id (a lone surrogate, more than ``MAX_ID_BYTES``
    UTF-8 bytes), or None."""
    at = lone_surrogate(record_id)
    if at is not None:
        return (f"lone surrogate {record_id[at]!r} at position {at} cannot be sent to "
                "elasticsearch (ids are UTF-8)")
    size = len(record_id.encode("utf-8"))
    if size > MAX_ID_BYTES:
        return f"{size} UTF-8 bytes is longer than elasticsearch's {MAX_ID_BYTES} bytes"
    return None
