"""dataknobs-data 0.11's ``dataknobs_data.pandas`` written as its users write it: converters,
type mapping and batch operations on a real memory database; values keep their type and
sign or are refused with a named error."""

from __future__ import annotations

import math
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dataknobs_data
from dataknobs_data import DataError
from dataknobs_data.backends.memory import AsyncMemoryDatabase, SyncMemoryDatabase
from dataknobs_data.domain.errors import ConfigurationError
from dataknobs_data.pandas import (
    BatchConfig,
    BatchOperations,
    ChunkedProcessor,
    ConversionOptions,
    DataFrameConverter,
    TypeMapper,
)
from dataknobs_data.query import Query
from dataknobs_data.records import Record


def test_import_pandas_from_a_checkout_is_the_real_pandas() -> None:
    # Python started in the package's root has that folder on sys.path, where ``pandas/``
    # is the 0.11 adapters; ``import pandas`` must still give pandas
    root = Path(dataknobs_data.__file__).resolve().parent
    code = ("import dataknobs_data.dataframes, pandas, dataknobs_data.pandas as compat; "
            "print(pandas.DataFrame.__name__, compat.DataFrameConverter.__name__)")
    run = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["DataFrame", "DataFrameConverter"]


# -- DataFrameConverter --------------------------------------------------------------------
def test_round_trip_keeps_pandas_dtypes_and_values() -> None:
    df = pd.DataFrame({"id": [1, 2], "name": ["Ada", "Grace"], "score": [9.5, -0.0],
                       "active": [True, False]})
    converter = DataFrameConverter()
    records = converter.dataframe_to_records(df)
    assert [type(v) for v in records[0].data.values()] == [int, str, float, bool]
    back = converter.records_to_dataframe(records)
    pd.testing.assert_frame_equal(back, df)
    assert math.copysign(1, back["score"][1]) == -1.0


def test_integers_with_nulls_stay_integers() -> None:
    # 0.11 turned this column into float64 (2**60 + 1 lost its last digit)
    records = [Record({"n": 2**60 + 1}), Record({"n": None})]
    df = DataFrameConverter().records_to_dataframe(records)
    assert str(df["n"].dtype) == "Int64"
    back = DataFrameConverter().dataframe_to_records(df)
    assert back[0].get_value("n") == 2**60 + 1 and type(back[0].get_value("n")) is int
    assert back[1].get_value("n") is None


def test_record_ids_become_the_index_and_come_back() -> None:
    records = [Record({"name": "Ada"}, id="u1"), Record({"name": "Grace"}, id="u2")]
    converter = DataFrameConverter()
    df = converter.records_to_dataframe(records)
    assert df.index.name == "record_id" and df.index.tolist() == ["u1", "u2"]
    # a record with an ``id`` field keeps a plain index
    plain = converter.records_to_dataframe([Record({"id": 7, "name": "Ada"}, id="7")])
    assert plain.index.tolist() == [0]
    back = converter.dataframe_to_records(df, ConversionOptions(use_index_as_id=True))
    assert [r.id for r in back] == ["u1", "u2"]


def test_metadata_and_nested_fields() -> None:
    records = [Record({"user": {"name": "Ada", "age": 36}}, metadata={"source": "hr"})]
    converter = DataFrameConverter()
    df = converter.records_to_dataframe(
        records, ConversionOptions(flatten_nested=True, include_metadata=True))
    assert list(df.columns) == ["user.name", "user.age", "_metadata"]
    assert df.iloc[0]["_metadata"] == {"source": "hr"}
    back = converter.dataframe_to_records(df, ConversionOptions(metadata_columns=["_metadata"]))
    assert back[0].metadata == {"source": "hr"}
    assert back[0].data == {"user.name": "Ada", "user.age": 36}


def test_null_handling_drop_and_fill() -> None:
    df = pd.DataFrame({"a": [1.5, None], "b": ["x", None]})
    converter = DataFrameConverter()
    dropped = converter.dataframe_to_records(df, ConversionOptions(null_handling="drop"))
    assert dropped[1].data == {}
    filled = converter.dataframe_to_records(
        df, ConversionOptions(handle_missing="fill", fill_value=0))
    assert filled[1].data == {"a": 0, "b": 0}
    with pytest.raises(ConfigurationError, match="null_handling"):
        ConversionOptions(null_handling="sometimes")


def test_options_the_converter_does_not_apply_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="timezone"):
        DataFrameConverter().records_to_dataframe([Record({"a": 1})],
                                                  ConversionOptions(timezone="UTC"))


def test_type_mapping_sets_column_dtypes() -> None:
    df = DataFrameConverter().records_to_dataframe(
        [Record({"a": 1}), Record({"a": 2})], ConversionOptions(type_mapping={"a": "float64"}))
    assert str(df["a"].dtype) == "float64"
    with pytest.raises(DataError, match="'a'"):
        DataFrameConverter().records_to_dataframe(
            [Record({"a": 1}), Record({"a": None})], ConversionOptions(type_mapping={"a": "int64"}))


def test_nanoseconds_are_refused_not_dropped() -> None:
    df = pd.DataFrame({"t": [pd.Timestamp("2024-01-01 00:00:00.000000001")]})
    with pytest.raises(DataError, match=r"'t'.*nanoseconds"):
        DataFrameConverter().dataframe_to_records(df)
    ok = pd.DataFrame({"t": [pd.Timestamp("2024-01-01 12:00:00.000001", tz="UTC")]})
    value = DataFrameConverter().dataframe_to_records(ok)[0].get_value("t")
    assert value == datetime(2024, 1, 1, 12, 0, 0, 1, tzinfo=UTC)


def test_series_and_records() -> None:
    converter = DataFrameConverter()
    series = converter.record_to_series(Record({"a": 1, "b": None}, id="r1"))
    assert series.name == "r1" and series["b"] is pd.NA
    rec = converter.series_to_record(pd.Series({"a": np.int64(3), "_meta_x": 1}, name="r2"))
    assert rec.id == "r2" and rec.data == {"a": 3} and type(rec.get_value("a")) is int


# -- TypeMapper ----------------------------------------------------------------------------
def test_type_mapper_kinds_and_dtypes() -> None:
    mapper = TypeMapper()
    assert mapper.infer_field_type(pd.Series([1, 2])) == "integer"
    assert mapper.infer_field_type(pd.Series([1.5, 2])) == "number"
    assert mapper.infer_field_type(pd.Series([date(2024, 1, 1)])) == "date"
    assert mapper.infer_field_type(pd.Series([datetime(2024, 1, 1)])) == "datetime"
    assert mapper.get_pandas_dtype("integer") == "int64"
    assert mapper.get_optimal_dtype(pd.Series([1, 2, 300])) == "int16"
    assert mapper.get_optimal_dtype(pd.Series([1.5, 2.5])) == "float32"
    assert mapper.get_optimal_dtype(pd.Series([1.1])) == "float64"  # float32 would change it


def test_convert_value_is_exact_or_refused() -> None:
    mapper = TypeMapper()
    assert mapper.convert_value("42", "integer") == 42
    assert mapper.convert_value("12345678901234567891", "integer") == 12345678901234567891
    assert mapper.convert_value(2.0, "integer") == 2
    assert mapper.convert_value("yes", "boolean") is True
    assert isinstance(mapper.convert_value("2024-01-01", "datetime"), pd.Timestamp)
    for value, kind in [(1.5, "integer"), ("maybe", "boolean"), (2**60 + 1, "number"),
                        (2, "boolean")]:
        with pytest.raises(DataError):
            mapper.convert_value(value, kind)


def test_cast_dataframe_dtypes_refuses_lossy_casts() -> None:
    mapper = TypeMapper()
    df = pd.DataFrame({"i": [1, 2], "f": [1.5, 2.25], "s": ["a", "b"]})
    cast = mapper.cast_dataframe_dtypes(df, {"i": "int8", "f": "float32", "s": "string"})
    assert [str(t) for t in cast.dtypes] == ["int8", "float32", "string"]
    with pytest.raises(DataError, match="'f'"):
        mapper.cast_dataframe_dtypes(df, {"f": "int32"})
    with pytest.raises(DataError, match="'s'"):
        mapper.cast_dataframe_dtypes(df, {"s": "int64"})


def test_normalize_timezone() -> None:
    mapper = TypeMapper()
    utc = pd.Series([pd.Timestamp("2024-01-01 12:00", tz="UTC")])
    assert mapper.normalize_timezone(utc, "Europe/Oslo")[0].hour == 13
    with pytest.raises(DataError):
        mapper.normalize_timezone(pd.Series(["not a date"]), "UTC")


# -- BatchOperations -----------------------------------------------------------------------
def test_bulk_insert_in_chunks_with_progress() -> None:
    db = SyncMemoryDatabase()
    calls: list[tuple[int, int]] = []
    df = pd.DataFrame({"id": range(250), "value": np.arange(250) * 2})
    config = BatchConfig(chunk_size=100, progress_callback=lambda d, t: calls.append((d, t)))
    stats = BatchOperations(db).bulk_insert_dataframe(df, config)
    assert stats == {"total_rows": 250, "inserted": 250, "failed": 0, "errors": []}
    assert calls == [(100, 100), (100, 100), (50, 50)]
    assert db.read("249").get_value("value") == 498


def test_a_failing_batch_is_written_record_by_record() -> None:
    db = SyncMemoryDatabase()
    db.create(Record({"v": 0}, id="b"))
    df = pd.DataFrame({"id": ["a", "b", "c"], "v": [1, 2, 3]})
    stats = BatchOperations(db).bulk_insert_dataframe(df, BatchConfig(error_handling="log"))
    assert (stats["inserted"], stats["failed"], len(stats["errors"])) == (2, 1, 1)
    assert "b" in stats["errors"][0]
    assert db.count() == 3 and db.read("b").get_value("v") == 0
    with pytest.raises(ConfigurationError, match="chunk_size"):
        BatchConfig(chunk_size=0)


def test_update_transform_aggregate_and_export(tmp_path: Path) -> None:
    db = SyncMemoryDatabase()
    for i in range(4):
        db.create(Record({"team": "a" if i < 2 else "b", "value": i}, id=f"r{i}"))
    ops = BatchOperations(db)
    df = ops.query_as_dataframe(Query())
    assert df.index.name == "record_id"
    stats = ops.transform_and_save(Query(), lambda d: d.assign(value=d["value"] * 10))
    assert stats["updated"] == 4 and db.read("r3").get_value("value") == 30
    updates = pd.DataFrame({"rid": ["r0", "missing"], "team": ["c", "c"], "value": [5, 6]})
    stats = ops.update_from_dataframe(updates, id_column="rid")
    assert (stats["updated"], stats["not_found"]) == (1, 1)
    with pytest.raises(DataError, match="no record id"):
        ops.update_from_dataframe(pd.DataFrame({"rid": [None], "v": [1]}), id_column="rid")
    total = ops.aggregate(Query(), {"value": "sum"})
    assert total.iloc[0]["value_sum"] == 5 + 10 + 20 + 30
    grouped = ops.aggregate(Query(), {"value": "max"}, group_by=["team"])
    assert grouped.loc["b", "value"] == 30
    path = tmp_path / "out.csv"
    ops.export_to_csv(Query().filter("team", "=", "b"), str(path))
    assert sorted(pd.read_csv(path)["value"]) == [20, 30]


def test_async_database_runs_each_call_to_completion() -> None:
    db = AsyncMemoryDatabase()
    ops = BatchOperations(db)
    assert ops.is_async is True
    ops.bulk_insert_dataframe(pd.DataFrame({"id": ["x", "y"], "n": [1, 2]}))
    df = ops.query_as_dataframe(Query())
    assert sorted(df["n"]) == [1, 2]


def test_chunked_processor() -> None:
    df = pd.DataFrame({"v": range(10)})
    processor = ChunkedProcessor(chunk_size=4)
    assert processor.process_dataframe(df, lambda c: int(c["v"].sum()), sum) == 45
    assert [len(c) for c in processor.iter_chunks(df)] == [4, 4, 2]
    with pytest.raises(ConfigurationError):
        ChunkedProcessor(chunk_size=0)
