"""Records as Arrow tables: the layout of the columnar path and of the Parquet snapshots.

**The layout** (what ``read_arrow`` yields and what a Parquet snapshot holds): a ``$id``
column, a ``$metadata`` string column (typed JSON, null when the metadata is empty), then
one column per top-level field, in first-appearance order. ``$id`` is a string column of the
ids; when some id holds a lone surrogate (which an Arrow string cannot hold) it holds each
id's JSON string literal instead, and the schema metadata says so (``"ids": "json"``). A
field whose present values all have one plain type -- all ``int``, all ``float``, all
``bool``, all ``str``, all UTC datetimes or all naive datetimes (and never null) -- gets a
native column (int64, float64, bool, string, timestamp[us, +00:00], timestamp[us]) where a
null means "missing"; a field whose present values are all non-empty lists of ``float`` of
one length (a vector, docs/vectors.md) gets a fixed-size list column of float64 (kind
``vector:<dimensions>``). Every other field (mixed types, nulls, datetimes in other zones,
lists, objects) gets a string column of typed JSON cells (``envelope.dump_value``): a null
cell means missing and the text ``null`` means a stored null. The schema metadata key
``dataknobs_data`` lists each column's field name and kind, so the field names are read from
there; column names are ``column_name(field)``, distinct from each other and from ``$id`` and
``$metadata`` whatever the fields are called. A table in this layout converts back to
exactly the records it was made of (``layout_records``).

**Plain tables** (any other Arrow table: from pandas, Polars, DuckDB, a CSV or Parquet file
written elsewhere) become one record per row and one field per column (``plain_records``):
Arrow's own conversion to Python values (structs become objects, lists lists, timestamps
datetimes), nulls stored as null (``na="null"``) or left out (``na="drop"``), ids from
``id_column`` (the column stays in the data) or assigned by the store. The port then checks
those values exactly as it checks any record, so a value the store cannot hold is refused
with an error naming its column.

pyarrow is imported on first use; without it the error says what to install.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from . import codec
from .codec import fast_tagged, fast_text_trusted
from .envelope import dump_value, load_cells, load_value
from .errors import BackendNotAvailableError, DataknobsError, StorageError, ValidationError
from .records import Record
from .values import MAX_DEPTH, lone_surrogate

LAYOUT_KEY = b"dataknobs_data"
ID_COLUMN = "$id"
METADATA_COLUMN = "$metadata"
NaPolicy = Literal["null", "drop"]
_NATIVE = {int: "int", float: "float", bool: "bool", str: "str"}


class _Absent:
    """The type of ``_ABSENT``: a field a record lacks (never a stored value)."""


_ABSENT = _Absent()
#: the native kinds besides vectors (``_arrow_type``)
_NATIVE_KINDS = frozenset({"int", "float", "bool", "str", "utc", "naive"})
_ZEROS = itertools.repeat(0)  # no count, no state to wear out (see values._STR)
_EPOCHS = {"utc": datetime(1970, 1, 1, tzinfo=UTC), "naive": datetime(1970, 1, 1)}


def pyarrow() -> Any:
    """The ``pyarrow`` module, or ``BackendNotAvailableError`` with the install hint."""
    try:
        import pyarrow as pa
    except ImportError as err:
        raise BackendNotAvailableError(
            "the columnar path needs pyarrow: pip install 'dataknobs-data[parquet]'") from err
    return pa


def column_name(key: str) -> str:
    """The column of field ``key``: the key itself, ``$`` + the key when it starts with
    ``$``, or ``$`` + its JSON string literal when it holds a lone surrogate (an Arrow
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


def _field_kind(values: list[Any]) -> tuple[str, bool]:
    """The column kind of a field's values (``_ABSENT`` where a record lacks the field) and
    whether any record lacks it. One set of the value types decides, so a column of one
    plain type costs one C-level pass."""
    types = set(map(type, values))
    missing = _Absent in types
    types.discard(_Absent)
    if len(types) != 1:
        return "json", missing
    (t,) = types
    kind = _NATIVE.get(t)
    if kind is not None:
        return kind, missing
    if t is list:
        present = (v for v in values if v is not _ABSENT)
        kind = _vector_kind(next(present))
        # a vector column only when every list is a vector of the first one's length
        if kind != "json" and all(_vector_kind(v) == kind for v in present):
            return kind, missing
        return "json", missing
    if t is datetime:
        # only UTC and naive datetimes read back exactly from a timestamp column
        tz = next(v for v in values if v is not _ABSENT).tzinfo
        if (tz is UTC or tz is None) and all(v.tzinfo is tz for v in values
                                             if v is not _ABSENT):
            return ("utc" if tz is UTC else "naive"), missing
    return "json", missing


def _arrow_type(pa: Any, kind: str) -> Any:
    if kind.startswith("vector:"):
        return pa.list_(pa.float64(), int(kind[7:]))
    return {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "str": pa.string(),
            "utc": pa.timestamp("us", tz="+00:00"), "naive": pa.timestamp("us")}[kind]


def records_table(records: Sequence[Record], *, checked: bool = False) -> Any:
    """The records as one ``pyarrow.Table`` in the layout (see the module docstring).
    ``checked``: every value is known storable -- stored records, or records the port has
    prepared -- so a typed JSON cell is orjson's text where that is ``dump_value``'s byte
    for byte (``codec.fast_tagged``), without the encoding walk."""
    pa = pyarrow()
    datas = [rec.data for rec in records]
    keys: dict[str, None] = {}
    for data in datas:
        keys.update(dict.fromkeys(data))
    ids: list[str] = [rec.id or "" for rec in records]
    id_kind = "str"
    try:
        id_array = pa.array(ids, type=pa.string())
    except UnicodeEncodeError:  # an id holding a lone surrogate
        id_kind = "json"
        id_array = pa.array([dump_value(rid) for rid in ids], type=pa.string())
    dump = _dump_checked if checked else dump_value
    arrays = [
        id_array,
        pa.array([dump(rec.metadata) if rec.metadata else None for rec in records],
                 type=pa.string()),
    ]
    names = [ID_COLUMN, METADATA_COLUMN]
    kinds: list[list[str]] = []
    for key in keys:
        values = [data.get(key, _ABSENT) for data in datas]
        kind, missing = _field_kind(values)
        array = None
        if kind != "json":
            plain = [None if v is _ABSENT else v for v in values] if missing else values
            try:
                array = pa.array(plain, type=_arrow_type(pa, kind))
            except (pa.ArrowException, UnicodeEncodeError, OverflowError, ValueError):
                kind = "json"  # e.g. a string with a lone surrogate: keep it as JSON
        if array is None:
            cells = _checked_cells(values, missing) if checked else None
            if cells is None:
                cells = [None if v is _ABSENT else dump(v) for v in values]
            array = pa.array(cells, type=pa.string())
        arrays.append(array)
        names.append(column_name(key))
        kinds.append([key, kind])
    layout: dict[str, Any] = {"version": 1, "fields": kinds}
    if id_kind != "str":
        layout["ids"] = id_kind
    meta = {LAYOUT_KEY: json.dumps(layout, ensure_ascii=True).encode()}
    fields = [pa.field(n, a.type) for n, a in zip(names, arrays, strict=True)]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata=meta))


def _checked_cells(values: list[Any], missing: bool) -> list[str | None] | None:
    """The typed JSON cells of a column of values known storable (None where absent) in one
    orjson call per value and one check of the whole column: when no value needs a tag or
    an escaped key (orjson refuses datetimes without a ``default``; no ``"$`` in the text)
    and the text is the standard library's (``codec.fast_text_trusted``), it is
    ``dump_value``'s. None otherwise (the caller dumps each value). Compact JSON never
    holds a raw newline, so the column is checked joined by newlines."""
    module = codec.fast_encoder()
    present = [v for v in values if v is not _ABSENT] if missing else values
    if module is None or not present:
        return None
    dumps, options = module.dumps, codec.ORJSON_OPTIONS
    try:
        # decoded at once: orjson's bytes keep an oversized buffer alive
        cells: list[str | None] = [dumps(v, None, options).decode() for v in present]
    except Exception:  # a datetime, a lone surrogate, an integer beyond 64 bits
        return None
    joined = "\n".join(cells)  # type: ignore[arg-type]  # no None among them yet
    if '"$' in joined or not fast_text_trusted(joined.encode()):
        return None
    if missing:
        found = iter(cells)
        cells = [None if v is _ABSENT else next(found) for v in values]
    return cells


def _dump_checked(value: Any) -> str:
    """``dump_value`` of a value known storable (see ``records_table``)."""
    data = fast_tagged(value)
    return dump_value(value) if data is None else data.decode()


def layout_fields(schema: Any, source: str) -> tuple[list[tuple[str, str]], str] | None:
    """The (field, kind) list and id kind of a layout schema; None for a plain one.
    ``StorageError`` naming ``source`` when the layout metadata is there but damaged or does
    not match the columns."""
    meta = (schema.metadata or {}).get(LAYOUT_KEY)
    if meta is None:
        return None
    try:
        layout = json.loads(meta)
        fields = [(str(k), str(kind)) for k, kind in layout["fields"]]
        id_kind = str(layout.get("ids", "str"))
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise StorageError(f"{source}: damaged dataknobs-data schema metadata") from err
    if len(schema.names) != len(fields) + 2 or \
            list(schema.names[:2]) != [ID_COLUMN, METADATA_COLUMN] or \
            id_kind not in ("str", "json") or \
            any(column_name(k) != n for (k, _), n in zip(fields, schema.names[2:], strict=True)):
        raise StorageError(f"{source}: the dataknobs-data schema metadata does not match "
                           "the columns")
    return fields, id_kind


_gc_lock = threading.Lock()
_gc_paused = 0  # how many threads are inside ``collection_paused``
_gc_resume = False  # whether the first of them found the collector enabled


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a bulk decode builds objects that all stay
    alive (the records of a table: each record, its data dict and its lists are tracked):
    otherwise every 700 new objects start a collection and the full ones walk the growing
    heap again and again, over half the time of a Parquet load of 100,000 records. Nothing
    is freed later than it would be (reference counting is untouched; only cycles wait
    for the next collection). Reentrant and thread-aware: the collector is enabled again
    when the last paused region ends, and only if it was enabled when the first began."""
    global _gc_paused, _gc_resume
    with _gc_lock:
        if _gc_paused == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_paused += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_paused -= 1
            if _gc_paused == 0 and _gc_resume:
                gc.enable()


def layout_records(table: Any, source: str,
                   found: tuple[list[tuple[str, str]], str] | None = None) -> list[Record]:
    """The records of a table (or record batch) in the layout, exactly as they were
    written; ``StorageError`` naming ``source`` for a damaged cell, id or layout.
    ``found``: the table's ``layout_fields``, when the caller has read them already."""
    with collection_paused():
        return _layout_records(table, source, found)


def _layout_records(table: Any, source: str,
                    found: tuple[list[tuple[str, str]], str] | None) -> list[Record]:
    if found is None:
        found = layout_fields(table.schema, source)
    if found is None:
        raise StorageError(f"{source}: not a dataknobs-data table (no 'dataknobs_data' "
                           "schema metadata)")
    fields, id_kind = found
    n = table.num_rows
    ids = table.column(0).to_pylist()
    if id_kind == "json":
        try:
            ids = [load_value(cell) if cell is not None else None for cell in ids]
        except ValueError as err:
            raise StorageError(f"{source}: a record id is damaged: {err}") from err
    meta_cells = table.column(1).to_pylist()
    pa = pyarrow()
    keys = [key for key, _ in fields]
    try:
        # one list of values per field (``_ABSENT`` where a record lacks it), then one dict
        # per row from them, keys in column order
        columns: list[list[Any]] = []
        sparse = False
        for index, (_, kind) in enumerate(fields, start=2):
            column = table.column(index)
            sparse = sparse or column.null_count > 0
            if kind == "json":
                columns.append(load_cells(column.to_pylist(), _ABSENT))
            else:
                columns.append(_native_values(pa, column, kind, _ABSENT))
        metas = [{} if m is _ABSENT else m for m in load_cells(meta_cells, _ABSENT)]
    except (ValueError, TypeError, OverflowError) as err:
        raise StorageError(f"{source}: a typed JSON cell is damaged: {err}") from err
    rows: list[dict[str, Any]]
    if not columns:
        rows = [{} for _ in range(n)]
    elif sparse:
        rows = [{k: v for k, v in zip(keys, values, strict=True) if v is not _ABSENT}
                for values in zip(*columns, strict=True)]
    else:
        # C-level maps (one value per key: each row comes from the strict zip of columns)
        rows = list(map(dict, map(zip, itertools.repeat(keys), zip(*columns, strict=True))))
    for rid, metadata in zip(ids, metas, strict=True):
        if type(rid) is not str or not rid or type(metadata) is not dict:
            raise StorageError(f"{source}: a record has no id or bad metadata")
    trusted = Record.trusted
    return [trusted(data, metadata, rid) for rid, data, metadata in zip(ids, rows, metas,
                                                                        strict=True)]


#: what in a typed JSON cell could decode to a value ``is_plain`` refuses: an integer of 19
#: or more digits (past 64 bits, or near), an exponent of three digits (past float's range),
#: the standard library's NaN and Infinity. Text matching it may still be plain.
_SUSPECT_CELL = r'\d{19}|[eE][+-]?\d{3}|NaN|Infinity'
#: a datetime tag as the encoder writes it (``isoformat``: naive, or an offset of whole
#: seconds), the one tag whose value ``is_plain`` may refuse (an offset with a fraction of a
#: second); an ``$object`` escape decodes to an object, a ``$`` key or string to itself
_TAG = f'"{codec.DATETIME_TAG}"'
_PLAIN_TAG = (re.escape(_TAG) + r':"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?'
              r'(?:[+-]\d\d:\d\d(?::\d\d)?)?"')


def _native_type(pa: Any, column: Any, kind: str) -> bool:
    """Whether ``column`` has the layout's Arrow type for ``kind`` (False for a damaged kind)."""
    try:
        return bool(column.type == _arrow_type(pa, kind))
    except ValueError:  # "vector:" without a whole length
        return False


def layout_plain(table: Any, found: tuple[list[tuple[str, str]], str]) -> bool:
    """Whether every value ``layout_records`` makes of a layout table is plain
    (``values.is_plain``), judged from the columns without decoding them: native columns of
    the layout's own Arrow type (floats and vectors finite), typed JSON cells (metadata
    included) free of ``_SUSPECT_CELL``, whose datetime tags are all ``_PLAIN_TAG``, and too
    short to nest past ``MAX_DEPTH`` (or, when longer, holding fewer brackets).
    Conservative: False only means nothing is vouched for, and the values are checked where
    they are written, as any other."""
    pa = pyarrow()
    import pyarrow.compute as pc

    fields, _ = found

    def cells_plain(column: Any) -> bool:
        if column.type != pa.string():
            return False
        if pc.any(pc.match_substring_regex(column, _SUSPECT_CELL)).as_py():
            return False
        tags = pc.count_substring(column, _TAG)
        if pc.max(tags).as_py() and not pc.all(pc.equal(
                tags, pc.count_substring_regex(column, _PLAIN_TAG))).as_py():
            return False  # a datetime tag not in the encoder's own form
        longest = pc.max(pc.binary_length(column)).as_py()
        if longest is None or longest <= 2 * MAX_DEPTH:  # each level opens and closes
            return True
        long = column.filter(pc.greater(pc.binary_length(column), 2 * MAX_DEPTH))
        brackets = pc.max(pc.count_substring_regex(long, r"[\[{]")).as_py()
        return brackets is None or brackets <= MAX_DEPTH

    def finite(values: Any) -> bool:
        return pc.all(pc.is_finite(values)).as_py() is not False  # None: all missing

    def column_plain(column: Any, kind: str) -> bool:
        if kind == "json":
            return cells_plain(column)
        if kind not in _NATIVE_KINDS and not kind.startswith("vector:"):
            return False
        if not _native_type(pa, column, kind):
            return False
        if kind == "float":
            return finite(column)
        return not kind.startswith("vector:") or finite(pc.list_flatten(column))

    return (all(column_plain(table.column(index), kind)
                for index, (_, kind) in enumerate(fields, start=2))
            and cells_plain(table.column(1)))


def _native_values(pa: Any, column: Any, kind: str, missing: Any = None) -> list[Any]:
    """The Python values of a native layout column (``missing`` where null). A timestamp column
    of the layout's own type is read as its microseconds since the epoch, each added to the
    epoch (Arrow's own conversion of zoned timestamps is several times slower); a value
    outside ``datetime``'s range raises ``OverflowError``."""
    if kind in _EPOCHS and column.type == _arrow_type(pa, kind):
        epoch, delta = _EPOCHS[kind], timedelta
        micros = column.cast(pa.int64()).to_pylist()
        if column.null_count == 0:  # C-level maps: timedelta(0, 0, us), then epoch + it
            return list(map(epoch.__add__, map(delta, _ZEROS, _ZEROS, micros)))
        return [missing if us is None else epoch + delta(microseconds=us) for us in micros]
    values = column.to_pylist()
    if missing is not None and column.null_count:
        return [missing if v is None else v for v in values]
    return values


def plain_records(table: Any, *, id_column: str | None = None, na: NaPolicy = "null"
                  ) -> list[Record]:
    """One record per row of a plain table (see the module docstring). ``ValidationError``
    names a missing ``id_column``, a duplicated column name or a bad ``na``."""
    if na not in ("null", "drop"):
        raise ValidationError(f"na must be 'null' or 'drop', got {na!r}")
    names = [str(n) for n in table.schema.names]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValidationError(f"duplicate column names {dup}: each column is one field")
    if id_column is not None and id_column not in names:
        raise ValidationError(f"no column {id_column!r} for the record ids (columns: "
                              f"{names[:20]})")
    try:
        columns = [table.column(i).to_pylist() for i in range(len(names))]
    except (ValueError, TypeError, OverflowError) as err:
        raise ValidationError(f"a column cannot be read as Python values: {err}") from err
    n = table.num_rows
    if not columns:
        return [Record({}) for _ in range(n)]
    if na == "drop":
        rows = [{k: v for k, v in zip(names, row, strict=True) if v is not None}
                for row in zip(*columns, strict=True)]
    else:
        rows = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    # fresh dicts of Arrow's values, which the port then checks: no copy, no Field unpacking
    # (a record without an id still takes its data's ``id`` field, as ``Record`` does)
    trusted = Record.trusted
    if id_column is None:
        return [trusted(row) for row in rows]
    ids = columns[names.index(id_column)]
    return [trusted(row, None, None if rid is None else _plain_id(rid, id_column))
            for row, rid in zip(rows, ids, strict=True)]


def _plain_id(value: Any, column: str) -> str:
    if type(value) is str or (type(value) is int):
        return str(value)
    raise ValidationError(f"column {column!r}: an id must be a string or an integer, got "
                          f"{type(value).__name__} {value!r}")


def batch_records(batch: Any, *, id_column: str | None = None, na: NaPolicy = "null",
                  source: str = "arrow data") -> list[Record]:
    """The records of one table or batch: exact for the layout, by the plain rules
    otherwise (``id_column`` and ``na`` apply to plain tables only)."""
    found = layout_fields(batch.schema, source)
    if found is not None:
        return layout_records(batch, source, found)
    return plain_records(batch, id_column=id_column, na=na)


def arrow_batches(data: Any, batch_size: int | None = None) -> Iterator[Any]:
    """The record batches of ``data``: a ``pyarrow.Table``, ``RecordBatch`` or
    ``RecordBatchReader``, an object with the Arrow stream interface
    (``__arrow_c_stream__``: pandas >= 2.2 and Polars DataFrames, DuckDB results), or an
    iterable of tables and batches. Tables are cut into batches of at most ``batch_size``
    rows. Anything else is a ``ValidationError`` naming its type."""
    pa = pyarrow()
    if isinstance(data, pa.RecordBatch):
        yield data
        return
    if isinstance(data, pa.Table):
        yield from data.to_batches(max_chunksize=batch_size)
        return
    if isinstance(data, pa.RecordBatchReader):
        yield from data
        return
    if hasattr(data, "__arrow_c_stream__"):
        yield from arrow_batches(pa.RecordBatchReader.from_stream(data), batch_size)
        return
    if isinstance(data, Iterable) and not isinstance(data, str | bytes | dict):
        for part in data:
            if not isinstance(part, pa.RecordBatch | pa.Table):
                raise ValidationError("write_arrow: an iterable must yield pyarrow tables or "
                                      f"record batches, got {type(part).__name__}")
            yield from arrow_batches(part, batch_size)
        return
    raise ValidationError("write_arrow needs a pyarrow Table, RecordBatch or RecordBatchReader, "
                          "an object with __arrow_c_stream__ (a pandas or Polars DataFrame) "
                          f"or an iterable of tables or batches; got {type(data).__name__}")


def concat_layout(parts: Sequence[Any]) -> Any:
    """One layout table of several layout tables or batches (``to_arrow`` of a query read in
    batches). A field whose column kinds differ between parts, or that some parts lack,
    becomes a typed JSON column, so the result still reads back exactly."""
    pa = pyarrow()
    tables = [p if isinstance(p, pa.Table) else pa.Table.from_batches([p]) for p in parts]
    if not tables:
        return records_table([])
    layouts = [layout_fields(t.schema, "to_arrow") for t in tables]
    if any(lay is None for lay in layouts):
        raise DataknobsError("concat_layout: a part is not in the dataknobs-data layout")
    order: dict[str, None] = {}
    kinds: dict[str, set[str]] = {}
    for lay in layouts:
        assert lay is not None
        for key, kind in lay[0]:
            order.setdefault(key, None)
            kinds.setdefault(key, set()).add(kind)
    for lay in layouts:
        assert lay is not None
        present = {k for k, _ in lay[0]}
        for key in order:
            if key not in present:
                kinds[key].add("absent")
    if len({lay[1] for lay in layouts if lay is not None}) == 1 and \
            all(len(kinds[k]) == 1 for k in order) and \
            all([k for k, _ in lay[0]] == list(order) for lay in layouts if lay is not None):
        schema = tables[0].schema
        return pa.Table.from_batches([b for t in tables for b in t.to_batches()], schema=schema)
    # kinds differ: rebuild from the records (exact by construction)
    return records_table([rec for t in tables for rec in layout_records(t, "to_arrow")],
                         checked=True)


__all__ = ["ID_COLUMN", "LAYOUT_KEY", "METADATA_COLUMN", "NaPolicy", "arrow_batches",
           "batch_records", "column_name", "concat_layout", "field_name", "layout_fields",
           "layout_plain", "layout_records", "plain_records", "pyarrow", "records_table"]
