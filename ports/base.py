"""What the sync and async ports share, written once: configuration, argument preparation,
batch bookkeeping, and the multi-step operations as sans-I/O flows.

``SyncDatabase`` and ``AsyncDatabase`` differ only in how they call their hooks (directly, or
awaited). Everything else lives here: the ``PortBase`` class they both derive from holds the
non-I/O part of every public method, and an operation with several I/O steps
(``stream_write``'s batches, retries and backoff, in ``ports.writes``; the default
one-at-a-time ``_create_batch``) is a generator that yields a ``Call`` per step, run by the
two drivers of ``ports.flows``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Self

from ..domain import columnar
from ..domain.errors import (
    BatchOperationError,
    ConfigurationError,
    DataknobsError,
    QueryError,
    UnsupportedQueryError,
    ValidationError,
)
from ..domain.query import Query
from ..domain.records import Record
from ..domain.schema import Schema
from ..domain.vectors import (
    DistanceMetric,
    TopK,
    VectorQuery,
    VectorSearchResult,
    numpy,
    vectors_of,
)
from .capabilities import Capabilities, check_supported
from .flows import Call, Close, Emit, Flow, Stream, Take
from .options import check_options
from .preparation import (
    check_id,
    normalize_query,
    prepare_batch,
    prepare_record,
    split_upsert,
    split_upsert_items,
)
from .streaming import StreamConfig, WritePlan
from .writes import WriteVerbs, stream_write_flow

RecordLike = Record | Mapping[str, Any]

#: Builds an adapter by backend name: ``(backend, options, use_async) -> adapter``. The ports
#: cannot import the registry (it sits above them), so ``dataknobs_data.containers`` installs
#: its factory here when it is imported (``build_backend`` imports it on first use).
_backend_builder: Callable[[str, Mapping[str, Any], bool], Any] | None = None


def install_backend_builder(builder: Callable[[str, Mapping[str, Any], bool], Any]) -> None:
    """Let ``from_backend`` build adapters with ``builder`` (the container's factory)."""
    global _backend_builder
    _backend_builder = builder


def build_backend(backend: str, config: Mapping[str, Any] | None, use_async: bool) -> Any:
    """The adapter of ``backend`` (sync or async) with ``config`` (``from_backend``)."""
    if _backend_builder is None:
        # the registry installs its builder when imported; ``import dataknobs_data`` leaves
        # that to first use (the layers above the ports are imported on demand)
        importlib.import_module("..containers", __package__)
    if _backend_builder is None:  # pragma: no cover - the import above installs it
        raise ConfigurationError("import dataknobs_data.containers to build backends by name")
    return _backend_builder(backend, dict(config or {}), use_async)


class PortBase:
    """The part of both ports that does no I/O (see ``SyncDatabase`` for the contract)."""

    #: Declared backend differences; the conformance suite reads them.
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: The registry name of this backend (for messages and ``info``).
    backend_name: ClassVar[str] = "abstract"
    #: True where the adapter turns every record it is handed into its stored form before
    #: the write returns and keeps no reference to it: the port then checks plain values and
    #: passes them on instead of copying them (``prepare_record(copy=False)``).
    serializes_writes: ClassVar[bool] = False
    @property
    def checked_stream(self) -> bool:
        """True while ``stream_read(copy=False)`` yields the store's own stored records, every
        one of which is known to hold only values the port's check passes (checked when
        written, or screened when loaded), and never changes them in place: the ``Migrator``
        then vouches for them to the target (``preparation.VOUCHED``). Memory always; the
        file store while every record it loaded was known plain (a Parquet snapshot's
        screened columns, walked log lines; a JSON Lines file another program wrote can hold
        NaN or a 100-bit integer, which the port refuses). Once False, False for good."""
        return False

    def __init__(self, *, schema: Schema | Mapping[str, Any] | None = None) -> None:
        self.schema: Schema | None = Schema.from_config(schema)

    def supports_transactions(self) -> bool:
        """Whether ``transaction()`` is honoured here (dataknobs-data 0.11's name for
        ``capabilities.transactions``)."""
        return self.capabilities.transactions

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """Build from a configuration mapping (the YAML entry of one database).

        ``name``, ``backend``, ``class``, ``type`` and ``async`` are routing keys
        (``ports.options.ROUTING_KEYS``) and are ignored here; any other unknown key raises
        ``ConfigurationError`` naming it and the nearest valid option."""
        options = check_options(cls.backend_name, cls, config)
        return cls(**options)

    def _no_transactions(self) -> UnsupportedQueryError:
        return UnsupportedQueryError(f"{self.backend_name} does not support transactions")

    # -- preparing arguments -----------------------------------------------------------------
    def _new_record(self, record: RecordLike) -> tuple[str, Record]:
        rec = prepare_record(record, None, self.schema,
                             copy=not self.serializes_writes)
        assert rec.id is not None
        return rec.id, rec

    def _replacement(self, record_id: str, record: RecordLike) -> tuple[str, Record]:
        rid = check_id(record_id)
        return rid, prepare_record(record, rid, self.schema, copy=not self.serializes_writes)

    def _upserted(self, id_or_record: str | RecordLike, record: RecordLike | None
                  ) -> tuple[str, Record]:
        rid, body = split_upsert(id_or_record, record)
        rec = prepare_record(body, rid, self.schema, copy=not self.serializes_writes)
        assert rec.id is not None
        return rec.id, rec

    def _new_batch(self, records: Iterable[RecordLike], copy: bool = True) -> list[Record]:
        """The prepared records of a create batch; nothing is written when one is invalid.
        ``copy=False``: the caller hands the records over (``create_batch``)."""
        prepared, invalid = prepare_batch(records, self.schema,
                                          copy=copy and not self.serializes_writes)
        if invalid:
            raise BatchOperationError("create_batch", {}, invalid)
        return prepared

    def _batch_ids(self, records: list[Record], failures: dict[int, BaseException]) -> list[str]:
        """The ids of a written create batch, or ``BatchOperationError`` for its failures."""
        ids = [rec.id for rec in records]
        if failures:
            # an atomic backend that reports failures has written none of the batch
            succeeded = {} if self.capabilities.atomic_batches else {
                i: rid for i, rid in enumerate(ids) if i not in failures}
            raise BatchOperationError("create_batch", succeeded, failures)
        return [rid for rid in ids if rid is not None]

    def _replacements(self, updates: Sequence[tuple[str, RecordLike]]
                      ) -> list[tuple[str, Record]]:
        return [self._replacement(rid, rec) for rid, rec in updates]

    def _upserts(self, items: Sequence[RecordLike | tuple[str, RecordLike]]) -> list[Record]:
        copy = not self.serializes_writes
        return [prepare_record(rec, rid, self.schema, copy=copy)
                for rid, rec in split_upsert_items(items)]

    def _supported(self, query: Query | None) -> Query:
        """The normalized query, checked against ``capabilities.unsupported_operators``."""
        return check_supported(normalize_query(query), self.capabilities, self.backend_name)

    # -- vector search ---------------------------------------------------------------------
    #: records ranked per batch on the generic vector path (its memory bound)
    vector_batch: ClassVar[int] = 2048

    def _vector_query(self, query_vector: Any, vector_field: str, k: int,
                      metric: DistanceMetric | str | None, filter: Query | None,
                      score_threshold: float | None) -> Query:
        """The query ``vector_search`` runs: ``filter`` (its conditions and projection)
        with ``similar_to``."""
        base = Query() if filter is None else normalize_query(filter).copy()
        return base.similar_to(query_vector, vector_field, k, metric,
                               score_threshold=score_threshold)

    def _vector_plan(self, query: Query) -> tuple[Query, VectorQuery, DistanceMetric, int, int]:
        """What a ``similar_to`` query asks, checked: the filter-only query, the vector
        query with its metric resolved (the schema's declared one, else cosine), how many
        ranked hits to skip and how many to return."""
        vq = query.vector_query
        assert vq is not None
        if query.sort_specs:
            raise QueryError("a similar_to query is ranked by score: remove its sort keys "
                             f"({', '.join(s.field for s in query.sort_specs)})")
        declared = self.schema.vector_field(vq.field) if self.schema is not None else None
        metric = vq.metric
        if declared is not None:
            if declared.dimensions is not None and declared.dimensions != len(vq.vector):
                raise QueryError(f"the query vector has {len(vq.vector)} dimensions; field "
                                 f"{vq.field!r} is declared with {declared.dimensions}")
            if metric is None and declared.metric is not None:
                metric = DistanceMetric(declared.metric)
        metric = metric or DistanceMetric.COSINE
        take = vq.k if query.limit_value is None else min(vq.k, query.limit_value)
        base = Query(list(query.filters))
        return base, vq.resolved(metric), metric, query.offset_value or 0, take

    def _vector_flow(self, query: Query) -> Flow:
        """The ranked (record, score) hits of a ``similar_to`` query: the adapter's native
        ``_vector_hits`` when it has one (it returns None otherwise), else the reference
        ranking (``domain.vectors``) over the filter's matches, streamed
        ``vector_batch`` records at a time."""
        base, vq, metric, skip, take = self._vector_plan(query)
        if take == 0:
            return []
        hits = yield Call("_vector_hits", (base, vq, metric, skip, take))
        if hits is None:
            # the matches' vectors only (the adapter projects), then the winners in full
            np = numpy()
            top = TopK(vq, metric, skip + take)
            scan = Query(list(base.filters), fields=[vq.field])
            records = yield Stream(self, "_stream_read", (scan, StreamConfig(
                batch_size=self.vector_batch)))
            while True:
                chunk = yield Take(records, self.vector_batch)
                if not chunk:
                    break
                ids, rows, _ = vectors_of(chunk, vq)
                if ids:
                    top.add(ids, np.asarray(rows, dtype=np.float64), ids)
            ranked = top.hits(skip)[:take]
            full = yield Call("_read_batch", ([rid for rid, _ in ranked],))
            # a winner deleted since the scan is left out, never replaced by a loser
            hits = [(rec, score) for rec, (_, score) in zip(full, ranked, strict=True)
                    if rec is not None]
        if query.fields:
            hits = [(rec.project(query.fields), score) for rec, score in hits]
        return hits

    @staticmethod
    def _vector_results(hits: list[tuple[Record, float]], field: str
                        ) -> list[VectorSearchResult]:
        return [VectorSearchResult(rec, score, field) for rec, score in hits]

    # -- flows ---------------------------------------------------------------------------------
    # -- the columnar path (domain.columnar; docs/columnar.md) -------------------------------
    #: rows per Arrow batch when the caller gives no ``batch_size``
    arrow_batch: ClassVar[int] = 10_000

    @staticmethod
    def _arrow_batch_size(batch_size: int | None) -> int:
        if batch_size is None:
            return PortBase.arrow_batch
        if type(batch_size) is not int or batch_size < 1:
            raise ValidationError(f"batch_size must be a positive integer, got {batch_size!r}")
        return batch_size

    def _write_arrow_flow(self, data: Any, id_column: str | None, na: str,
                          batch_size: int | None) -> Flow:
        """``write_arrow``: each Arrow batch decoded column by column (``domain.columnar``),
        checked as ``create_batch`` checks records (the decoded values are fresh, so they
        are checked, not copied) and written by the adapter's ``_create_batch``; returns the
        number of records written."""
        size = self._arrow_batch_size(batch_size)
        written = 0
        for batch in columnar.arrow_batches(data, size):
            records = columnar.batch_records(batch, id_column=id_column, na=na)  # type: ignore[arg-type]
            batch_records, invalid = prepare_batch(records, self.schema, copy=False)
            operation = "write_arrow" if not written else (
                f"write_arrow (the {written:,} rows before this batch were written)")
            if invalid:
                raise BatchOperationError(operation, {},
                                          {written + i: e for i, e in invalid.items()})
            failures = yield Call("_create_batch", (batch_records,))
            if failures:
                succeeded = {} if self.capabilities.atomic_batches else {
                    written + i: rec.id for i, rec in enumerate(batch_records)
                    if i not in failures}
                raise BatchOperationError(
                    operation, succeeded, {written + i: e for i, e in failures.items()})
            written += len(batch_records)
        return written

    def _read_arrow_flow(self, query: Query, batch_size: int | None) -> Flow:
        """``read_arrow``: the adapter's native batches (``_arrow_batches``) when it has
        them, else its ``_stream_read`` records in layout batches of ``batch_size``."""
        size = self._arrow_batch_size(batch_size)
        if query.vector_query is not None:  # k ranked hits: one ranking, then its records
            records = iter((yield Call("search", (query,))))
        else:
            native = yield Call("_arrow_batches", (query, size))
            if native is not None:
                for batch in native:
                    yield Emit(batch)
                return
            records = yield Stream(self, "_stream_read", (query, StreamConfig(batch_size=size)))
        try:
            while True:
                chunk = yield Take(records, size)
                if not chunk:
                    break
                for batch in columnar.records_table(chunk).to_batches():
                    yield Emit(batch)
        finally:
            yield Close(records)

    def _stream_write_flow(self, source: Any, config: StreamConfig | None) -> Flow:
        """``stream_write`` over the iterator ``source``: batches, the conflict policy,
        retries with backoff, and the result (``ports.writes``)."""
        cfg = config or StreamConfig()
        return stream_write_flow(source, WritePlan(cfg), WriteVerbs.for_conflicts(cfg.on_conflict,
                                                                           cfg.copy))

    def _create_each_flow(self, records: list[Record]) -> Flow:
        """The default ``_create_batch``: one ``_create`` per record, failures by index."""
        failures: dict[int, BaseException] = {}
        for i, rec in enumerate(records):
            try:
                assert rec.id is not None
                yield Call("_create", (rec.id, rec))
            except DataknobsError as err:
                failures[i] = err
        return failures

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def share_docs(target: type, source: type) -> None:
    """Give ``target``'s undocumented methods (public ones and hooks) the docstring of
    ``source``'s method of the same name: the sync port's docstrings are the one written
    specification."""
    for name, member in vars(target).items():
        if name.startswith("__"):
            continue
        func = getattr(member, "__func__", member)
        if inspect.isfunction(func) and not func.__doc__:
            spec = getattr(source, name, None)
            if spec is not None and spec.__doc__:
                func.__doc__ = spec.__doc__
