"""Column kinds, exact value conversions and exact dtype casts for DataFrames.

Every conversion here either keeps the value (its type as asked, its sign, every digit) or
raises ``DataError`` naming the value or the column: ``1.5`` is not converted to an
integer, ``2**60`` not to a float, ``"maybe"`` not to a boolean, and a cast that would change
a column's values (``1.5`` to ``int32``, ``1e300`` to ``float32``) is refused instead of
truncating. ``dataknobs_data.pandas.TypeMapper`` (the dataknobs-data 0.11 name) calls these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from ..domain.errors import DataError
from .convert import python_value, require_pandas

KINDS = ("integer", "number", "float", "string", "boolean", "datetime", "date", "time")
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def column_kind(series: Any) -> str:
    """The kind of a column's non-null values: ``"boolean"``, ``"datetime"``, ``"integer"``
    (integers, or floats that are all whole numbers), ``"number"``, ``"date"``, ``"time"``
    or ``"string"`` (strings, mixed values and an all-null column)."""
    pd = require_pandas()
    types = pd.api.types
    values = series.dropna()
    if len(values) == 0:
        return "string"
    if types.is_bool_dtype(values):
        return "boolean"
    if types.is_datetime64_any_dtype(values):
        return "datetime"
    if types.is_numeric_dtype(values):
        whole = all(not isinstance(v, float) or v.is_integer() for v in values.tolist())
        return "integer" if whole else "number"
    sample = values.iloc[0]
    # datetime before date: a datetime is a date
    kinds = ((datetime, "datetime"), (date, "date"), (time, "time"))
    return next((kind for cls, kind in kinds if isinstance(sample, cls)), "string")


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise DataError(f"{value!r} is not a whole number; converting it to an integer "
                        "would drop its fraction")
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation as err:
            raise DataError(f"{value!r} is not an integer") from err
        if not number.is_finite() or number != number.to_integral_value():
            raise DataError(f"{value!r} is not a whole number")
        return int(number)
    raise DataError(f"{value!r} ({type(value).__name__}) cannot be converted to an integer")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DataError(f"{value!r} ({type(value).__name__}) cannot be converted to a number")
    try:
        number = float(value)
    except (ValueError, OverflowError) as err:
        raise DataError(f"{value!r} is not a number") from err
    if not math.isfinite(number):
        raise DataError(f"{value!r} is not a finite number")
    if isinstance(value, int) and int(number) != value:
        raise DataError(f"{value!r} has more digits than a float holds")
    return number


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    raise DataError(f"{value!r} is not a boolean (true/false, yes/no, 1/0)")


def convert_kind(value: Any, kind: str) -> Any:
    """``value`` converted to ``kind`` (one of ``KINDS``), exactly, or ``DataError``.

    NA / None stay None; strings are parsed (``"42"``, ``"3.14"``, ``"yes"``,
    ``"2024-01-01"`` to a ``pd.Timestamp``, ``"12:30"`` to a ``time``); an unknown kind
    returns the value unchanged."""
    value = python_value(value) if not isinstance(value, str) else value
    if value is None:
        return None
    kind = kind.lower()
    if kind == "integer":
        return _integer(value)
    if kind in ("number", "float"):
        return _number(value)
    if kind == "string":
        return str(value)
    if kind == "boolean":
        return _boolean(value)
    if kind in ("datetime", "date", "time") and isinstance(value, str):
        pd = require_pandas()
        try:
            stamp = pd.Timestamp(value)
        except ValueError as err:
            raise DataError(f"{value!r} is not a {kind}") from err
        return {"datetime": stamp, "date": stamp.date(), "time": stamp.time()}[kind]
    if kind == "date" and isinstance(value, datetime):
        return value.date()
    if kind == "time" and isinstance(value, datetime):
        return value.time()
    return value


def _fits(values: Any, dtype: str) -> bool:
    import numpy as np

    if dtype.startswith("int"):
        info = np.iinfo(dtype)
        return bool(values.min() >= info.min and values.max() <= info.max)
    cast = values.to_numpy(dtype=float).astype(dtype)
    return bool((cast.astype(float) == values.to_numpy(dtype=float)).all())


def optimal_dtype(series: Any) -> str:
    """The smallest dtype that holds every non-null value of ``series`` exactly: ``bool``,
    the smallest of ``int8``..``int64`` for integers, ``float32`` when every value survives
    it (else ``float64``), ``datetime64[ns]`` for datetimes, otherwise ``object``
    (``string`` for an all-null column)."""
    pd = require_pandas()
    types = pd.api.types
    values = series.dropna()
    if len(values) == 0:
        return "string"
    kinds = {type(v) for v in values.tolist()}
    if types.is_bool_dtype(values) or kinds == {bool}:
        return "bool"
    if kinds <= {int} or types.is_integer_dtype(values):
        ints = values.astype(object)
        return next((d for d in ("int8", "int16", "int32", "int64") if _fits(ints, d)),
                    "object")
    if kinds <= {int, float} or types.is_float_dtype(values):
        return "float32" if _fits(values, "float32") else "float64"
    if types.is_datetime64_any_dtype(values) or kinds <= {datetime, pd.Timestamp}:
        return "datetime64[ns]"
    return "object"


def _cells(series: Any) -> list[Any]:
    return list(series.astype(object).where(series.notna(), None).tolist())


def cast_columns(df: Any, dtypes: Mapping[str, Any]) -> Any:
    """A copy of ``df`` with the named columns cast to their dtypes (names ``df`` does not
    have are ignored). A cast that fails, or whose values do not cast back to the same
    values (``1.5`` to ``int32``, ``1e300`` to ``float32``), raises ``DataError`` naming the
    column and the dtype."""
    out = df.copy()
    for name, dtype in dtypes.items():
        if name not in out.columns:
            continue
        before = out[name]
        try:
            after = before.astype(dtype)
            same = _cells(after.astype(before.dtype)) == _cells(before)
        except (TypeError, ValueError, OverflowError) as err:
            raise DataError(f"column {name!r} cannot be cast to {dtype}: {err}") from err
        if not same:
            raise DataError(f"casting column {name!r} to {dtype} would change its values")
        out[name] = after
    return out


def as_datetimes(series: Any) -> Any:
    """``series`` as a datetime64 column (other values parsed); a value that does not
    parse raises ``DataError`` rather than becoming NaT."""
    pd = require_pandas()
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    try:
        return pd.to_datetime(series)
    except (TypeError, ValueError, OverflowError) as err:
        what = "the series" if series.name is None else f"column {series.name!r}"
        raise DataError(f"{what} is not datetimes: {err}") from err


def to_timezone(series: Any, zone: Any) -> Any:
    """The datetimes of ``series`` in ``zone``: aware values converted (the same instants),
    naive ones read as wall time in ``zone``; other values are parsed as datetimes first,
    and one that does not parse raises ``DataError``."""
    series = as_datetimes(series)
    if series.dt.tz is None:
        return series.dt.tz_localize(zone)
    return series.dt.tz_convert(zone)


__all__ = ["KINDS", "as_datetimes", "cast_columns", "column_kind", "convert_kind", "optimal_dtype",
           "to_timezone"]
