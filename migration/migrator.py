"""Copy records between any two databases: batches, transforms, checkpoints, verification.

``Migrator(source, target)`` streams the source (``stream_read``; never the whole source in
memory), passes each record through the transforms, and writes batches to the target with
the error policy of ``StreamConfig`` (stop, skip and report, retry). ``AsyncMigrator`` does
the same on the async ports. The bookkeeping both share lives in ``MigrationRun`` and the
run itself is one sans-I/O flow (``ports.flows``) that each migrator's driver performs, so the
two never drift apart.

Resuming (see ``checkpoint``): with a checkpoint store, progress is saved after every batch;
``run(resume=True)`` continues after the last saved batch, re-writing the batch after it with
upserts, so nothing is duplicated and nothing is skipped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import inspect
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from ..domain.errors import DataknobsError, MigrationError
from ..domain.matcher import compile_query
from ..domain.operators import Operator
from ..domain.query import Query
from ..domain.records import Record
from ..ports.async_database import AsyncDatabase
from ..ports.database import SyncDatabase
from ..ports.flows import Apply, Call, Close, Flow, Next, Stream, Take, arun_flow, run_flow
from ..ports.preparation import prepare_record, vouching
from ..ports.streaming import (
    ConflictPolicy,
    ErrorPolicy,
    StreamConfig,
    StreamFailure,
    StreamResult,
)
from .checkpoint import Checkpoint, CheckpointStore, FileCheckpointStore
from .checksum import differing_fields, record_checksum
from .names import alias
from .transforms import Pipeline, Transform, describe

WriteMode = Literal["create", "upsert", "skip"]
DB = TypeVar("DB", SyncDatabase, AsyncDatabase)
ProgressCallback = Callable[["MigrationProgress"], None]

#: how many ids a verification report lists per kind (the counts are always exact)
MAX_LISTED = 1000


class CheckpointConflictError(MigrationError):
    """The migration id has a checkpoint that this run may not silently reuse or overwrite:
    resume it, or clear it (``Migrator.reset``) to start over."""


# -- results ------------------------------------------------------------------------------
@dataclass
class MigrationProgress:
    """Where a migration is; passed to the progress callback after every batch.

    ``read`` source records were consumed: ``written``, ``dropped`` by a transform, left as
    ``existing`` in the target (mode ``"skip"``), or ``failed``. dataknobs-data 0.11's names
    are properties over these (``processed``, ``succeeded``, ``skipped``), and its tallying
    methods (``record_success``, ...) work on a progress built with no arguments, as 0.11
    code builds one."""

    migration_id: str = ""
    read: int = 0
    written: int = 0
    dropped: int = 0
    failed: int = 0
    total: int | None = None
    elapsed: float = 0.0
    resumed_from: int = 0
    existing: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    start_time: float | None = None
    end_time: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> int:
        """Source records consumed, including those consumed by earlier (resumed) runs."""
        return self.resumed_from + self.read

    @property
    def rate(self) -> float:
        """Source records per second in this run."""
        return self.read / self.duration if self.duration > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, estimated from the rate (None when the total is unknown)."""
        if self.total is None or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)

    # -- dataknobs-data 0.11's names ---------------------------------------------------------
    processed = alias("read", "Records consumed in this run (``read``).", writable=True)
    succeeded = alias("written", "Records written (``written``).", writable=True)

    @property
    def skipped(self) -> int:
        """Records dropped by a transform or left because the target had them."""
        return self.dropped + self.existing

    @skipped.setter
    def skipped(self, value: int) -> None:
        self.dropped = value - self.existing

    @property
    def duration(self) -> float:
        """Seconds since ``start()`` (until ``finish()``), else the reported ``elapsed``."""
        if self.start_time is None:
            return self.elapsed
        return (self.end_time if self.end_time is not None else time.time()) - self.start_time

    @property
    def percent(self) -> float:
        """Percent of ``total`` consumed (0 when the total is unknown or 0)."""
        return 100.0 * self.done / self.total if self.total else 0.0

    @property
    def success_rate(self) -> float:
        """Percent of the consumed records that were written."""
        return 100.0 * self.written / self.read if self.read else 0.0

    @property
    def is_complete(self) -> bool:
        """Every record of a known, non-zero total was consumed."""
        return bool(self.total) and self.done >= (self.total or 0)

    @property
    def has_errors(self) -> bool:
        """Some record failed."""
        return self.failed > 0 or bool(self.errors)

    def start(self) -> MigrationProgress:
        """Start the clock; returns self."""
        self.start_time = time.time()
        return self

    def finish(self) -> MigrationProgress:
        """Stop the clock; returns self."""
        self.end_time = time.time()
        return self

    def record_success(self, record_id: str | None = None) -> MigrationProgress:
        """Count one written record."""
        self.read += 1
        self.written += 1
        return self

    def record_failure(self, error: str, record_id: str | None = None,
                       exception: BaseException | None = None) -> MigrationProgress:
        """Count one failed record, listing its error (the first ``MAX_LISTED``)."""
        return self.record_batch_failure(1, error, exception, record_id)

    def record_batch_failure(self, count: int, error: str,
                             exception: BaseException | None = None,
                             record_id: str | None = None) -> MigrationProgress:
        """Count ``count`` failed records under one error."""
        self.read += count
        self.failed += count
        if len(self.errors) < MAX_LISTED:
            self.errors.append({"error": error, "record_id": record_id, "count": count,
                                "exception": type(exception).__name__ if exception else None})
        return self

    def record_skip(self, reason: str, record_id: str | None = None) -> MigrationProgress:
        """Count one record dropped on purpose."""
        self.read += 1
        self.dropped += 1
        return self

    def add_warning(self, warning: str) -> MigrationProgress:
        """Keep a warning."""
        self.warnings.append(warning)
        return self

    def set_metadata(self, key: str, value: Any) -> MigrationProgress:
        """Keep a value under ``key``."""
        self.metadata[key] = value
        return self

    def merge(self, other: MigrationProgress) -> MigrationProgress:
        """Add another progress's counts (of a parallel part) to this one; returns self."""
        if self.total is not None or other.total is not None:
            self.total = (self.total or 0) + (other.total or 0)
        self.read += other.read
        self.written += other.written
        self.dropped += other.dropped
        self.failed += other.failed
        self.errors.extend(other.errors[: max(0, MAX_LISTED - len(self.errors))])
        self.warnings.extend(other.warnings)
        for key, value in other.metadata.items():
            mine = self.metadata.get(key)
            self.metadata[key] = value if key not in self.metadata else \
                [*(mine if isinstance(mine, list) else [mine]),
                 *(value if isinstance(value, list) else [value])]
        return self

    def get_summary(self) -> str:
        """Lines for people: percent, counts, duration and rate."""
        total = "?" if self.total is None else str(self.total)
        lines = [f"{self.migration_id or 'migration'}: {self.percent:.1f}% of {total}",
                 f"processed {self.read}: succeeded {self.written}, failed {self.failed}, "
                 f"skipped {self.dropped}"]
        if self.duration > 0:
            lines.append(f"{self.duration:.2f}s, {self.rate:.1f} records/s")
        if self.warnings:
            lines.append(f"warnings: {len(self.warnings)}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form, with the derived values."""
        return {**dataclasses.asdict(self), "processed": self.read, "succeeded": self.written,
                "skipped": self.dropped, "percent": self.percent,
                "success_rate": self.success_rate, "duration": self.duration,
                "is_complete": self.is_complete, "has_errors": self.has_errors}

    def __str__(self) -> str:
        return self.get_summary()


@dataclass
class RecordMismatch:
    """One record whose target copy differs from what the migration should have written."""

    record_id: str
    fields: list[str]


@dataclass
class VerificationReport:
    """Counts and per-record checksum comparison of a finished migration.

    ``expected``: records the source and transforms produce; ``matched``: target records
    with equal checksums; ``missing``, ``mismatched``, ``extra``: exact counts, with up to
    ``MAX_LISTED`` ids each."""

    expected: int = 0
    target_count: int = 0
    matched: int = 0
    missing: int = 0
    mismatched: int = 0
    extra: int = 0
    missing_ids: list[str] = field(default_factory=list)
    mismatches: list[RecordMismatch] = field(default_factory=list)
    extra_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the target holds exactly the expected records with equal checksums."""
        return self.missing == 0 and self.mismatched == 0 and self.extra == 0

    def summary(self) -> str:
        """One line for people."""
        verdict = "OK" if self.ok else "MISMATCH"
        return (f"verify {verdict}: expected {self.expected}, target has {self.target_count}, "
                f"matched {self.matched}, missing {self.missing}, mismatched "
                f"{self.mismatched}, extra {self.extra}")

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        return {"ok": self.ok, **dataclasses.asdict(self)}


@dataclass
class MigrationResult:
    """What ``run`` did. Counts are of this run; ``total_*`` include resumed runs."""

    migration_id: str
    read: int = 0
    written: int = 0
    dropped: int = 0
    failed: int = 0
    failures: list[StreamFailure] = field(default_factory=list)
    resumed_from: int = 0
    resume_mode: str = "fresh"
    dry_run: bool = False
    stopped_early: bool = False
    completed: bool = False
    duration: float = 0.0
    total_written: int = 0
    total_failed: int = 0
    verification: VerificationReport | None = None
    existing: int = 0

    @property
    def ok(self) -> bool:
        """True when everything read was written or dropped on purpose (and verified)."""
        verified = self.verification is None or self.verification.ok
        return self.failed == 0 and not self.stopped_early and verified

    def summary(self) -> str:
        """One line for people."""
        what = "would write" if self.dry_run else "written"
        resumed = f" (resumed after {self.resumed_from})" if self.resumed_from else ""
        stopped = ", STOPPED at the first failure" if self.stopped_early else ""
        existing = f", already there {self.existing}" if self.existing else ""
        return (f"{self.migration_id}: read {self.read}{resumed}, {what} {self.written}, "
                f"dropped {self.dropped}{existing}, failed {self.failed}{stopped} "
                f"in {self.duration:.2f}s")

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form (with ``ok``, and the verification's own form)."""
        verification = self.verification.as_dict() if self.verification else None
        return {"ok": self.ok, **dataclasses.asdict(self), "verification": verification}


# -- the shared bookkeeping -----------------------------------------------------------------
@dataclass
class MigrationSpec:
    """The definition of a migration (what ``Migrator`` and ``AsyncMigrator`` share)."""

    query: Query
    transform: Pipeline
    batch_size: int = 1000
    on_error: ErrorPolicy = "stop"
    max_retries: int = 3
    retry_delay: float = 0.05
    mode: WriteMode = "create"
    checkpoints: CheckpointStore | None = None
    migration_id: str = ""
    progress: ProgressCallback | None = None
    include_metadata: bool = True
    #: stored in a new checkpoint (``Checkpoint.options``)
    options: dict[str, Any] = field(default_factory=dict)

    def stream_config(self) -> StreamConfig:
        """The ``StreamConfig`` for reading and writing. Without a transform the records
        read are only handed to the target, which never changes them (``_write``): the
        source need not copy them out (``copy=False``)."""
        return StreamConfig(batch_size=self.batch_size, on_error=self.on_error,
                            max_retries=self.max_retries, retry_delay=self.retry_delay,
                            copy=bool(self.transform))

    def fingerprint(self) -> str:
        """A hash of the query and transforms: a checkpoint is only resumed by the same
        definition."""
        text = json.dumps({"query": self.query.to_dict(),
                           "transforms": describe(self.transform.transforms)},
                          sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_spec(source: Any, target: Any, *, query: Query | None,
               transforms: Transform | Sequence[Transform] | None, batch_size: int,
               on_error: ErrorPolicy, max_retries: int, retry_delay: float, mode: WriteMode,
               checkpoint: CheckpointStore | str | Path | None, migration_id: str | None,
               progress: ProgressCallback | None, include_metadata: bool,
               options: dict[str, Any] | None = None) -> MigrationSpec:
    """Validate the arguments of a migrator."""
    if mode not in ("create", "upsert", "skip"):
        raise MigrationError(f"mode must be 'create', 'upsert' or 'skip', got {mode!r}")
    if transforms is None:
        pipeline = Pipeline()
    elif isinstance(transforms, Pipeline):
        pipeline = transforms
    elif callable(transforms):
        pipeline = Pipeline([transforms])
    else:
        pipeline = Pipeline(transforms)
    store: CheckpointStore | None
    store = FileCheckpointStore(checkpoint) if isinstance(checkpoint, str | Path) else checkpoint
    q = query.copy() if query is not None else Query()
    if not isinstance(q, Query):
        raise MigrationError(f"query must be a Query, got {type(query).__name__}")
    if store is not None and q.sort_specs:
        raise MigrationError(
            "a resumable migration reads the source in id order; remove the query's sort keys "
            "(or migrate without a checkpoint)")
    spec = MigrationSpec(q, pipeline, batch_size, on_error, max_retries, retry_delay, mode,
                         store, "", progress, include_metadata, dict(options or {}))
    spec.stream_config()  # validates batch size and policy
    spec.migration_id = migration_id or (
        f"{source.backend_name}-to-{target.backend_name}-{spec.fingerprint()[:8]}")
    return spec


class MigrationRun:
    """The state of one ``run``: checkpoint, counters, transforms, resume anchor, order
    check. Drivers feed it source batches and the target's write results."""

    def __init__(self, spec: MigrationSpec, *, resume: bool, dry_run: bool) -> None:
        self.spec = spec
        self.dry_run = dry_run
        self.started = time.perf_counter()
        self.result = MigrationResult(spec.migration_id, dry_run=dry_run)
        self.total: int | None = None
        saved = spec.checkpoints.load(spec.migration_id) if spec.checkpoints else None
        if saved is not None and not resume and not dry_run:
            raise CheckpointConflictError(
                f"migration {spec.migration_id!r} has a checkpoint at record {saved.position} "
                f"({'completed' if saved.completed else 'unfinished'}); resume it, or clear "
                "the checkpoint to start over")
        if saved is not None and saved.fingerprint != spec.fingerprint():
            raise CheckpointConflictError(
                f"migration {spec.migration_id!r}: the checkpoint was made with a different "
                "query or transforms; clear it or use another migration id")
        if saved is None or dry_run:
            saved = Checkpoint(spec.migration_id, spec.fingerprint(),
                               options=dict(spec.options))
        self.checkpoint = saved
        self.result.resumed_from = saved.position
        #: the first batch after a checkpoint may be partly written: upsert it
        self.replay = saved.position > 0
        self.previous_id: str | None = saved.last_id
        self.resume_scan = False

    # -- reading --------------------------------------------------------------------------
    @property
    def finished_before(self) -> bool:
        """The checkpoint says this migration already completed."""
        return self.checkpoint.completed

    def anchored_query(self) -> Query | None:
        """The query that re-reads from the last checkpointed record (None: start fresh)."""
        cp = self.checkpoint
        if cp.position == 0 or cp.last_id is None:
            return None
        q = self.spec.query.copy()
        q.offset((q.offset_value or 0) + cp.position - 1)
        if q.limit_value is not None:
            q.limit(max(0, q.limit_value - cp.position + 1))
        return q

    def anchor_holds(self, first: Record | None) -> bool:
        """Whether the first record of the anchored stream is the checkpoint's last record."""
        return first is not None and first.id == self.checkpoint.last_id

    def start_scan(self) -> Query:
        """Fall back to reading from the start, skipping ids up to the checkpoint's."""
        self.resume_scan = True
        self.result.resume_mode = "scan"
        # the same window as the first run: its records up to last_id are skipped, not cut
        return self.spec.query.copy()

    def skip_in_scan(self, record: Record) -> bool:
        """In scan mode, whether this record was migrated before the checkpoint."""
        last = self.checkpoint.last_id
        return self.resume_scan and last is not None and (record.id or "") <= last

    def check_order(self, record: Record) -> None:
        """A checkpointed migration needs strictly increasing ids from the source."""
        if self.spec.checkpoints is None:
            return
        rid = record.id or ""
        if self.previous_id is not None and rid <= self.previous_id:
            raise MigrationError(
                f"source stream is not in id order ({rid!r} after {self.previous_id!r}); "
                "resumable migrations need the id order of stream_read")
        self.previous_id = rid

    # -- transforming ---------------------------------------------------------------------
    def transform(self, batch: list[Record], target_schema: Any
                  ) -> tuple[list[Record], list[int], list[StreamFailure]]:
        """Transformed records, the batch index of each, and transform failures."""
        if not self.spec.transform and not self.dry_run:
            ids = [rec.id for rec in batch]
            if None not in ids:  # what the loop below makes of them: the records themselves
                return list(batch), list(range(len(batch))), []
        out: list[Record] = []
        where: list[int] = []
        failures: list[StreamFailure] = []
        base = self.checkpoint.position
        for i, rec in enumerate(batch):
            try:
                new = self.spec.transform(rec) if self.spec.transform else rec
                if new is not None and new.id is None:
                    new = new.with_id(rec.id or "")  # the source id carries over
                if new is not None and self.dry_run:
                    prepare_record(new, None, target_schema)  # what the target would refuse
            except Exception as err:  # user code: reported per record, never lost
                kind = "invalid" if isinstance(err, DataknobsError) else "transform failed"
                failures.append(StreamFailure(base + i, rec.id, f"{kind}: {err}"))
                continue
            if new is None:
                continue
            out.append(new)
            where.append(i)
        return out, where, failures

    # -- settling -------------------------------------------------------------------------
    def settle(self, batch: list[Record], where: list[int], written: StreamResult | None,
               failures: list[StreamFailure]) -> bool:
        """Account for one batch; save the checkpoint. False when the migration stops."""
        cp = self.checkpoint
        base = cp.position
        result = self.result
        all_failures = list(failures)
        if written is not None:
            result.written += written.successful
            result.existing += written.skipped
            for f in written.failures:
                all_failures.append(StreamFailure(base + where[f.index], f.record_id, f.error))
        elif self.dry_run:
            result.written += len(where)
        all_failures.sort(key=lambda f: f.index)
        result.failed += len(all_failures)
        result.failures.extend(all_failures[: max(0, MAX_LISTED - len(result.failures))])
        if all_failures and self.spec.on_error == "stop" and not self.dry_run:
            result.stopped_early = True
            return False
        dropped = len(batch) - len(where) - len(failures)
        result.dropped += dropped
        cp.dropped += dropped
        result.read += len(batch)
        for f in all_failures:
            cp.add_failure(f.__dict__)
        cp.position += len(batch)
        cp.read += len(batch)
        if batch:
            cp.last_id = batch[-1].id
        cp.written += written.successful if written is not None else 0
        self.replay = False
        self._save()
        self._report()
        return True

    def finish(self) -> MigrationResult:
        """Mark completion (unless stopped) and return the result."""
        result = self.result
        cp = self.checkpoint
        if not result.stopped_early:
            cp.completed = True
            result.completed = True
            self._save()
        result.total_written = cp.written
        result.total_failed = cp.failed
        result.duration = time.perf_counter() - self.started
        self._report()
        return result

    def _save(self) -> None:
        if self.spec.checkpoints is not None and not self.dry_run:
            self.spec.checkpoints.save(self.checkpoint)

    def _report(self) -> None:
        if self.spec.progress is None:
            return
        r = self.result
        self.spec.progress(MigrationProgress(
            self.spec.migration_id, r.read, r.written, r.dropped, r.failed, self.total,
            time.perf_counter() - self.started, r.resumed_from, existing=r.existing))

    def expected_total(self, count: int) -> None:
        """Set the progress total from the source's count of the query's matches."""
        q = self.spec.query
        n = max(0, count - (q.offset_value or 0))
        if q.limit_value is not None:
            n = min(n, q.limit_value)
        self.total = n


class Verification:
    """The comparison logic of ``verify`` (shared by the sync and async migrators)."""

    def __init__(self, spec: MigrationSpec) -> None:
        self.spec = spec
        self.report = VerificationReport()
        self.present = 0
        q = spec.query
        self.matches = compile_query(Query(list(q.filters)))
        self.window = q.offset_value is not None or q.limit_value is not None

    def expected(self, batch: list[Record]) -> list[Record]:
        out = []
        for rec in batch:
            new = self.spec.transform(rec.copy()) if self.spec.transform else rec
            if new is not None:
                if new.id is None:
                    new = new.with_id(rec.id or "")
                out.append(new)
        return out

    def compare(self, expected: list[Record], actual: Sequence[Record | None]) -> None:
        report = self.report
        meta = self.spec.include_metadata
        for exp, got in zip(expected, actual, strict=True):
            report.expected += 1
            if got is None:
                report.missing += 1
                if len(report.missing_ids) < MAX_LISTED:
                    report.missing_ids.append(exp.id or "")
                continue
            self.present += 1
            if (record_checksum(exp, include_metadata=meta)
                    == record_checksum(got, include_metadata=meta)):
                report.matched += 1
            else:
                report.mismatched += 1
                if len(report.mismatches) < MAX_LISTED:
                    report.mismatches.append(RecordMismatch(
                        exp.id or "", differing_fields(exp, got, include_metadata=meta)))

    def needs_extra_scan(self) -> bool:
        self.report.extra = max(0, self.report.target_count - self.present)
        return self.report.extra > 0

    def extras(self, target_batch: list[Record], sources: Sequence[Record | None]) -> None:
        """List target records that no source record produced (the count is already set by
        ``needs_extra_scan``; ids are listed when they can be told apart)."""
        if self.window:
            return  # offset/limit windows cannot be re-evaluated per record
        for rec, src in zip(target_batch, sources, strict=True):
            if len(self.report.extra_ids) >= MAX_LISTED:
                return
            expected = None
            if src is not None and self.matches(src.data, src.id):
                expected = self.expected([src])
            if not expected:
                self.report.extra_ids.append(rec.id or "")

    def finish(self) -> VerificationReport:
        return self.report


# -- the async driver -----------------------------------------------------------------------
class _MigratorBase(Generic[DB]):
    """What both migrators share: the setup, the migration id and its checkpoint, and the
    run and the verification written once as sans-I/O flows (``ports.flows``)."""

    def __init__(self, source: DB | None = None, target: DB | None = None, *,
                 query: Query | None = None,
                 transforms: Transform | Sequence[Transform] | None = None,
                 batch_size: int = 1000, on_error: ErrorPolicy = "stop", max_retries: int = 3,
                 retry_delay: float = 0.05, mode: WriteMode = "create",
                 checkpoint: CheckpointStore | str | Path | None = None,
                 migration_id: str | None = None, progress: ProgressCallback | None = None,
                 include_metadata: bool = True, options: dict[str, Any] | None = None
                 ) -> None:
        if (source is None) != (target is None):
            raise MigrationError("give both source and target, or neither (a migrator "
                                 "without them only runs migrate(source, target, ...))")
        self._source: DB | None = source
        self._target: DB | None = target
        self._spec = None if source is None else build_spec(
            source, target, query=query, transforms=transforms, batch_size=batch_size,
            on_error=on_error, max_retries=max_retries, retry_delay=retry_delay, mode=mode,
            checkpoint=checkpoint, migration_id=migration_id, progress=progress,
            include_metadata=include_metadata, options=options)

    def _configured(self) -> tuple[DB, DB, MigrationSpec]:
        if self._source is None or self._target is None or self._spec is None:
            raise MigrationError("this migrator has no source and target: build it with "
                                 "Migrator(source, target, ...) or call migrate(source, "
                                 "target, ...)")
        return self._source, self._target, self._spec

    @property
    def source(self) -> DB:
        """The database records are read from."""
        return self._configured()[0]

    @property
    def target(self) -> DB:
        """The database records are written to."""
        return self._configured()[1]

    @property
    def spec(self) -> MigrationSpec:
        """The migration's definition."""
        return self._configured()[2]

    @property
    def migration_id(self) -> str:
        """The id that names this migration's checkpoint."""
        return self.spec.migration_id

    def checkpoint(self) -> Checkpoint | None:
        """The saved checkpoint (None without a store or before the first batch)."""
        store = self.spec.checkpoints
        return store.load(self.migration_id) if store else None

    def reset(self) -> None:
        """Forget the checkpoint (the next run starts from the beginning)."""
        if self.spec.checkpoints is not None:
            self.spec.checkpoints.clear(self.migration_id)

    # -- the run ---------------------------------------------------------------------------
    def _run_flow(self, resume: bool, dry_run: bool, verify: bool, count_total: bool) -> Flow:
        run = MigrationRun(self.spec, resume=resume, dry_run=dry_run)
        if run.finished_before:
            result = run.finish()
            if verify:
                result.verification = yield from self._verify_flow()
            return result
        if count_total:
            run.expected_total((yield Call("count", (self.spec.query,), self.source)))
        run._report()
        stream = yield from self._open_source(run)
        batch: list[Record] = []
        size = self.spec.batch_size
        stopped = False
        # the source is read a batch at a time (one step of the flow per batch, not per record)
        while not stopped and (chunk := (yield Take(stream, size))):
            for rec in chunk:
                if run.skip_in_scan(rec):
                    continue
                run.check_order(rec)
                batch.append(rec)
                if len(batch) >= size:
                    ok = yield from self._flush(run, batch)
                    batch = []
                    if not ok:
                        yield Close(stream)
                        stopped = True
                        break
        if batch:
            yield from self._flush(run, batch)
        result = run.finish()
        if verify and not dry_run:
            result.verification = yield from self._verify_flow()
        return result

    def _open_source(self, run: MigrationRun) -> Flow:
        """The source stream: after the anchor record when resuming and it still holds,
        else from the start (records up to the checkpoint are skipped in the scan)."""
        cfg = self.spec.stream_config()
        anchored = run.anchored_query()
        if anchored is None:
            return (yield Stream(self.source, "stream_read", (self.spec.query, cfg)))
        it = yield Stream(self.source, "stream_read", (anchored, cfg))
        if run.anchor_holds((yield Next(it))):
            run.result.resume_mode = "anchored"
            return it
        yield Close(it)
        return (yield Stream(self.source, "stream_read", (run.start_scan(), cfg)))

    def _flush(self, run: MigrationRun, batch: list[Record]) -> Flow:
        records, where, failures = run.transform(batch, self.target.schema)
        written: StreamResult | None = None
        if records and not run.dry_run:
            # a resumed batch is rewritten idempotently: upserts, or skips in "skip" mode
            mode = self.spec.mode
            written = yield from self._write(
                records, upsert=mode == "upsert" or (run.replay and mode == "create"))
        return run.settle(batch, where, written, failures)

    def _write(self, records: list[Record], *, upsert: bool) -> Flow:
        policy = (ConflictPolicy.UPSERT if upsert else
                  ConflictPolicy.SKIP if self.spec.mode == "skip" else ConflictPolicy.INSERT)
        cfg = StreamConfig(batch_size=len(records), on_error=self.spec.on_error,
                           max_retries=self.spec.max_retries, retry_delay=self.spec.retry_delay,
                           keep_ids=False, on_conflict=policy,
                           # records read from the source and not transformed belong to the
                           # migrator alone: hand them over instead of copying them again
                           copy=bool(self.spec.transform))
        # untransformed records a ``checked_stream`` store (memory; a file store while all
        # it loaded was known plain) yields from its own stored records were checked when
        # stored or screened when loaded: the target need not walk them again (``VOUCHED``).
        # Asked after the batch was read: a file store only ever turns the flag off, and
        # before such records reach its state
        if not self.spec.transform and getattr(self.source, "checked_stream", False):
            return (yield Apply(_vouched_write, (self.target, records, cfg)))
        return (yield Call("stream_write", (records, cfg), self.target))

    # -- verification ------------------------------------------------------------------------
    def _verify_flow(self) -> Flow:
        check = Verification(self.spec)

        def against_target(batch: list[Record]) -> Flow:
            expected = check.expected(batch)
            check.compare(expected, (yield Call(
                "read_batch", ([r.id or "" for r in expected],), self.target)))

        def against_source(batch: list[Record]) -> Flow:
            check.extras(batch, (yield Call(
                "read_batch", ([r.id or "" for r in batch],), self.source)))

        yield from self._in_batches(self.source, self.spec.query, against_target)
        check.report.target_count = yield Call("count", (), self.target)
        if check.needs_extra_scan():
            yield from self._in_batches(self.target, None, against_source)
        return check.finish()

    def _in_batches(self, db: DB, query: Query | None,
                    each: Callable[[list[Record]], Flow]) -> Flow:
        """Stream ``query`` from ``db`` and hand each batch of ``batch_size`` to ``each``."""
        size = self.spec.batch_size
        stream = yield Stream(db, "stream_read", (query, StreamConfig(batch_size=size)))
        batch: list[Record] = []
        while True:
            rec = yield Next(stream)
            if rec is not None:
                batch.append(rec)
            if batch and (rec is None or len(batch) >= size):
                yield from each(batch)
                batch = []
            if rec is None:
                return


# -- dataknobs-data 0.11's migrate() ------------------------------------------------------------
class MigrateCall:
    """The bookkeeping of one 0.11 ``migrate`` call: its arguments as a migrator's options,
    the last progress reported, and the final ``MigrationProgress`` with 0.11's error list."""

    def __init__(self, on_progress: ProgressCallback | None,
                 on_error: Callable[[Exception, Record | None], bool] | None,
                 on_conflict: ConflictPolicy | str) -> None:
        self.policy = ConflictPolicy(on_conflict)
        self.on_progress = on_progress
        self.on_error = on_error
        self.last: MigrationProgress | None = None
        self.started = time.time()

    def report(self, progress: MigrationProgress) -> None:
        """The migrator's progress callback: remember, then pass on."""
        self.last = progress
        if self.on_progress is not None:
            self.on_progress(progress)

    def options(self, query: Query | None, transform: Transform | None, batch_size: int
                ) -> dict[str, Any]:
        """The migrator's keyword arguments."""
        return {"query": query, "transforms": transform, "batch_size": batch_size,
                "on_error": "skip" if self.on_error else "stop",
                "mode": {ConflictPolicy.UPSERT: "upsert",
                         ConflictPolicy.SKIP: "skip"}.get(self.policy, "create"),
                "progress": self.report}

    def failures(self, result: MigrationResult) -> list[tuple[MigrationError, str | None]]:
        """Each failure as the error 0.11 code sees, with the failed record's id."""
        return [(MigrationError(f"record {f.record_id!r}: {f.error}"), f.record_id)
                for f in result.failures]

    def settle(self, error: MigrationError, record: Record | None) -> None:
        """Raise ``error`` unless the ``on_error`` handler says to go on."""
        if self.on_error is None or not self.on_error(error, record):
            raise error

    def progress(self, result: MigrationResult) -> MigrationProgress:
        """The final progress: the last one reported, with the run's times and errors."""
        progress = self.last or MigrationProgress(result.migration_id)
        progress.start_time, progress.end_time = self.started, time.time()
        progress.errors = [{"error": f.error, "record_id": f.record_id, "index": f.index}
                           for f in result.failures]
        return progress


# -- the drivers ------------------------------------------------------------------------------
class Migrator(_MigratorBase[SyncDatabase]):
    """Copy records from ``source`` to ``target`` (both ``SyncDatabase``).

    query: which source records (no sort keys when resumable; offset/limit allowed).
    transforms: a callable or a list of them (``migration.transforms``); a transform returning
      None drops the record.
    batch_size, on_error ("stop" | "skip" | "retry"), max_retries, retry_delay: as
      ``StreamConfig``; a record that fails is reported with its id and error.
    mode: "create" (a record already in the target is a failure), "upsert" (replace it) or
      "skip" (leave it, counted in ``existing``: a re-run writes only what is missing).
    checkpoint: a ``CheckpointStore`` or a directory for sidecar checkpoint files; enables
      ``run(resume=True)``.
    migration_id: names the checkpoint (default: from the backends, query and transforms).
    progress: called with a ``MigrationProgress`` after every batch.
    include_metadata: whether verification compares metadata too.
    options: JSON values kept in a new checkpoint (``Checkpoint.options``), e.g. the flags
      of the command that started the run.
    """

    def run(self, *, resume: bool = False, dry_run: bool = False, verify: bool = False,
            count_total: bool = True) -> MigrationResult:
        """Migrate. ``resume``: continue after the saved checkpoint (required when one
        exists). ``dry_run``: read and transform, check each record against the target's
        schema, write nothing. ``verify``: compare counts and checksums afterwards.
        ``count_total``: count the source first so progress has a total and an ETA."""
        with _bulk(self.target):
            result: MigrationResult = run_flow(self, self._run_flow(resume, dry_run, verify,
                                                                    count_total))
        return result

    def verify(self) -> VerificationReport:
        """Compare the target with what the source and transforms produce: counts, and a
        checksum per record; lists missing, different and unexpected records."""
        report: VerificationReport = run_flow(self, self._verify_flow())
        return report

    # -- dataknobs-data 0.11's calls -----------------------------------------------------------
    def migrate(self, source: SyncDatabase, target: SyncDatabase,
                transform: Transform | None = None, query: Query | None = None,
                batch_size: int = 1000, on_progress: ProgressCallback | None = None,
                on_error: Callable[[Exception, Record | None], bool] | None = None,
                on_conflict: ConflictPolicy | str = ConflictPolicy.INSERT
                ) -> MigrationProgress:
        """Copy ``source`` (the records ``query`` matches) into ``target`` through
        ``transform`` (a ``Transformer``, a ``Migration``, any transform) and return the
        final ``MigrationProgress``. ``on_conflict``: ``"insert"`` (an id already in the
        target fails) or ``"upsert"`` (replace it). Without ``on_error`` the migration stops
        at the first batch with a failure and raises ``MigrationError`` naming the record;
        with it, failing records are skipped and each is passed to ``on_error(error,
        source_record)`` after the run: returning False raises that error."""
        call = MigrateCall(on_progress, on_error, on_conflict)
        result = Migrator(source, target, **call.options(query, transform, batch_size)).run()
        for error, record_id in call.failures(result):
            call.settle(error, source.read(record_id) if record_id else None)
        return call.progress(result)

    async def migrate_async(self, source: AsyncDatabase, target: AsyncDatabase,
                            transform: Transform | None = None, query: Query | None = None,
                            config: StreamConfig | None = None,
                            on_progress: Callable[[MigrationProgress], Any] | None = None
                            ) -> MigrationProgress:
        """``migrate`` between two ``AsyncDatabase``s, in batches of ``config.batch_size``
        with ``config.on_error`` as the policy ("stop" raises ``MigrationError`` at the
        first failure). An ``on_progress`` that returns an awaitable is awaited after the
        run, in order."""
        cfg = config or StreamConfig()
        pending: list[Any] = []

        def report(progress: MigrationProgress) -> None:
            outcome = on_progress(progress) if on_progress is not None else None
            if inspect.isawaitable(outcome):
                pending.append(outcome)

        call = MigrateCall(report, None, ConflictPolicy.INSERT)
        options = {**call.options(query, transform, cfg.batch_size), "on_error": cfg.on_error,
                   "max_retries": cfg.max_retries, "retry_delay": cfg.retry_delay}
        result = await AsyncMigrator(source, target, **options).run()
        for awaitable in pending:
            await awaitable
        if cfg.on_error == "stop":
            for error, _record_id in call.failures(result):
                raise error
        return call.progress(result)

    def migrate_parallel(self, source: SyncDatabase, target: SyncDatabase,
                         transform: Transform | None = None, partitions: int = 4,
                         partition_field: str = "partition_id",
                         on_progress: ProgressCallback | None = None,
                         on_conflict: ConflictPolicy | str = ConflictPolicy.INSERT
                         ) -> MigrationProgress:
        """``migrate`` each partition (``partition_field`` equal to 0 ... ``partitions - 1``)
        and merge their progress; ``on_progress`` sees the merged progress after each. The
        partitions run one after the other: a database's port is not shared across
        threads."""
        if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
            raise MigrationError(f"partitions must be an integer >= 1, got {partitions!r}")
        total = MigrationProgress().start()
        for part in range(partitions):
            total.merge(self.migrate(source, target, transform,
                                     Query().filter(partition_field, Operator.EQ, part),
                                     on_conflict=on_conflict))
            if on_progress is not None:
                on_progress(total)
        return total.finish()

    def migrate_stream(self, source: SyncDatabase, target: SyncDatabase,
                       transform: Transform | None = None, query: Query | None = None,
                       config: StreamConfig | None = None,
                       on_progress: ProgressCallback | None = None) -> MigrationProgress:
        """``migrate`` in batches of ``config.batch_size`` (every migration streams)."""
        size = config.batch_size if config is not None else 1000
        return self.migrate(source, target, transform, query, size, on_progress)

    def validate_migration(self, source: SyncDatabase, target: SyncDatabase,
                           query: Query | None = None, sample_size: int | None = None
                           ) -> tuple[bool, list[str]]:
        """Whether ``target`` holds as many records as ``source`` has (matching ``query``)
        and each of them by id, with the issues found (up to ``sample_size`` missing ids;
        values are not compared: ``verify`` compares checksums)."""
        report = Migrator(source, target, query=query).verify()
        issues: list[str] = []
        if report.expected != report.target_count:
            issues.append(f"Record count mismatch: source={report.expected}, "
                          f"target={report.target_count}")
        listed = report.missing_ids if sample_size is None else report.missing_ids[:sample_size]
        issues.extend(f"Record {rid} not found in target" for rid in listed)
        return not issues, issues


def _vouched_write(target: Any, records: list[Record], config: StreamConfig) -> Any:
    """``target.stream_write`` with ``VOUCHED`` set for that call alone: set and reset
    around it (on the async port inside the awaited coroutine), never across a step of the
    flow, so an interrupt or a cancellation between steps cannot leave it set."""
    if isinstance(target, AsyncDatabase):
        return _avouched_write(target, records, config)
    with vouching():
        return target.stream_write(records, config)


async def _avouched_write(target: AsyncDatabase, records: list[Record],
                          config: StreamConfig) -> StreamResult:
    with vouching():
        return await target.stream_write(records, config)


def _bulk(target: Any) -> Any:
    """The target's block for a bulk of writes where it has one (a file store's
    ``deferred_compaction``: the snapshot written once, at the end), else a block that does
    nothing; usable with ``with`` and, for an async target, ``async with``."""
    hold = getattr(target, "deferred_compaction", None)
    return hold() if callable(hold) else contextlib.nullcontext()


class AsyncMigrator(_MigratorBase[AsyncDatabase]):
    """``Migrator`` for ``AsyncDatabase`` source and target (same arguments and results)."""

    async def run(self, *, resume: bool = False, dry_run: bool = False, verify: bool = False,
                  count_total: bool = True) -> MigrationResult:
        """As ``Migrator.run``."""
        async with _bulk(self.target):
            result: MigrationResult = await arun_flow(
                self, self._run_flow(resume, dry_run, verify, count_total))
        return result

    async def verify(self) -> VerificationReport:
        """As ``Migrator.verify``."""
        report: VerificationReport = await arun_flow(self, self._verify_flow())
        return report
