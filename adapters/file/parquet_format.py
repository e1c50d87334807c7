"""The Parquet snapshot format (pyarrow, imported lazily).

A snapshot is one table in the Arrow layout of ``domain.columnar`` (a ``$id`` column, a
``$metadata`` column, one column per field, native columns where a field's values allow and
typed JSON cells elsewhere, and the ``dataknobs_data`` schema metadata naming each column's
field and kind), written with ``pyarrow.parquet``. So a snapshot reads back exactly, and
``read_arrow``/``write_arrow`` and this format share one definition of the layout.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from ...domain.columnar import layout_fields, layout_plain, layout_records, pyarrow, records_table
from ...domain.errors import BackendNotAvailableError, StorageError
from ...domain.records import Record


def _pyarrow() -> tuple[Any, Any]:
    pa = pyarrow()
    try:
        import pyarrow.parquet as pq
    except ImportError as err:  # pragma: no cover - part of every pyarrow wheel
        raise BackendNotAvailableError(
            "the Parquet format needs pyarrow: pip install 'dataknobs-data[parquet]'") from err
    return pa, pq


def require_pyarrow() -> None:
    """Raise ``BackendNotAvailableError`` with the install hint unless pyarrow imports."""
    _pyarrow()


def read_snapshot(payload: bytes, source: str) -> Any:
    """The layout table of a Parquet snapshot's bytes; ``StorageError`` naming ``source``
    when the bytes are not a Parquet file or not a dataknobs-data store."""
    return _read_layout(payload, source)[0]


def _read_layout(payload: bytes, source: str) -> tuple[Any, Any]:
    """``read_snapshot``'s table and its ``layout_fields``."""
    pa, pq = _pyarrow()
    try:
        table = pq.read_table(pa.BufferReader(payload))
    except (pa.ArrowException, OSError, ValueError) as err:
        raise StorageError(f"{source}: not a readable Parquet file: {err}") from err
    try:
        found = layout_fields(table.schema, source)
    except StorageError as err:
        raise StorageError(f"{err} (not a dataknobs-data Parquet store, or a damaged one)"
                           ) from err
    if found is None:
        raise StorageError(f"{source}: not a dataknobs-data Parquet store (no "
                           "'dataknobs_data' schema metadata or wrong columns)")
    return table, found


class ParquetFormat:
    """Typed Parquet snapshot (see the module docstring)."""

    name = "parquet"

    def dump(self, records: Sequence[Record], compression: str | None) -> bytes:
        """See ``SnapshotFormat.dump``; ``compression='gzip'`` uses Parquet's own gzip codec
        (otherwise zstd). ``records`` are the store's own, whose values were all checked
        when written or decoded from the store, so the layout may trust them."""
        return self.dump_table(records_table(records, checked=True), compression)

    def dump_table(self, table: Any, compression: str | None) -> bytes:
        """A layout table (``records_table``, ``to_arrow``) as the bytes of a snapshot."""
        _, pq = _pyarrow()
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="gzip" if compression == "gzip" else "zstd")
        return sink.getvalue()

    def load(self, payload: bytes, compression: str | None, source: str) -> list[Record]:
        """See ``SnapshotFormat.load`` (Parquet detects its own compression)."""
        return self._load(payload, source, screen=False)[0]

    def load_checked(self, payload: bytes, compression: str | None,
                     source: str) -> tuple[list[Record], bool]:
        """See ``SnapshotFormat.load_checked``: the columns are screened (``layout_plain``),
        so a snapshot this adapter wrote is known plain without a walk of its values."""
        return self._load(payload, source, screen=True)

    @staticmethod
    def _load(payload: bytes, source: str, *, screen: bool) -> tuple[list[Record], bool]:
        if not payload:
            return [], True
        table, found = _read_layout(payload, source)
        return layout_records(table, source, found), screen and layout_plain(table, found)


__all__ = ["ParquetFormat", "read_snapshot", "require_pyarrow"]
