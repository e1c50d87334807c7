"""pandas integration: records and query results as DataFrames, DataFrames into stores.

Needs the ``pandas`` extra (``pip install dataknobs-data[pandas]``); pandas is imported on
first use. See docs/pandas.md for the dtype mapping and the round-trip guarantees.
"""

from .convert import (
    ColumnBuilder,
    dataframe_to_records,
    infer_dtype,
    records_to_dataframe,
)
from .database_io import (
    async_insert_dataframe,
    async_iter_dataframes,
    async_query_to_dataframe,
    async_update_dataframe,
    async_upsert_dataframe,
    frame_records,
    insert_dataframe,
    iter_dataframes,
    query_to_dataframe,
    update_dataframe,
    upsert_dataframe,
)

__all__ = [
    "ColumnBuilder", "async_insert_dataframe", "async_iter_dataframes",
    "async_query_to_dataframe", "async_update_dataframe", "async_upsert_dataframe",
    "dataframe_to_records", "frame_records", "infer_dtype", "insert_dataframe",
    "iter_dataframes", "query_to_dataframe", "records_to_dataframe", "update_dataframe",
    "upsert_dataframe",
]
