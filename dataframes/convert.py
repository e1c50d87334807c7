"""Records <-> pandas DataFrames with dtypes that survive a round trip through any store.

Column dtypes are inferred from the values a column holds (nulls and missing fields ignored):

=============================  ====================================================
values                          dtype
=============================  ====================================================
booleans                        ``boolean`` (nullable)
integers                        ``Int64`` (nullable)
floats, or floats and ints      ``float64`` (null is NaN)
strings                         ``string`` (``StringDtype``, null is ``pd.NA``)
aware datetimes                 ``datetime64[us, tz]`` (one shared zone, else UTC)
naive datetimes                 ``datetime64[us]``
dicts, lists, mixed types       ``object`` (values as stored)
only nulls                      ``object``
=============================  ====================================================

Because the stores return exactly the types they were given, a DataFrame converted to
records, written, read back and converted again has the same dtypes. Two things a DataFrame
cannot express are documented in docs/pandas.md: a missing field and a null both become NA
(``na="drop"`` writes NA as a missing field, ``na="null"`` as null), and a named time zone
comes back as the offset stored (pass ``dtypes=`` to convert back to the zone).

Record ids go to the index (named ``"id"``) and back.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Literal

from ..domain.errors import BackendNotAvailableError, DataError
from ..domain.records import Record

INSTALL_HINT = "pip install dataknobs-data[pandas]"

NaPolicy = Literal["null", "drop", "fill"]
DtypeBackend = Literal["numpy_nullable", "numpy"]
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def require_pandas() -> Any:
    """Import pandas, or raise ``BackendNotAvailableError`` with the install hint."""
    # imported by name at run time: a type checker run from a checkout would otherwise take
    # the package's own ``pandas`` folder (the 0.11 adapters) for pandas
    try:
        return importlib.import_module("pandas")
    except ImportError as err:  # pragma: no cover - pandas is installed in the dev setup
        raise BackendNotAvailableError(
            f"DataFrame support needs pandas: {INSTALL_HINT}") from err


# -- records -> columns ---------------------------------------------------------------------
class ColumnBuilder:
    """Collects records into per-field lists (missing fields padded with None), so a
    DataFrame is built without materialising a list of dicts. Records are buffered a few
    thousand at a time and each column is then filled by one list comprehension."""

    FLUSH = 4096

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {}
        self.ids: list[str | None] = []
        self._rows = 0
        self._buffer: list[Mapping[str, Any]] = []

    def add(self, record: Record | Mapping[str, Any]) -> None:
        """Append one record."""
        if isinstance(record, Record):
            self._buffer.append(record.data)
            self.ids.append(record.id)
        else:
            self._buffer.append(record)
            self.ids.append(None)
        if len(self._buffer) >= self.FLUSH:
            self._flush()

    def extend(self, records: Iterable[Record | Mapping[str, Any]]) -> None:
        """Append many records (``add`` in a loop, with the lookups hoisted)."""
        buffer, ids, flush_at = self._buffer, self.ids, self.FLUSH
        for rec in records:
            if type(rec) is Record:
                buffer.append(rec.data)
                ids.append(rec.id)
            else:
                self.add(rec)
                buffer = self._buffer
                continue
            if len(buffer) >= flush_at:
                self._flush()
                buffer = self._buffer

    def _flush(self) -> None:
        buffer = self._buffer
        if not buffer:
            return
        first = buffer[0].keys()
        keys: dict[str, None] = dict.fromkeys(first)
        for data in buffer:
            if data.keys() != first:
                keys.update(dict.fromkeys(data))
        before = self._rows
        columns = self.columns
        for key in keys:
            col = columns.get(key)
            if col is None:
                col = columns[key] = [None] * before
            col.extend([data.get(key) for data in buffer])
        self._rows += len(buffer)
        for key, col in columns.items():
            if key not in keys:
                col.extend([None] * len(buffer))
        self._buffer = []

    def __len__(self) -> int:
        return len(self.ids)

    def finish(self) -> dict[str, list[Any]]:
        """The columns, each as long as the number of records."""
        self._flush()
        return self.columns


def infer_dtype(values: list[Any], dtype_backend: DtypeBackend = "numpy_nullable"
                ) -> str | Any:
    """The dtype for a column of stored values (see the module docstring).

    ``dtype_backend="numpy"`` picks pandas' own dtypes where they hold the values exactly:
    ``int64`` and ``bool`` for columns without nulls (``Int64`` for integers with nulls, so
    an integer never turns into a float; ``object`` for booleans with nulls) and pandas'
    default string dtype for strings."""
    if dtype_backend not in ("numpy_nullable", "numpy"):
        raise DataError(f"dtype_backend must be 'numpy_nullable' or 'numpy', "
                        f"got {dtype_backend!r}")
    types = set(map(type, values))
    has_null = type(None) in types
    types.discard(type(None))
    numpy = dtype_backend == "numpy"
    if not types:
        return "object"
    if types == {bool}:
        return ("object" if has_null else "bool") if numpy else "boolean"
    if types == {int}:
        if numpy and not has_null and min(values) >= INT64_MIN and max(values) <= INT64_MAX:
            return "int64"
        return "Int64"
    if types <= {int, float}:
        return "float64"
    if types == {str}:
        return require_pandas().Index(["a"]).dtype if numpy else "string"
    if types == {datetime} or all(issubclass(t, datetime) for t in types):
        zones = {v.tzinfo for v in values if v is not None}
        if zones == {None}:
            return "datetime64[us]"
        if None in zones:
            return "object"  # naive and aware mixed: keep the values as they are
        pd = require_pandas()
        zone: Any = "UTC"
        if len(zones) == 1:
            zone = next(iter(zones))
        else:
            offsets = {v.utcoffset() for v in values if v is not None}
            if len(offsets) == 1 and offsets != {None}:
                zone = next(v.tzinfo for v in values if v is not None)
        return pd.DatetimeTZDtype(unit="us", tz=zone)
    return "object"


def _datetime_array(pd: Any, values: list[Any], dtype: Any) -> Any:
    aware = isinstance(dtype, pd.DatetimeTZDtype) or (
        isinstance(dtype, str) and dtype.startswith("datetime64") and "," in dtype)
    if aware:
        index = pd.to_datetime(values, utc=True)
        tz = dtype.tz if isinstance(dtype, pd.DatetimeTZDtype) else pd.DatetimeTZDtype(
            unit="us", tz=dtype.split(",", 1)[1].strip(" ]")).tz
        return index.tz_convert(tz).astype(dtype if not isinstance(dtype, str) else
                                           pd.DatetimeTZDtype(unit="us", tz=tz)).array
    return pd.DatetimeIndex(values).astype(dtype).array


def column_array(values: list[Any], dtype: Any = None, *, name: str = "?") -> Any:
    """A pandas array of ``dtype`` (inferred when None) holding ``values``."""
    pd = require_pandas()
    import numpy as np

    if dtype is None:
        dtype = infer_dtype(values)
    try:
        if str(dtype) == "object":
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            return arr
        if str(dtype).startswith("datetime64"):
            return _datetime_array(pd, values, dtype)
        if str(dtype) in ("float64", "float32"):
            return np.array([math.nan if v is None else v for v in values], dtype=dtype)
        return pd.array(values, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as err:
        raise DataError(f"column {name!r} cannot be converted to {dtype}: {err}") from err


def _vector_cells(values: list[Any], name: str) -> Any:
    """An object column of float64 numpy arrays, one per vector (None stays None);
    ``DataError`` naming the column and row of a value that is not a vector."""
    import numpy as np

    from ..domain.errors import SerializationError
    from ..domain.vectors import as_vector

    cells = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        if value is None:
            continue
        try:
            cells[i] = np.asarray(as_vector(value, f"column {name!r} row {i}"),
                                  dtype=np.float64)
        except SerializationError as err:
            raise DataError(str(err)) from None
    return cells


def records_to_dataframe(records: Iterable[Record | Mapping[str, Any]], *,
                         dtypes: Mapping[str, Any] | None = None, index: str | None = "id",
                         columns: Iterable[str] | None = None,
                         dtype_backend: DtypeBackend = "numpy_nullable") -> Any:
    """A DataFrame of the records: one column per field (dotted nesting stays a dict in an
    object column), ids in an index named ``index`` (None: a plain RangeIndex).

    ``dtypes`` overrides the inferred dtype per column (e.g. the original frame's
    ``df.dtypes`` to restore a named time zone or a ``category``; ``"vector"`` makes each
    cell a float64 numpy array, docs/vectors.md); ``columns`` fixes the
    column order (and adds all-null columns that no record has); ``dtype_backend`` is
    ``infer_dtype``'s."""
    builder = ColumnBuilder()
    builder.extend(records)
    return builder_to_dataframe(builder, dtypes=dtypes, index=index, columns=columns,
                                dtype_backend=dtype_backend)


def builder_to_dataframe(builder: ColumnBuilder, *, dtypes: Mapping[str, Any] | None = None,
                         index: str | None = "id", columns: Iterable[str] | None = None,
                         dtype_backend: DtypeBackend = "numpy_nullable") -> Any:
    """The DataFrame of a filled ``ColumnBuilder``."""
    pd = require_pandas()
    data = builder.finish()
    n = len(builder)
    order = list(columns) if columns is not None else list(data)
    wanted = dict(dtypes or {})
    arrays: dict[str, Any] = {}
    for name in order:
        values = data.get(name)
        if values is None:
            values = [None] * n
        dtype = wanted.get(name)
        if dtype is not None and str(dtype) == "category":
            arrays[name] = pd.Categorical(values)
            continue
        if isinstance(dtype, str) and dtype == "vector":
            arrays[name] = _vector_cells(values, name)
            continue
        if dtype is not None and str(dtype) in ("int64", "int32", "bool") and None in values:
            raise DataError(f"column {name!r} has nulls; {dtype} cannot hold them "
                            "(use Int64 / boolean)")
        if dtype is None:
            dtype = infer_dtype(values, dtype_backend)
        arrays[name] = column_array(values, dtype, name=name)
    # pandas' own choice for a list of strings (``str`` on pandas 3, ``object`` before), so
    # the index matches that of a frame built by hand
    frame_index = pd.Index(builder.ids, name=index) if index else None
    return pd.DataFrame(arrays, index=frame_index, columns=order)


# -- DataFrame -> records -------------------------------------------------------------------
def _python_values(series: Any) -> list[Any]:
    """The column as storable Python values (None for NA)."""
    pd = require_pandas()
    import numpy as np

    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or str(dtype).startswith("datetime64"):
        index = pd.DatetimeIndex(series)
        if getattr(index, "unit", "ns") == "ns" and ((index.nanosecond != 0) & ~index.isna()).any():
            raise DataError(f"column {series.name!r} has nanoseconds, which a Python "
                            "datetime cannot hold (round them: series.dt.floor('us'))")
        out = list(index.to_pydatetime())
        mask = index.isna()
        if mask.any():
            for i in np.flatnonzero(mask):
                out[i] = None
        return out
    if isinstance(dtype, pd.CategoricalDtype):
        return _python_values(series.astype(object))
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = series.to_numpy()
        out = values.astype(object)
        out[np.isnan(values)] = None
        return list(out.tolist())
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return list(series.to_numpy().tolist())
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype != np.dtype(object):
        values = series.to_numpy(dtype=object, na_value=None).tolist()
        if getattr(dtype, "kind", "") == "f":  # Float64: NaN is null too
            values = [None if isinstance(v, float) and math.isnan(v) else v for v in values]
        return list(values)
    return _object_values(series.tolist())


def _object_values(values: list[Any]) -> list[Any]:
    """Object cells as storable values: NaN / NA / NaT become None and numpy arrays lists.

    Dicts and lists are passed through as they are (the write path normalises numpy scalars
    inside them), which keeps this a single cheap pass over the column."""
    import numpy as np

    pd = require_pandas()
    na, nat, ndarray = pd.NA, pd.NaT, np.ndarray
    out: list[Any] = []
    append = out.append
    for v in values:
        t = type(v)
        if t is str or t is dict or t is list or t is int or t is bool or v is None:
            append(v)
        elif t is float:
            append(None if v != v else v)
        elif v is na or v is nat:
            append(None)
        elif t is ndarray:
            append(_object_values(v.tolist()))
        else:
            append(v)
    return out


def dataframe_to_records(df: Any, *, id_column: str | None = None, na: NaPolicy = "null",
                         index_ids: bool | None = None, fill_value: Any = None
                         ) -> Iterator[Record]:
    """The rows of ``df`` as records, lazily.

    Ids come from column ``id_column`` when given (the column stays in the data), else from
    the index when ``index_ids`` is True, or when it is None (the default) and the index is
    named ``"id"``; otherwise records carry no id (the store assigns one, or picks an ``id``
    field). ``na="null"`` stores NA as null, ``na="drop"`` leaves the field out,
    ``na="fill"`` stores ``fill_value`` instead."""
    if na not in ("null", "drop", "fill"):
        raise DataError(f"na must be 'null', 'drop' or 'fill', got {na!r}")
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        raise DataError(f"duplicate column names: {names}")
    columns = [_python_values(df[c]) for c in df.columns]
    if id_column is not None:
        if id_column not in names:
            raise DataError(f"no column {id_column!r} for the record ids (columns: {names})")
        ids: list[Any] = columns[names.index(id_column)]
    elif index_ids or (index_ids is None and df.index.name == "id"):
        ids = _python_values(df.index.to_series())
    else:
        ids = [None] * len(df)
    rows: Iterable[tuple[Any, ...]] = zip(*columns, strict=True) if columns else [()] * len(df)
    for rid, row in zip(ids, rows, strict=True):
        pairs = zip(names, row, strict=True)
        if na == "drop":
            data = {k: v for k, v in pairs if v is not None}
        elif na == "fill":
            data = {k: fill_value if v is None else v for k, v in pairs}
        else:
            data = dict(pairs)
        yield Record(data, id=None if rid is None else str(rid))


def python_value(value: Any) -> Any:
    """One pandas or numpy cell as a storable Python value: None for NA / NaN / NaT, numpy
    scalars as their Python type, Timestamps as ``datetime`` (nanoseconds refused, as in a
    column), numpy arrays as lists."""
    import numpy as np

    pd = require_pandas()
    if isinstance(value, pd.Timestamp):
        if value.nanosecond:
            raise DataError(f"timestamp {value} has nanoseconds, which a Python datetime "
                            "cannot hold")
        return value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return python_value(pd.Timestamp(value))
    if isinstance(value, np.floating) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return _object_values([value])[0]


__all__ = ["INSTALL_HINT", "ColumnBuilder", "DtypeBackend", "builder_to_dataframe",
           "column_array", "dataframe_to_records", "infer_dtype", "python_value",
           "records_to_dataframe", "require_pandas"]
