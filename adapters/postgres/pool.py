"""A small blocking connection pool for psycopg2 (its own pools raise when exhausted).

``acquire`` hands out an idle connection or opens a new one up to ``max_size``, waiting up to
``timeout`` seconds for one to come back. An idle connection whose socket is readable has
been closed by the server (a restart or ``pg_terminate_backend`` sends a final message and
closes), so it is dropped before use at the cost of one non-blocking ``select`` -- no
round trip -- and the operation runs on a fresh connection.
"""

from __future__ import annotations

import asyncio
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


class _PoolBase:
    """The bookkeeping both pools share; the two classes add only their locking and I/O."""

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

    @property
    def size(self) -> int:
        """Connections open now (idle and in use)."""
        return self._size

    def _take(self, dead: list[Any]) -> Any:
        """A live idle connection, else None after reserving room for a new one (the
        caller opens it), else ``_WAIT``; dead idle connections are moved to ``dead``."""
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and not socket_is_dead(conn.fileno()):
                return conn
            self._size -= 1
            dead.append(conn)
        if self._size < self.max_size:
            self._size += 1
            return None
        return _WAIT

    def _exhausted(self) -> OperationalError:
        return OperationalError(
            f"postgres {self._describe}: all {self.max_size} pooled connections "
            f"stayed in use for {self.timeout:g} s (raise pool_max_size?)")

    def _put(self, conn: Any, broken: bool) -> bool:
        """Return ``conn`` to the idle list; False when it is to be closed instead."""
        if broken or self._closed or conn.closed:
            self._size -= 1
            return False
        self._idle.append(conn)
        return True

    def _take_idle(self) -> list[Any]:
        idle, self._idle = self._idle, []
        self._size -= len(idle)
        return idle


_WAIT = object()


class ConnectionPool(_PoolBase):
    """Connections made by ``connect``, at most ``max_size`` open at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cond = threading.Condition()

    def fill(self) -> None:
        """Open connections up to ``min_size``."""
        while True:
            with self._cond:
                if self._size >= self.min_size:
                    return
                self._size += 1
            self.release(self._open())

    def _open(self) -> Any:
        try:
            return self._connect()
        except BaseException:
            with self._cond:
                self._size -= 1
                self._cond.notify()
            raise

    def acquire(self) -> Any:
        deadline = time.monotonic() + self.timeout
        dead: list[Any] = []
        try:
            with self._cond:
                while (conn := self._take(dead)) is _WAIT:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise self._exhausted()
                    self._cond.wait(remaining)
        finally:
            for old in dead:
                _close_quietly(old)
        return self._open() if conn is None else conn

    def release(self, conn: Any, broken: bool = False) -> None:
        with self._cond:
            kept = self._put(conn, broken)
            self._cond.notify()
        if not kept:
            _close_quietly(conn)

    def drop_idle(self) -> None:
        """Close every idle connection (after one was found dead, the rest likely are)."""
        with self._cond:
            idle = self._take_idle()
        for conn in idle:
            _close_quietly(conn)

    def close(self) -> None:
        with self._cond:
            self._closed = True
        self.drop_idle()


def _close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):
        conn.close()


class AsyncConnectionPool(_PoolBase):
    """The same pool for psycopg 3's async connections (``connect`` is a coroutine
    function); one per event loop."""

    _cond: Any = None

    def _condition(self) -> Any:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def fill(self) -> None:
        while self._size < self.min_size:
            self._size += 1
            await self.release(await self._open())

    async def _open(self) -> Any:
        try:
            return await self._connect()
        except BaseException:
            cond = self._condition()
            async with cond:
                self._size -= 1
                cond.notify()
            raise

    async def acquire(self) -> Any:
        cond = self._condition()
        deadline = time.monotonic() + self.timeout
        dead: list[Any] = []
        try:
            async with cond:
                while (conn := self._take(dead)) is _WAIT:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise self._exhausted()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(cond.wait(), remaining)
        finally:
            for old in dead:
                await _aclose_quietly(old)
        return await self._open() if conn is None else conn

    async def release(self, conn: Any, broken: bool = False) -> None:
        cond = self._condition()
        async with cond:
            kept = self._put(conn, broken)
            cond.notify()
        if not kept:
            await _aclose_quietly(conn)

    async def drop_idle(self) -> None:
        for conn in self._take_idle():
            await _aclose_quietly(conn)

    async def close(self) -> None:
        self._closed = True
        await self.drop_idle()


async def _aclose_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):
        await conn.close()
