"""dataknobs-data 0.11's ``TypeMapper`` and ``PandasTypeMapping``: field types to pandas
dtypes, and the conversions of ``dataknobs_data.dataframes`` (``column_kind``,
``convert_kind``, ``optimal_dtype``, ``cast_columns``, ``to_timezone``, ``python_value``)
under 0.11's method names. Every conversion keeps the value exactly or raises
``DataError``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from ..dataframes import (
    as_datetimes,
    cast_columns,
    column_kind,
    convert_kind,
    optimal_dtype,
    python_value,
    require_pandas,
    to_timezone,
)
from ..domain.records import FieldType

pd = require_pandas()

_BINARY = getattr(FieldType, "BINARY", None)  # 0.11's type for bytes, where the domain has it

# 0.11's dtype names for the kinds ``infer_field_type`` reports
KIND_DTYPES = {"string": "object", "integer": "int64", "number": "float64",
               "float": "float64", "boolean": "bool", "datetime": "datetime64[ns]",
               "date": "object", "time": "object", "json": "object", "binary": "object",
               "text": "object"}


@dataclass
class PandasTypeMapping:
    """The pandas dtype of a field type, with optional value converters each way."""

    field_type: FieldType
    pandas_dtype: str | type | np.dtype[Any]
    nullable: bool = True
    converter: Callable[[Any], Any] | None = None
    reverse_converter: Callable[[Any], Any] | None = None


def _to_timestamp(value: Any) -> Any:
    if isinstance(value, str | datetime):
        return pd.Timestamp(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return pd.Timestamp(value, unit="s")  # a Unix timestamp
    return value


def _parse_json_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


class TypeMapper:
    """Field types and pandas dtypes, and exact conversions between their values."""

    def __init__(self) -> None:
        nullable = {FieldType.STRING: "string", FieldType.TEXT: "string",
                    FieldType.INTEGER: "Int64", FieldType.FLOAT: "Float64",
                    FieldType.BOOLEAN: "boolean"}
        self._field_to_pandas: dict[FieldType, PandasTypeMapping] = {
            ft: PandasTypeMapping(ft, dtype) for ft, dtype in nullable.items()}
        self._field_to_pandas[FieldType.DATETIME] = PandasTypeMapping(
            FieldType.DATETIME, "datetime64[ns]", converter=_to_timestamp,
            reverse_converter=python_value)
        for ft in (FieldType.JSON, FieldType.LIST, FieldType.DICT):
            self._field_to_pandas[ft] = PandasTypeMapping(
                ft, "object", converter=_parse_json_text, reverse_converter=_parse_json_text)
        for plain in (FieldType.ANY, _BINARY):
            if plain is not None:
                self._field_to_pandas[plain] = PandasTypeMapping(plain, "object")
        self._pandas_to_field: dict[str, FieldType] = {
            "string": FieldType.STRING, "int64": FieldType.INTEGER,
            "float64": FieldType.FLOAT, "boolean": FieldType.BOOLEAN,
            "datetime64[ns]": FieldType.DATETIME, "object": FieldType.STRING}

    # -- field types and dtypes ------------------------------------------------------------
    def field_type_to_pandas(self, field_type: FieldType) -> str | type | np.dtype[Any]:
        """The pandas dtype for a field type (``object`` when none is mapped)."""
        mapping = self._field_to_pandas.get(field_type)
        return mapping.pandas_dtype if mapping else "object"

    def pandas_to_field_type(self, dtype: Any) -> FieldType:
        """The field type for a pandas dtype (``STRING`` when nothing closer fits)."""
        name = str(dtype).lower()
        if name in self._pandas_to_field:
            return self._pandas_to_field[name]
        for part, field_type in (("int", FieldType.INTEGER), ("float", FieldType.FLOAT),
                                 ("bool", FieldType.BOOLEAN), ("datetime", FieldType.DATETIME),
                                 ("timestamp", FieldType.DATETIME), ("bytes", _BINARY)):
            if part in name and field_type is not None:
                return field_type
        return FieldType.STRING

    def get_pandas_dtype(self, field_type: str) -> str:
        """0.11's dtype name for a kind (``"integer"`` -> ``"int64"``; ``object`` else)."""
        return KIND_DTYPES.get(field_type.lower(), "object")

    # -- values ----------------------------------------------------------------------------
    def convert_value_to_pandas(self, value: Any, field_type: FieldType) -> Any:
        """A field's value as pandas holds it (null as ``pd.NA``, a datetime as a
        ``Timestamp``, JSON text parsed)."""
        if value is None:
            return pd.NA
        mapping = self._field_to_pandas.get(field_type)
        return mapping.converter(value) if mapping and mapping.converter else value

    def convert_value_from_pandas(self, value: Any, field_type: FieldType) -> Any:
        """A pandas cell as a field's value (NA as None, numpy scalars and Timestamps as
        Python values)."""
        value = python_value(value)
        mapping = self._field_to_pandas.get(field_type)
        if value is not None and mapping and mapping.reverse_converter:
            return mapping.reverse_converter(value)
        return value

    def infer_field_type_from_value(self, value: Any) -> FieldType:
        """The field type of one value: dicts and lists are ``JSON``, strings longer than
        1,000 characters ``TEXT``, a null ``STRING``."""
        value = python_value(value)
        if value is None:
            return FieldType.STRING
        if isinstance(value, dict | list):
            return FieldType.JSON
        if isinstance(value, str) and len(value) > 1000:
            return FieldType.TEXT
        inferred = FieldType.infer(value)
        return FieldType.JSON if inferred is FieldType.ANY else inferred

    def convert_value(self, value: Any, target_type: str) -> Any:
        """``value`` as ``target_type`` (``integer``, ``number``, ``string``, ``boolean``,
        ``datetime``, ``date``, ``time``), exactly or ``DataError``."""
        return convert_kind(value, target_type)

    # -- columns ---------------------------------------------------------------------------
    def infer_field_type(self, series: Any) -> str:
        """The kind of a column (``"integer"``, ``"number"``, ``"string"``, ...)."""
        return column_kind(series)

    def get_optimal_dtype(self, series: Any) -> str:
        """The smallest dtype holding every value of ``series`` exactly."""
        return optimal_dtype(series)

    def cast_series(self, series: Any, field_type: FieldType) -> Any:
        """``series`` in the dtype of ``field_type``; a cast that would change a value
        raises ``DataError``."""
        if field_type is FieldType.DATETIME:
            return as_datetimes(series)
        if self.field_type_to_pandas(field_type) == "object":
            return series.map(lambda v: self.convert_value_to_pandas(v, field_type)
                              if v is not None and v is not pd.NA else v).astype(object)
        name = series.name if series.name is not None else "value"
        frame = cast_columns(series.to_frame(name), {name: self.field_type_to_pandas(field_type)})
        return frame[name].rename(series.name)

    def cast_dataframe_dtypes(self, df: Any, dtype_map: dict[str, str]
                              ) -> Any:
        """A copy of ``df`` with columns cast as ``dtype_map`` says (exactly, or
        ``DataError``)."""
        return cast_columns(df, dtype_map)

    def normalize_timezone(self, series: Any, target_tz: str) -> Any:
        """The datetimes of ``series`` in ``target_tz`` (naive ones localized)."""
        return to_timezone(series, target_tz)


__all__ = ["KIND_DTYPES", "PandasTypeMapping", "TypeMapper"]
