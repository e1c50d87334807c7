"""Values as text on the command line: how a CSV cell or a ``--where`` value is typed, and
how export writes a value so that reading the cell gives back exactly that value.

Reading (``read_cell``), first match wins, on the text without surrounding whitespace:

====================================================  ==========================================
cell                                                  value
====================================================  ==========================================
empty, or only whitespace                             ``MISSING``: the field is left out
``true`` / ``false`` (any case)                       bool
``null`` (any case)                                   None (a stored null)
an integer without leading zeros within 64 bits       int (``0``, ``-12``, ``+7``)
(``0``, ``-12``)
a decimal without leading zeros (``0.5``, ``-1.25``,  float
``1e3``, ``.5``)
an ISO 8601 date or datetime (``2024-05-01``,         datetime: naive, or aware with its offset
``2024-05-01T10:00:00+02:00``, ``...Z``)              (a date is midnight, naive)
a JSON string literal (``"0123"``)                    that string
a JSON list or object (``[1, 2]``, ``{"a": 1}``)      list / dict (typed JSON: ``{"$datetime":
                                                      ...}`` is a datetime)
anything else (``0123``, ``09156``, ``1e``, ``yes``,  the text itself, unchanged
``NaN``, an integer beyond 64 bits)
====================================================  ==========================================

So codes with leading zeros stay text, and so does anything that is not exactly one of the
forms above. Writing (``cell_text``) is the inverse: a value is written in its plain form
(``true``, ``12``, ``0.5``, ``2024-05-01T10:00:00+02:00``, ``null``, text as it is) when
reading that text gives back the identical value (same type, same sign of zero, same offset),
and otherwise as typed JSON (``envelope.dump_value`` of the file adapter): a string that would
read as something else (``"12"``, ``"true"``, ``""``, ``" "``, ``"[1]"``) becomes its JSON
string literal, a datetime whose ISO text the grammar does not cover becomes
``{"$datetime": ...}``, lists and objects are always JSON. Text that UTF-8 cannot hold (a lone
surrogate) is written as a JSON literal with ``\\u`` escapes.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, time
from typing import Any

from ..domain.envelope import dump_value, load_value
from ..domain.errors import ConfigurationError, DataError, SerializationError
from ..domain.values import MISSING, check_value, lone_surrogate

_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?)?")
_INT64 = (-(2**63), 2**63 - 1)
_WORDS = {"true": True, "false": False, "null": None}


def read_cell(text: str) -> Any:
    """The value of a cell (see the module docstring); ``MISSING`` for an empty cell.
    ``DataError`` only for JSON nested too deeply to parse."""
    s = text.strip()
    if not s:
        return MISSING
    if len(s) <= 5 and s.lower() in _WORDS:
        return _WORDS[s.lower()]
    if s[0] in "[{\"":
        return _read_json(s, text)
    if _INT.fullmatch(s):
        number = int(s)
        return number if _INT64[0] <= number <= _INT64[1] else text
    if _FLOAT.fullmatch(s):
        value = float(s)
        return value if math.isfinite(value) else text
    if _ISO.fullmatch(s):
        try:
            return datetime.fromisoformat(s[:-1] + "+00:00" if s[-1] == "Z" else s)
        except ValueError:  # 2024-02-30, 25:00 ...
            return text
    return text


def _read_json(s: str, text: str) -> Any:
    closing = {"[": "]", "{": "}", '"': '"'}[s[0]]
    if len(s) < 2 or s[-1] != closing:
        return text
    try:
        value = load_value(s)
    except (ValueError, TypeError):  # not JSON, or a damaged typed-JSON tag: it is text
        return text
    except RecursionError:
        raise DataError("a JSON cell nests too deeply to read") from None
    if s[0] == '"' and type(value) is not str:
        return text  # pragma: no cover - a JSON text starting with a quote is a string
    return value


def same(a: Any, b: Any) -> bool:
    """Whether two scalars are the identical value: same type, same sign of zero, a naive
    datetime is not an aware one and an aware one keeps its offset."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return bool(a == b) and math.copysign(1.0, a) == math.copysign(1.0, b)
    if type(a) is datetime:
        return bool(a == b) and a.utcoffset() == b.utcoffset()
    return bool(a == b)


def plain_text(value: Any) -> str | None:
    """The plain (untagged) text of a scalar, or None when it has none."""
    t = type(value)
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    if t is str:
        return value
    if t is int or t is float:
        return repr(value)
    if t is datetime:
        if value.tzinfo is None and value.time() == time():
            return value.date().isoformat()
        return value.isoformat()
    return None


def cell_text(value: Any, where: str = "value") -> str:
    """The cell export writes for ``value``: ``read_cell`` of it gives back the identical
    value. ``SerializationError`` naming ``where`` for a value no cell can hold."""
    check_value(value, where)  # what no store holds, no cell holds either
    t = type(value)
    if t is dict or t is list:
        try:
            return dump_value(value)
        except RecursionError:
            raise SerializationError(f"{where}: nests too deeply to write as JSON") from None
    text = plain_text(value)
    if text is not None and (t is not str or lone_surrogate(text) is None) \
            and same(read_cell(text), value):
        return text
    try:
        text = dump_value(value)
    except SerializationError as err:
        raise SerializationError(f"{where}: {err}") from None
    if t is not str and not same(read_cell(text), value):
        raise SerializationError(f"{where}: {type(value).__name__} {value!r} cannot be "
                                 "written as a cell that reads back the same")
    return text



#: what ``--format`` takes on query, count and info
OUTPUT_FORMATS = ("table", "json", "jsonl", "csv")


def check_output_format(fmt: str) -> str:
    """``fmt`` if it is one of ``OUTPUT_FORMATS``, else a ``ConfigurationError`` naming it."""
    if fmt not in OUTPUT_FORMATS:
        raise ConfigurationError(f"--format {fmt!r}: expected one of "
                                 f"{', '.join(OUTPUT_FORMATS)}")
    return fmt


__all__ = ["MISSING", "OUTPUT_FORMATS", "cell_text", "check_output_format", "plain_text",
           "read_cell", "same"]
