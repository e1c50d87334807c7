"""``stream_write`` as a sans-I/O flow: batches, the batch verb with its per-record fallback,
retries with backoff, the conflict policy, and the result (``ports.streaming.WritePlan``).

Written once, run by ``run_flow`` in ``SyncDatabase.stream_write`` and by ``arun_flow`` in
``AsyncDatabase.stream_write``; the same batch step serves dataknobs-data 0.11's
``process_batch_with_fallback`` over the caller's own write functions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..domain.errors import (
    BatchOperationError,
    DatabaseOperationError,
    DataknobsError,
    OperationalError,
    RecordExistsError,
)
from ..domain.records import Record
from .flows import Call, Flow, Sleep, Take
from .streaming import BatchOutcome, ConflictPolicy, Shortfall, WritePlan, is_transient

BatchFlow = Generator[Call | Sleep, Any, BatchOutcome]


@dataclass(frozen=True)
class WriteVerbs:
    """The steps that write: a whole batch (None: record by record) and one record.
    ``catch`` is what a failed batch step falls back to per-record writes on, and what a
    per-record write reports as that record's failure (anything else propagates)."""

    batch: Callable[[list[Record]], Call] | None
    single: Callable[[Record], Call]
    catch: tuple[type[BaseException], ...] = (DataknobsError,)

    @classmethod
    def for_conflicts(cls, policy: ConflictPolicy | str, copy: bool = True) -> WriteVerbs:
        """The port's own methods: ``upsert_batch``/``upsert`` under ``UPSERT``, else
        ``create_batch``/``create`` (``SKIP`` counts the duplicates they report as skipped,
        which ``WritePlan.settle`` does); ``copy`` as in ``create_batch``."""
        if policy == ConflictPolicy.UPSERT:
            return cls(lambda batch: Call("upsert_batch", (batch,)),
                       lambda rec: Call("upsert", (rec,)))
        # the default call keeps the one-argument form a subclass may override
        return cls(lambda batch: Call("create_batch", (batch,) if copy else (batch, False)),
                   lambda rec: Call("create", (rec,)))

    @classmethod
    def of_functions(cls, batch: Callable[..., Any] | None,
                     single: Callable[..., Any]) -> WriteVerbs:
        """The caller's functions (sync, or coroutine functions under the async driver); as
        in dataknobs-data 0.11, any exception of theirs is a failure."""
        return cls(None if batch is None else (lambda recs: Call("__call__", (recs,), batch)),
                   lambda rec: Call("__call__", (rec,), single), catch=(Exception,))


def attempt_batch(batch: list[Record], verbs: WriteVerbs) -> BatchFlow:
    """Write ``batch`` with the batch step, isolating failures: a ``BatchOperationError``
    gives them by index (the records it did not attempt are written again as a batch), a
    transient error fails the batch for the retry policy, anything else in ``verbs.catch``
    falls back to one write per record."""
    every: dict[int, BaseException | None] = dict.fromkeys(range(len(batch)))
    if verbs.batch is None:
        return (yield from attempt_each(batch, verbs, every))
    try:
        ids = yield verbs.batch(batch)
    except BatchOperationError as err:
        outcome = BatchOutcome(set(err.succeeded), dict(err.failed))
        rest = outcome.not_attempted(len(batch))
        if rest:  # refused for the others' faults
            outcome.absorb(rest, (yield from attempt_batch([batch[i] for i in rest], verbs)))
        return outcome
    except OperationalError as err:
        return BatchOutcome(set(), dict.fromkeys(range(len(batch)), err))
    except verbs.catch:
        return (yield from attempt_each(batch, verbs, every))
    if isinstance(ids, list) and len(ids) < len(batch):
        error = DatabaseOperationError(
            "batch write", f"confirmed {len(ids)} of {len(batch)} records; "
                           f"{len(batch) - len(ids)} not written")
        return BatchOutcome(set(), {}, Shortfall([str(i) for i in ids], error))
    return BatchOutcome(set(range(len(batch))), {})


def attempt_each(batch: Sequence[Record | None], verbs: WriteVerbs,
                 todo: Mapping[int, BaseException | None]) -> BatchFlow:
    """Write the records at ``todo``'s indexes one at a time; an index whose previous
    failure was permanent keeps it (a retry could never succeed)."""
    done: set[int] = set()
    failed: dict[int, BaseException] = {}
    for i, previous in todo.items():
        if previous is not None and not is_transient(previous):
            failed[i] = previous
            continue
        rec = batch[i]
        assert rec is not None  # an item refused as no record failed permanently
        try:
            yield verbs.single(rec)
            done.add(i)
        except RecordExistsError as err:
            # an earlier attempt that reported a transport failure may have landed
            if isinstance(previous, OperationalError):
                done.add(i)
            else:
                failed[i] = err
        except verbs.catch as err:
            failed[i] = err
    return BatchOutcome(done, failed)


def write_batch_flow(batch: Sequence[Record | None], refused: Mapping[int, BaseException],
                     plan: WritePlan, verbs: WriteVerbs) -> BatchFlow:
    """One batch (None at the ``refused`` indexes): written, then its transient failures
    retried as ``plan`` allows."""
    records = [rec for rec in batch if rec is not None]
    if len(records) == len(batch):
        outcome = yield from attempt_batch(records, verbs)
    else:
        outcome = BatchOutcome(set(), dict(refused))
        if records:
            todo = [i for i, rec in enumerate(batch) if rec is not None]
            outcome.absorb(todo, (yield from attempt_batch(records, verbs)))
    for _attempt in plan.retries(outcome, sleep=False):
        yield Sleep(plan.current_delay)
        outcome = plan.merge(outcome, (yield from attempt_each(batch, verbs, outcome.failed)))
    return outcome


def stream_write_flow(source: Any, plan: WritePlan, verbs: WriteVerbs) -> Flow:
    """``stream_write`` over the iterator ``source`` (sync, or async under the async
    driver): ``plan.config.batch_size`` records at a time until the end or a stop."""
    started = time.perf_counter()
    base = 0
    while items := (yield Take(source, plan.config.batch_size)):
        batch, refused = plan.prepare(items, base)
        outcome = yield from write_batch_flow(batch, refused, plan, verbs)
        if not plan.settle(batch, base, outcome):
            break
        base += len(items)
    plan.result.duration = time.perf_counter() - started
    return plan.result
