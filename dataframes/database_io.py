"""DataFrames in and out of a database: query results (whole or chunked) and batch writes.

Reading streams the query (``stream_read``) into columns, so a large result never exists as
a list of records or dicts; ``iter_dataframes`` yields chunks, each with the dtypes the first
chunk established. Writing converts the frame a chunk at a time: ``insert_dataframe``
creates records through ``stream_write`` (with its error policy and report),
``upsert_dataframe`` creates or replaces, ``update_dataframe`` changes the given columns of
existing records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..domain.errors import ConfigurationError, DataError
from ..domain.query import Query
from ..domain.records import Record
from ..ports.async_database import AsyncDatabase
from ..ports.database import SyncDatabase
from ..ports.streaming import ErrorPolicy, StreamConfig, StreamResult
from .convert import (
    ColumnBuilder,
    NaPolicy,
    builder_to_dataframe,
    dataframe_to_records,
    infer_dtype,
)


# -- reading ----------------------------------------------------------------------------------
def _columns(query: Query | None, columns: Iterable[str] | None) -> list[str] | None:
    if columns is not None:
        return list(columns)
    return list(query.fields) if query is not None and query.fields else None


def query_to_dataframe(db: SyncDatabase, query: Query | None = None, *,
                       dtypes: Mapping[str, Any] | None = None, index: str | None = "id",
                       columns: Iterable[str] | None = None, batch_size: int = 10_000) -> Any:
    """The records of ``db.search(query)`` as one DataFrame (streamed, in query order).

    Columns come in the order of the query's projection, else of ``columns``, else as the
    fields first appear (which some stores, such as PostgreSQL's jsonb, keep sorted)."""
    builder = ColumnBuilder()
    builder.extend(db.stream_read(query, StreamConfig(batch_size=batch_size)))
    return builder_to_dataframe(builder, dtypes=dtypes, index=index,
                                columns=_columns(query, columns))


class _Chunks:
    """Records in, DataFrames of at most ``size`` records out (``iter_dataframes``, sync and
    async): every chunk has the same columns (those of ``columns`` or the query's projection
    when given; otherwise each chunk's own fields) and keeps the dtypes of the first chunk
    that saw a column with values, even when a later one holds only nulls in it."""

    def __init__(self, query: Query | None, size: int, dtypes: Mapping[str, Any] | None,
                 index: str | None, columns: Iterable[str] | None) -> None:
        if size < 1:
            raise DataError(f"chunk_size must be positive, got {size!r}")
        self.size = size
        self.config = StreamConfig(batch_size=size)
        self._order = _columns(query, columns)
        self._index = index
        self._known: dict[str, Any] = dict(dtypes or {})
        self._builder = ColumnBuilder()

    def add(self, record: Record) -> Any:
        """The finished chunk when ``record`` completes one, else None."""
        self._builder.add(record)
        return self.flush() if len(self._builder) >= self.size else None

    def flush(self) -> Any:
        """The chunk built so far (None when empty)."""
        builder, self._builder = self._builder, ColumnBuilder()
        if not len(builder):
            return None
        for name, values in builder.finish().items():
            if name not in self._known:
                dtype = infer_dtype(values)
                if str(dtype) != "object" or any(v is not None for v in values):
                    self._known[name] = dtype
        return builder_to_dataframe(builder, dtypes=self._known, index=self._index,
                                    columns=self._order)


def iter_dataframes(db: SyncDatabase, query: Query | None = None, *, chunk_size: int = 10_000,
                    dtypes: Mapping[str, Any] | None = None, index: str | None = "id",
                    columns: Iterable[str] | None = None) -> Iterator[Any]:
    """DataFrames of at most ``chunk_size`` records each, in query order; memory holds one
    chunk at a time. Every chunk has the same columns (those of ``columns`` or the query's
    projection when given; otherwise each chunk's own fields)."""
    chunks = _Chunks(query, chunk_size, dtypes, index, columns)
    for rec in db.stream_read(query, chunks.config):
        if (frame := chunks.add(rec)) is not None:
            yield frame
    if (frame := chunks.flush()) is not None:
        yield frame


async def async_query_to_dataframe(db: AsyncDatabase, query: Query | None = None, *,
                                   dtypes: Mapping[str, Any] | None = None,
                                   index: str | None = "id",
                                   columns: Iterable[str] | None = None,
                                   batch_size: int = 10_000) -> Any:
    """``query_to_dataframe`` on an ``AsyncDatabase``."""
    builder = ColumnBuilder()
    async for rec in db.stream_read(query, StreamConfig(batch_size=batch_size)):
        builder.add(rec)
    return builder_to_dataframe(builder, dtypes=dtypes, index=index,
                                columns=_columns(query, columns))


async def async_iter_dataframes(db: AsyncDatabase, query: Query | None = None, *,
                                chunk_size: int = 10_000,
                                dtypes: Mapping[str, Any] | None = None,
                                index: str | None = "id",
                                columns: Iterable[str] | None = None) -> AsyncIterator[Any]:
    """``iter_dataframes`` on an ``AsyncDatabase``."""
    chunks = _Chunks(query, chunk_size, dtypes, index, columns)
    async for rec in db.stream_read(query, chunks.config):
        if (frame := chunks.add(rec)) is not None:
            yield frame
    if (frame := chunks.flush()) is not None:
        yield frame


# -- writing ----------------------------------------------------------------------------------
def frame_chunks(df: Any, rows: int) -> Iterator[Any]:
    """Consecutive row slices of ``df`` of at most ``rows`` rows (views, not copies)."""
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
        raise ConfigurationError(f"rows must be a positive integer, got {rows!r}")
    for start in range(0, len(df), rows):
        yield df.iloc[start:start + rows]


def frame_records(df: Any, *, id_column: str | None = None, na: NaPolicy = "null",
                  chunk_rows: int = 10_000) -> Iterator[Record]:
    """The frame's records, converted ``chunk_rows`` rows at a time."""
    for part in frame_chunks(df, chunk_rows):
        yield from dataframe_to_records(part, id_column=id_column, na=na)


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for rec in records:
        batch.append(rec)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _need_ids(batch: list[Record], what: str) -> list[str]:
    ids = [rec.id for rec in batch]
    if any(rid is None for rid in ids):
        raise DataError(f"{what} needs record ids: an index named 'id' or id_column=...")
    return [rid for rid in ids if rid is not None]


def insert_dataframe(db: SyncDatabase, df: Any, *, id_column: str | None = None,
                     na: NaPolicy = "null", batch_size: int = 1000,
                     on_error: ErrorPolicy = "stop", max_retries: int = 3) -> StreamResult:
    """Create one record per row (``stream_write``: failures reported per row index)."""
    cfg = StreamConfig(batch_size=batch_size, on_error=on_error, max_retries=max_retries)
    return db.stream_write(frame_records(df, id_column=id_column, na=na), cfg)


def upsert_dataframe(db: SyncDatabase, df: Any, *, id_column: str | None = None,
                     na: NaPolicy = "null", batch_size: int = 1000) -> list[str]:
    """Create or replace one record per row (ids required); returns the ids in row order."""
    out: list[str] = []
    for batch in _batches(frame_records(df, id_column=id_column, na=na), batch_size):
        _need_ids(batch, "upsert_dataframe")
        out.extend(db.upsert_batch(batch))
    return out


def _merged(batch: list[Record], stored: Sequence[Record | None], replace: bool
            ) -> tuple[list[tuple[str, Record]], list[int]]:
    updates: list[tuple[str, Record]] = []
    where: list[int] = []
    for i, (rec, old) in enumerate(zip(batch, stored, strict=True)):
        if old is None:
            continue
        assert rec.id is not None
        if not replace:
            data = dict(old.data)
            data.update(rec.data)
            rec = Record(data, old.metadata, rec.id)
        updates.append((rec.id or "", rec))
        where.append(i)
    return updates, where


def update_dataframe(db: SyncDatabase, df: Any, *, id_column: str | None = None,
                     na: NaPolicy = "drop", replace: bool = False, batch_size: int = 1000
                     ) -> list[bool]:
    """Update the record of each row (ids required); per row, whether it existed.

    By default only the frame's columns change (other fields and the metadata are kept) and
    NA cells leave the field as stored (``na="drop"``); ``replace=True`` replaces the whole
    record with the row."""
    out: list[bool] = []
    for batch in _batches(frame_records(df, id_column=id_column, na=na), batch_size):
        ids = _need_ids(batch, "update_dataframe")
        stored = db.read_batch(ids) if not replace else [Record() for _ in ids]
        updates, where = _merged(batch, stored, replace)
        flags = [False] * len(batch)
        if updates:
            for i, ok in zip(where, db.update_batch(updates), strict=True):
                flags[i] = ok
        out.extend(flags)
    return out


async def async_insert_dataframe(db: AsyncDatabase, df: Any, *, id_column: str | None = None,
                                 na: NaPolicy = "null", batch_size: int = 1000,
                                 on_error: ErrorPolicy = "stop", max_retries: int = 3
                                 ) -> StreamResult:
    """``insert_dataframe`` on an ``AsyncDatabase``."""
    cfg = StreamConfig(batch_size=batch_size, on_error=on_error, max_retries=max_retries)
    return await db.stream_write(frame_records(df, id_column=id_column, na=na), cfg)


async def async_upsert_dataframe(db: AsyncDatabase, df: Any, *, id_column: str | None = None,
                                 na: NaPolicy = "null", batch_size: int = 1000) -> list[str]:
    """``upsert_dataframe`` on an ``AsyncDatabase``."""
    out: list[str] = []
    for batch in _batches(frame_records(df, id_column=id_column, na=na), batch_size):
        _need_ids(batch, "upsert_dataframe")
        out.extend(await db.upsert_batch(batch))
    return out


async def async_update_dataframe(db: AsyncDatabase, df: Any, *, id_column: str | None = None,
                                 na: NaPolicy = "drop", replace: bool = False,
                                 batch_size: int = 1000) -> list[bool]:
    """``update_dataframe`` on an ``AsyncDatabase``."""
    out: list[bool] = []
    for batch in _batches(frame_records(df, id_column=id_column, na=na), batch_size):
        ids = _need_ids(batch, "update_dataframe")
        stored = await db.read_batch(ids) if not replace else [Record() for _ in ids]
        updates, where = _merged(batch, stored, replace)
        flags = [False] * len(batch)
        if updates:
            for i, ok in zip(where, await db.update_batch(updates), strict=True):
                flags[i] = ok
        out.extend(flags)
    return out


__all__ = ["async_insert_dataframe", "async_iter_dataframes", "async_query_to_dataframe",
           "async_update_dataframe", "async_upsert_dataframe", "frame_chunks", "frame_records",
           "insert_dataframe", "iter_dataframes", "query_to_dataframe", "update_dataframe",
           "upsert_dataframe"]
