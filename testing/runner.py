"""Run an ``AsyncDatabase`` through synchronous test code.

The conformance suite is written once, against the sync port; for an async adapter each
call is sent to one event loop running in a background thread, so the async adapter's own
coroutines (and its native driver's connections, bound to that loop) do the work."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import os
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, seed, settings

from ..ports.async_database import AsyncDatabase

T = TypeVar("T")


class EventLoopThread:
    """One event loop in a daemon thread; ``run(coro)`` waits for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class AsyncAsSync:
    """A sync-looking proxy over an ``AsyncDatabase`` (every coroutine run to completion)."""

    def __init__(self, database: AsyncDatabase, runner: EventLoopThread) -> None:
        self.async_database = database
        self._runner = runner

    def stream_read(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        async def drain() -> list[Any]:
            return [r async for r in self.async_database.stream_read(*args, **kwargs)]

        yield from self._runner.run(drain())

    def read_arrow(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        async def drain() -> list[Any]:
            return [b async for b in self.async_database.read_arrow(*args, **kwargs)]

        yield from self._runner.run(drain())

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.async_database, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if inspect.iscoroutine(result):  # asyncio.iscoroutine takes generators too
                return self._runner.run(result)
            return result

        return call


@contextlib.contextmanager
def sync_shaped(database: Any, runner: EventLoopThread | None = None) -> Iterator[Any]:
    """``database`` as the sync-shaped suites call it (an ``AsyncDatabase`` through
    ``AsyncAsSync`` on ``runner``, or on a loop of its own, stopped afterwards); closed
    when the block ends."""
    if not isinstance(database, AsyncDatabase):
        try:
            yield database
        finally:
            database.close()
        return
    loop = runner or EventLoopThread()
    try:
        yield AsyncAsSync(database, loop)
    finally:
        loop.run(database.close())
        if runner is None:
            loop.stop()


class AdapterUnderTest:
    """The adapter a suite runs, declared instead of written as a fixture.

    Set ``adapter`` (the class, sync or async) and, if needed, ``adapter_kwargs``; the
    suite's fixture then builds ``adapter(**adapter_options, **adapter_kwargs)``, where
    ``adapter_options`` is a fixture: empty by default (from the package's pytest plugin,
    ``dataknobs_data.testing.plugin``), and a test directory's conftest overrides it with a
    server's connection options and a fresh table, prefix or index. A test class may still
    override the suite's fixture (``database``, ``open_database``) itself."""

    adapter: ClassVar[type | None] = None
    adapter_kwargs: ClassVar[dict[str, Any]] = {}

    def build_adapter(self, options: Mapping[str, Any]) -> Callable[[], Any]:
        """A factory of new handles on the declared adapter (each call opens one)."""
        adapter = type(self).adapter
        if adapter is None:
            raise NotImplementedError(
                f"{type(self).__name__}: set `adapter` or override the suite's fixture")
        kwargs = {**options, **type(self).adapter_kwargs}
        return lambda: adapter(**kwargs)


def exactly(a: Any, b: Any) -> bool:
    """Equality demanding the same type everywhere: ``1`` is not ``1.0`` nor ``True``,
    ``-0.0`` is not ``0.0``, a naive datetime is not an aware one and an aware one keeps its
    offset; the order of object keys is irrelevant."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(exactly(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(exactly(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1.0, a) == math.copysign(1.0, b))
    if isinstance(a, datetime):
        return bool(a == b) and a.utcoffset() == b.utcoffset()
    return bool(a == b)


def suite_settings(examples: int, examples_env: str, seed_env: str,
                   suppress: Sequence[HealthCheck]) -> settings:
    """Hypothesis settings of a shipped suite: ``examples`` (``examples_env`` overrides it),
    derandomized unless ``seed_env`` is set, no deadline, no example database."""
    return settings(max_examples=int(os.environ.get(examples_env, examples)), deadline=None,
                    derandomize=os.environ.get(seed_env) is None, database=None,
                    print_blob=False, suppress_health_check=list(suppress))


def run_reported(request: pytest.FixtureRequest, kind: str, seed_env: str,
                 run_stats: dict[str, Any], stats: Any, test: Callable[[], None]) -> None:
    """Run a suite's Hypothesis ``test`` (seeded from ``seed_env`` when that is set), keep
    its ``stats`` in ``run_stats`` under the test's name and print ``stats.line(name)``."""
    callspec = getattr(request.node, "callspec", None)
    name = type(request.instance).__name__ + (f"[{callspec.id}]" if callspec else "")
    run_stats[name] = stats
    env_seed = os.environ.get(seed_env)
    (test if env_seed is None else seed(int(env_seed))(test))()
    line = stats.line(name)
    request.node.user_properties.append((kind, line))
    report(request.config, line)


def report(config: pytest.Config, line: str) -> None:
    """Print the run summary on the terminal, past pytest's output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        reporter.write_line(line)
