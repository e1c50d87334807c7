"""Reading and writing the command line's data files: CSV, JSON, JSON Lines and Parquet.

Import turns rows into plain dicts ready for ``Record``:

- CSV: a dotted header (``team.name``) builds a nested object; cells are typed: integers,
  decimals, ``true``/``false``, ISO dates and datetimes (as datetimes), JSON lists and objects;
  anything else stays text (``0123`` stays text so codes keep their zeros). An empty cell
  leaves the field out.
- JSON: a list of objects (or ``{"records": [...]}``); JSON Lines: one object per line. Both
  read the library's typed JSON (``{"$datetime": ...}``), which export writes.
- Parquet: one row per record (needs pyarrow); nulls are left out like empty CSV cells.

Export writes the same formats back; ``id`` is written as a field unless the data has one.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..domain import codec
from ..domain.errors import BackendNotAvailableError, ConfigurationError, DataError
from ..domain.records import Record

FORMATS = ("csv", "json", "jsonl", "parquet")
_SUFFIXES = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
             ".parquet": "parquet", ".pq": "parquet"}
_INT = re.compile(r"^[+-]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def detect_format(path: str | Path, given: str | None = None) -> str:
    """The format named by ``given`` or by the file's extension; unknown raises naming it."""
    if given:
        fmt = given.lower()
        if fmt == "ndjson":
            fmt = "jsonl"
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


def infer_cell(text: str) -> Any:
    """A CSV cell as a typed value (see the module docstring)."""
    s = text.strip()
    if s == "":
        return None
    low = s.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    if _INT.match(s):
        number = int(s)
        if -(2**63) <= number < 2**63:
            return number
        return s
    if _FLOAT.match(s) and any(c.isdigit() for c in s):
        value = float(s)
        return value if math.isfinite(value) else s
    if _ISO.match(s):
        try:
            return datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            return s
    if (s[0], s[-1]) in (("[", "]"), ("{", "}")):
        try:
            return codec.loads(s)
        except ValueError:
            return s
    return text


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(".")
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise DataError(f"column {key!r} nests under {part!r}, which is also a value")
            node = child
        node[parts[-1]] = value
    return out


def _read_csv(path: Path, infer: bool) -> Iterator[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return
        if len(set(header)) != len(header):
            dup = next(h for h in header if header.count(h) > 1)
            raise DataError(f"{path}: column {dup!r} appears twice in the header")
        if any(not h for h in header):
            raise DataError(f"{path}: the header has an empty column name")
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise DataError(
                    f"{path}:{reader.line_num}: {len(row)} cells, the header has {len(header)}"
                )
            flat: dict[str, Any] = {}
            for key, cell in zip(header, row, strict=True):
                value = infer_cell(cell) if infer else (cell if cell != "" else None)
                if value is not None:
                    flat[key] = value
            yield _nest(flat)


def _check_object(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise DataError(f"{where}: expected a JSON object, found {type(item).__name__}")
    return item


def _read_json(path: Path) -> Iterator[dict[str, Any]]:
    try:
        data = codec.loads(path.read_bytes())
    except ValueError as err:
        raise DataError(f"{path}: not valid JSON ({err})") from None
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        data = data["records"]
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a JSON list of objects (or {{\"records\": [...]}})")
    for i, item in enumerate(data):
        yield _check_object(item, f"{path}: item {i}")


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = codec.loads(line)
            except ValueError as err:
                raise DataError(f"{path}:{number}: not valid JSON ({err})") from None
            yield _check_object(item, f"{path}:{number}")


def _arrow_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _arrow_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_arrow_value(v) for v in value]
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, Decimal):
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


def _read_parquet(path: Path) -> Iterator[dict[str, Any]]:
    pa = _pyarrow()
    try:
        handle = pa.parquet.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise DataError(f"{path}: not a readable Parquet file ({err})") from None
    for batch in handle.iter_batches(batch_size=1000):
        for row in batch.to_pylist():
            yield {k: _arrow_value(v) for k, v in row.items() if v is not None}


def count_rows(path: Path, fmt: str) -> int | None:
    """How many records the file holds, if cheap to know (for the progress bar's total)."""
    if fmt == "parquet":
        pa = _pyarrow()
        try:
            return int(pa.parquet.ParquetFile(path).metadata.num_rows)
        except (pa.ArrowInvalid, OSError):
            return None
    if fmt in ("csv", "jsonl"):
        with path.open("rb") as fh:
            lines = sum(1 for line in fh if line.strip())
        return max(lines - 1, 0) if fmt == "csv" else lines
    return None


def read_rows(path: str | Path, fmt: str | None = None, *,
              infer: bool = True) -> Iterator[dict[str, Any]]:
    """The rows of a data file as dicts (lazily; errors name the file and line)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigurationError(f"input file {str(p)!r} not found")
    kind = detect_format(p, fmt)
    if kind == "csv":
        return _read_csv(p, infer)
    if kind == "json":
        return _read_json(p)
    if kind == "jsonl":
        return _read_jsonl(p)
    return _read_parquet(p)


def export_row(record: Record, with_id: bool = True) -> dict[str, Any]:
    """A record as the dict export writes (``id`` first unless the data has its own)."""
    data = record.to_dict() if hasattr(record, "to_dict") else dict(record.data)
    if with_id and record.id is not None and "id" not in data:
        return {"id": record.id, **data}
    return data


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(codec.encode(value), ensure_ascii=False)
    return str(value)


def write_rows(path: str | Path, rows: Iterable[dict[str, Any]], fmt: str | None = None) -> int:
    """Write rows to ``path`` in ``fmt``; returns how many. Written to a temporary file
    first and renamed, so a failed export never leaves a half-written file behind."""
    p = Path(path)
    kind = detect_format(p, fmt)
    tmp = p.with_name(f".{p.name}.partial")
    count = 0
    try:
        if kind == "jsonl":
            with tmp.open("w", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(codec.dumps(row) + "\n")
                    count += 1
        elif kind == "json":
            items = list(rows)
            count = len(items)
            tmp.write_text(codec.dumps(items, indent=1) + "\n",
                           encoding="utf-8")
        elif kind == "csv":
            flat = [_flatten(row) for row in rows]
            count = len(flat)
            columns: dict[str, None] = {}
            for row in flat:
                columns.update(dict.fromkeys(row))
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(list(columns))
            for row in flat:
                writer.writerow([_csv_cell(row.get(c)) for c in columns])
            tmp.write_text(buf.getvalue(), encoding="utf-8")
        else:
            pa = _pyarrow()
            items = list(rows)
            count = len(items)
            try:
                table = pa.Table.from_pylist(items)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
                raise DataError(
                    f"cannot write {str(p)!r} as Parquet: {err} (a field holds values of "
                    "different types; export to JSON Lines instead)"
                ) from None
            pa.parquet.write_table(table, tmp)
        tmp.replace(p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


__all__ = [
    "FORMATS",
    "count_rows",
    "detect_format",
    "export_row",
    "infer_cell",
    "read_rows",
    "write_rows",
]
