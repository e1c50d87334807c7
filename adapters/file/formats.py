"""Snapshot formats of the file adapter: JSON, JSON Lines, CSV (here) and Parquet
(``parquet_format``), chosen by option or file extension, optionally gzip-compressed.

Each format turns the full list of records into the bytes of one snapshot file and back.
Values are kept exactly (see docs/backends/file.md for each layout):

- JSON: ``{"dataknobs_data": 1, "records": [<envelope>, ...]}``, one record per line.
- JSON Lines: one envelope per line.
- CSV: a header ``$id,$metadata,<field>,...``; the ``$id`` cell is the id as text, every other
  cell holds the typed JSON of its value; an empty cell means the field is missing
  (``CsvFormat`` says how text that UTF-8 cannot hold is kept).
- Parquet: see ``parquet_format``.

Envelopes and typed JSON are described in ``envelope``.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ...domain.envelope import (
    CellCache,
    dump_value,
    envelope,
    from_envelope,
    load_value,
    make_record,
    parse_json,
    to_utf8,
)
from ...domain.errors import ConfigurationError, StorageError, shown
from ...domain.records import Record
from ...domain.values import lone_surrogate

FORMATS = ("json", "jsonl", "csv", "parquet")
COMPRESSIONS = (None, "gzip")
_EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv",
               ".parquet": "parquet", ".pq": "parquet"}
JSON_MARKER = "dataknobs_data"


class SnapshotFormat(Protocol):
    """Turns all records into one snapshot payload and back."""

    name: str

    def dump(self, records: Sequence[Record], compression: str | None) -> bytes:
        """The bytes of a snapshot file holding ``records``."""
        ...

    def load(self, payload: bytes, compression: str | None, source: str) -> list[Record]:
        """The records of a snapshot; ``StorageError`` naming ``source`` when unreadable."""
        ...

    def load_checked(self, payload: bytes, compression: str | None,
                     source: str) -> tuple[list[Record], bool]:
        """``load``, and whether every value of the records is known plain
        (``values.is_plain``) without walking them: False says only that it is not known."""
        ...


class _TextFormat:
    """What the text formats share: their cells are parsed one by one, so nothing is known
    of their values without a walk (a file another program wrote can hold NaN)."""

    load: Callable[[bytes, str | None, str], list[Record]]  # each format's own

    def load_checked(self, payload: bytes, compression: str | None,
                     source: str) -> tuple[list[Record], bool]:
        """See ``SnapshotFormat.load_checked``."""
        return self.load(payload, compression, source), False


@dataclass(frozen=True)
class FileLayout:
    """Where and how one store is kept: the snapshot path, its format and compression, and
    the sidecar files beside it (operation log and lock)."""

    path: str
    format: str
    compression: str | None

    @property
    def log_path(self) -> str:
        """The append-only operation log of writes not yet compacted into the snapshot."""
        return self.path + ".log"

    @property
    def lock_path(self) -> str:
        """The lock file that serialises writers (and compactions) across processes."""
        return self.path + ".lock"

    @property
    def directory(self) -> str:
        """The directory holding the snapshot and its sidecars."""
        return os.path.dirname(os.path.abspath(self.path))


def resolve_layout(path: str | os.PathLike[str], format: str | None,
                   compression: str | None) -> FileLayout:
    """The layout for ``path``: format from ``format`` or the extension (``.json``,
    ``.jsonl``/``.ndjson``, ``.csv``, ``.parquet``/``.pq``, each optionally followed by
    ``.gz``), compression from ``compression`` or a ``.gz`` suffix. No I/O."""
    if not isinstance(path, str | os.PathLike) or not os.fspath(path):
        raise ConfigurationError(f"file: 'path' must be a non-empty path, got {path!r}")
    text = os.fspath(path)
    name = os.path.basename(text).lower()
    stem, ext = os.path.splitext(name)
    gz = ext == ".gz"
    if gz:
        ext = os.path.splitext(stem)[1]
    if compression is None and gz:
        compression = "gzip"
    if compression not in COMPRESSIONS:
        raise ConfigurationError(f"file: compression must be None or 'gzip', got {compression!r}")
    if format is None:
        if ext not in _EXTENSIONS:
            raise ConfigurationError(
                f"file: cannot tell the format of {text!r} from its extension; pass "
                f"format= one of {', '.join(FORMATS)} (or name it .json, .jsonl, .csv, .parquet)")
        format = _EXTENSIONS[ext]
    fmt = str(format).lower()
    if fmt == "ndjson":
        fmt = "jsonl"
    if fmt not in FORMATS:
        raise ConfigurationError(
            f"file: unknown format {format!r}; use one of {', '.join(FORMATS)}")
    return FileLayout(text, fmt, compression)


def get_format(name: str) -> SnapshotFormat:
    """The format object for a format name."""
    if name == "parquet":
        from .parquet_format import ParquetFormat, require_pyarrow

        require_pyarrow()  # fail on first use, not at the first compaction
        return ParquetFormat()
    return _TEXT_FORMATS[name]


def _compress(payload: bytes, compression: str | None) -> bytes:
    if compression == "gzip":
        return gzip.compress(payload, compresslevel=6, mtime=0)
    return payload


def _decompress(payload: bytes, compression: str | None, source: str) -> bytes:
    if compression != "gzip":
        if payload[:2] == b"\x1f\x8b":
            raise StorageError(f"{source}: the file is gzip-compressed; name it .gz or pass "
                               "compression='gzip'")
        return payload
    try:
        return gzip.decompress(payload)
    except (OSError, EOFError, zlib.error) as err:
        raise StorageError(f"{source}: not a readable gzip file: {err}") from err


def _text(payload: bytes, source: str, kind: str) -> str:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError as err:
        raise StorageError(f"{source}: not a {kind} file (invalid UTF-8 at byte "
                           f"{err.start})") from err


class JsonFormat(_TextFormat):
    """``{"dataknobs_data": 1, "records": [...]}`` with one envelope per line."""

    name = "json"

    def dump(self, records: Sequence[Record], compression: str | None) -> bytes:
        """See ``SnapshotFormat.dump``."""
        parts = [b'{"dataknobs_data":1,"records":[']
        for i, rec in enumerate(records):
            parts.append(b"\n" if i == 0 else b",\n")
            parts.append(to_utf8(envelope(rec)))
        parts.append(b"\n]}\n")
        return _compress(b"".join(parts), compression)

    def load(self, payload: bytes, compression: str | None, source: str) -> list[Record]:
        """See ``SnapshotFormat.load``."""
        raw = _decompress(payload, compression, source)
        if not raw.strip():
            return []
        text = _text(raw, source, "JSON")
        try:
            doc = parse_json(text)
        except ValueError:
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as err:
                raise StorageError(f"{source}: not a JSON file (line {err.lineno}, column "
                                   f"{err.colno}: {err.msg})") from err
        if type(doc) is not dict or doc.get(JSON_MARKER) != 1 or type(doc.get("records")) \
                is not list:
            raise StorageError(f"{source}: not a dataknobs-data JSON store (expected an object "
                               '{"dataknobs_data": 1, "records": [...]})')
        envelopes = doc["records"]
        flags = self._tag_flags(text, len(envelopes))
        return [from_envelope(env, source, f"record {i}", flags[i])
                for i, env in enumerate(envelopes)]

    @staticmethod
    def _tag_flags(text: str, count: int) -> list[bool]:
        """Per record, whether its text holds a ``$`` key: read from the one-record-per-line
        layout ``dump`` writes, so only records with tags pay for decoding them (any other
        layout: every record is decoded if the file holds a tag anywhere)."""
        if '"$' not in text:
            return [False] * count
        lines = text.split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        if len(lines) == count + 2 and lines[0] == '{"dataknobs_data":1,"records":[':
            return ['"$' in line for line in lines[1:-1]]
        return [True] * count


class JsonLinesFormat(_TextFormat):
    """One envelope per line."""

    name = "jsonl"

    def dump(self, records: Sequence[Record], compression: str | None) -> bytes:
        """See ``SnapshotFormat.dump``."""
        out = bytearray()
        for rec in records:
            out += to_utf8(envelope(rec))
            out += b"\n"
        return _compress(bytes(out), compression)

    def load(self, payload: bytes, compression: str | None, source: str) -> list[Record]:
        """See ``SnapshotFormat.load``."""
        raw = _decompress(payload, compression, source)
        text = _text(raw, source, "JSON Lines")
        lines = [(lineno, line) for lineno, line in enumerate(text.split("\n"), 1)
                 if line.strip()]
        # one scanner call over all lines: faster, and every record shares its key strings
        try:
            envelopes = parse_json("[" + ",".join(line for _, line in lines) + "]")
        except ValueError:
            envelopes = None
        if type(envelopes) is not list or len(envelopes) != len(lines):
            envelopes = []
            for lineno, line in lines:  # find the damaged line
                try:
                    envelopes.append(parse_json(line))
                except ValueError as err:
                    raise StorageError(f"{source}: line {lineno}: not JSON ({err})") from err
        return [from_envelope(env, source, f"line {lineno}", '"$' in line)
                for (lineno, line), env in zip(lines, envelopes, strict=True)]


class CsvFormat(_TextFormat):
    """Header ``$id,$metadata,<field>...``; cells hold typed JSON, empty = missing.

    Rows end with ``\r\n`` (RFC 4180), so the csv module quotes every cell holding ``\r``
    or ``\n`` and reads it back whole. The id cells and the field names of the header are
    plain text (``text_cell``), except text that starts with ``"`` or holds a lone
    surrogate (which UTF-8 cannot hold): it is written as a JSON string literal. Plain text
    never starts with ``"``, so the two never collide."""

    name = "csv"
    ID_COLUMN = "$id"
    METADATA_COLUMN = "$metadata"

    def dump(self, records: Sequence[Record], compression: str | None) -> bytes:
        """See ``SnapshotFormat.dump``."""
        columns: dict[str, int] = {}
        for rec in records:
            for key in rec.data:
                if key not in columns:
                    columns[key] = len(columns)
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow([self.ID_COLUMN, self.METADATA_COLUMN, *map(text_cell, columns)])
        width = len(columns)
        for rec in records:
            row: list[str] = [""] * width
            for key, value in rec.data.items():
                row[columns[key]] = dump_value(value)
            writer.writerow([text_cell(rec.id or ""),
                             dump_value(rec.metadata) if rec.metadata else "", *row])
        # every cell is valid Unicode now (typed JSON escapes lone surrogates, text_cell too)
        return _compress(buf.getvalue().encode("utf-8"), compression)

    def load(self, payload: bytes, compression: str | None, source: str) -> list[Record]:
        """See ``SnapshotFormat.load``."""
        raw = _decompress(payload, compression, source)
        if not raw.strip():
            return []
        text = _text(raw, source, "CSV")
        with csv_field_limit(len(text)):
            return self._parse(text, source)

    def _parse(self, text: str, source: str) -> list[Record]:
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
        except csv.Error as err:
            raise StorageError(f"{source}: not a CSV file: {err}") from err
        if header[:2] != [self.ID_COLUMN, self.METADATA_COLUMN]:
            raise StorageError(f"{source}: not a dataknobs-data CSV store (the header must "
                               f"start with {self.ID_COLUMN},{self.METADATA_COLUMN})")
        try:
            keys = [text_from_cell(cell) for cell in header[2:]]
        except ValueError as err:
            raise StorageError(f"{source}: line 1: a field name is damaged ({err})") from err
        if len(set(keys)) != len(keys):
            raise StorageError(f"{source}: the header names a field twice")
        width = len(header)
        records = []
        loaders = [CellCache().load for _ in keys]
        try:
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                if len(row) != width:
                    raise StorageError(f"{source}: line {line}: {len(row)} cells, the header "
                                       f"has {width}")
                try:
                    data = {key: load(cell) for key, load, cell
                            in zip(keys, loaders, row[2:], strict=True) if cell}
                    metadata = load_value(row[1]) if row[1] else {}
                    record_id = text_from_cell(row[0])
                except ValueError as err:
                    raise StorageError(f"{source}: line {line}: a cell is not typed JSON "
                                       f"({err})") from err
                if not record_id or type(metadata) is not dict:
                    raise StorageError(f"{source}: line {line}: bad id or metadata cell")
                records.append(make_record(record_id, data, metadata))
        except csv.Error as err:
            raise StorageError(f"{source}: not a readable CSV file: {err}") from err
        return records


def text_cell(text: str) -> str:
    """A CSV cell for plain text (an id or a field name): the text itself, or its JSON
    string literal when it starts with ``"`` or holds a lone surrogate."""
    if text[:1] == '"' or lone_surrogate(text) is not None:
        return dump_value(text)
    return text


def text_from_cell(cell: str) -> str:
    """The inverse of ``text_cell``; ``ValueError`` for a damaged literal."""
    if cell[:1] != '"':
        return cell
    value = parse_json(cell)
    if type(value) is not str:
        raise ValueError(f"{shown(cell)} is not a JSON string")
    return value


_FIELD_LIMIT_LOCK = threading.Lock()


@contextlib.contextmanager
def csv_field_limit(size: int) -> Iterator[None]:
    """Let the csv module read cells of up to ``size`` characters while the block runs.

    The limit is process-wide (131,072 by default), so it is raised only for the block and
    put back afterwards; the lock keeps concurrent loads from putting it back under each
    other. A larger limit never breaks another reader."""
    with _FIELD_LIMIT_LOCK:
        previous = csv.field_size_limit()
        if size <= previous:
            yield
            return
        csv.field_size_limit(size)
        try:
            yield
        finally:
            if csv.field_size_limit() == size:  # unless someone else changed it meanwhile
                csv.field_size_limit(previous)


_TEXT_FORMATS: dict[str, Any] = {
    "json": JsonFormat(), "jsonl": JsonLinesFormat(), "csv": CsvFormat(),
}

__all__ = ["FORMATS", "CsvFormat", "FileLayout", "JsonFormat", "JsonLinesFormat",
           "SnapshotFormat", "get_format", "resolve_layout"]
