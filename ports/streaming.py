"""Streaming configuration and results shared by the sync and async ports."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..domain.errors import ConfigurationError, OperationalError
from ..domain.records import Record

ErrorPolicy = Literal["stop", "skip", "retry"]


@dataclass
class StreamConfig:
    """How ``stream_read`` and ``stream_write`` batch their work, and how ``stream_write``
    handles failures.

    batch_size: records per backend round trip (both directions).
    on_error (``stream_write`` only; a failing read raises the backend's error out of
      ``stream_read``, and a resumable migration continues from its checkpoint):
      ``"stop"`` ends the stream at the first batch with a failure: the records of that batch
      that could be written are written and reported, later batches are not attempted;
      ``"skip"`` reports each failure and goes on; ``"retry"`` retries a record that failed
      transiently (an ``OperationalError``: connection lost, throttled, timed out) up to
      ``max_retries`` times with exponential backoff from ``retry_delay`` seconds, then
      reports it and goes on. A permanent failure (a bad value, a duplicate id) is reported
      at once: retrying it could never succeed.
    keep_ids: keep the id of every written record in ``StreamResult.ids``; ``False`` keeps
      counts and failures only, so memory stays flat however long the stream.
    """

    batch_size: int = 1000
    on_error: ErrorPolicy = "stop"
    max_retries: int = 3
    retry_delay: float = 0.05
    keep_ids: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ConfigurationError(
                f"batch_size must be a positive integer, got {self.batch_size!r}"
            )
        if self.on_error not in ("stop", "skip", "retry"):
            raise ConfigurationError(
                f"on_error must be 'stop', 'skip' or 'retry', got {self.on_error!r}"
            )
        if self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {self.max_retries!r}")


def is_transient(error: BaseException) -> bool:
    """True for a failure that a retry may cure (the backend was unreachable or busy)."""
    return isinstance(error, OperationalError)


@dataclass
class StreamFailure:
    """One record that a stream did not write."""

    index: int
    record_id: str | None
    error: str


@dataclass
class StreamResult:
    """What ``stream_write`` did: counts, the ids written (unless ``keep_ids=False``) and
    every failure."""

    total_processed: int = 0
    successful: int = 0
    failed: int = 0
    failures: list[StreamFailure] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    duration: float = 0.0
    stopped_early: bool = False

    @property
    def ok(self) -> bool:
        """True when every record was written."""
        return self.failed == 0 and not self.stopped_early

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict summary (without the id list)."""
        summary = dataclasses.asdict(dataclasses.replace(self, ids=[]))  # ids not copied
        del summary["ids"]
        return summary


@dataclass
class BatchOutcome:
    """Which indexes of one batch were written and which failed (with their errors)."""

    written: set[int]
    failed: dict[int, BaseException]

    def not_attempted(self, size: int) -> list[int]:
        """Indexes neither written nor failed (a batch refused before writing)."""
        return [i for i in range(size) if i not in self.written and i not in self.failed]

    def absorb(self, indexes: list[int], sub: BatchOutcome) -> None:
        """Fold in the outcome of re-running the sub-batch ``indexes``."""
        self.written |= {indexes[j] for j in sub.written}
        self.failed.update({indexes[j]: err for j, err in sub.failed.items()})


class WritePlan:
    """The bookkeeping of ``stream_write``, shared by the sync and async ports.

    It cuts the input into batches of records that all carry ids, decides how many retries
    a failed batch gets, and turns each batch's outcome into the ``StreamResult``."""

    def __init__(self, config: StreamConfig) -> None:
        self.config = config
        self.result = StreamResult()
        self.current_delay = config.retry_delay

    def chunks(self, records: Iterable[Record | Mapping[str, Any]]
               ) -> Iterator[tuple[list[Record], int]]:
        """(batch, index of its first record) pairs; ids assigned up front."""
        from ..ports.preparation import as_record, new_id

        batch: list[Record] = []
        base = 0
        for item in records:
            rec = as_record(item)
            batch.append(rec if rec.id is not None else rec.with_id(new_id()))
            if len(batch) >= self.config.batch_size:
                yield batch, base
                base += len(batch)
                batch = []
        if batch:
            yield batch, base

    def retries(self, outcome: BatchOutcome, sleep: bool = True) -> Iterator[int]:
        """Yield once per retry to make, while failures remain; with ``sleep`` it waits the
        backoff first (async callers pass False and await ``current_delay`` themselves)."""
        if self.config.on_error != "retry":
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

    def settle(self, batch: list[Record], base: int, outcome: BatchOutcome) -> bool:
        """Record the batch's outcome; False when the stream must stop here."""
        result = self.result
        result.total_processed += len(batch)
        keep_ids = self.config.keep_ids
        for i, rec in enumerate(batch):
            if i in outcome.written:
                result.successful += 1
                if keep_ids:
                    result.ids.append(rec.id or "")
            else:
                error = outcome.failed.get(i)
                result.failed += 1
                result.failures.append(
                    StreamFailure(base + i, rec.id, str(error) if error else "not written")
                )
        if outcome.failed and self.config.on_error == "stop":
            result.stopped_early = True
            return False
        return True
