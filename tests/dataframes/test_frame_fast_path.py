"""``records_to_dataframe``'s fast paths (C-level column filling, per-column type sets,
arrays built by numpy / pyarrow from the lists) build exactly the frame the general path
builds: the reference below is the cell-by-cell conversion as it was before them."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dataknobs_data import Record
from dataknobs_data.dataframes import ColumnBuilder, infer_dtype, records_to_dataframe
from dataknobs_data.dataframes.convert import _datetime_array, column_array
from dataknobs_data.domain.errors import DataError

PLUS2 = timezone(timedelta(hours=2))
ALSO_PLUS2 = timezone(timedelta(hours=2), "another +02 object")
BASE = datetime(2024, 1, 1, 12, 30, 15, 123456, tzinfo=UTC)


# -- the reference: one cell at a time, pandas inferring from lists -------------------------
def ref_columns(records: Iterable[Record | Mapping[str, Any]]
                ) -> tuple[dict[str, list[Any]], list[str | None]]:
    columns: dict[str, list[Any]] = {}
    ids: list[str | None] = []
    for i, rec in enumerate(records):
        data = rec.data if isinstance(rec, Record) else rec
        ids.append(rec.id if isinstance(rec, Record) else None)
        for key in data:
            if key not in columns:
                columns[key] = [None] * i
        for key, col in columns.items():
            col.append(data.get(key))
    return columns, ids


def ref_infer(values: list[Any], backend: str = "numpy_nullable") -> Any:
    types = {type(v) for v in values} - {type(None)}
    has_null = any(v is None for v in values)
    numpy = backend == "numpy"
    if not types:
        return "object"
    if types == {bool}:
        return ("object" if has_null else "bool") if numpy else "boolean"
    if types == {int}:
        if numpy and not has_null and min(values) >= -(2**63) and max(values) <= 2**63 - 1:
            return "int64"
        return "Int64"
    if types <= {int, float}:
        return "float64"
    if types == {str}:
        return pd.Index(["a"]).dtype if numpy else "string"
    if all(issubclass(t, datetime) for t in types):
        zones = {v.tzinfo for v in values if v is not None}
        if zones == {None}:
            return "datetime64[us]"
        if None in zones:
            return "object"
        zone: Any = "UTC"
        if len(zones) == 1:
            zone = next(iter(zones))
        else:
            offsets = {v.utcoffset() for v in values if v is not None}
            if len(offsets) == 1:
                zone = next(v.tzinfo for v in values if v is not None)
        return pd.DatetimeTZDtype(unit="us", tz=zone)
    return "object"


def ref_array(values: list[Any], dtype: Any, name: str) -> Any:
    try:
        if str(dtype) == "object":
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            return arr
        if str(dtype).startswith("datetime64"):
            return _datetime_array(pd, list(values), dtype)
        if str(dtype) in ("float64", "float32"):
            return np.array([math.nan if v is None else v for v in values], dtype=dtype)
        return pd.array(values, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as err:
        raise DataError(f"column {name!r} cannot be converted to {dtype}: {err}") from err


def reference(records: Iterable[Record | Mapping[str, Any]], *,
              dtypes: Mapping[str, Any] | None = None, index: str | None = "id",
              columns: Iterable[str] | None = None, dtype_backend: str = "numpy_nullable"
              ) -> pd.DataFrame:
    data, ids = ref_columns(records)
    order = list(columns) if columns is not None else list(data)
    arrays = {}
    for name in order:
        values = data.get(name, [None] * len(ids))
        dtype = (dtypes or {}).get(name)
        if dtype is not None and str(dtype) == "category":
            arrays[name] = pd.Categorical(values)
            continue
        arrays[name] = ref_array(values, ref_infer(values, dtype_backend) if dtype is None
                                 else dtype, name)
    return pd.DataFrame(arrays, index=pd.Index(ids, name=index) if index else None,
                        columns=order)


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same dtypes, values, index and column order; object cells the very same objects."""
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.columns) == list(want.columns)
    assert got.dtypes.tolist() == want.dtypes.tolist()
    pd.testing.assert_index_equal(got.index, want.index, exact=True)
    for i, name in enumerate(got.columns):
        if str(got.dtypes.iloc[i]) == "object":
            cells = zip(got.iloc[:, i], want.iloc[:, i], strict=True)
            assert all(a is b for a, b in cells), name


def check(records: list[Any], **kwargs: Any) -> pd.DataFrame:
    got = records_to_dataframe(records, **kwargs)
    same(got, reference(records, **kwargs))
    same(records_to_dataframe(iter(records), **kwargs), got)  # a stream, not a list
    return got


@pytest.fixture(params=[4096, 3], ids=["one-buffer", "many-buffers"])
def flush(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """The builder's buffer size: one buffer for the whole input, or a flush every three
    records, so that fields appear, vanish and reappear across buffers."""
    monkeypatch.setattr(ColumnBuilder, "FLUSH", request.param)
    return int(request.param)


def bench_row(i: int) -> dict[str, Any]:
    return {"name": f"person {i}", "age": 18 + i % 60, "score": (i % 1000) / 7,
            "active": i % 3 != 0, "joined": BASE + timedelta(minutes=i),
            "team": {"name": ("core", "infra", "web")[i % 3]}, "tags": [i % 5, i % 7]}


# -- uniform columns: the fast paths ----------------------------------------------------------
def test_uniform_columns_match_the_reference(flush: int) -> None:
    records = [Record(bench_row(i), id=f"r{i:07d}") for i in range(20)]
    df = check(records)
    assert {k: str(v) for k, v in df.dtypes.items()} == {
        "name": "string", "age": "Int64", "score": "float64", "active": "boolean",
        "joined": "datetime64[us, UTC]", "team": "object", "tags": "object"}
    assert df.index.tolist() == [f"r{i:07d}" for i in range(20)]
    assert df["team"].iloc[4] is records[4].data["team"]  # object cells as stored


def test_plain_dicts_and_no_index(flush: int) -> None:
    check([bench_row(i) for i in range(10)], index=None)
    check([bench_row(i) for i in range(10)])  # an index of None ids


@pytest.mark.parametrize("values", [
    [1, None, 3, 4, 2**62],                                   # ints with None
    [True, False, None, True],                                # bools with None
    ["a", None, "", "é ☃"],                                   # strings with None
    [1.5, None, 2.0, float("nan")],                           # floats, None and NaN
    [1, 2.5, None, 3],                                        # ints and floats
    [1, 2.5, 3, -7],                                          # ints and floats, no null
    [2**63, 1, 2],                                            # past int64: Int64 refuses it
    [True, 1, 0],                                             # bool and int: object
    [1, "1", None],                                           # mixed
    [{"a": [1, {"b": None}]}, [1, "x"], None, {}],            # nested
    [[1, 2], [3, 4]],                                         # lists numpy might stack
    [[1, 2], [3, 4], None],
    [(1, 2), (3, 4)],
    [np.arange(2), np.arange(2)],                             # arrays numpy might stack
    [BASE, None, BASE + timedelta(microseconds=1)],           # aware UTC, with None
    [BASE.astimezone(PLUS2), BASE.astimezone(PLUS2) + timedelta(days=1)],  # one zone
    [BASE.astimezone(PLUS2), BASE.astimezone(ALSO_PLUS2)],    # one offset, two tzinfos
    [BASE, BASE.astimezone(PLUS2), None],                     # two offsets: UTC
    [datetime(2020, 1, 1), None, datetime(2020, 1, 1, 0, 0, 0, 1)],  # naive
    [datetime(2020, 1, 1), BASE],                             # naive and aware: object
    [pd.Timestamp("2020-01-01", tz="UTC"), BASE],             # a datetime subclass
    [None, None],                                             # only nulls
])
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_columns_match_the_reference(values: list[Any], flush: int) -> None:
    records = [Record({"v": v, "k": i}, id=f"id{i}") for i, v in enumerate(values)]
    if values == [2**63, 1, 2]:
        with pytest.raises(DataError) as got:
            records_to_dataframe(records)
        with pytest.raises(DataError) as want:
            reference(records)
        assert str(got.value) == str(want.value)
        return
    check(records)
    check(records, dtype_backend="numpy")
    assert str(infer_dtype(values)) == str(ref_infer(values))
    got, want = column_array(values), ref_array(values, ref_infer(values), "v")
    same(pd.DataFrame({"v": got}), pd.DataFrame({"v": want}))


def test_missing_extra_and_reordered_fields(flush: int) -> None:
    records: list[Any] = [
        Record({"a": 1, "b": "x"}, id="1"),
        Record({"b": "y", "a": 2}, id="2"),            # same fields, other order
        Record({"a": 3}, id="3"),                      # b missing
        Record({"a": 4, "b": "z", "c": 1.5}, id="4"),  # c appears
        Record({}, id="5"),                            # nothing
        Record({"c": 2.5, "d": [1]}, id="6"),
        Record({"a": 7, "b": "w", "c": None, "d": None}, id="7"),
        Record({"a": 8, "b": "v", "c": 3.0, "d": [2]}, id="8"),
        Record({"a": 9, "b": "u", "c": 4.0, "d": [3]}, id="9"),
    ]
    df = check(records)
    assert list(df.columns) == ["a", "b", "c", "d"]
    assert {k: str(v) for k, v in df.dtypes.items()} == {
        "a": "Int64", "b": "string", "c": "float64", "d": "object"}
    check(records[2:])
    check(records[::-1])
    check([Record({}, id="e1"), Record({}, id="e2")])
    check([Record({"only": i}, id=f"o{i}") for i in range(7)])  # one field
    check([Record({}, id="e1"), Record({"a": 1}, id="e2")])


def test_ids_from_fields_and_mixed_inputs(flush: int) -> None:
    records: list[Any] = [
        Record({"id": "from-data", "x": 1}),             # no given id: the data's id field
        Record({"x": 2}, id="given"),
        {"x": 3},                                        # a plain dict: no id
        MappingProxyType({"x": 4, "y": "m"}),            # another mapping
        Record({"record_id": "rid", "x": 5}),
        Record({"x": 6}),                                # no id at all
    ]
    df = check(records)
    assert df.index.tolist()[:2] == ["from-data", "given"]
    only_records = [r for r in records if isinstance(r, Record)]
    df = check(only_records)
    assert df.index.tolist()[:3] == ["from-data", "given", "rid"] and df.index.isna()[3]


class TaggedRecord(Record):
    __slots__ = ()

    @property
    def id(self) -> str | None:
        return "tagged-" + str(super().id)


def test_record_subclasses_and_dict_subclasses_take_the_general_path(flush: int) -> None:
    counts: defaultdict[str, int] = defaultdict(int, {"a": 1, "b": 2})
    later: defaultdict[str, int] = defaultdict(int, {"a": 3})  # b missing
    records: list[Any] = [counts, later, TaggedRecord({"a": 5, "b": 6}, id="t")]
    df = check(records)
    assert dict(later) == {"a": 3}  # not filled in by a lookup
    assert df.index.tolist()[-1] == "tagged-t"
    trusted = [Record.trusted(defaultdict(int, {"a": i}), id=f"x{i}") for i in range(4)]
    trusted.append(Record.trusted(defaultdict(int, {"b": 1}), id="x4"))
    check(trusted)
    assert [dict(r.data) for r in trusted][-1] == {"b": 1}


def test_dtype_overrides_and_columns(flush: int) -> None:
    records = [Record({"s": f"s{i}" if i % 3 else None, "f": i, "n": i * 2, "b": i % 2 == 0,
                       "t": BASE + timedelta(hours=i)}, id=f"r{i}") for i in range(7)]
    check(records, dtypes={"s": "string", "f": "float32", "n": "Int64", "b": "boolean",
                           "t": pd.DatetimeTZDtype("us", PLUS2)})
    check(records, dtypes={"s": pd.StringDtype("pyarrow"), "f": "float64",
                           "t": "datetime64[us, UTC]"})
    check(records, dtypes={"s": pd.StringDtype("python"), "n": "category"})
    check(records, dtypes={"s": pd.StringDtype("pyarrow", na_value=np.nan)})
    check(records, columns=["n", "missing", "s"], index="key")
    check(records, columns=["n", "n", "s"])
    df = records_to_dataframe(records, columns=["n", "n"])
    df.iloc[0, 0] = 99  # a name given twice: two columns, not one array twice
    assert df.iloc[0, 1] == 0


def test_errors_match_the_reference(flush: int) -> None:
    cases: list[tuple[list[Any], dict[str, Any]]] = [
        ([Record({"a": "x"})], {"a": "Int64"}),
        ([Record({"a": 1.5})], {"a": "Int64"}),
        ([Record({"a": "x"}), Record({"a": "y"})], {"a": "boolean"}),
        ([Record({"a": "x"})], {"a": "float64"}),
        ([Record({"a": [1, 2]}), Record({"a": 3})], {"a": "float64"}),
        ([Record({"a": 2**64})], {"a": "Int64"}),
        ([Record({"a": "not a date"})], {"a": "datetime64[us]"}),
    ]
    for records, dtypes in cases:
        with pytest.raises(DataError) as got:
            records_to_dataframe(records, dtypes=dtypes)
        with pytest.raises(DataError) as want:
            reference(records, dtypes=dtypes)
        assert str(got.value) == str(want.value), dtypes
    with pytest.raises(DataError, match="has nulls"):
        records_to_dataframe([Record({"a": None})], dtypes={"a": "int64"})
    with pytest.raises(DataError, match="dtype_backend"):
        records_to_dataframe([Record({"a": 1})], dtype_backend="arrow")  # type: ignore[arg-type]


def test_a_large_frame_matches_the_reference() -> None:
    """Several full buffers, ids in a pyarrow-built index, nulls and a late new field."""
    n = 3 * ColumnBuilder.FLUSH + 17
    records = [Record(bench_row(i), id=f"r{i:07d}") for i in range(n)]
    records[5000].data["age"] = None
    records[7000].data["extra"] = "late"
    records[9000].data.pop("name")
    same(records_to_dataframe(records), reference(records))


def test_the_builders_type_sets_are_those_of_its_columns(flush: int) -> None:
    """``builder_to_dataframe`` picks dtypes from the type sets the builder keeps as it
    fills: they are exactly ``set(map(type, column))``, for every way of filling it."""
    streams: list[list[Any]] = [
        [Record(bench_row(i), id=f"r{i}") for i in range(10)],
        [Record({"a": 1}), {"a": 2.5, "b": None}, Record({"b": "x"}, id="y"), {}],
        [MappingProxyType({"a": i}) for i in range(5)] + [Record({"c": [1]}, id="z")],
        [Record({"id": 7, "a": True}), Record({"a": None}, id="q"), Record({}, id="e")],
    ]
    for stream in streams:
        builder = ColumnBuilder()
        builder.extend(stream[:4])
        for rec in stream[4:6]:
            builder.add(rec)
        builder.extend(iter(stream[6:]))
        columns = builder.finish()
        assert builder._types == {k: set(map(type, v)) for k, v in columns.items()}
        assert builder._id_types == set(map(type, builder.ids))
        assert all(len(col) == len(builder) for col in columns.values())
