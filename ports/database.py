"""The synchronous repository port: the contract every adapter implements.

The docstrings of ``SyncDatabase`` are the specification. Public methods do the shared work
(argument checking, id assignment, normalisation, schema validation, batch bookkeeping: all
in ``ports.base``, shared with the async port) and call protected hooks (``_create``,
``_read``, ...) that adapters implement; an adapter that misses a required hook cannot be
instantiated. Query semantics are in docs/query-semantics.md; ``dataknobs_data.testing``
holds the conformance suite that checks every adapter against this contract.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Self

from ..domain import columnar
from ..domain.errors import ConcurrencyError
from ..domain.query import Query
from ..domain.records import Record
from ..domain.vectors import DistanceMetric, VectorQuery, VectorSearchResult
from .base import PortBase, RecordLike, build_backend
from .flows import run_flow, stream_flow
from .preparation import check_id
from .processing import StreamProcessor, stream_source
from .streaming import StreamConfig, StreamResult

__all__ = ["RecordLike", "SyncDatabase", "check_version"]


class SyncDatabase(PortBase, ABC):
    """A record store.

    Records are identified by string ids. ``create`` keeps the id a record carries (given to
    ``Record(..., id=...)`` or its ``id`` field) or assigns a new one; a record read back has
    exactly the keys, value types and metadata it was written with.

    Errors (all from ``dataknobs_data.domain.errors``): ``RecordExistsError`` for a duplicate
    create; ``ConcurrencyError`` for a conditional write whose ``expected_version`` is stale;
    ``ValidationError`` when a schema rejects a record; ``SerializationError`` for a value
    that is not storable; ``QueryError`` for a malformed query and ``UnsupportedQueryError``
    for one this backend cannot honour; ``BatchOperationError`` when a batch partly fails;
    ``OperationalError`` / ``StorageError`` when the backend itself fails. Driver exceptions
    never escape un-translated.

    Constructors do no I/O: connections open on ``connect()``, on entering ``with db:``, or
    lazily on first use. ``close()`` releases them; a closed database reopens on next use.
    """

    @classmethod
    def from_backend(cls, backend: str, config: Mapping[str, Any] | None = None
                     ) -> SyncDatabase:
        """A connected database of the registered ``backend`` with the options ``config``
        (dataknobs-data 0.11's constructor; ``containers.database_factory`` is this
        project's)."""
        db: SyncDatabase = build_backend(backend, config, use_async=False)
        db.connect()
        return db

    # -- lifecycle --------------------------------------------------------------------------
    def connect(self) -> None:
        """Open connections or load state now (otherwise done lazily on first use)."""
        self._connect()

    def close(self) -> None:
        """Release connections, flush buffered writes. Safe to call twice."""
        self._close()

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connect(self) -> None:
        """Adapter hook: open connections (default: nothing to do)."""

    def _close(self) -> None:
        """Adapter hook: release resources (default: nothing to do)."""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Self]:
        """Run several operations atomically: all take effect, or none if the block raises.

        Only backends whose ``capabilities.transactions`` is true support this; others raise
        ``UnsupportedQueryError``."""
        raise self._no_transactions()
        yield self  # pragma: no cover

    # -- single records ---------------------------------------------------------------------
    def create(self, record: RecordLike) -> str:
        """Store a new record and return its id.

        Raises ``RecordExistsError`` when the id is already stored (nothing is changed)."""
        rid, rec = self._new_record(record)
        self._create(rid, rec)
        return rid

    def read(self, record_id: str) -> Record | None:
        """The stored record with this id (a copy the caller may change), or None."""
        if type(record_id) is not str or not record_id:  # check_id's own fast path, inline:
            record_id = check_id(record_id)              # a call is a tenth of a memory read
        return self._read(record_id)

    def update(
        self, record_id: str, record: RecordLike, *, expected_version: str | None = None
    ) -> bool:
        """Replace a stored record's data and metadata; False when no record has this id.

        With ``expected_version`` (a token from ``get_version``) the update happens only if
        the record is unchanged since; otherwise ``ConcurrencyError`` (also when the record
        has been deleted)."""
        return self._update(*self._replacement(record_id, record), expected_version)

    def delete(self, record_id: str, *, expected_version: str | None = None) -> bool:
        """Delete a record; False when no record has this id.

        ``expected_version`` makes the delete conditional, as for ``update``."""
        return self._delete(check_id(record_id), expected_version)

    def exists(self, record_id: str) -> bool:
        """Whether a record with this id is stored."""
        return self._exists(check_id(record_id))

    def upsert(
        self,
        id_or_record: str | RecordLike,
        record: RecordLike | None = None,
        *,
        expected_version: str | None = None,
    ) -> str:
        """Create or replace: ``upsert(id, record)`` or ``upsert(record)``; returns the id.

        With ``expected_version`` the record must exist at that version (``ConcurrencyError``
        otherwise)."""
        rid, rec = self._upserted(id_or_record, record)
        self._upsert(rid, rec, expected_version)
        return rid

    def get_version(self, record_id: str) -> str | None:
        """An opaque token that changes whenever the record is written; None if absent."""
        return self._get_version(check_id(record_id))

    # -- batches ----------------------------------------------------------------------------
    def create_batch(self, records: Iterable[RecordLike], copy: bool = True) -> list[str]:
        """Create many records; returns their ids in input order.

        ``copy=False`` hands the records over: the store may keep their values without
        copying them, so the caller must not change them afterwards (a bulk loader that
        built them for this call saves the copy); the values are checked all the same.

        Every record is validated first; if any is invalid (bad value, schema violation,
        duplicate id within the batch) nothing is written and ``BatchOperationError`` lists
        the invalid indexes. If the backend then fails some writes, ``BatchOperationError``
        says which indexes were written (``succeeded``) and which failed (``failed``); with
        ``capabilities.atomic_batches`` a failure means none were written."""
        prepared = self._new_batch(records, copy)
        return self._batch_ids(prepared, self._create_batch(prepared))

    def read_batch(self, record_ids: Sequence[str]) -> list[Record | None]:
        """The records for these ids, in order, None for each id not stored."""
        return self._read_batch([check_id(r) for r in record_ids])

    def update_batch(self, updates: Sequence[tuple[str, RecordLike]]) -> list[bool]:
        """Update many ``(id, record)`` pairs; per pair, whether the record existed."""
        return self._update_batch(self._replacements(updates))

    def delete_batch(self, record_ids: Sequence[str]) -> list[bool]:
        """Delete many records; per id, whether it was stored."""
        return self._delete_batch([check_id(r) for r in record_ids])

    def upsert_batch(
        self, items: Sequence[RecordLike | tuple[str, RecordLike]]
    ) -> list[str]:
        """Upsert many records (or ``(id, record)`` pairs); returns the ids in order."""
        prepared = self._upserts(items)
        self._upsert_batch(prepared)
        return [rec.id for rec in prepared if rec.id is not None]

    # -- queries ----------------------------------------------------------------------------
    def search(self, query: Query | None = None) -> list[Record]:
        """The records matching ``query``: filtered, sorted, paged and projected.

        Without sort keys records come in id order; sort ties break by id, so offset/limit
        paging is stable. A query without a limit returns every match.

        A query with ``similar_to`` returns its k nearest matches, nearest first (ties by
        id; no sort keys allowed; offset skips ranked hits); ``vector_search`` gives the
        scores too. docs/vectors.md."""
        q = self._supported(query)
        if q.vector_query is not None:
            return [rec for rec, _ in run_flow(self, self._vector_flow(q))]
        return self._search(q)

    def vector_search(self, query_vector: Any, vector_field: str = "embedding", k: int = 10,
                      *, metric: DistanceMetric | str | None = None,
                      filter: Query | None = None, score_threshold: float | None = None,
                      include_source: bool = True) -> list[VectorSearchResult]:
        """The ``k`` records nearest to ``query_vector`` on ``vector_field``, among those
        ``filter`` matches (exactly: filter first, then rank), each with its score (higher
        is nearer), nearest first, ties by id. ``metric`` None: the schema's declared
        metric, else cosine. ``filter.select(...)`` projects the records.
        ``include_source`` is accepted for dataknobs-data 0.11 compatibility."""
        del include_source
        q = self._supported(self._vector_query(query_vector, vector_field, k, metric, filter,
                                               score_threshold))
        return self._vector_results(run_flow(self, self._vector_flow(q)), vector_field)

    def count(self, query: Query | None = None) -> int:
        """How many records match the query's conditions (sort, paging and projection are
        ignored); all records when ``query`` is None."""
        return self._count(self._supported(query))

    def all(self) -> list[Record]:
        """Every record, in id order."""
        return self.search(Query())

    def clear(self) -> int:
        """Delete every record; returns how many there were."""
        return self._clear()

    # -- streaming --------------------------------------------------------------------------
    def stream_read(
        self, query: Query | None = None, config: StreamConfig | None = None
    ) -> Iterator[Record]:
        """Yield the records of ``search(query)`` in the same order, fetching
        ``config.batch_size`` at a time; memory stays bounded by the batch size on backends
        that page natively."""
        q = self._supported(query)
        if q.vector_query is not None:  # k ranked hits: one ranking, then its records
            yield from self.search(q)
            return
        yield from self._stream_read(q, config or StreamConfig())

    def stream_write(
        self, records: Iterable[RecordLike], config: StreamConfig | None = None
    ) -> StreamResult:
        """Write records from any iterable in batches of ``config.batch_size``.

        Records without an id get one before the first attempt, so a retry never writes a
        record twice. ``config.on_conflict`` says what a stored id means (a failure, a
        replacement, or a skip counted in ``skipped``). Failures are handled by
        ``config.on_error`` and every one is reported in the result; none is dropped
        silently: an item that is not a record or a mapping is a ``ValidationError`` at its
        index. The async port also takes an async iterator; this one refuses it with
        ``ValidationError``."""
        source = stream_source(records, allow_async=False)
        result: StreamResult = run_flow(self, self._stream_write_flow(source, config))
        return result

    def stream_transform(
        self,
        query: Query | None = None,
        transform: Callable[[Record], Record | None] | None = None,
        config: StreamConfig | None = None,
    ) -> Iterator[Record]:
        """``stream_read(query, config)`` through ``transform``: each record it returns, in
        order; a None result drops the record (``transform=None`` passes records through).
        On the async port ``transform`` may be a coroutine function."""
        return StreamProcessor.transform_stream(self.stream_read(query, config), transform)

    # -- the columnar path -------------------------------------------------------------------
    def write_arrow(self, data: Any, *, id_column: str | None = None, na: str = "null",
                    batch_size: int | None = None) -> int:
        """Create the records of Arrow data; returns how many were written.

        ``data``: a ``pyarrow.Table``, ``RecordBatch`` or ``RecordBatchReader``, anything with
        the Arrow stream interface (a pandas >= 2.2 or Polars DataFrame, a DuckDB result), or
        an iterable of tables and batches. A table in the dataknobs-data layout (what
        ``read_arrow`` yields, or a Parquet snapshot) gives back exactly its records: ids,
        metadata, missing fields and nulls, nested values. Any other table gives one record
        per row and one field per column, with ids from ``id_column`` (the column stays in the
        data) or assigned, and nulls stored as null (``na="null"``) or left out
        (``na="drop"``). docs/columnar.md.

        Each batch (``batch_size`` rows of a table; a stream's own batches) is written as one
        ``create_batch``: an invalid or taken id or an unstorable value in a batch writes
        none of that batch and raises ``BatchOperationError`` with the rows' indexes counted
        from the start of ``data``; the batches before it stay written, and the message
        says how many rows they held."""
        written: int = run_flow(self, self._write_arrow_flow(data, id_column, na, batch_size))
        return written

    def read_arrow(self, query: Query | None = None, *, batch_size: int | None = None
                   ) -> Iterator[Any]:
        """The records of ``search(query)``, in the same order, as ``pyarrow.RecordBatch``es of
        at most ``batch_size`` rows (default 10,000) in the dataknobs-data layout: columns
        ``$id``, ``$metadata`` and one per field, native Arrow types where a field's values
        in the batch allow, typed JSON text otherwise, so ``write_arrow`` of the batches
        restores the records exactly (docs/columnar.md). Memory stays bounded by the batch
        size on backends that page natively. Each batch carries its own layout; ``to_arrow``
        joins them into one table."""
        q = self._supported(query)
        yield from stream_flow(self, self._read_arrow_flow(q, batch_size))

    def to_arrow(self, query: Query | None = None, *, batch_size: int | None = None) -> Any:
        """``read_arrow`` as one ``pyarrow.Table`` (a field whose column type differs between
        batches becomes a typed JSON column, so the table still reads back exactly)."""
        return columnar.concat_layout(list(self.read_arrow(query, batch_size=batch_size)))

    def _arrow_batches(self, query: Query, batch_size: int) -> Iterator[Any] | None:
        """Adapter hook: the layout batches of a normalised, non-vector query, natively
        (what ``columnar.records_table`` would make of the ``_stream_read`` records, batch
        by batch), or None (the default) to have the port build them from records."""
        return None

    # -- hooks adapters implement ------------------------------------------------------------
    @abstractmethod
    def _create(self, record_id: str, record: Record) -> None:
        """Store a prepared record; raise ``RecordExistsError`` if the id is taken."""

    @abstractmethod
    def _read(self, record_id: str) -> Record | None:
        """Return a copy of the stored record, or None."""

    @abstractmethod
    def _update(self, record_id: str, record: Record, expected_version: str | None) -> bool:
        """Replace the stored record; False if absent (ConcurrencyError if a version was
        expected)."""

    @abstractmethod
    def _delete(self, record_id: str, expected_version: str | None) -> bool:
        """Delete the stored record; False if absent (ConcurrencyError if a version was
        expected)."""

    @abstractmethod
    def _upsert(self, record_id: str, record: Record, expected_version: str | None) -> None:
        """Create or replace the record."""

    @abstractmethod
    def _search(self, query: Query) -> list[Record]:
        """Run a normalised query with the full semantics of docs/query-semantics.md."""

    @abstractmethod
    def _count(self, query: Query) -> int:
        """Count the matches of the query's conditions."""

    @abstractmethod
    def _clear(self) -> int:
        """Delete every record; return how many there were."""

    @abstractmethod
    def _get_version(self, record_id: str) -> str | None:
        """The record's current version token, or None."""

    def _exists(self, record_id: str) -> bool:
        return self._get_version(record_id) is not None

    def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        """Store prepared records; return failures by index (default: one at a time).

        Backends with ``capabilities.atomic_batches`` write nothing when they report a failure;
        others report exactly the indexes they did not write."""
        failures: dict[int, BaseException] = run_flow(self, self._create_each_flow(records))
        return failures

    def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        return [self._read(rid) for rid in record_ids]

    def _vector_hits(self, query: Query, vq: VectorQuery, metric: DistanceMetric, skip: int,
                     take: int) -> list[tuple[Record, float]] | None:
        """The native nearest-neighbour search: the ``take`` (record, score) hits after the
        first ``skip`` of ``vq`` among ``query``'s matches, as ``domain.vectors.rank`` would
        rank them (declare ``capabilities.approximate_vectors`` otherwise). Default None:
        the port ranks the matches itself."""
        return None

    def _update_batch(self, updates: list[tuple[str, Record]]) -> list[bool]:
        return [self._update(rid, rec, None) for rid, rec in updates]

    def _delete_batch(self, record_ids: list[str]) -> list[bool]:
        return [self._delete(rid, None) for rid in record_ids]

    def _upsert_batch(self, records: list[Record]) -> None:
        for rec in records:
            assert rec.id is not None
            self._upsert(rec.id, rec, None)

    def _stream_read(self, query: Query, config: StreamConfig) -> Iterator[Record]:
        """Default: run the query once and yield its results (adapters that can page
        natively override this to keep memory flat)."""
        yield from self._search(query)


def check_version(record_id: str, expected: str | None, actual: str | None) -> None:
    """Raise ``ConcurrencyError`` when a conditional write's version does not match."""
    if expected is not None and expected != actual:
        raise ConcurrencyError(record_id, expected, actual)
