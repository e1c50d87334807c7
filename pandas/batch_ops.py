"""dataknobs-data 0.11's ``BatchOperations``, ``BatchConfig`` and ``ChunkedProcessor``:
DataFrames written to and read from a database through its public methods
(``create_batch``, ``create``, ``update_batch``, ``update``, ``search``), converted by
``DataFrameConverter``. An async database's calls each run to completion with
``asyncio.run``, as in 0.11, so these methods are for code outside an event loop."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..dataframes import frame_chunks, require_pandas
from ..domain.errors import BatchOperationError, ConfigurationError, DataError
from ..domain.query import Query
from ..domain.records import Record
from ..ports.async_database import AsyncDatabase
from .converter import INDEX_NAME, ConversionOptions, DataFrameConverter

pd = require_pandas()

logger = logging.getLogger(__name__)

ERROR_POLICIES = ("raise", "skip", "log")
Stats = dict[str, Any]


@dataclass
class BatchConfig:
    """How ``BatchOperations`` batches its writes.

    ``error_handling``: ``"raise"`` stops at the first record that fails, ``"skip"`` counts
    it in ``failed``, ``"log"`` also logs it and keeps its message in ``errors``.
    ``progress_callback(done, total)`` is called after each batch (and after each record
    when a batch falls back to one write per record). ``parallel`` and ``max_workers`` are
    accepted as in 0.11; the writes run one batch after another."""

    chunk_size: int = 1000
    parallel: bool = False
    max_workers: int = 4
    progress_callback: Callable[[int, int], None] | None = None
    error_handling: str = "raise"
    memory_efficient: bool = True

    def __post_init__(self) -> None:
        if (not isinstance(self.chunk_size, int) or isinstance(self.chunk_size, bool)
                or self.chunk_size <= 0):
            raise ConfigurationError(
                f"chunk_size must be greater than 0, got {self.chunk_size!r}")
        if self.error_handling not in ERROR_POLICIES:
            raise ConfigurationError(
                f"error_handling must be one of {ERROR_POLICIES}, got {self.error_handling!r}")


class ChunkedProcessor:
    """Runs a function over a DataFrame (or a CSV file) ``chunk_size`` rows at a time."""

    def __init__(self, chunk_size: int = 1000) -> None:
        if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
            raise ConfigurationError(f"chunk_size must be greater than 0, got {chunk_size!r}")
        self.chunk_size = chunk_size

    def iter_chunks(self, df: Any) -> Iterator[Any]:
        """The row slices of ``df``, in order."""
        yield from frame_chunks(df, self.chunk_size)

    def process_dataframe(self, df: Any, processor: Callable[[Any], Any],
                          combine: Callable[[list[Any]], Any] | None = None) -> Any:
        """``processor`` of each chunk: the list of results, or ``combine`` of it."""
        results = [processor(chunk) for chunk in self.iter_chunks(df)]
        return combine(results) if combine else results

    def read_csv_chunked(self, filepath: str, processor: Callable[[Any], Any],
                         **read_kwargs: Any) -> list[Any]:
        """``processor`` of each chunk of a CSV file read ``chunk_size`` rows at a time."""
        with pd.read_csv(filepath, chunksize=self.chunk_size, **read_kwargs) as reader:
            return [processor(chunk) for chunk in reader]


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


class BatchOperations:
    """DataFrame reads, writes and aggregations on one database (sync or async)."""

    def __init__(self, database: Any, converter: DataFrameConverter | None = None) -> None:
        self.database = database
        self.converter = converter or DataFrameConverter()
        self.is_async = isinstance(database, AsyncDatabase) or inspect.iscoroutinefunction(
            getattr(database, "create", None))

    def _call(self, method: str, *args: Any) -> Any:
        result = getattr(self.database, method)(*args)
        return asyncio.run(_awaited(result)) if inspect.isawaitable(result) else result

    # -- writing ---------------------------------------------------------------------------
    def bulk_insert_dataframe(self, df: Any, config: BatchConfig | None = None,
                              conversion_options: ConversionOptions | None = None) -> Stats:
        """Create one record per row, ``chunk_size`` rows per ``create_batch``.

        A batch that fails is written record by record, so each failure is counted (and
        handled as ``error_handling`` says); records a failed batch did write (listed by
        ``BatchOperationError``) are not written again. Returns ``total_rows``,
        ``inserted``, ``failed`` and ``errors``."""
        config = config or BatchConfig()
        options = conversion_options or ConversionOptions()
        stats: Stats = {"total_rows": len(df), "inserted": 0, "failed": 0, "errors": []}
        size = config.chunk_size if config.memory_efficient else max(len(df), 1)
        for chunk in frame_chunks(df, size):
            part = self._insert_chunk(chunk, config, options)
            for key in ("inserted", "failed"):
                stats[key] += part[key]
            stats["errors"].extend(part["errors"])
        return stats

    def _insert_chunk(self, df: Any, config: BatchConfig,
                      options: ConversionOptions) -> Stats:
        stats: Stats = {"total_rows": len(df), "inserted": 0, "failed": 0, "errors": []}
        records = self.converter.dataframe_to_records(df, options)
        written: set[int] = set()
        try:
            ids = self._call("create_batch", records)
            stats["inserted"] = len(ids)
            if config.progress_callback:
                config.progress_callback(len(records), len(records))
            return stats
        except BatchOperationError as err:
            written = set(err.succeeded)
        except Exception:  # any batch failure: 0.11 then writes the records one by one
            written = set()
        for i, record in enumerate(records):
            if i in written:
                stats["inserted"] += 1
            else:
                self._write_one(stats, "inserted", config, f"insert row {i}", "create", record)
            if config.progress_callback:
                config.progress_callback(i + 1, len(records))
        return stats

    def _write_one(self, stats: Stats, counter: str, config: BatchConfig, what: str,
                   method: str, *args: Any) -> None:
        """One write of a batch that failed as a whole, counted as ``error_handling`` says."""
        try:
            result = self._call(method, *args)
        except Exception as err:
            stats["failed"] += 1
            if config.error_handling == "raise":
                raise
            if config.error_handling == "log":
                logger.error("Failed to %s: %s", what, err)
                stats["errors"].append(str(err))
            return
        stats[counter if result is not False else "not_found"] += 1

    def update_from_dataframe(self, df: Any, id_column: str | None,
                              config: BatchConfig | None = None,
                              conversion_options: ConversionOptions | None = None) -> Stats:
        """Replace the record of each row with the row (``update_batch``, ``chunk_size``
        rows at a time); ids from ``id_column`` (kept in the data, as 0.11 does) or, when
        None, from the index. Returns ``total_rows``, ``updated``, ``not_found``,
        ``failed`` and ``errors``; a row without an id raises ``DataError``."""
        config = config or BatchConfig()
        options = conversion_options or ConversionOptions()
        stats: Stats = {"total_rows": len(df), "updated": 0, "failed": 0, "not_found": 0,
                        "errors": []}
        if id_column is not None and id_column not in df.columns:
            raise DataError(f"ID column {id_column!r} not found in the DataFrame "
                            f"(columns: {[str(c) for c in df.columns]})")
        records = self.converter.dataframe_to_records(df, options)
        ids = self._row_ids(df, id_column)
        updates = list(zip(ids, records, strict=True))
        for start in range(0, len(updates), config.chunk_size):
            chunk = updates[start:start + config.chunk_size]
            try:
                for found in self._call("update_batch", chunk):
                    stats["updated" if found else "not_found"] += 1
            except Exception:
                if config.error_handling == "raise":
                    raise
                for rid, record in chunk:
                    self._write_one(stats, "updated", config, f"update record {rid}", "update",
                                    rid, record)
            if config.progress_callback:
                done = stats["updated"] + stats["failed"] + stats["not_found"]
                config.progress_callback(done, len(updates))
        return stats

    def _row_ids(self, df: Any, id_column: str | None) -> list[str]:
        source = df.index.to_series() if id_column is None else df[id_column]
        frame = source.to_frame("id").reset_index(drop=True)
        ids = [rec.data["id"] for rec in self.converter.dataframe_to_records(frame)]
        missing = [i for i, rid in enumerate(ids) if rid is None]
        if missing:
            raise DataError(f"rows {missing[:10]} have no record id "
                            f"({'the index' if id_column is None else repr(id_column)})")
        return [str(rid) for rid in ids]

    # -- reading ---------------------------------------------------------------------------
    def query_as_dataframe(self, query: Query,
                           conversion_options: ConversionOptions | None = None
                           ) -> Any:
        """The records of ``search(query)`` as a DataFrame."""
        records: Sequence[Record] = self._call("search", query)
        return self.converter.records_to_dataframe(records, conversion_options)

    def aggregate(self, query: Query, aggregations: dict[str, str | Callable[..., Any]],
                  group_by: list[str] | None = None) -> Any:
        """The query's results aggregated: grouped by ``group_by`` (``DataFrame.agg``), or
        one row with a ``<column>_<function>`` (``<column>_agg`` for a callable) per
        aggregation."""
        df = self.query_as_dataframe(query)
        if df.empty:
            return pd.DataFrame()
        if group_by:
            return df.groupby(group_by).agg(aggregations)
        row = {f"{col}_{agg if isinstance(agg, str) else 'agg'}":
               df[col].agg(agg) if isinstance(agg, str) else agg(df[col])
               for col, agg in aggregations.items() if col in df.columns}
        return pd.DataFrame([row])

    def transform_and_save(self, query: Query,
                           transformer: Callable[[Any], Any],
                           config: BatchConfig | None = None) -> Stats:
        """Query, transform with pandas and write back: rows indexed by record id update
        their records, other frames are inserted as new records."""
        config = config or BatchConfig()
        df = self.query_as_dataframe(query)
        if df.empty:
            return {"total_rows": 0, "transformed": 0}
        out = transformer(df)
        if df.index.name == INDEX_NAME and out.index.name == INDEX_NAME:
            return self.update_from_dataframe(out, id_column=None, config=config)
        return self.bulk_insert_dataframe(out, config)

    def export_to_csv(self, query: Query, filepath: str,
                      conversion_options: ConversionOptions | None = None,
                      **to_csv_kwargs: Any) -> None:
        """Write the query's results to a CSV file (``DataFrame.to_csv`` arguments)."""
        self.query_as_dataframe(query, conversion_options).to_csv(filepath, **to_csv_kwargs)

    def export_to_parquet(self, query: Query, filepath: str,
                          conversion_options: ConversionOptions | None = None,
                          **to_parquet_kwargs: Any) -> None:
        """Write the query's results to a Parquet file (``DataFrame.to_parquet``
        arguments)."""
        df = self.query_as_dataframe(query, conversion_options)
        df.to_parquet(filepath, **to_parquet_kwargs)


__all__ = ["BatchConfig", "BatchOperations", "ChunkedProcessor"]
