"""``dataknobs_data.streaming`` as dataknobs-data 0.11 names it.

The configuration, result and helpers of streaming, re-exported from ``ports.streaming`` and
``ports.processing``, and 0.11's ``process_batch_with_fallback`` as a small adapter over the
ports' batch step (``ports.writes``): the same batch-then-per-record logic
``stream_write`` runs, over the caller's own write functions (see docs/compatibility.md).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from .domain.records import Record
from .ports.flows import arun_flow, run_flow
from .ports.processing import StreamProcessor
from .ports.streaming import (
    BatchOutcome,
    ConflictPolicy,
    ErrorHandler,
    ErrorPolicy,
    StreamConfig,
    StreamFailure,
    StreamResult,
    WritePlan,
)
from .ports.writes import WriteVerbs, write_batch_flow

__all__ = [
    "ConflictPolicy",
    "ErrorHandler",
    "ErrorPolicy",
    "StreamConfig",
    "StreamFailure",
    "StreamProcessor",
    "StreamResult",
    "async_process_batch_with_fallback",
    "process_batch_with_fallback",
]


class _BatchWithFallback:
    """One call of ``process_batch_with_fallback``: the plan over the caller's result, the
    batch flow over the caller's functions, and the settling of its outcome."""

    def __init__(
        self,
        batch: list[Record],
        batch_create_func: Callable[[list[Record]], Any] | None,
        single_create_func: Callable[[Record], Any],
        result: StreamResult,
        config: StreamConfig,
        on_quit_signal: Callable[[], None] | None = None,
        batch_index: int = 0,
        *,
        skip_on_duplicate: bool = False,
    ) -> None:
        if skip_on_duplicate:
            config = dataclasses.replace(config, on_conflict=ConflictPolicy.SKIP)
        self.batch = batch
        self.plan = WritePlan(config, result)
        self.base = batch_index * config.batch_size
        self.on_quit_signal = on_quit_signal
        verbs = WriteVerbs.of_functions(batch_create_func, single_create_func)
        self.flow = write_batch_flow(batch, {}, self.plan, verbs)

    def settle(self, outcome: BatchOutcome) -> bool:
        goes_on = self.plan.settle(self.batch, self.base, outcome)
        if not goes_on and self.on_quit_signal is not None:
            self.on_quit_signal()
        return goes_on


def process_batch_with_fallback(*args: Any, **kwargs: Any) -> bool:
    """Write ``batch`` with ``batch_create_func`` (None: record by record), falling back to
    ``single_create_func`` per record when it fails, and add the outcome to ``result``.

    Failures are reported at their stream index (``batch_index * config.batch_size`` plus
    the index in the batch) and offered to ``config.on_error``; with ``skip_on_duplicate`` a
    record whose id is stored counts as skipped. A batch function that returns fewer ids
    than records is one failure for the missing count (its record is None). Returns False
    when the stream must stop (after calling ``on_quit_signal``)."""
    call = _BatchWithFallback(*args, **kwargs)
    return call.settle(run_flow(None, call.flow))


async def async_process_batch_with_fallback(*args: Any, **kwargs: Any) -> bool:
    """``process_batch_with_fallback`` with coroutine functions."""
    call = _BatchWithFallback(*args, **kwargs)
    return call.settle(await arun_flow(None, call.flow))


# both take _BatchWithFallback's parameters: show them in help() and inspect.signature
process_batch_with_fallback.__signature__ = inspect.signature(  # type: ignore[attr-defined]
    _BatchWithFallback).replace(return_annotation=bool)
async_process_batch_with_fallback.__signature__ = (  # type: ignore[attr-defined]
    process_batch_with_fallback.__signature__)  # type: ignore[attr-defined]
