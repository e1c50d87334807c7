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


# Optional fast JSON (``pip install 'dataknobs-data[fast]'``): orjson encodes, msgspec
# parses, each imported on first use and only here. The callers (``domain.envelope``,
# ``adapters.postgres.serializer``) use them only where the result is provably what the
# standard library gives, and fall back to it otherwise -- for every value, and whenever a
# library is not installed:
#
# * orjson's compact text equals ``json.dumps(obj, ensure_ascii=False, allow_nan=False,
#   separators=(",", ":"))`` for dicts, lists, str, int, float, bool and None except for a
#   float below 1e-4 in magnitude (Python writes ``1e-05``/``1e-07``, orjson ``0.00001``/
#   ``1e-7``), NaN and infinity (orjson writes ``null``, the standard library refuses them)
#   and what orjson refuses (lone surrogates, integers beyond 64 bits, dict subclasses and
#   other types with ``OPT_PASSTHROUGH_*``, nesting past 254). So its text is kept only when
#   it holds none of ``e-``, ``0.0000`` and ``null`` (``fast_text_trusted``); anywhere in the
#   text, strings included, which only costs the standard library's time for such a value.
#   orjson also writes tuples, UUIDs and enums, which the standard library would refuse (or,
#   for tuples, also write): it is only given values already checked -- ``encode``'s output
#   or the data of a record the port prepared;
# * msgspec's parse of a str equals the C scanner's except that it skips leading whitespace
#   and refuses what the scanner accepts (NaN, Infinity, 1e400, lone surrogate escapes or
#   characters, trailing Unicode whitespace): a refusal falls back to the standard library,
#   which then gives today's value or error, and text starting with whitespace goes there
#   directly.

_MISSING: Any = object()
_orjson: Any = _MISSING
_fast_decode: Any = _MISSING

#: orjson options: datetimes, dataclasses and subclasses of the JSON types go to
#: ``default`` (which tags datetimes or refuses), never orjson's own forms.
ORJSON_OPTIONS = 0


def _import(name: str) -> Any:
    import importlib

    return importlib.import_module(name)


#: Checked once against the standard library when a library is first imported: a version
#: that writes or reads any of these otherwise than the rules above say is not used at all.
_PROBE: Any = [1e16, 1.7976931348623157e308, 1e22, 9999999999999998.0, 1e15, 0.0001,
               123456789012345.6, 0.1, -0.0, 1.0, 2**63 - 1, -(2**63), True, False,
               "\x00\x1f\x7f\"\\/\b\f\n\r\t\u2028\u2029\xe9\U0001f600", {"b": [], "a": {}}]
_PROBE_DIFFERENT = [1e-5, 1e-7, 5e-324, float("nan")]  # must not be trusted


def _orjson_works(module: Any, options: int) -> bool:
    std = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    try:
        data = module.dumps(_PROBE, None, options)
        return (data.decode() == std(_PROBE) and fast_text_trusted(data)
                and not any(fast_text_trusted(module.dumps([x], None, options))
                            and module.dumps([x], None, options).decode() != std([x])
                            for x in _PROBE_DIFFERENT))
    except Exception:
        return False


def fast_encoder() -> Any:
    """The orjson module, or None when it is not installed (or writes otherwise than the
    version this was checked against)."""
    global _orjson, ORJSON_OPTIONS
    if _orjson is _MISSING:
        try:
            module = _import("orjson")
            options = (module.OPT_PASSTHROUGH_DATETIME | module.OPT_PASSTHROUGH_SUBCLASS
                       | module.OPT_PASSTHROUGH_DATACLASS)
        except (ImportError, AttributeError):
            module = None
        if module is not None and _orjson_works(module, options):
            ORJSON_OPTIONS = options
        else:
            module = None
        _orjson = module
    return _orjson


def _decoder_works(decode: Callable[[str], Any]) -> bool:
    text = json.dumps(_PROBE, ensure_ascii=False) + " "
    try:
        return bool(repr(decode(text)) == repr(json.loads(text))
                    and type(decode("18446744073709551616")) is int
                    and decode("123456789012345678901234567890") == 123456789012345678901234567890)
    except Exception:
        return False


def fast_decoder() -> Callable[[str], Any] | None:
    """msgspec's JSON decode, or None when msgspec is not installed (or reads otherwise than
    the version this was checked against)."""
    global _fast_decode
    if _fast_decode is _MISSING:
        try:
            decode = _import("msgspec.json").Decoder().decode
        except (ImportError, AttributeError):
            decode = None
        if decode is not None and not _decoder_works(decode):
            decode = None
        _fast_decode = decode
    return _fast_decode


def fast_text_trusted(data: bytes) -> bool:
    """True when orjson's compact text ``data`` of a value of the JSON types is exactly the
    standard library's (see above)."""
    return not (b"e-" in data or b"0.0000" in data or b"null" in data)


def fast_compact(obj: Any) -> bytes | None:
    """orjson's compact UTF-8 text of an already-encoded object when it is byte for byte
    ``json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))``, else
    None (orjson missing, refusing the value, or writing it differently)."""
    module = _orjson if _orjson is not _MISSING else fast_encoder()
    if module is None:
        return None
    try:
        data: bytes = module.dumps(obj, None, ORJSON_OPTIONS)
    except Exception:  # lone surrogate, integer beyond 64 bits, too deep, another type
        return None
    return data if fast_text_trusted(data) else None


class _Tagger:
    """orjson's ``default`` for one value: tags datetimes (as ``encode``) and counts them;
    refuses anything else, so the caller's standard-library path decides."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, value: Any) -> Any:
        if type(value) is datetime:
            self.count += 1
            return {DATETIME_TAG: value.isoformat()}
        raise TypeError


def fast_tagged(value: Any) -> bytes | None:
    """orjson's compact text of a storable value with its datetimes tagged, when that is
    the compact text of ``encode(value)`` byte for byte and no object key needed escaping;
    else None. Each datetime tag holds exactly one ``"$``: when the text holds more, a key
    or a string starts with ``$`` (or holds ``"$``) and the caller walks the value. Only for
    values the port checked (orjson would write a tuple, UUID or enum the walk refuses)."""
    module = _orjson if _orjson is not _MISSING else fast_encoder()
    if module is None:
        return None
    tagger = _Tagger()
    try:
        data: bytes = module.dumps(value, tagger, ORJSON_OPTIONS)
    except Exception:  # lone surrogate, integer beyond 64 bits, too deep, another type
        return None
    return data if fast_text_trusted(data) and data.count(b'"$') == tagger.count else None


def fast_parse(text: str) -> Any:
    """msgspec's parse of ``text`` when it equals the standard library's; ``_MISSING``
    otherwise (msgspec missing, text starting with whitespace, or refused by msgspec)."""
    decode = _fast_decode if _fast_decode is not _MISSING else fast_decoder()
    if decode is None or type(text) is not str or text[:1] in " \t\n\r":
        return _MISSING
    try:
        return decode(text)
    except Exception:  # not JSON, or JSON msgspec refuses: the standard library decides
        return _MISSING
