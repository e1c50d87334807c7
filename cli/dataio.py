"""Reading and writing the command line's data files: CSV, JSON, JSON Lines and Parquet.

Import turns a file into ``Record`` objects, export writes records back, and for every format
``import`` then ``export`` then ``import`` gives the identical records (fields, types, time
zones, text that looks like a number). The values go through the file adapter's typed codecs:

- CSV: a dotted header (``team.name``) builds a nested object; each cell is typed by
  ``cells.read_cell`` (integers, decimals, ``true``/``false``, ``null``, ISO dates and
  datetimes, JSON; ``0123`` stays text) and written by ``cells.cell_text``, which falls back
  to typed JSON whenever the plain text would read back as something else. An empty cell
  leaves the field out. Objects are flattened into dotted columns when every key can be a
  column name (not empty, no dot), and written as one JSON cell otherwise.
- JSON: a list of objects (or ``{"records": [...]}``); JSON Lines: one object per line. Both
  are the library's typed JSON (``{"$datetime": ...}``, ``envelope.dump_value``).
- Parquet: export writes the file adapter's Parquet layout (``ParquetFormat``: ids in ``$id``,
  metadata in ``$metadata``, a native column per field of one type, typed JSON cells
  otherwise), which import reads back exactly; any other Parquet file is read row by row,
  nulls left out like empty CSV cells.

``id`` is written as a field unless the data has one (Parquet keeps ids in ``$id``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from ..adapters.file.durability import atomic_write
from ..adapters.file.formats import JSON_MARKER, csv_field_limit, get_format
from ..adapters.file.parquet_format import ParquetFormat
from ..domain import codec
from ..domain.columnar import concat_layout, plain_records
from ..domain.envelope import dump_value
from ..domain.errors import (
    BackendNotAvailableError,
    ConfigurationError,
    DataError,
    SerializationError,
    ValidationError,
    shown,
)
from ..domain.records import Record
from ..domain.values import lone_surrogate
from .cells import MISSING, OUTPUT_FORMATS, cell_text, check_output_format, read_cell

FORMATS = ("csv", "json", "jsonl", "parquet")
_SUFFIXES = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
             ".parquet": "parquet", ".pq": "parquet"}
#: the schema metadata key of the file adapter's Parquet layout
_PARQUET_LAYOUT_KEY = b"dataknobs_data"


def detect_format(path: str | Path, given: str | None = None) -> str:
    """The format named by ``given`` or by the file's extension; unknown raises naming it."""
    if given:
        fmt = "jsonl" if given.lower() == "ndjson" else given.lower()
        if fmt not in FORMATS:
            raise ConfigurationError(f"unknown format {given!r} (valid: {', '.join(FORMATS)})")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    raise ConfigurationError(
        f"cannot tell the format of {str(path)!r} from its extension; give --format "
        f"({', '.join(FORMATS)})"
    )


# -- reading -----------------------------------------------------------------------------
def _text(where: str | Path, raw: bytes, encoding: str = "utf-8") -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        raise DataError(f"{where}: not UTF-8 text (invalid byte at offset {err.start})"
                        ) from None


def _column_path(path: Path, name: str) -> list[str]:
    parts = name.split(".")
    if not all(parts):
        raise DataError(f"{path}: column {shown(name)}: an empty name before, between or "
                        "after the dots")
    return parts


def _nest(flat: list[tuple[list[str], Any]], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for parts, value in flat:
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if type(child) is not dict:
                raise DataError(f"{where}: column {shown('.'.join(parts))} nests under "
                                f"{shown(part)}, which is also a value in this row")
            node = child
        if parts[-1] in node:
            raise DataError(f"{where}: column {shown('.'.join(parts))} is also an object "
                            "in this row")
        node[parts[-1]] = value
    return out


def _read_csv(path: Path, infer: bool) -> list[Record]:
    text = _text(path, path.read_bytes(), "utf-8-sig")
    records: list[Record] = []
    with csv_field_limit(len(text) + 1):  # a cell may be as long as the file
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader, None)
            if header is None:
                return records
            if any(not h for h in header):
                raise DataError(f"{path}: the header has an empty column name")
            if len(set(header)) != len(header):
                dup = next(h for h in header if header.count(h) > 1)
                raise DataError(f"{path}: column {shown(dup)} appears twice in the header")
            columns = [_column_path(path, h) for h in header]
            for row in reader:
                if not row:
                    continue
                where = f"{path}:{reader.line_num}"
                if len(row) != len(header):
                    raise DataError(f"{where}: {len(row)} cells, the header has {len(header)}")
                flat: list[tuple[list[str], Any]] = []
                for parts, cell in zip(columns, row, strict=True):
                    if infer:
                        try:
                            value = read_cell(cell)
                        except DataError as err:
                            raise DataError(f"{where}: column {shown('.'.join(parts))}: "
                                            f"{err}") from None
                    else:
                        value = cell if cell != "" else MISSING
                    if value is not MISSING:
                        flat.append((parts, value))
                records.append(Record(_nest(flat, where)))
        except csv.Error as err:
            raise DataError(f"{path}:{reader.line_num}: not readable as CSV ({err})") from None
    return records


def _check_object(item: Any, where: str) -> dict[str, Any]:
    if type(item) is not dict:
        raise DataError(f"{where}: expected a JSON object, found {type(item).__name__}")
    return item


def _parse_json(text: str, where: str) -> Any:
    try:
        return codec.loads(text)
    except ValueError as err:
        raise DataError(f"{where}: not valid JSON ({err})") from None
    except RecursionError:
        raise DataError(f"{where}: JSON nested too deeply to read") from None


def _read_json(path: Path) -> Iterator[Record]:
    data = _parse_json(_text(path, path.read_bytes(), "utf-8-sig"), str(path))
    if type(data) is dict and JSON_MARKER in data:
        raise DataError(f"{path}: this is a file store's snapshot, not a data file; configure "
                        "it as a database (backend: file) and copy it with migrate")
    if type(data) is dict and type(data.get("records")) is list:
        data = data["records"]
    if type(data) is not list:
        raise DataError(f"{path}: expected a JSON list of objects (or {{\"records\": [...]}})")
    for i, item in enumerate(data):
        yield Record(_check_object(item, f"{path}: item {i}"))


def _read_jsonl(path: Path) -> Iterator[Record]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            where = f"{path}:{number}"
            line = _text(where, raw, "utf-8-sig" if number == 1 else "utf-8")
            if not line.strip():
                continue
            yield Record(_check_object(_parse_json(line, where), where))


def _arrow_value(value: Any) -> Any:
    t = type(value)
    if t is dict:
        return {k: _arrow_value(v) for k, v in value.items() if v is not None}
    if t is list:
        return [_arrow_value(v) for v in value]
    if t is date:
        return datetime.combine(value, time())
    if t is Decimal:
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise BackendNotAvailableError(
            "Parquet needs pyarrow, which is not installed: pip install 'dataknobs-data[parquet]'"
        ) from None
    return pyarrow


def _read_parquet(path: Path) -> Iterator[Record]:
    pa = _pyarrow()
    try:
        handle = pa.parquet.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise DataError(f"{path}: not a readable Parquet file ({err})") from None
    if _PARQUET_LAYOUT_KEY in (handle.schema_arrow.metadata or {}):
        # written by export (the file adapter's layout): ids, metadata and types exactly
        yield from get_format("parquet").load(path.read_bytes(), None, str(path))
        return
    # decoded a batch at a time by the columnar path's plain-table rules (one field per
    # column, a null left out); only columns whose values Arrow gives in a form the store
    # does not keep (dates, decimals, nested nulls) are walked again by ``_arrow_value``
    types = pa.types
    again = [name for name, typ in zip(handle.schema_arrow.names, handle.schema_arrow.types,
                                       strict=True)
             if not (types.is_integer(typ) or types.is_boolean(typ) or types.is_float64(typ)
                     or types.is_float32(typ) or types.is_string(typ)
                     or types.is_large_string(typ) or types.is_timestamp(typ))]
    try:
        for batch in handle.iter_batches(batch_size=10_000):
            try:
                records = plain_records(batch, na="drop")
            except ValidationError as err:
                raise DataError(f"{path}: {err}") from None
            for rec in records:
                data = rec.data
                for name in again:
                    if name in data:
                        data[name] = _arrow_value(data[name])
                yield rec
    except (pa.ArrowException, OSError) as err:
        raise DataError(f"{path}: not a readable Parquet file ({err})") from None


def count_rows(path: Path, fmt: str) -> int | None:
    """How many records the file holds, if cheap to know (for the progress bar's total)."""
    if fmt == "parquet":
        pa = _pyarrow()
        try:
            return int(pa.parquet.ParquetFile(path).metadata.num_rows)
        except (pa.ArrowException, OSError):
            return None
    if fmt in ("csv", "jsonl"):
        with path.open("rb") as fh:
            lines = sum(1 for line in fh if line.strip())
        return max(lines - 1, 0) if fmt == "csv" else lines
    return None


def read_records(path: str | Path, fmt: str | None = None, *,
                 infer: bool = True) -> Iterator[Record]:
    """The records of a data file (lazily; errors name the file and line). ``infer=False``
    keeps every CSV cell as text."""
    p = Path(path)
    if not p.is_file():
        raise ConfigurationError(f"input file {str(p)!r} not found")
    kind = detect_format(p, fmt)
    if kind == "csv":
        return iter(_read_csv(p, infer))
    return {"json": _read_json, "jsonl": _read_jsonl, "parquet": _read_parquet}[kind](p)


# -- writing -----------------------------------------------------------------------------
def export_row(record: Record, with_id: bool = True) -> dict[str, Any]:
    """A record as the dict export writes (``id`` first unless the data has its own)."""
    data = record.to_dict()
    if with_id and record.id is not None and "id" not in data:
        return {"id": record.id, **data}
    return data


def _column_key(key: str) -> bool:
    """Whether ``key`` can be (part of) a CSV column name that reads back as this key."""
    return bool(key) and "." not in key and lone_surrogate(key) is None


def _flatten(data: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in data.items():
        name = prefix + key
        if type(value) is dict and value and all(_column_key(k) for k in value):
            _flatten(value, name + ".", out)
        else:
            out[name] = value


def _csv_payload(records: Iterable[Record], with_id: bool) -> tuple[bytes, int]:
    rows: list[tuple[str, dict[str, str]]] = []
    columns: dict[str, None] = {}
    for rec in records:
        row = export_row(rec, with_id)
        label = f"record {shown(rec.id)}"
        for key in row:
            if not _column_key(key):
                reason = ("is empty" if not key else "holds a dot, which CSV column names use "
                          "for nesting" if "." in key else "holds a lone surrogate")
                raise SerializationError(
                    f"{label}: field {shown(key)} {reason}, so it cannot be a CSV column; "
                    "export to JSON Lines or Parquet instead")
        flat: dict[str, Any] = {}
        _flatten(row, "", flat)
        cells = {name: cell_text(value, f"{label}: field {shown(name)}")
                 for name, value in flat.items()}
        columns.update(dict.fromkeys(cells))
        rows.append((label, cells))
    buf = io.StringIO(newline="")
    # \r\n ends rows (RFC 4180), so every cell holding \r or \n is quoted and reads back whole
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    names = list(columns)
    for _, cells in rows:
        writer.writerow([cells.get(name, "") for name in names])
    return buf.getvalue().encode("utf-8"), len(rows)


def _json_line(record: Record, with_id: bool) -> bytes:
    try:
        return dump_value(export_row(record, with_id)).encode("utf-8")
    except RecursionError:
        raise SerializationError(f"record {shown(record.id)}: nests too deeply to write as "
                                 "JSON") from None
    except SerializationError as err:
        raise SerializationError(f"record {shown(record.id)}: {err}") from None


def stream_records(out: BinaryIO, records: Iterable[Record], fmt: str, *,
                   with_id: bool = True) -> int:
    """Write ``records`` to ``out`` as ``json`` (a list, one record per line), ``jsonl`` or
    ``csv``, plain UTF-8 with no colour; returns how many. JSON and JSON Lines are written
    record by record (constant memory); CSV needs every column before its header, so it
    collects the rows first (as ``export`` does)."""
    if fmt == "csv":
        payload, count = _csv_payload(records, with_id)
        out.write(payload)
        return count
    count = 0
    if fmt == "json":
        out.write(b"[")
    for rec in records:
        line = _json_line(rec, with_id)
        if fmt == "json":
            out.write(b"\n" if count == 0 else b",\n")
            out.write(line)
        else:
            out.write(line + b"\n")
        count += 1
    if fmt == "json":
        out.write(b"\n]\n" if count else b"]\n")
    out.flush()
    return count


def write_rows(out: BinaryIO, rows: Sequence[dict[str, Any]], fmt: str, *,
              single: bool = False) -> None:
    """Small JSON-safe rows (``count``, ``info``) as ``json`` (a list; with ``single`` the
    one row as an object), ``jsonl`` or ``csv`` (the union of their keys as columns)."""
    if fmt == "json":
        value: Any = rows[0] if single and len(rows) == 1 else list(rows)
        out.write(dump_value(value).encode("utf-8") + b"\n")
    elif fmt == "jsonl":
        out.write(b"".join(dump_value(row).encode("utf-8") + b"\n" for row in rows))
    else:
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        columns = list(dict.fromkeys(key for row in rows for key in row))
        writer.writerow(columns)
        for row in rows:
            writer.writerow([(row[c] if isinstance(row[c], str) else cell_text(row[c]))
                             if c in row else "" for c in columns])
        out.write(buf.getvalue().encode("utf-8"))
    out.flush()


def write_records(path: str | Path, records: Iterable[Record], fmt: str | None = None, *,
                  with_id: bool = True) -> int:
    """Write ``records`` to ``path`` in ``fmt``; returns how many. The whole file is built
    first and then replaces ``path`` atomically and durably, so a failed export leaves no
    half-written file behind."""
    p = Path(path)
    kind = detect_format(p, fmt)
    if kind == "parquet":
        _parquet_with_ids(with_id)
    if kind in ("json", "jsonl"):
        lines = [_json_line(rec, with_id) for rec in records]
        count = len(lines)
        if kind == "jsonl":
            payload = b"".join(line + b"\n" for line in lines)
        else:
            payload = (b"[\n" + b",\n".join(lines) + b"\n]\n") if lines else b"[]\n"
    elif kind == "csv":
        payload, count = _csv_payload(records, with_id)
    else:
        items = list(records)
        count = len(items)
        payload = get_format("parquet").dump(items, None)
    atomic_write(str(p), payload)
    return count


def _parquet_with_ids(with_id: bool) -> None:
    if not with_id:
        raise ConfigurationError(
            "--no-id: a Parquet export is the file store's layout, which keeps every "
            "record's id in its $id column; export to CSV, JSON or JSON Lines for a file "
            "without ids")


def write_parquet_batches(path: str | Path, batches: Iterable[Any], *,
                          with_id: bool = True) -> int:
    """Write the layout batches of a query (``read_arrow``: the columnar path, which the
    memory and file stores serve without copying a record) to ``path`` as one Parquet file
    in the file store's layout, as ``write_records`` does for records; returns how many
    records. Built whole, then replaces ``path`` atomically and durably."""
    _parquet_with_ids(with_id)
    table = concat_layout(list(batches))
    atomic_write(str(Path(path)), ParquetFormat().dump_table(table, None))
    return int(table.num_rows)


__all__ = ["FORMATS", "OUTPUT_FORMATS", "check_output_format", "count_rows", "detect_format",
           "export_row", "read_records", "stream_records", "write_parquet_batches", "write_records",
           "write_rows"]
