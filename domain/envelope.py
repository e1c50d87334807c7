"""Records as typed-JSON envelopes: the text shape shared by the file adapter's JSON, JSON
Lines and CSV snapshots and operation log, the typed JSON cells of its Parquet snapshots and
of the Arrow layout (``domain.columnar``), and the CLI's cells.

An envelope is ``{"id": "...", "data": {...}, "metadata": {...}}`` with values in the typed
JSON of ``domain.codec`` (datetimes tagged, ``$``-keyed objects escaped), so every storable
value reads back exactly as written. ``metadata`` is left out when empty.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .codec import _MISSING, DATETIME_TAG, OBJECT_TAG, fast_compact, fast_decoder, fast_parse
from .codec import decode as codec_decode
from .codec import encode as codec_encode
from .errors import SerializationError, StorageError, shown
from .records import Record
from .values import MAX_DEPTH

_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_dumps_ascii = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode


def to_utf8(obj: Any) -> bytes:
    """Compact JSON of an already-encoded object as UTF-8 bytes.

    Strings holding lone surrogates cannot be UTF-8; those objects are written with ``\\u``
    escapes instead (still valid JSON, read back identically). With orjson installed its
    text is used when it is the standard library's, byte for byte (``codec.fast_compact``)."""
    data = fast_compact(obj)
    if data is not None:
        return data.decode().encode()  # orjson's bytes keep an oversized buffer alive
    text = _dumps(obj)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _dumps_ascii(obj).encode("ascii")


#: How deeply lists and objects may nest inside one field or the metadata: the port's limit
#: (``domain.values.MAX_DEPTH``), checked again here because the log is written from records
#: the port prepared and from snapshots alike: every stored value must parse again when the
#: store is reopened, whatever the reader's stack depth, and the parsers recurse.
_UNLIMITED = 1 << 62


class _TooDeep(Exception):
    """Raised inside ``encode`` when containers nest past the limit (turned into a
    ``SerializationError`` naming the path by ``envelope``)."""


def encode(value: Any, depth_left: int = _UNLIMITED) -> Any:
    """``codec.encode`` in one pass that leaves scalars alone (same output; the log encodes
    every written record, so this is on the path of every write). ``depth_left`` is how many
    containers may still nest, ``value`` included."""
    t = type(value)
    if t is dict:
        if depth_left <= 0:
            raise _TooDeep
        out = {}
        escaped = False
        for key, item in value.items():
            ti = type(item)
            if ti is dict or ti is list:
                item = encode(item, depth_left - 1)
            elif ti is datetime:
                item = {_DATETIME_TAG: item.isoformat()}
            elif not (item is None or ti is str or ti is int or ti is float or ti is bool):
                item = codec_encode(item)  # raises SerializationError naming the type
            if key[:1] == "$":
                escaped = True
            out[key] = item
        return {_OBJECT_TAG: out} if escaped else out
    if t is list:
        if depth_left <= 0:
            raise _TooDeep
        return [encode(item, depth_left - 1) if type(item) in _CONTAINERS
                else codec_encode(item) for item in value]
    if t is datetime:
        return {_DATETIME_TAG: value.isoformat()}
    return codec_encode(value)


def _too_deep_path(value: Any, path: str, depth_left: int) -> str:
    """The path of the first container in ``value`` nested past ``depth_left`` levels."""
    if type(value) is dict or type(value) is list:
        if depth_left <= 0:
            return path
        items = (value.items() if type(value) is dict
                 else ((f"[{i}]", item) for i, item in enumerate(value)))
        for key, item in items:
            step = key if type(value) is list else f".{key}"
            found = _too_deep_path(item, path + step, depth_left - 1)
            if found:
                return found
    return ""


def dump_value(value: Any) -> str:
    """Typed JSON text of one storable value (the form of a CSV cell or Parquet JSON cell)."""
    encoded = encode(value)  # the walk refuses what is not storable: orjson would not
    data = fast_compact(encoded)
    if data is not None:
        return data.decode()
    text = _dumps(encoded)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _dumps_ascii(encoded)
    return text


_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_DATETIME_TAG = DATETIME_TAG
_OBJECT_TAG = OBJECT_TAG
_CONTAINERS = frozenset({dict, list, datetime})


def parse_json(text: str) -> Any:
    """``json.loads`` of one compact JSON text, through the C scanner without
    ``json.loads``' Python layers (cells and lines are parsed by the million). With msgspec
    installed it parses whatever it parses exactly as the scanner does, which then only
    sees the rest (``codec.fast_parse``): the same values, and the same errors."""
    value = fast_parse(text)
    if value is not _MISSING:
        return value
    try:
        value, end = _scan(text, 0)
    except StopIteration as err:
        raise ValueError(f"expecting a JSON value at column {err.value + 1}") from None
    if end != len(text) and text[end:].strip():
        raise ValueError(f"extra data at column {end + 1}")
    return value


def decode_in_place(value: Any) -> Any:
    """``codec.decode`` for freshly parsed JSON: containers are fixed up in place instead
    of being copied (the parse result is not shared with anyone)."""
    return codec_decode(value, in_place=True)


def load_value(text: str) -> Any:
    """The inverse of ``dump_value``; skips the tag walk when the text holds no ``$`` key.
    Raises ``ValueError`` for text that is not one JSON value."""
    value = parse_json(text)
    return decode_in_place(value) if '"$' in text else value


_LEADING_SPACE = ("\n ", "\n\t", "\n\r", "\n\n")


def load_cells(cells: list[Any], missing: Any) -> list[Any]:
    """``load_value`` of every cell of a typed JSON column (``missing`` where a cell is
    None), the same values and the same ``ValueError`` as cell by cell. With msgspec
    installed the column is parsed by one C-level ``map`` of its decoder when that is the
    per-cell path's result for every cell (``_fast_cells``), else cell by cell."""
    present = cells if None not in cells else [c for c in cells if c is not None]
    values = _fast_cells(present)
    if values is None:
        load = CellCache().load
        values = [load(cell) for cell in present]
    if present is not cells:
        found = iter(values)
        values = [missing if cell is None else next(found) for cell in cells]
    return values


def _fast_cells(cells: list[str]) -> list[Any] | None:
    """msgspec's parse of every cell when each is what ``load_value`` gives, else None.
    ``fast_parse`` sends a text starting with whitespace to the standard library (which
    refuses it where msgspec would skip it): the cells are checked for one at once, joined
    by newlines (a cell holding a newline only makes the check stricter). A cell msgspec
    refuses makes the whole column go cell by cell, where the standard library decides. The
    cells holding ``"$`` are then decoded as ``load_value`` decodes them."""
    decode = fast_decoder()
    if decode is None or not cells:
        return None
    try:
        joined = "\n".join(cells)
    except TypeError:  # a cell that is not text (a damaged column): cell by cell
        return None
    if joined[:1] in " \t\n\r" or any(s in joined for s in _LEADING_SPACE):
        return None
    try:
        values = list(map(decode, cells))
    except Exception:  # not JSON, or JSON msgspec refuses
        return None
    if '"$' in joined:
        for i, cell in enumerate(cells):
            if '"$' in cell:
                values[i] = decode_in_place(values[i])
    return values


def envelope(record: Record, max_depth: int | None = None) -> dict[str, Any]:
    """The encoded envelope of a record. With ``max_depth`` (the write path) a field or the
    metadata nesting containers deeper than that raises ``SerializationError`` naming the
    record and the path; snapshots of what is already stored pass None (no limit)."""
    limit = _UNLIMITED if max_depth is None else max_depth + 1  # + the data object itself
    try:
        env: dict[str, Any] = {"id": record.id, "data": encode(record.data, limit)}
        if record.metadata:
            env["metadata"] = encode(record.metadata, limit)
    except _TooDeep:
        part, value = (("data", record.data) if _too_deep_path(record.data, "data", limit)
                       else ("metadata", record.metadata))
        where = _too_deep_path(value, part, limit)
        raise SerializationError(
            f"record {shown(record.id)}: {shown(where, 200)}: lists and objects nest deeper "
            f"than {max_depth} levels, the file store's limit") from None
    return env


def make_record(record_id: str, data: dict[str, Any], metadata: dict[str, Any] | None
                ) -> Record:
    """A Record over already-decoded values, without re-validating them."""
    return Record.trusted(data, metadata, record_id)


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
        try:
            data = decode_in_place(data)
            metadata = decode_in_place(metadata)
        except (ValueError, TypeError) as err:
            raise StorageError(f"{source}: {where}: a tagged value is damaged ({err})") from err
        if type(data) is not dict or type(metadata) is not dict:  # pragma: no cover - defensive
            raise StorageError(f"{source}: {where}: record data is not an object")
    return make_record(rid, data, metadata)


class CellCache:
    """Typed JSON cells of one column parsed once per distinct text: cells repeat (flags,
    categories, small numbers, timestamps), and a repeated immutable value is then one shared
    object, which also makes later comparisons cheaper. Containers are parsed afresh every
    time, since records must not share mutable values. A column whose cells rarely repeat
    stops caching after ``PROBE`` misses."""

    MAX_ENTRIES = 200_000
    MAX_LENGTH = 80
    PROBE = 1024

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._hits = 0
        self._misses = 0
        self._enabled = True

    def load(self, cell: str) -> Any:
        """The value of one typed JSON cell (``ValueError`` if it is not one)."""
        if not self._enabled:
            return load_value(cell)
        value = self._values.get(cell, _UNCACHED)
        if value is not _UNCACHED:
            self._hits += 1
            return value
        value = load_value(cell)
        self._misses += 1
        if self._misses >= self.PROBE and self._misses > 2 * self._hits:
            self._enabled = False  # mostly distinct values: the lookups only cost time
            self._values.clear()
        elif (len(cell) <= self.MAX_LENGTH and type(value) is not dict
              and type(value) is not list and len(self._values) < self.MAX_ENTRIES):
            self._values[cell] = value
        return value


_UNCACHED = object()


__all__ = ["MAX_DEPTH", "CellCache", "decode_in_place", "dump_value", "encode", "envelope",
           "from_envelope", "load_cells", "load_value", "make_record", "parse_json", "to_utf8"]
