"""pandas integration: records and query results as DataFrames, DataFrames into stores.

Needs the ``pandas`` extra (``pip install dataknobs-data[pandas]``); pandas is imported on
first use. See docs/pandas.md for the dtype mapping and the round-trip guarantees.
"""

from .casting import (
    as_datetimes,
    cast_columns,
    column_kind,
    convert_kind,
    optimal_dtype,
    to_timezone,
)
from .convert import (
    ColumnBuilder,
    DtypeBackend,
    dataframe_to_records,
    infer_dtype,
    python_value,
    records_to_dataframe,
    require_pandas,
)
from .database_io import (
    async_insert_dataframe,
    async_iter_dataframes,
    async_query_to_dataframe,
    async_update_dataframe,
    async_upsert_dataframe,
    frame_chunks,
    frame_records,
    insert_dataframe,
    iter_dataframes,
    query_to_dataframe,
    update_dataframe,
    upsert_dataframe,
)

__all__ = [
    "ColumnBuilder",
    "DtypeBackend",
    "as_datetimes",
    "async_insert_dataframe",
    "async_iter_dataframes",
    "async_query_to_dataframe",
    "async_update_dataframe",
    "async_upsert_dataframe",
    "cast_columns",
    "column_kind",
    "convert_kind",
    "dataframe_to_records",
    "frame_chunks",
    "frame_records",
    "infer_dtype",
    "insert_dataframe",
    "iter_dataframes",
    "optimal_dtype",
    "python_value",
    "query_to_dataframe",
    "records_to_dataframe",
    "require_pandas",
    "to_timezone",
    "update_dataframe",
    "upsert_dataframe",
]
