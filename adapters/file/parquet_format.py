"""The Parquet snapshot format (pyarrow, imported lazily).

Layout: a ``$id`` column, a ``$metadata`` string column (typed JSON, null when the metadata is
empty), then one column per top-level field, in first-appearance order. ``$id`` is a string
column of the ids; when some id holds a lone surrogate (which a Parquet string cannot hold)
it holds each id's JSON string literal instead, and the schema metadata says so
(``"ids": "json"``). A field
whose present values all have one plain type -- all ``int``, all ``float``, all ``bool``, all
``str``, all UTC datetimes or all naive datetimes (and never null) -- gets a native column
(int64, float64, bool, string, timestamp[us, +00:00], timestamp[us]) where a Parquet null
means "missing"; a field whose present values are all non-empty lists of ``float`` of one
length (a vector, docs/vectors.md) gets a fixed-size list column of float64 (kind
``vector:<dimensions>``). Every other field (mixed types, nulls, datetimes, lists, objects) gets a
string column of typed JSON cells (``envelope.dump_value``): a Parquet null means missing and
the text ``null`` means a stored null. The schema metadata key ``dataknobs_data`` lists each
column's field name and kind, so the field names are read from there; column names are
``column_name(field)``, distinct from each other and from ``$id`` and ``$metadata`` whatever
the fields are called.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ...domain.errors import BackendNotAvailableError, StorageError
from ...domain.records import Record
from ...domain.values import lone_surrogate
from ...domain.envelope import CellCache, dump_value, load_value, make_record

SCHEMA_KEY = b"dataknobs_data"
ID_COLUMN = "$id"
METADATA_COLUMN = "$metadata"
_NATIVE = {int: "int", float: "float", bool: "bool", str: "str"}
_ABSENT = object()


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as err:
        raise BackendNotAvailableError(
            "the Parquet format needs pyarrow: pip install 'dataknobs-data[parquet]'") from err
    return pa, pq


def require_pyarrow() -> None:
    """Raise ``BackendNotAvailableError`` with the install hint unless pyarrow imports."""
    _pyarrow()


def column_name(key: str) -> str:
    """The column of field ``key``: the key itself, ``$`` + the key when it starts with
    ``$``, or ``$`` + its JSON string literal when it holds a lone surrogate (a Parquet
    name is UTF-8). The three kinds cannot meet -- plain names never start with ``$``,
    escaped ones start with ``$$`` or ``$"`` -- and none is ``$id`` or ``$metadata``, so
    every field gets its own column."""
    if lone_surrogate(key) is not None:
        return "$" + json.dumps(key, ensure_ascii=True)
    if key[:1] == "$":
        return "$" + key
    return key


def field_name(column: str) -> str:
    """The inverse of ``column_name``."""
    if column[:2] == '$"':
        return str(json.loads(column[1:]))
    if column[:1] == "$":
        return column[1:]
    return column


def _vector_kind(value: list[Any]) -> str:
    """``vector:<n>`` for a non-empty list of floats (only floats read back exactly from a
    float64 list), else ``json``."""
    if value and all(type(x) is float for x in value):
        return f"vector:{len(value)}"
    return "json"


def _field_kind(values: list[Any]) -> str:
    kind: str | None = None
    for value in values:
        if value is _ABSENT:
            continue
        k = _NATIVE.get(type(value))
        if k is None:
            if type(value) is list:
                k = _vector_kind(value)
                if k == "json" or (kind is not None and k != kind):
                    return "json"
                kind = k
                continue
            if type(value) is not datetime:
                return "json"
            tz = value.tzinfo
            # only UTC and naive datetimes read back exactly from a timestamp column
            k = "utc" if tz is UTC else "naive" if tz is None else "json"
        if k == "json" or (kind is not None and k != kind):
            return "json"
        kind = k
    return kind or "json"


class ParquetFormat:
    """Typed Parquet snapshot (see the module docstring)."""

    name = "parquet"

    def dump(self, records: Sequence[Record], compression: str | None) -> bytes:
        """See ``SnapshotFormat.dump``; ``compression='gzip'`` uses Parquet's own gzip codec
        (otherwise zstd)."""
        pa, pq = _pyarrow()
        keys: dict[str, None] = {}
        for rec in records:
            for key in rec.data:
                if key not in keys:
                    keys[key] = None
        ids: list[str] = [rec.id or "" for rec in records]
        id_kind = "str"
        try:
            id_array = pa.array(ids, type=pa.string())
        except UnicodeEncodeError:  # an id holding a lone surrogate
            id_kind = "json"
            id_array = pa.array([dump_value(rid) for rid in ids], type=pa.string())
        arrays = [
            id_array,
            pa.array([dump_value(rec.metadata) if rec.metadata else None for rec in records],
                     type=pa.string()),
        ]
        names = [ID_COLUMN, METADATA_COLUMN]
        kinds: list[list[str]] = []
        for key in keys:
            values = [rec.data.get(key, _ABSENT) for rec in records]
            kind = _field_kind(values)
            array = None
            if kind != "json":
                plain = [None if v is _ABSENT else v for v in values]
                arrow_type = (pa.list_(pa.float64(), int(kind[7:]))
                              if kind.startswith("vector:") else
                              {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
                               "str": pa.string(), "utc": pa.timestamp("us", tz="+00:00"),
                               "naive": pa.timestamp("us")}[kind])
                try:
                    array = pa.array(plain, type=arrow_type)
                except (pa.ArrowException, UnicodeEncodeError, OverflowError, ValueError):
                    kind = "json"  # e.g. a string with a lone surrogate: keep it as JSON
            if array is None:
                array = pa.array([None if v is _ABSENT else dump_value(v) for v in values],
                                 type=pa.string())
            arrays.append(array)
            names.append(column_name(key))
            kinds.append([key, kind])
        layout: dict[str, Any] = {"version": 1, "fields": kinds}
        if id_kind != "str":
            layout["ids"] = id_kind
        schema_meta = json.dumps(layout, ensure_ascii=True)
        fields = [pa.field(n, a.type) for n, a in zip(names, arrays, strict=True)]
        table = pa.Table.from_arrays(
            arrays, schema=pa.schema(fields, metadata={SCHEMA_KEY: schema_meta.encode()}))
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="gzip" if compression == "gzip" else "zstd")
        return sink.getvalue()

    def load(self, payload: bytes, compression: str | None, source: str) -> list[Record]:
        """See ``SnapshotFormat.load`` (Parquet detects its own compression)."""
        if not payload:
            return []
        pa, pq = _pyarrow()
        try:
            table = pq.read_table(pa.BufferReader(payload))
        except (pa.ArrowException, OSError, ValueError) as err:
            raise StorageError(f"{source}: not a readable Parquet file: {err}") from err
        meta = (table.schema.metadata or {}).get(SCHEMA_KEY)
        try:
            layout = json.loads(meta) if meta else None
            fields = [(str(k), str(kind)) for k, kind in layout["fields"]] if layout else None
            id_kind = layout.get("ids", "str") if layout else "str"
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise StorageError(f"{source}: damaged dataknobs-data schema metadata") from err
        if fields is None or table.num_columns != len(fields) + 2 or \
                table.schema.names[:2] != [ID_COLUMN, METADATA_COLUMN] or \
                id_kind not in ("str", "json"):
            raise StorageError(f"{source}: not a dataknobs-data Parquet store (no "
                               "'dataknobs_data' schema metadata or wrong columns)")
        n = table.num_rows
        ids = table.column(0).to_pylist()
        if id_kind == "json":
            try:
                ids = [load_value(cell) if cell is not None else None for cell in ids]
            except ValueError as err:
                raise StorageError(f"{source}: a record id is damaged: {err}") from err
        meta_cells = table.column(1).to_pylist()
        try:
            rows: list[dict[str, Any]] = [{} for _ in range(n)]
            for index, (key, kind) in enumerate(fields, start=2):
                column = table.column(index)
                values = column.to_pylist()
                if kind == "json":
                    load = CellCache().load
                    for row, cell in zip(rows, values, strict=True):
                        if cell is not None:
                            row[key] = load(cell)
                elif column.null_count == 0:
                    for row, value in zip(rows, values, strict=True):
                        row[key] = value
                else:
                    for row, value in zip(rows, values, strict=True):
                        if value is not None:
                            row[key] = value
            metas = [load_value(cell) if cell is not None else {} for cell in meta_cells]
        except ValueError as err:
            raise StorageError(f"{source}: a typed JSON cell is damaged: {err}") from err
        for rid, metadata in zip(ids, metas, strict=True):
            if type(rid) is not str or not rid or type(metadata) is not dict:
                raise StorageError(f"{source}: a record has no id or bad metadata")
        return [make_record(rid, data, metadata)
                for rid, data, metadata in zip(ids, rows, metas, strict=True)]


__all__ = ["ParquetFormat", "column_name", "field_name", "require_pyarrow"]
