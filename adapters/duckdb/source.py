"""Source mode: Parquet, CSV or JSON files read once, read-only, into records.

Each row is a record whose data is the row's columns (a NULL stays a null). The id is the
``id_field`` column's value as text (default ``id`` when the files have that column), else
the row's number, zero-padded so ids order as rows do. DuckDB reads the files with its
built-in readers (``read_parquet``, ``read_csv_auto``, ``read_json_auto``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from collections.abc import Iterator
from typing import Any

from ...domain.errors import ConfigurationError, SerializationError
from ...domain.records import Record

_READERS = {".parquet": "read_parquet", ".csv": "read_csv_auto", ".tsv": "read_csv_auto",
            ".json": "read_json_auto", ".jsonl": "read_json_auto", ".ndjson": "read_json_auto"}


def _reader(source: str) -> str:
    for suffix, reader in _READERS.items():
        if source.lower().endswith(suffix):
            return reader
    raise ConfigurationError(f"duckdb: source {source!r} must end in one of "
                             f"{', '.join(_READERS)}")


def _value(value: Any, column: str) -> Any:
    """A DuckDB value as a storable one: DATE as a naive datetime at midnight, DECIMAL as
    int or float, UUID, TIME and INTERVAL as text, NaN and infinities as null."""
    if value is None or type(value) in (str, bool, int, dt.datetime):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID | dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _value(v, column) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_value(v, column) for v in value]
    raise SerializationError(f"duckdb source column {column!r}: a {type(value).__name__} "
                             "value is not storable")


class SourceRows:
    """The records of a source, in file order, by id."""

    def __init__(self, records: dict[str, Record]) -> None:
        self.records = records

    @classmethod
    def load(cls, conn: Any, source: str, id_field: str | None) -> SourceRows:
        literal = "'" + source.replace("'", "''") + "'"
        cur = conn.execute(f"SELECT * FROM {_reader(source)}({literal})")
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
        key = id_field if id_field is not None else ("id" if "id" in columns else None)
        if key is not None and key not in columns:
            raise ConfigurationError(f"duckdb: source {source!r} has no id_field column "
                                     f"{key!r} (columns: {columns})")
        width = len(str(max(len(rows) - 1, 0)))
        records: dict[str, Record] = {}
        for n, row in enumerate(rows):
            data = {c: _value(v, c) for c, v in zip(columns, row, strict=True)}
            rid = f"{n:0{width}d}" if key is None else str(data[key])
            if rid in records:
                raise ConfigurationError(f"duckdb: source {source!r}: id {rid!r} appears "
                                         f"twice in column {key!r}")
            records[rid] = Record.trusted(data, {}, id=rid)
        return cls(records)

    def read(self, record_id: str) -> Record | None:
        rec = self.records.get(record_id)
        return None if rec is None else Record.trusted(
            {**rec.data}, {}, id=record_id)

    def pairs(self) -> Iterator[tuple[str, Record]]:
        for rid, rec in self.records.items():
            yield rid, Record.trusted({**rec.data}, {}, id=rid)
