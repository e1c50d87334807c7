"""The value model: which values a record may hold and how they compare.

This module is the single source of the comparison rules of docs/query-semantics.md. The
memory adapter's matcher and sort use it directly; other adapters reproduce the same rules in
their native query language and are checked against it by the conformance suite.

Storable values: ``None``, ``bool``, ``int`` (64-bit signed), finite ``float``, ``str``,
``datetime.datetime`` (naive values are read as UTC), and ``list`` / ``dict`` (string keys)
nesting those. ``FieldType`` names the types a schema or a ``Field`` declares (it lives here,
below ``domain.records``, so that conversions between the types can too).
"""

from __future__ import annotations

import itertools
import json
import math
import operator
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final

from . import codec
from .errors import ConfigurationError, SerializationError


class FieldType(Enum):
    """The type of a field's value, as a schema declares it."""

    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    JSON = "json"
    BINARY = "binary"
    LIST = "list"
    DICT = "dict"
    VECTOR = "vector"
    ANY = "any"

    @classmethod
    def infer(cls, value: Any) -> FieldType:
        """The field type of a Python value (``None`` infers ``ANY``)."""
        if isinstance(value, bool):
            return cls.BOOLEAN
        if isinstance(value, int):
            return cls.INTEGER
        if isinstance(value, float):
            return cls.FLOAT
        if isinstance(value, str):
            return cls.STRING
        if isinstance(value, datetime):
            return cls.DATETIME
        if isinstance(value, list | tuple):
            return cls.LIST
        if isinstance(value, dict):
            return cls.DICT
        if isinstance(value, bytes):
            return cls.BINARY
        return cls.ANY

    def accepts(self, value: Any) -> bool:
        """Whether a non-null value is of this type (integers are accepted as floats)."""
        if self in (FieldType.ANY, FieldType.JSON):
            return True
        if self in (FieldType.STRING, FieldType.TEXT):
            return isinstance(value, str)
        if self is FieldType.INTEGER:
            return isinstance(value, int) and not isinstance(value, bool)
        if self is FieldType.FLOAT:
            return isinstance(value, int | float) and not isinstance(value, bool)
        if self is FieldType.BOOLEAN:
            return isinstance(value, bool)
        if self is FieldType.DATETIME:
            return isinstance(value, datetime)
        if self is FieldType.LIST:
            return isinstance(value, list | tuple)
        if self is FieldType.DICT:
            return isinstance(value, dict)
        if self is FieldType.BINARY:
            return isinstance(value, bytes)
        if self is FieldType.VECTOR:  # a non-empty list of numbers (docs/vectors.md)
            return isinstance(value, list | tuple) and bool(value) and all(
                type(x) is float or type(x) is int for x in value)
        return False  # pragma: no cover


class _Missing:
    """Sentinel for "the path does not exist in the record" (distinct from a stored null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

# Type ranks: the order in which a field holding values of different types sorts (ascending).
RANK_BOOL, RANK_NUMBER, RANK_STRING, RANK_DATETIME, RANK_LIST, RANK_DICT = range(6)
TYPE_ORDER: Final = ("boolean", "number", "string", "datetime", "list", "object")
# bool before int: bool is an int subclass
_RANKS: Final = {bool: RANK_BOOL, int: RANK_NUMBER, float: RANK_NUMBER, str: RANK_STRING,
                 datetime: RANK_DATETIME, list: RANK_LIST, tuple: RANK_LIST, dict: RANK_DICT}


def type_rank(value: Any) -> int:
    """Rank of a present, non-null value's type in the documented mixed-type sort order."""
    rank = _RANKS.get(type(value))
    if rank is not None:
        return rank
    # subclasses (IntEnum, str subclasses, pandas Timestamp) rank as their base type
    for base, rank in _RANKS.items():
        if isinstance(value, base):
            return rank
    raise SerializationError(f"unsupported value type {type(value).__name__}")


def as_instant(value: datetime) -> datetime:
    """A datetime as an aware UTC instant (naive datetimes are read as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def has_value(value: Any) -> bool:
    """True when a looked-up value is present and not null."""
    return value is not MISSING and value is not None


def values_equal(a: Any, b: Any) -> bool:
    """Strict equality: same type class and equal value, recursively.

    Numbers compare numerically across int and float; booleans are not numbers; datetimes
    compare as instants; lists element by element; dicts key by key.
    """
    ra, rb = type_rank(a), type_rank(b)
    if ra != rb:
        return False
    if ra == RANK_DATETIME:
        return bool(as_instant(a) == as_instant(b))
    if ra == RANK_LIST:
        # null elements equal only each other (type_rank has no rank for null)
        return len(a) == len(b) and all(
            x is y is None or (x is not None and y is not None and values_equal(x, y))
            for x, y in zip(a, b, strict=True)
        )
    if ra == RANK_DICT:
        if a.keys() != b.keys():
            return False
        for key, x in a.items():
            y = b[key]
            if x is None or y is None:
                if x is not y:
                    return False
            elif not values_equal(x, y):
                return False
        return True
    return bool(a == b)


def orderable_rank(value: Any) -> int | None:
    """The rank of a value that ordering comparisons accept (number, string, datetime)."""
    r = type_rank(value)
    return r if r in (RANK_NUMBER, RANK_STRING, RANK_DATETIME) else None


def compare(a: Any, b: Any) -> int | None:
    """Three-way ordering comparison, or None when the two are not comparable.

    Only numbers with numbers, strings with strings (code point order) and datetimes with
    datetimes (as instants) compare; anything else is incomparable, and an ordering filter on
    incomparable values is false.
    """
    ra = orderable_rank(a)
    if ra is None or ra != orderable_rank(b):
        return None
    if ra == RANK_DATETIME:
        a, b = as_instant(a), as_instant(b)
    return -1 if a < b else (1 if a > b else 0)


def sort_key(value: Any) -> tuple[int, Any]:
    """Key that orders present, non-null values: by type rank, then by value within the type.

    Lists and objects order by type only (ties fall to the record id)."""
    r = type_rank(value)
    if r == RANK_DATETIME:
        return (r, as_instant(value))
    if r >= RANK_LIST:
        return (r, 0)
    return (r, value)


def hash_key(value: Any) -> tuple[int, Any] | None:
    """A hashable key with the same equality as ``values_equal``, or None for lists/objects.

    Used by hash indexes: ``True`` and ``1`` hash apart, ``1`` and ``1.0`` together."""
    r = type_rank(value)
    if r == RANK_DATETIME:
        return (r, as_instant(value))
    if r >= RANK_LIST:
        return None
    return (r, value)


#: How deeply lists and objects may nest inside one field (or the metadata) on every backend:
#: ``{"f": [[1]]}`` is two levels. Deeper values are refused with a SerializationError naming
#: the path (docs/limits.md): every stored value must parse again on any reader's stack, and
#: Elasticsearch, PostgreSQL and the JSON parsers recurse.
MAX_DEPTH: Final = 100


def _too_deep(path: str) -> SerializationError:
    return SerializationError(f"{path}: nested deeper than {MAX_DEPTH} levels "
                              "(lists and objects inside one field)")


def check_value(value: Any, path: str = "value", depth: int = 0) -> None:
    """Raise SerializationError naming ``path`` unless ``value`` is storable. ``depth`` is how
    many lists and objects enclose ``value`` below the record (0 for a record's data)."""
    t = type(value)
    if value is None or t is str or t is bool:
        return
    if t is int:
        if not INT64_MIN <= value <= INT64_MAX:
            raise SerializationError(f"{path}: integer {value} does not fit in 64 bits")
        return
    if t is float:
        if not math.isfinite(value):
            raise SerializationError(f"{path}: {value!r} is not a finite number")
        return
    if t is datetime:
        offset = value.utcoffset()
        if offset is not None and offset.microseconds:
            # ISO 8601 text (and so every backend) holds offsets to the second at most
            raise SerializationError(
                f"{path}: datetime {value.isoformat()} has a UTC offset with a fraction of "
                "a second; offsets are stored to whole seconds")
        return
    if t is dict or t is list:
        if depth > MAX_DEPTH:
            raise _too_deep(path)
        if t is dict:
            for key, item in value.items():
                if type(key) is not str:
                    raise SerializationError(f"{path}: object key {key!r} is not a string")
                check_value(item, f"{path}.{key}", depth + 1)
        else:
            for i, item in enumerate(value):
                check_value(item, f"{path}[{i}]", depth + 1)
        return
    raise SerializationError(
        f"{path}: {type(value).__name__} is not storable "
        "(use None, bool, int, float, str, datetime, list or dict)"
    )


def is_plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is storable exactly as it is: only plain ``str``, ``bool``, ``None``,
    64-bit ``int``, finite ``float``, ``datetime`` (naive, or a UTC offset of whole seconds),
    and ``dict`` (string keys) and ``list`` of them, nested at most ``MAX_DEPTH`` levels
    (``depth`` as in ``check_value``).

    False says nothing is wrong, only that ``normalize_value`` must look (it coerces tuples
    and subclasses, and names what it refuses). The test builds no path strings and
    copies nothing: ports whose adapter serialises at once run it instead of a normalising
    copy for every record written."""
    return _plain_items((value,), depth)


_PLAIN_SCALARS: Final = frozenset({str, bool, type(None)})
#: ``str`` without end: ``map(operator.is_not, types, _STR)`` tests every key's type by
#: identity (a frozenset lookup would ask the type's ``__eq__``, which a metaclass can fake);
#: one shared iterator, as ``repeat`` without a count has no state to wear out
_STR: Final = itertools.repeat(str)
_IS_NOT: Final = operator.is_not


def _plain_items(items: Iterable[Any], depth: int) -> bool:
    """``is_plain`` of every item (at ``depth``), scalars tested inline: no call per value,
    one per nested list or object, and an object's keys tested by C calls in one
    expression (this runs for every record the no-copy write path takes)."""
    for item in items:
        t = type(item)
        if t in _PLAIN_SCALARS:
            continue
        if t is int:
            if INT64_MIN <= item <= INT64_MAX:
                continue
        elif t is float:
            if item - item == 0.0:  # finite: inf - inf and nan are nan
                continue
        elif t is dict:
            if (depth <= MAX_DEPTH and not any(map(_IS_NOT, map(type, item), _STR))
                    and _plain_items(item.values(), depth + 1)):
                continue
        elif t is list:
            if depth <= MAX_DEPTH and _plain_items(item, depth + 1):
                continue
        elif t is datetime:
            tz = item.tzinfo  # naive and UTC need no look; other offsets: whole seconds
            if tz is None or tz is UTC:
                continue
            offset = item.utcoffset()
            if offset is None or not offset.microseconds:
                continue
        return False
    return True


def normalize_value(value: Any, path: str = "value", depth: int = 0) -> Any:
    """Coerce near-storable values to the storable types, then check them.

    Tuples and numpy arrays become lists, int/float/str/datetime subclasses (IntEnum, numpy
    scalars, pandas
    Timestamps) their base type; anything else raises SerializationError naming ``path``, and
    so do lists and objects nested deeper than ``MAX_DEPTH`` (``depth`` as in
    ``check_value``)."""
    t = type(value)
    if value is None or t is str or t is bool or t is int or t is float or t is datetime:
        check_value(value, path)
        return value
    if t is dict or t is list or t is tuple or (isinstance(value, dict)):
        if depth > MAX_DEPTH:
            raise _too_deep(path)
        if t is list or t is tuple:
            return [normalize_value(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
        return _normalize_items(value, path, depth)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, datetime):
        to_py = getattr(value, "to_pydatetime", None)
        dt = to_py() if callable(to_py) else value
        plain = datetime(
            dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond, dt.tzinfo
        )
        check_value(plain, path)
        return plain
    if isinstance(value, int):
        return normalize_value(int(value), path)
    if isinstance(value, float):
        return normalize_value(float(value), path)
    if isinstance(value, str):
        return str(value)
    if type(value).__module__.startswith("numpy"):
        tolist = getattr(value, "tolist", None)  # arrays become lists, scalars Python values
        if callable(tolist) and getattr(value, "ndim", 0) > 0:
            if value.ndim == 1 and value.dtype.kind == "f" and value.dtype.itemsize <= 8 \
                    and depth <= MAX_DEPTH:  # a vector: checked whole, not element by element
                if not bool(value.size == 0 or (value - value == 0).all()):
                    bad = next(i for i, x in enumerate(tolist()) if not math.isfinite(x))
                    raise SerializationError(f"{path}[{bad}]: {value[bad]!r} is not a finite "
                                             "number")
                return tolist()
            return normalize_value(tolist(), path, depth)
        item = getattr(value, "item", None)
        if callable(item):
            return normalize_value(item(), path)
    check_value(value, path)  # raises with the type's name
    return value


def _normalize_items(value: dict[Any, Any], path: str, depth: int) -> dict[str, Any]:
    """A normalised copy of an object. Plain strings, bools, nulls, 64-bit ints and finite
    floats (what most fields hold) are checked inline, without a call per value: this runs
    for every record written."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        if type(key) is not str and not isinstance(key, str):
            raise SerializationError(f"{path}: object key {key!r} is not a string")
        t = type(item)
        if (t is str or t is bool or item is None
                or (t is int and INT64_MIN <= item <= INT64_MAX)
                or (t is float and item - item == 0.0)):  # finite: inf - inf and nan are nan
            out[key] = item
        else:
            out[key] = normalize_value(item, f"{path}.{key}", depth + 1)
    return out


_CONTAINERS: Final = frozenset({dict, list})


def clone(value: Any) -> Any:
    """Copy a storable value: dicts and lists are copied recursively, scalars shared.

    Far cheaper than ``copy.deepcopy`` because every other storable type is immutable. An
    object is copied whole at C level, then its containers replaced by their clones; a list
    of scalars only (a vector, tags) is one C-level type scan and one copy."""
    t = type(value)
    if t is dict:
        out = value.copy()
        for key, item in out.items():
            t = type(item)
            if t is dict or t is list:
                out[key] = clone(item)
        return out
    if t is list:
        if _CONTAINERS.isdisjoint(map(type, value)):
            return value.copy()
        return [clone(item) if type(item) in _CONTAINERS else item for item in value]
    return value


def lone_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate in ``text`` (it cannot be UTF-8), else None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return err.start
    return None


def check_text(text: str, what: str, *, nul: bool = True) -> None:
    """Raise SerializationError naming ``what`` unless ``text`` is valid Unicode text for a
    backend that stores UTF-8: no lone surrogate, and (unless ``nul``) no NUL character."""
    at = lone_surrogate(text)
    if at is not None:
        raise SerializationError(
            f"{what}: lone surrogate {text[at]!r} at position {at} cannot be stored as UTF-8"
        )
    if not nul and "\x00" in text:
        raise SerializationError(f"{what}: NUL character at position {text.index(chr(0))} "
                                 "cannot be stored by this backend")


def check_texts(value: Any, path: str, *, nul: bool = True) -> None:
    """``check_text`` over every string and object key inside a storable ``value``."""
    t = type(value)
    if t is str:
        check_text(value, path, nul=nul)
    elif t is dict:
        for key, item in value.items():
            check_text(key, f"{path}: key {key!r}", nul=nul)
            check_texts(item, f"{path}.{key}", nul=nul)
    elif t is list:
        for i, item in enumerate(value):
            check_texts(item, f"{path}[{i}]", nul=nul)


# -- coercion --------------------------------------------------------------------------------
_TRUE = {"true", "t", "yes", "y", "on", "1"}
_FALSE = {"false", "f", "no", "n", "off", "0"}


def field_type(value: FieldType | str) -> FieldType:
    """A ``FieldType`` from itself or its name (any case); ``ConfigurationError`` naming the
    valid ones otherwise."""
    if isinstance(value, FieldType):
        return value
    try:
        return FieldType(str(value).lower())
    except ValueError:
        names = ", ".join(t.value for t in FieldType)
        raise ConfigurationError(f"unknown type {value!r}; valid field types: {names}"
                                 ) from None


def _to_int(value: Any) -> int:
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"{value!r} cannot become an integer losslessly (not a whole number)")
    text = value.strip()
    for base in (10, 0):  # 0: the literal's own prefix, 0x / 0o / 0b
        try:
            return int(text, base)
        except ValueError:
            pass
    return _to_int(float(text))


def coerce(value: Any, to: FieldType | str) -> Any:
    """``value`` converted to the field type ``to``; ``ValueError`` when it cannot be.

    None stays None. Integers: from integral floats, numeric strings (also ``0x``, ``0o``,
    ``0b`` literals) and booleans (1/0). Floats: from numbers, numeric strings. Booleans: from
    0/1 and true/false/yes/no/on/off. Datetimes: from ISO 8601 strings (``Z`` allowed) and
    epoch seconds (UTC). Strings: numbers and booleans as written in JSON, datetimes in ISO
    8601, lists and dicts as typed JSON. Lists and dicts: from JSON text."""
    target = field_type(to)
    if value is None or target in (FieldType.ANY, FieldType.JSON):
        return value
    if target is FieldType.FLOAT and isinstance(value, bool | int | float | str):
        return float(value)
    if target is FieldType.VECTOR and isinstance(value, list | tuple) and value and all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in value):
        return [float(x) for x in value]
    if target.accepts(value):
        return list(value) if isinstance(value, tuple) else value
    if target is FieldType.INTEGER and isinstance(value, bool):
        return int(value)
    if target is FieldType.INTEGER and isinstance(value, float | str):
        return _to_int(value)
    if target in (FieldType.STRING, FieldType.TEXT):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, bool | list | dict):
            return codec.dumps(value, sort_keys=True)
        if isinstance(value, int | float):
            return repr(value)
    if target is FieldType.BOOLEAN:
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            text = value.strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise ValueError(f"{value!r} is not a valid boolean (true/false, yes/no, on/off, "
                             "1/0)")
    if target is FieldType.DATETIME:
        if isinstance(value, str):
            text = value.strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            return datetime.fromisoformat(text)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
    if target in (FieldType.LIST, FieldType.DICT) and isinstance(value, str):
        found = codec.decode(json.loads(value))
        if target.accepts(found):
            return found
    raise ValueError(f"cannot convert {type(value).__name__} {value!r} to {target.value}")
