"""DataFrames in and out of a store: dtypes survive, chunks stay small, updates by column.

Run: python examples/pandas_roundtrip.py  (writes a Parquet store in a temporary directory)
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from dataknobs_data import Operator, Query
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.dataframes import (
    insert_dataframe,
    iter_dataframes,
    query_to_dataframe,
    update_dataframe,
)


def main() -> None:
    n = 10_000
    start = datetime(2024, 1, 1, tzinfo=UTC)
    df = pd.DataFrame({
        "name": pd.array([f"sensor {i}" for i in range(n)], dtype="string"),
        "reading": pd.array([None if i % 10 == 0 else i % 97 for i in range(n)], dtype="Int64"),
        "ok": pd.array([i % 13 != 0 for i in range(n)], dtype="boolean"),
        "at": pd.array([start + timedelta(minutes=i) for i in range(n)],
                       dtype="datetime64[us, UTC]"),
        "labels": [{"site": f"s{i % 4}"} for i in range(n)],
    }, index=pd.Index([f"m{i:05d}" for i in range(n)], name="id"))

    store = FileDatabase(path=Path(tempfile.mkdtemp(prefix="dk-pandas-")) / "readings.parquet")
    result = insert_dataframe(store, df, batch_size=2_000)
    print(f"inserted {result.successful} rows in {result.duration:.2f}s")
    store.close()

    back = query_to_dataframe(store, columns=df.columns)
    pd.testing.assert_frame_equal(back, df)
    print("read back with the same dtypes:", dict(back.dtypes.astype(str)))

    faulty = query_to_dataframe(store, Query().filter("ok", Operator.EQ, False))
    print(f"{len(faulty)} faulty readings, e.g.\n{faulty.head(3)}")

    fixed = pd.DataFrame({"ok": pd.array([True] * len(faulty), dtype="boolean")},
                         index=faulty.index)
    print(f"updated {sum(update_dataframe(store, fixed))} records (other fields kept)")

    sizes = [len(chunk) for chunk in iter_dataframes(store, chunk_size=3_000)]
    print(f"chunks of {sizes}; total {sum(sizes)}")
    store.close()


if __name__ == "__main__":
    main()
