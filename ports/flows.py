"""Sans-I/O flows: logic with several I/O steps written once, run by a sync and an async
driver.

A flow is a generator that yields one step per I/O action and receives its result:
``Call`` (call a method of the database, or of the object ``on``), ``Sleep`` (a backoff),
``Stream`` (start a ``stream_read``-like iterator), ``Next`` (its next item, or ``None`` at
the end), ``Take`` (up to n items of an iterator the caller handed in, sync or async),
``Close`` (stop it early) and ``Apply`` (call the caller's function, awaiting what it returns
if that is awaitable). ``run_flow`` performs each step directly,
``arun_flow`` awaits it; both send the result back into the flow and throw a step's exception
into it, so the flow's ``try``/``except`` handles driver errors exactly as straight-line code
would. A flow that produces items (a stream, or the body of a context manager) yields
``Emit``; ``stream_flow`` and ``astream_flow`` hand those to their caller, and what the caller
throws back (an exception raised in a ``with`` block, or the generator being closed early) is
thrown into the flow, whose ``finally`` may still do I/O. The ports (``ports.base``), the
migrators (``migration.migrator``) and the PostgreSQL adapters (``adapters.postgres.core``)
are written this way; the Elasticsearch adapter's operations module is the same idea with its
own steps.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    """Call ``method`` with ``args`` on ``on`` (default: the object the flow runs against)."""

    method: str
    args: tuple[Any, ...] = ()
    on: Any = None


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` (``time.sleep`` or ``asyncio.sleep``)."""

    seconds: float


@dataclass(frozen=True)
class Stream:
    """Start the iterator ``on.method(*args)`` returns (an async iterator, not awaited, under
    the async driver); the flow receives it."""

    on: Any
    method: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Next:
    """The next item of a started iterator, or ``None`` when it is exhausted."""

    iterator: Any


@dataclass(frozen=True)
class Close:
    """Stop a started iterator early (its ``close``/``aclose``)."""

    iterator: Any


@dataclass(frozen=True)
class Take:
    """Up to ``count`` items of ``iterator`` as a list (empty at the end). The async driver
    takes from an async iterator or a plain one, the sync driver from a plain one only."""

    iterator: Any
    count: int


@dataclass(frozen=True)
class Apply:
    """Call the caller's ``func`` with ``args``; under the async driver a result that is
    awaitable (a coroutine function's) is awaited, so one flow serves sync and async
    callbacks."""

    func: Callable[..., Any]
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Emit:
    """Hand ``value`` to the caller of ``stream_flow``/``astream_flow``."""

    value: Any


Step = Call | Sleep | Stream | Next | Take | Close | Apply | Emit
Flow = Generator[Step, Any, Any]


def _perform(db: Any, step: Step) -> Any:
    if isinstance(step, Emit):
        raise TypeError("Emit needs stream_flow, not run_flow")
    if isinstance(step, Call):
        return getattr(db if step.on is None else step.on, step.method)(*step.args)
    if isinstance(step, Next):
        return next(step.iterator, None)
    if isinstance(step, Take):
        return list(itertools.islice(step.iterator, step.count))
    if isinstance(step, Apply):
        return step.func(*step.args)
    if isinstance(step, Stream):
        return iter(getattr(step.on, step.method)(*step.args))
    if isinstance(step, Close):
        close = getattr(step.iterator, "close", None)
        return close() if close is not None else None
    time.sleep(step.seconds)
    return None


async def _atake(iterator: Any, count: int) -> list[Any]:
    if not hasattr(iterator, "__anext__"):
        return list(itertools.islice(iterator, count))
    items: list[Any] = []
    while len(items) < count:
        try:
            items.append(await anext(iterator))
        except StopAsyncIteration:
            break
    return items


async def _aperform(db: Any, step: Step) -> Any:
    if isinstance(step, Emit):
        raise TypeError("Emit needs astream_flow, not arun_flow")
    if isinstance(step, Call):
        return await getattr(db if step.on is None else step.on, step.method)(*step.args)
    if isinstance(step, Next):
        return await anext(step.iterator, None)
    if isinstance(step, Take):
        return await _atake(step.iterator, step.count)
    if isinstance(step, Apply):
        result = step.func(*step.args)
        return await result if inspect.isawaitable(result) else result
    if isinstance(step, Stream):
        return getattr(step.on, step.method)(*step.args)
    if isinstance(step, Close):
        aclose = getattr(step.iterator, "aclose", None)
        return await aclose() if aclose is not None else None
    import asyncio  # here: a sync program (the command line) never loads the event loop

    await asyncio.sleep(step.seconds)
    return None


def _advance(flow: Flow, value: Any, error: BaseException | None) -> tuple[bool, Any]:
    """Resume the flow with a step's result (or throw its error in): (True, the flow's
    result) when it has finished, else (False, its next step)."""
    try:
        return False, flow.throw(error) if error is not None else flow.send(value)
    except StopIteration as stop:
        return True, stop.value


def run_flow(db: Any, flow: Flow) -> Any:
    """Run a flow against a sync object; returns the flow's result."""
    done, out = _advance(flow, None, None)
    while not done:
        try:
            value, error = _perform(db, out), None
        except Exception as err:  # handed to the flow, which re-raises what it cannot handle
            value, error = None, err
        done, out = _advance(flow, value, error)
    return out


async def arun_flow(db: Any, flow: Flow) -> Any:
    """Run a flow against an async object; returns the flow's result."""
    done, out = _advance(flow, None, None)
    while not done:
        try:
            value, error = await _aperform(db, out), None
        except Exception as err:  # handed to the flow, which re-raises what it cannot handle
            value, error = None, err
        done, out = _advance(flow, value, error)
    return out


class FlowClosed(BaseException):
    """Thrown into a flow whose caller stopped early (``GeneratorExit`` itself cannot be:
    ``yield from`` would close the inner flows instead of letting their cleanup run)."""


def _until_emit(flow: Flow, value: Any = None, error: BaseException | None = None) -> Flow:
    """A flow relaying ``flow``'s steps, resumed with ``value`` (or ``error``), until it
    emits -- returns (True, the value emitted) -- or ends -- returns (False, its result)."""
    while True:
        done, out = _advance(flow, value, error)
        if done:
            return False, out
        if isinstance(out, Emit):
            return True, out.value
        try:
            value, error = (yield out), None
        except Exception as err:
            value, error = None, err


def _closing(flow: Flow) -> Flow:
    """The cleanup a flow still does once its caller stopped listening, as a flow."""
    with contextlib.suppress(FlowClosed):
        emitted, _ = yield from _until_emit(flow, None, FlowClosed())
        if emitted:
            flow.close()
            raise RuntimeError("a flow emitted after its caller stopped")


def stream_flow(db: Any, flow: Flow) -> Generator[Any, None, None]:
    """Run a flow against a sync object, yielding what it emits."""
    emitted, item = run_flow(db, _until_emit(flow))
    while emitted:
        try:
            yield item
        except GeneratorExit:
            run_flow(db, _closing(flow))
            raise
        except BaseException as err:  # raised in the caller's with-block: the flow's
            emitted, item = run_flow(db, _until_emit(flow, None, err))
        else:
            emitted, item = run_flow(db, _until_emit(flow))


async def astream_flow(db: Any, flow: Flow) -> AsyncGenerator[Any, None]:
    """Run a flow against an async object, yielding what it emits."""
    emitted, item = await arun_flow(db, _until_emit(flow))
    while emitted:
        try:
            yield item
        except GeneratorExit:
            await arun_flow(db, _closing(flow))
            raise
        except BaseException as err:
            emitted, item = await arun_flow(db, _until_emit(flow, None, err))
        else:
            emitted, item = await arun_flow(db, _until_emit(flow))
