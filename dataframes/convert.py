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
from functools import partial
from itertools import chain, islice, repeat
from operator import attrgetter, is_not, itemgetter
from typing import Any, Literal

from ..domain.errors import BackendNotAvailableError, DataError
from ..domain.records import Record

INSTALL_HINT = "pip install dataknobs-data[pandas]"

NaPolicy = Literal["null", "drop", "fill"]
DtypeBackend = Literal["numpy_nullable", "numpy"]
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
NoneType = type(None)
# a Record's slots, read by C-level calls (``ColumnBuilder.extend``)
_RECORD_DATA, _RECORD_ID = attrgetter("_data"), attrgetter("_id")
_TZINFO = attrgetter("tzinfo")
_not_none = partial(is_not, None)


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
    thousand at a time and each column is then filled by one C-level pass over the buffer
    (``operator.itemgetter`` when every record of the buffer is a plain dict with the same
    fields, ``dict.get`` when some lack a field; the general loop for other mappings).

    The set of value types of each column, and of the ids, is kept as the columns fill (a
    pass over each buffer's values while they are in the CPU's cache), for
    ``builder_to_dataframe`` to pick dtypes from without another pass over every value."""

    FLUSH = 4096

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {}
        self.ids: list[str | None] = []
        self._rows = 0
        self._buffer: list[Mapping[str, Any]] = []
        self._types: dict[str, set[type]] = {}  # set(map(type, column)), per column
        self._id_types: set[type] = set()       # set(map(type, ids))

    def add(self, record: Record | Mapping[str, Any]) -> None:
        """Append one record."""
        if isinstance(record, Record):
            self._buffer.append(record.data)
            rid = record.id
        else:
            self._buffer.append(record)
            rid = None
        self.ids.append(rid)
        self._id_types.add(type(rid))
        if len(self._buffer) >= self.FLUSH:
            self._flush()

    def extend(self, records: Iterable[Record | Mapping[str, Any]]) -> None:
        """Append many records: what ``add`` in a loop does, a buffer's worth at a time.

        A slice of plain ``Record``s (or of plain dicts) is taken in with C-level calls:
        the records' data dicts and ids are read from their slots (``Record.id`` only for
        the records without a given id, which fall back to their ``id`` field); any other
        slice goes through ``add`` record by record."""
        it = iter(records)
        flush_at = self.FLUSH
        while True:
            chunk: list[Any] = list(islice(it, max(flush_at - len(self._buffer), 1)))
            if not chunk:
                return
            types = set(map(type, chunk))
            if types == {Record}:
                self._buffer.extend(map(_RECORD_DATA, chunk))
                ids = list(map(_RECORD_ID, chunk))
                id_types = set(map(type, ids))
                if NoneType in id_types:
                    ids = [rec.id if rid is None else rid
                           for rec, rid in zip(chunk, ids, strict=True)]
                    id_types = set(map(type, ids))
                self.ids.extend(ids)
                self._id_types |= id_types
            elif types == {dict}:
                self._buffer.extend(chunk)
                self.ids.extend([None] * len(chunk))
                self._id_types.add(NoneType)
            else:
                for rec in chunk:
                    self.add(rec)
                continue
            if len(self._buffer) >= flush_at:
                self._flush()

    def _flush(self) -> None:
        buffer = self._buffer
        if not buffer:
            return
        plain = set(map(type, buffer)) == {dict}
        filled = self._uniform_columns(buffer) if plain else None
        if filled is None:
            filled = self._columns_of(buffer, plain)
        before = self._rows
        columns, types = self.columns, self._types
        for key, values in filled.items():
            seen = set(map(type, values))
            col = columns.get(key)
            if col is None:
                if before == 0:
                    columns[key], types[key] = values, seen
                    continue
                col = columns[key] = [None] * before
                types[key] = seen | {NoneType}
            else:
                types[key] |= seen
            col.extend(values)
        for key, col in columns.items():
            if key not in filled:
                col.extend([None] * len(buffer))
                types[key].add(NoneType)
        self._rows += len(buffer)
        self._buffer = []

    def _uniform_columns(self, buffer: list[Any]) -> dict[str, list[Any]] | None:
        """The buffer's columns, when every dict has exactly the fields of the columns so
        far (of the first dict, for the first buffer); else None.

        One ``itemgetter`` of all the fields per dict, chained into one row-major list,
        which strided slices cut into the columns (each dict is read once, while it is in
        the CPU's cache, rather than once per field)."""
        fields = list(self.columns) if self._rows else list(buffer[0])
        width = len(fields)
        if sum(map(len, buffer)) != width * len(buffer):
            return None
        try:  # every dict has len(fields) keys: all of these means exactly these
            if width < 2:  # (itemgetter of one key gives the value, not a 1-tuple)
                return {key: list(map(itemgetter(key), buffer)) for key in fields}
            cells = list(chain.from_iterable(map(itemgetter(*fields), buffer)))
        except KeyError:
            return None
        return {key: cells[i::width] for i, key in enumerate(fields)}

    @staticmethod
    def _columns_of(buffer: list[Any], plain: bool) -> dict[str, list[Any]]:
        """The buffer's columns, fields in order of first appearance, None where missing."""
        first = buffer[0].keys()
        keys: dict[str, None] = dict.fromkeys(first)
        for data in buffer:
            if data.keys() != first:
                keys.update(dict.fromkeys(data))
        if plain:
            return {key: list(map(dict.get, buffer, repeat(key))) for key in keys}
        return {key: [data.get(key) for data in buffer] for key in keys}

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
    return _infer(values, set(map(type, values)), dtype_backend)


def _infer(values: list[Any], types: set[type], dtype_backend: DtypeBackend) -> str | Any:
    """``infer_dtype`` given the column's set of value types (computed once by the caller,
    which uses it again to build the array)."""
    if dtype_backend not in ("numpy_nullable", "numpy"):
        raise DataError(f"dtype_backend must be 'numpy_nullable' or 'numpy', "
                        f"got {dtype_backend!r}")
    has_null = NoneType in types
    types = types - {NoneType}
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
        present = filter(_not_none, values) if has_null else values
        zones = set(map(_TZINFO, present))
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
    types = set(map(type, values))
    return _column_array(values, _infer(values, types, "numpy_nullable") if dtype is None
                         else dtype, types, name)


def _column_array(values: list[Any], dtype: Any, types: set[type], name: str) -> Any:
    """``column_array`` given the column's set of value types: the common uniform columns
    by C-level calls (``_uniform_array``), the rest as ``column_array`` always did."""
    pd = require_pandas()
    import numpy as np

    fast = _uniform_array(pd, np, values, dtype, types)
    if fast is not None:
        return fast
    try:
        if str(dtype) == "object":
            return np.fromiter(values, dtype=object, count=len(values))
        if str(dtype).startswith("datetime64"):
            return _datetime_array(pd, values, dtype)
        if str(dtype) in ("float64", "float32"):
            return np.array([math.nan if v is None else v for v in values], dtype=dtype)
        return pd.array(values, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as err:
        raise DataError(f"column {name!r} cannot be converted to {dtype}: {err}") from err


def _uniform_array(pd: Any, np: Any, values: list[Any], dtype: Any, types: set[type]
                   ) -> Any | None:
    """The array ``column_array`` builds, for a column whose values are all of one plain
    type (``int`` / ``bool`` without nulls; ``float`` / ``int`` without nulls; ``str`` or
    ``datetime`` with or without them), built from the list by numpy / pyarrow in C rather
    than by pandas' per-value inference; None for any other column, or when the fast
    construction fails (the general path then builds the array or raises its error)."""
    key = str(dtype)
    n = len(values)
    try:
        if key in ("float64", "float32"):
            return np.array(values, dtype=dtype) if NoneType not in types else None
        if key == "Int64" and types == {int}:
            return pd.arrays.IntegerArray(np.array(values, dtype=np.int64),
                                          np.zeros(n, dtype=bool))
        if key == "boolean" and types == {bool}:
            return pd.arrays.BooleanArray(np.array(values, dtype=bool),
                                          np.zeros(n, dtype=bool))
        if types <= {datetime, NoneType} and key.startswith("datetime64"):
            # pandas turns the list into this object array first anyway
            return _datetime_array(pd, np.fromiter(values, dtype=object, count=n), dtype)
        if types <= {str, NoneType} and key in ("string", "str"):
            target = pd.api.types.pandas_dtype(dtype)
            pa = _arrow_strings(pd, target)
            if pa is not None:
                return pd.array(pa.array(values, type=pa.large_string()), dtype=target)
    except Exception:  # the general path decides what the values make
        return None
    return None


def _arrow_strings(pd: Any, dtype: Any) -> Any | None:
    """pyarrow, when ``dtype`` is a pyarrow-backed ``StringDtype`` (which pandas builds
    from a pyarrow ``large_string`` array as it is); else None."""
    if not isinstance(dtype, pd.StringDtype) or dtype.storage != "pyarrow":
        return None
    try:
        return importlib.import_module("pyarrow")
    except ImportError:  # pragma: no cover - a pyarrow StringDtype needs pyarrow
        return None


def _frame_index(pd: Any, ids: list[Any], types: set[type], name: str) -> Any:
    """``pd.Index(ids, name=name)``; when every id is a string (``types``, the ids' type
    set, is ``{str}``) and pandas' own dtype for strings is pyarrow-backed, built from a
    pyarrow array (the same Index, without pandas' per-value inference)."""
    if types == {str}:
        dtype = pd.Index(["a"]).dtype
        pa = _arrow_strings(pd, dtype)
        if pa is not None:
            try:
                return pd.Index(pd.array(pa.array(ids, type=pa.large_string()), dtype=dtype),
                                name=name)
            except Exception:  # pandas' own construction below
                pass
    return pd.Index(ids, name=name)


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
        types = builder._types.get(name)
        if values is None or types is None:
            values = [None] * n if values is None else values
            types = set(map(type, values))
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
            dtype = _infer(values, types, dtype_backend)
        arrays[name] = _column_array(values, dtype, types, name)
    # pandas' own choice for a list of strings (``str`` on pandas 3, ``object`` before), so
    # the index matches that of a frame built by hand
    frame_index = _frame_index(pd, builder.ids, builder._id_types, index) if index else None
    # every array was just built here and belongs to no one else, so the frame can hold
    # them as they are (pandas' default copies each one, and stacks the numpy ones); a
    # name given twice in ``columns`` gets a copy per column, as before
    return pd.DataFrame(arrays, index=frame_index, columns=order,
                        copy=len(arrays) != len(order))


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
