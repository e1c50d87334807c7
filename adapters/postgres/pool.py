"""A small blocking connection pool for psycopg2 (its own pools raise when exhausted).

``acquire`` hands out an idle connection or opens a new one up to ``max_size``, waiting up to
``timeout`` seconds for one to come back. An idle connection whose socket is readable has
been closed by the server (a restart or ``pg_terminate_backend`` sends a final message and
closes), so it is dropped before use at the cost of one non-blocking ``select`` -- no
round trip -- and the operation runs on a fresh connection.
"""

from __future__ import annotations

import contextlib
import select
import threading
import time
from collections.abc import Callable
from typing import Any

from ...domain.errors import OperationalError


def socket_is_dead(fileno: int) -> bool:
    """True when an idle connection's socket has data or EOF waiting (the server left)."""
    try:
        readable, _, _ = select.select([fileno], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class ConnectionPool:
    """Connections made by ``connect``, at most ``max_size`` open at once."""

    def __init__(self, connect: Callable[[], Any], *, min_size: int, max_size: int,
                 timeout: float, describe: str) -> None:
        self._connect = connect
        self.min_size = min_size
        self.max_size = max_size
        self.timeout = timeout
        self._describe = describe
        self._idle: list[Any] = []
        self._size = 0
        self._closed = False
        self._cond = threading.Condition()

    @property
    def size(self) -> int:
        """Connections open now (idle and in use)."""
        return self._size

    @property
    def idle(self) -> int:
        return len(self._idle)

    def fill(self) -> None:
        """Open connections up to ``min_size``."""
        while True:
            with self._cond:
                if self._size >= self.min_size:
                    return
                self._size += 1
            try:
                conn = self._connect()
            except BaseException:
                with self._cond:
                    self._size -= 1
                raise
            self.release(conn)

    def acquire(self) -> Any:
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while True:
                while self._idle:
                    conn = self._idle.pop()
                    if not conn.closed and not socket_is_dead(conn.fileno()):
                        return conn
                    self._size -= 1
                    _close_quietly(conn)
                if self._size < self.max_size:
                    self._size += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise OperationalError(
                        f"postgres {self._describe}: all {self.max_size} pooled connections "
                        f"stayed in use for {self.timeout:g} s (raise pool_max_size?)")
                self._cond.wait(remaining)
        try:
            return self._connect()
        except BaseException:
            with self._cond:
                self._size -= 1
                self._cond.notify()
            raise

    def release(self, conn: Any, broken: bool = False) -> None:
        with self._cond:
            if broken or self._closed or conn.closed:
                self._size -= 1
                _close_quietly(conn)
            else:
                self._idle.append(conn)
            self._cond.notify()

    def drop_idle(self) -> None:
        """Close every idle connection (after one was found dead, the rest likely are)."""
        with self._cond:
            idle, self._idle = self._idle, []
            self._size -= len(idle)
        for conn in idle:
            _close_quietly(conn)

    def close(self) -> None:
        with self._cond:
            self._closed = True
        self.drop_idle()


def _close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):
        conn.close()


class AsyncConnectionPool:
    """The same pool for psycopg 3's async connections (``connect`` is a coroutine
    function); one per event loop."""

    def __init__(self, connect: Callable[[], Any], *, min_size: int, max_size: int,
                 timeout: float, describe: str) -> None:
        self._connect = connect
        self.min_size = min_size
        self.max_size = max_size
        self.timeout = timeout
        self._describe = describe
        self._idle: list[Any] = []
        self._size = 0
        self._closed = False
        self._cond: Any = None

    def _condition(self) -> Any:
        import asyncio

        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    @property
    def size(self) -> int:
        return self._size

    async def fill(self) -> None:
        while self._size < self.min_size:
            self._size += 1
            try:
                conn = await self._connect()
            except BaseException:
                self._size -= 1
                raise
            await self.release(conn)

    async def acquire(self) -> Any:
        import asyncio

        cond = self._condition()
        deadline = time.monotonic() + self.timeout
        async with cond:
            while True:
                while self._idle:
                    conn = self._idle.pop()
                    if not conn.closed and not socket_is_dead(conn.fileno()):
                        return conn
                    self._size -= 1
                    await _aclose_quietly(conn)
                if self._size < self.max_size:
                    self._size += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise OperationalError(
                        f"postgres {self._describe}: all {self.max_size} pooled connections "
                        f"stayed in use for {self.timeout:g} s (raise pool_max_size?)")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(cond.wait(), remaining)
        try:
            return await self._connect()
        except BaseException:
            async with cond:
                self._size -= 1
                cond.notify()
            raise

    async def release(self, conn: Any, broken: bool = False) -> None:
        cond = self._condition()
        async with cond:
            if broken or self._closed or conn.closed:
                self._size -= 1
                await _aclose_quietly(conn)
            else:
                self._idle.append(conn)
            cond.notify()

    async def drop_idle(self) -> None:
        idle, self._idle = self._idle, []
        self._size -= len(idle)
        for conn in idle:
            await _aclose_quietly(conn)

    async def close(self) -> None:
        self._closed = True
        await self.drop_idle()


async def _aclose_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):
        await conn.close()
