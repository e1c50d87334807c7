"""Streaming configuration and results shared by the sync and async ports.

``StreamConfig`` says how ``stream_read``/``stream_write`` batch their work and what a failed
write does; ``StreamResult`` reports what ``stream_write`` did; ``WritePlan`` is the
bookkeeping between them, used by the write flows of ``ports.writes`` (and the migrators).
dataknobs-data 0.11's fields and methods are here under their 0.11 names (``prefetch``,
``timeout``, ``on_error`` as a callable, ``on_conflict``; ``skipped``, ``errors``,
``total_batches``, ``failed_indices``, ``success_rate``, ``merge``).
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from ..domain.errors import (
    ConfigurationError,
    OperationalError,
    RecordExistsError,
    ValidationError,
)
from ..domain.records import Record

ErrorPolicy = Literal["stop", "skip", "retry"]
#: ``on_error`` as dataknobs-data 0.11 has it: called with each failure and the record that
#: failed (None when a failure is not one record's); True goes on, False stops the stream.
ErrorHandler = Callable[[Exception, Any], bool]
POLICIES: tuple[str, ...] = ("stop", "skip", "retry")
#: ``ConflictPolicy``'s values, which ``StreamConfig(on_conflict=...)`` takes too.
ConflictName = Literal["insert", "upsert", "skip"]
#: ``StreamFailure.index`` of a failure that is not one record's (a batch verb that
#: confirmed fewer records than it was given, or ``add_error`` without an index).
NO_INDEX = -1


class ConflictPolicy(enum.StrEnum):
    """What ``stream_write`` does with a record whose id is already stored.

    ``INSERT`` (the default) creates: the record is a failure (``RecordExistsError``), as for
    ``create``. ``UPSERT`` replaces the stored record (nothing collides). ``SKIP`` leaves the
    stored record as it is and counts the record in ``StreamResult.skipped``, not as a
    failure: a re-run then writes only what is missing."""

    INSERT = "insert"
    UPSERT = "upsert"
    SKIP = "skip"


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class StreamConfig:
    """How ``stream_read`` and ``stream_write`` batch their work, and how ``stream_write``
    handles failures. Frozen: build a changed copy with ``dataclasses.replace``.

    batch_size: records per backend round trip (both directions).
    on_error (``stream_write`` only; a failing read raises the backend's error out of
      ``stream_read``, and a resumable migration continues from its checkpoint):
      ``"stop"`` (or ``None``, the default) ends the stream at the first batch with a failure:
      the records of that batch that could be written are written and reported, later
      batches are not attempted;
      ``"skip"`` reports each failure and goes on; ``"retry"`` retries a record that failed
      transiently (an ``OperationalError``: connection lost, throttled, timed out) up to
      ``max_retries`` times with exponential backoff from ``retry_delay`` seconds, then
      reports it and goes on. A permanent failure (a bad value, a duplicate id) is reported
      at once: retrying it could never succeed.
      A callable ``on_error(error, record)`` (dataknobs-data 0.11's form) is given each
      failure with its record (None when no one record failed) and returns True to go on,
      False to stop as ``"stop"`` does; the failure is reported either way.
    on_conflict: a ``ConflictPolicy`` (or its value, ``"insert"``, ``"upsert"``, ``"skip"``)
      for a record whose id is already stored.
    keep_ids: keep the id of every written record in ``StreamResult.ids``; ``False`` keeps
      counts and failures only, so memory stays flat however long the stream.
    copy: ``False`` hands the written records over, as ``create_batch(copy=False)`` does
      (the store may keep their values uncopied; the caller must not change them); on
      ``stream_read``, a store may yield its own stored records instead of copies (the
      memory and file stores do; the caller must not change them: stored records are
      replaced on update, never changed in place, so they stay what was read).
    prefetch, timeout: accepted and checked as dataknobs-data 0.11 does (``prefetch`` >= 0,
      ``timeout`` > 0 seconds or None); as there, they do not change what a stream does (a
      reader fetches one batch at a time; a backend's own timeouts are its options).
    """

    batch_size: int = 1000
    prefetch: int = 2
    timeout: float | None = None
    on_error: ErrorPolicy | ErrorHandler | None = None
    on_conflict: ConflictPolicy | ConflictName = ConflictPolicy.INSERT
    max_retries: int = 3
    retry_delay: float = 0.05
    keep_ids: bool = True
    copy: bool = True

    def __post_init__(self) -> None:
        if not _is_count(self.batch_size) or self.batch_size < 1:
            raise ConfigurationError(
                f"batch_size must be positive (an integer >= 1), got {self.batch_size!r}")
        if not _is_count(self.prefetch) or self.prefetch < 0:
            raise ConfigurationError(
                f"prefetch must be non-negative (an integer >= 0), got {self.prefetch!r}")
        if self.timeout is not None and not (
                isinstance(self.timeout, int | float) and not isinstance(self.timeout, bool)
                and self.timeout > 0):
            raise ConfigurationError(
                f"timeout must be positive (seconds) or None, got {self.timeout!r}")
        if not (self.on_error is None or callable(self.on_error) or self.on_error in POLICIES):
            raise ConfigurationError(
                "on_error must be 'stop', 'skip', 'retry', None or a callable "
                f"(error, record) -> bool, got {self.on_error!r}")
        try:
            object.__setattr__(self, "on_conflict", ConflictPolicy(self.on_conflict))
        except ValueError:
            raise ConfigurationError(
                "on_conflict must be one of "
                f"{', '.join(repr(p.value) for p in ConflictPolicy)}, got {self.on_conflict!r}"
            ) from None
        if not _is_count(self.max_retries) or self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {self.max_retries!r}")
        if not isinstance(self.retry_delay, int | float) or not self.retry_delay >= 0:
            raise ConfigurationError(f"retry_delay must be >= 0, got {self.retry_delay!r}")
        if not isinstance(self.keep_ids, bool):
            raise ConfigurationError(f"keep_ids must be True or False, got {self.keep_ids!r}")
        if not isinstance(self.copy, bool):
            raise ConfigurationError(f"copy must be True or False, got {self.copy!r}")

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> StreamConfig:
        """A config from a mapping of its fields (a YAML or JSON section); an unknown key
        raises ``ConfigurationError`` naming it and the nearest field."""
        names = [f.name for f in dataclasses.fields(cls)]
        for key in config:
            if key not in names:
                near = difflib.get_close_matches(str(key), names, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise ConfigurationError(f"unknown StreamConfig option {key!r}{hint}")
        return cls(**config)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a mapping ``from_dict`` reads back (``on_conflict`` by value; a
        callable ``on_error`` is kept as the object itself)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        values["on_conflict"] = ConflictPolicy(self.on_conflict).value
        return values

    @property
    def retrying(self) -> bool:
        """Whether failed writes are retried (``on_error="retry"``)."""
        return self.on_error == "retry"

    def goes_on_after(self, error: BaseException, record: Any) -> bool:
        """Whether the stream continues after ``error`` (``record``'s, or None)."""
        if callable(self.on_error):
            # only an Exception is a record's failure; anything else stops the stream
            return isinstance(error, Exception) and bool(self.on_error(error, record))
        return self.on_error in ("skip", "retry")


def is_transient(error: BaseException) -> bool:
    """True for a failure that a retry may cure (the backend was unreachable or busy)."""
    return isinstance(error, OperationalError)


@dataclass
class StreamFailure:
    """One record that a stream did not write: its index in the stream (``NO_INDEX`` when
    the failure is not one record's), its id, the error's message and type name."""

    index: int
    record_id: str | None
    error: str
    error_type: str = ""

    @classmethod
    def of(cls, index: int, record_id: str | None, error: BaseException) -> StreamFailure:
        return cls(index, record_id, str(error), type(error).__name__)

    def as_error(self) -> dict[str, Any]:
        """dataknobs-data 0.11's error entry: record_id, error, type, index."""
        return {"record_id": self.record_id, "error": self.error, "type": self.error_type,
                "index": None if self.index == NO_INDEX else self.index}


@dataclass
class StreamResult:
    """What ``stream_write`` did: counts, the ids written (unless ``keep_ids=False``) and
    every failure. ``total_processed == successful + failed + skipped``."""

    total_processed: int = 0
    successful: int = 0
    failed: int = 0
    # keyword-only from here: dataknobs-data 0.11's positional order differs after ``failed``
    _: dataclasses.KW_ONLY
    failures: list[StreamFailure] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    skipped: int = 0
    duration: float = 0.0
    stopped_early: bool = False
    total_batches: int = 0

    @property
    def ok(self) -> bool:
        """True when every record was written or skipped."""
        return self.failed == 0 and not self.stopped_early

    @property
    def success_rate(self) -> float:
        """Written records as a percentage of those processed (0.0 when none were)."""
        return self.successful / self.total_processed * 100 if self.total_processed else 0.0

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The failures as dataknobs-data 0.11's dicts (``record_id``, ``error``, ``type``,
        ``index``); a new list: add failures with ``add_error``."""
        return [f.as_error() for f in self.failures]

    @property
    def failed_indices(self) -> list[int]:
        """The stream indexes of the records that failed."""
        return [f.index for f in self.failures if f.index != NO_INDEX]

    def add_error(self, record_id: str | None, error: BaseException,
                  index: int | None = None) -> None:
        """Report a failure (the counts are the caller's to change)."""
        self.failures.append(
            StreamFailure.of(NO_INDEX if index is None else index, record_id, error))

    def merge(self, other: StreamResult) -> None:
        """Add ``other``'s counts, failures, ids and duration to this result."""
        for name in ("total_processed", "successful", "failed", "skipped", "duration",
                     "total_batches"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failures.extend(other.failures)
        self.ids.extend(other.ids)
        self.stopped_early = self.stopped_early or other.stopped_early

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict summary (without the id list)."""
        summary = dataclasses.asdict(dataclasses.replace(self, ids=[]))  # ids not copied
        del summary["ids"]
        return summary

    def __str__(self) -> str:
        return (f"StreamResult(processed={self.total_processed}, "
                f"successful={self.successful}, failed={self.failed}, "
                f"skipped={self.skipped}, success_rate={self.success_rate:.1f}%, "
                f"duration={self.duration:.2f}s)")


@dataclass
class Shortfall:
    """A batch verb returned fewer ids than records it was given: which it wrote cannot be
    told, so the batch counts ``confirmed`` as written and the rest as one failure."""

    confirmed: list[str]
    error: BaseException


@dataclass
class BatchOutcome:
    """Which indexes of one batch were written and which failed (with their errors)."""

    written: set[int]
    failed: dict[int, BaseException]
    shortfall: Shortfall | None = None

    def not_attempted(self, size: int) -> list[int]:
        """Indexes neither written nor failed (a batch refused before writing)."""
        return [i for i in range(size) if i not in self.written and i not in self.failed]

    def absorb(self, indexes: list[int], sub: BatchOutcome) -> None:
        """Fold in the outcome of re-running the sub-batch ``indexes``."""
        self.written |= {indexes[j] for j in sub.written}
        self.failed.update({indexes[j]: err for j, err in sub.failed.items()})
        self.shortfall = sub.shortfall or self.shortfall


def _not_a_record(index: int, item: object) -> ValidationError:
    return ValidationError(
        [f"stream item {index} is not a Record or a mapping: {type(item).__name__}"])


class WritePlan:
    """The bookkeeping of ``stream_write``, shared by the sync and async ports.

    It prepares each batch of the input (ids assigned up front, an item that is not a record
    refused at its index), decides how many retries a failed batch gets, and turns each
    batch's outcome into the ``StreamResult``, consulting ``on_error`` for each failure."""

    def __init__(self, config: StreamConfig, result: StreamResult | None = None) -> None:
        self.config = config
        self.result = StreamResult() if result is None else result
        self.current_delay = config.retry_delay

    @staticmethod
    def prepare(items: Sequence[object], base: int
                ) -> tuple[list[Record | None], dict[int, BaseException]]:
        """The batch of ``items`` (those starting at stream index ``base``) with ids
        assigned, None where an item is not a record, and the refusals by batch index."""
        from ..ports.preparation import as_record, new_id

        if set(map(type, items)) == {Record}:
            records = cast("list[Record | None]", list(items))
            if None not in [r.id for r in records if r is not None]:
                return records, {}  # what the loop below makes of records with ids
        batch: list[Record | None] = []
        refused: dict[int, BaseException] = {}
        for i, item in enumerate(items):
            if not isinstance(item, Record | Mapping):
                refused[i] = _not_a_record(base + i, item)
                batch.append(None)
                continue
            rec = as_record(item)
            batch.append(rec if rec.id is not None else rec.with_id(new_id()))
        return batch, refused

    def retries(self, outcome: BatchOutcome, sleep: bool = True) -> Iterator[int]:
        """Yield once per retry to make, while failures remain; with ``sleep`` it waits the
        backoff first (async callers pass False and await ``current_delay`` themselves)."""
        if not self.config.retrying:
            return
        self.current_delay = self.config.retry_delay
        for attempt in range(self.config.max_retries):
            if not any(is_transient(err) for err in outcome.failed.values()):
                return  # nothing left that a retry could cure
            if sleep:
                time.sleep(self.current_delay)  # backoff before retrying a failing backend
            yield attempt
            self.current_delay *= 2

    @staticmethod
    def merge(before: BatchOutcome, retry: BatchOutcome) -> BatchOutcome:
        """Fold a retry of ``before``'s failures into ``before`` (in place) and return it."""
        before.written |= retry.written
        before.failed = dict(retry.failed)
        return before

    def settle(self, batch: Sequence[Record | None], base: int, outcome: BatchOutcome) -> bool:
        """Record the batch's outcome; False when the stream must stop here."""
        result = self.result
        result.total_batches += 1
        result.total_processed += len(batch)
        keep_ids = self.config.keep_ids
        goes_on = True
        if outcome.shortfall is not None:
            confirmed = outcome.shortfall.confirmed
            result.successful += len(confirmed)
            result.failed += len(batch) - len(confirmed)
            if keep_ids:
                result.ids.extend(confirmed)
            result.add_error(None, outcome.shortfall.error)
            goes_on = self.config.goes_on_after(outcome.shortfall.error, None)
        else:
            for i, rec in enumerate(batch):
                if i in outcome.written:
                    result.successful += 1
                    if keep_ids:
                        result.ids.append(rec.id or "" if rec is not None else "")
                    continue
                error = outcome.failed.get(i)
                if error is None:
                    error = OperationalError("not written (the backend did not say why)")
                if (isinstance(error, RecordExistsError)
                        and self.config.on_conflict == ConflictPolicy.SKIP):
                    result.skipped += 1
                    continue
                result.failed += 1
                result.failures.append(StreamFailure.of(
                    base + i, rec.id if rec is not None else None, error))
                if goes_on:
                    goes_on = self.config.goes_on_after(error, rec)
        if not goes_on:
            result.stopped_early = True
        return goes_on
