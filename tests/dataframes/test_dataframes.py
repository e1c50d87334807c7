"""Records <-> DataFrames: dtypes survive the round trip through every backend; chunked
reads; insert, upsert and update from a DataFrame; async versions."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dataknobs_data import MemoryDatabase, Operator, Query, Record
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.adapters.memory import AsyncMemoryDatabase
from dataknobs_data.dataframes import (
    async_insert_dataframe,
    async_iter_dataframes,
    async_query_to_dataframe,
    async_update_dataframe,
    async_upsert_dataframe,
    cast_columns,
    convert_kind,
    dataframe_to_records,
    frame_chunks,
    infer_dtype,
    insert_dataframe,
    iter_dataframes,
    python_value,
    query_to_dataframe,
    records_to_dataframe,
    update_dataframe,
    upsert_dataframe,
)
from dataknobs_data.domain.errors import ConfigurationError, DataError

PLUS2 = timezone(timedelta(hours=2))


def objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def frame(n: int = 12) -> pd.DataFrame:
    """Every dtype the mapping promises, with nulls in each column."""
    base = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)
    ids = [f"r{i:03d}" for i in range(n)]
    df = pd.DataFrame({
        "count": pd.array([None if i % 4 == 1 else i * 1000 for i in range(n)], dtype="Int64"),
        "ratio": np.array([np.nan if i % 5 == 2 else i / 3 for i in range(n)]),
        "flag": pd.array([None if i % 6 == 3 else i % 2 == 0 for i in range(n)],
                         dtype="boolean"),
        "name": pd.array([None if i % 7 == 4 else f"n{i}é" for i in range(n)], dtype="string"),
        "at": pd.array([None if i % 3 == 2 else base + timedelta(hours=i) for i in range(n)],
                       dtype="datetime64[us, UTC]"),
        "local": pd.array([base.astimezone(PLUS2) + timedelta(days=i) for i in range(n)],
                          dtype=pd.DatetimeTZDtype("us", PLUS2)),
        "naive": pd.array([datetime(2020, 1, 1) + timedelta(minutes=i) for i in range(n)],
                          dtype="datetime64[us]"),
        "nested": objects([{"a": [i, {"b": None}]} if i % 2 else [i, "x"] for i in range(n)]),
    }, index=pd.Index(ids, name="id"))
    df.loc["r005", "nested"] = None
    return df


def test_inference_table() -> None:
    assert infer_dtype([True, None]) == "boolean"
    assert infer_dtype([1, None, 2]) == "Int64"
    assert infer_dtype([1, 2.5]) == "float64"
    assert infer_dtype(["a", None]) == "string"
    assert str(infer_dtype([datetime(2020, 1, 1, tzinfo=UTC)])) == "datetime64[us, UTC]"
    assert infer_dtype([datetime(2020, 1, 1)]) == "datetime64[us]"
    assert infer_dtype([datetime(2020, 1, 1), datetime(2020, 1, 1, tzinfo=UTC)]) == "object"
    assert infer_dtype([1, "a"]) == "object" and infer_dtype([None]) == "object"
    assert infer_dtype([{"a": 1}]) == "object" and infer_dtype([True, 1]) == "object"


def test_round_trip_through_every_backend(stores: Any) -> None:
    df = frame()
    db = stores.new()
    result = insert_dataframe(db, df, batch_size=5)
    assert result.ok and result.successful == len(df)
    back = query_to_dataframe(stores.reopen(db), columns=df.columns)
    pd.testing.assert_frame_equal(back, df)
    # without ``columns`` the order may differ (jsonb sorts keys), never the dtypes
    assert dict(query_to_dataframe(db).dtypes) == dict(df.dtypes)


def test_chunked_reads_keep_the_dtypes_of_every_chunk(stores: Any) -> None:
    df = frame(10)
    df.loc[["r006", "r007", "r008", "r009"], "count"] = pd.NA  # the last chunk: all null
    db = stores.new()
    insert_dataframe(db, df)
    chunks = list(iter_dataframes(db, chunk_size=3, columns=df.columns))
    assert [len(c) for c in chunks] == [3, 3, 3, 1]
    assert all(dict(c.dtypes) == dict(df.dtypes) for c in chunks)
    pd.testing.assert_frame_equal(pd.concat(chunks), df)


def test_query_result_to_dataframe(stores: Any) -> None:
    db = stores.new()
    insert_dataframe(db, frame())
    q = Query().filter("flag", Operator.EQ, True).select("count", "name")
    got = query_to_dataframe(db, q)
    assert list(got.columns) == ["count", "name"]
    assert list(got.index) == ["r000", "r002", "r004", "r006", "r008", "r010"]
    assert str(got["count"].dtype) == "Int64"


def test_upsert_and_update_from_a_dataframe(stores: Any) -> None:
    db = stores.new()
    df = frame(6)
    assert upsert_dataframe(db, df) == list(df.index)
    changes = pd.DataFrame({"count": pd.array([7, None, 9], dtype="Int64")},
                           index=pd.Index(["r000", "r001", "nope"], name="id"))
    assert update_dataframe(db, changes) == [True, True, False]
    r0, r1 = db.read("r000"), db.read("r001")
    assert r0["count"] == 7 and r0["name"] == "n0é"  # other fields kept
    assert r1["count"] is None  # NA leaves the stored value (it was null)
    replaced = pd.DataFrame({"name": ["only"]}, index=pd.Index(["r002"], name="id"))
    assert update_dataframe(db, replaced, replace=True) == [True]
    assert db.read("r002").data == {"name": "only"}
    again = frame(6)
    again["count"] = pd.array([1] * 6, dtype="Int64")
    upsert_dataframe(db, again)
    assert query_to_dataframe(db)["count"].tolist() == [1] * 6
    assert db.count() == 6


def test_na_policy_and_ids_from_a_column() -> None:
    df = pd.DataFrame({"key": ["a", "b"], "x": pd.array([1, None], dtype="Int64")})
    nulls = list(dataframe_to_records(df, id_column="key"))
    drops = list(dataframe_to_records(df, id_column="key", na="drop"))
    assert [r.id for r in nulls] == ["a", "b"]
    assert nulls[1].data == {"key": "b", "x": None} and drops[1].data == {"key": "b"}
    anonymous = list(dataframe_to_records(pd.DataFrame({"x": [1.5]})))
    assert anonymous[0].id is None and type(anonymous[0]["x"]) is float


def test_named_time_zone_comes_back_with_dtypes(tmp_path: Any) -> None:
    oslo = pd.date_range("2024-03-30", periods=3, freq="D", tz="Europe/Oslo", unit="us").array
    df = pd.DataFrame({"t": oslo}, index=pd.Index(["a", "b", "c"], name="id"))
    db = FileDatabase(path=tmp_path / "t.jsonl")
    insert_dataframe(db, df)
    db.close()  # the file keeps offsets (+01:00, +02:00), not the zone's name
    assert str(query_to_dataframe(db)["t"].dtype) == "datetime64[us, UTC]"
    pd.testing.assert_frame_equal(query_to_dataframe(db, dtypes=df.dtypes.to_dict()), df)


def test_records_to_dataframe_columns_and_category() -> None:
    recs = [Record({"a": "x", "b": 1}, id="1"), Record({"a": "y"}, id="2")]
    df = records_to_dataframe(recs, columns=["b", "a", "c"], dtypes={"a": "category"})
    assert list(df.columns) == ["b", "a", "c"] and str(df["a"].dtype) == "category"
    assert df["c"].isna().all()
    back = list(dataframe_to_records(df, na="drop"))
    assert back[0].data == {"b": 1, "a": "x"} and back[1].data == {"a": "y"}
    plain = records_to_dataframe([{"a": 1}], index=None)
    assert isinstance(plain.index, pd.RangeIndex)


def test_errors_name_the_column() -> None:
    with pytest.raises(DataError, match="'a' has nulls; int64"):
        records_to_dataframe([Record({"a": None})], dtypes={"a": "int64"})
    with pytest.raises(DataError, match="column 'a'"):
        records_to_dataframe([Record({"a": "x"})], dtypes={"a": "Int64"})
    with pytest.raises(DataError, match="needs record ids"):
        upsert_dataframe(MemoryDatabase(), pd.DataFrame({"x": [1]}))
    with pytest.raises(DataError, match="no column 'k'"):
        list(dataframe_to_records(pd.DataFrame({"x": [1]}), id_column="k"))
    dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(DataError, match="duplicate"):
        list(dataframe_to_records(dup))


def test_insert_dataframe_reports_failures_per_row() -> None:
    db = MemoryDatabase()
    db.create(Record({"x": 0}, id="b"))
    df = pd.DataFrame({"x": [1, 2, 3]}, index=pd.Index(["a", "b", "c"], name="id"))
    result = insert_dataframe(db, df, on_error="skip")
    assert result.successful == 2 and [(f.index, f.record_id) for f in result.failures] == [
        (1, "b")]


def test_chunked_conversion_memory_is_bounded_by_the_chunk() -> None:
    db = MemoryDatabase()
    db.create_batch([Record({"n": i, "s": f"value {i}"}, id=f"{i:06d}") for i in range(20_000)])
    tracemalloc.start()
    total = 0
    for chunk in iter_dataframes(db, chunk_size=1_000):
        total += len(chunk)
    _, chunked_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    whole = query_to_dataframe(db)
    _, whole_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total == len(whole) == 20_000
    assert chunked_peak * 4 < whole_peak, (chunked_peak, whole_peak)


async def test_async_dataframe_functions() -> None:
    db = AsyncMemoryDatabase()
    df = frame(7)
    result = await async_insert_dataframe(db, df, batch_size=3)
    assert result.ok
    pd.testing.assert_frame_equal(await async_query_to_dataframe(db), df)
    chunks = [c async for c in async_iter_dataframes(db, chunk_size=4)]
    pd.testing.assert_frame_equal(pd.concat(chunks), df)
    assert await async_upsert_dataframe(db, df.iloc[:2]) == ["r000", "r001"]
    changes = pd.DataFrame({"name": pd.array(["z"], dtype="string")},
                           index=pd.Index(["r003"], name="id"))
    assert await async_update_dataframe(db, changes) == [True]
    assert (await db.read("r003"))["name"] == "z"  # type: ignore[index]


def test_numpy_dtype_backend_uses_pandas_dtypes_where_they_are_exact() -> None:
    records = [Record({"i": 1, "b": True, "s": "a", "n": 2}, id="x"),
               Record({"i": 2, "b": None, "s": "b", "n": None}, id="y")]
    df = records_to_dataframe(records, dtype_backend="numpy", index=None)
    strings = str(pd.Index(["a"]).dtype)  # pandas' default: "str" on pandas 3, else "object"
    assert [str(t) for t in df.dtypes] == ["int64", "object", strings, "Int64"]
    assert df.index.tolist() == [0, 1]
    with pytest.raises(DataError, match="dtype_backend"):
        infer_dtype([1], "arrow")  # type: ignore[arg-type]


def test_index_ids_and_fill() -> None:
    df = pd.DataFrame({"a": [1.5, None]}, index=pd.Index(["p", "q"], name="key"))
    assert [r.id for r in dataframe_to_records(df)] == [None, None]
    recs = list(dataframe_to_records(df, index_ids=True, na="fill", fill_value=0.0))
    assert [(r.id, r["a"]) for r in recs] == [("p", 1.5), ("q", 0.0)]


def test_nanoseconds_are_refused() -> None:
    df = pd.DataFrame({"t": pd.to_datetime(["2024-01-01 00:00:00.000000001", None])})
    with pytest.raises(DataError, match="'t'"):
        list(dataframe_to_records(df))
    with pytest.raises(DataError, match="nanoseconds"):
        python_value(pd.Timestamp("2024-01-01 00:00:00.000000001"))
    assert python_value(np.int64(-3)) == -3 and python_value(np.float64("nan")) is None


def test_frame_chunks_and_exact_casts() -> None:
    df = pd.DataFrame({"v": [1.5, 2.0, 3.0]})
    assert [len(c) for c in frame_chunks(df, 2)] == [2, 1]
    with pytest.raises(ConfigurationError):
        next(frame_chunks(df, 0))
    with pytest.raises(DataError, match="'v'"):
        cast_columns(df, {"v": "int64"})
    assert str(cast_columns(df, {"v": "float32"})["v"].dtype) == "float32"
    assert convert_kind("-0.0", "number") == 0.0 and str(convert_kind("-0.0", "number")) == "-0.0"


def test_vectors_go_through_a_frame_as_arrays_and_back_as_exact_floats() -> None:
    import numpy as np

    from dataknobs_data.adapters.memory import MemoryDatabase
    from dataknobs_data.dataframes import insert_dataframe, query_to_dataframe
    from dataknobs_data.domain.errors import DataError

    db = MemoryDatabase()
    frame = pd.DataFrame({"id": ["a", "b", "c"],
                          "e": [np.array([0.1, -2.0], dtype=np.float32),
                                np.array([3.0, 4.5]), None]})
    insert_dataframe(db, frame, id_column="id")
    assert db.read("a")["e"] == [float(np.float32(0.1)), -2.0]
    out = query_to_dataframe(db, dtypes={"e": "vector"})
    assert isinstance(out["e"]["b"], np.ndarray) and out["e"]["b"].dtype == np.float64
    assert out["e"]["b"].tolist() == [3.0, 4.5] and out["e"]["c"] is None
    again = MemoryDatabase()
    insert_dataframe(again, out.reset_index(drop=True), id_column="id")
    assert [r.data for r in again.all()] == [r.data for r in db.all()]
    db.create({"id": "d", "e": "text"})
    with pytest.raises(DataError, match="column 'e' row 3"):
        query_to_dataframe(db, dtypes={"e": "vector"})
