"""Async adapters built on a sync adapter.

``SyncBackedAsyncDatabase`` implements the async port by calling a sync adapter's hooks:
in a bounded thread pool for backends whose drivers block (files, boto3), or inline for the
memory adapter, whose operations never wait. The sync adapter does all the storage work, so
the two can never disagree about semantics.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from ..domain.query import Query
from ..domain.records import Record
from ..domain.vectors import DistanceMetric, VectorQuery
from ..ports.async_database import AsyncDatabase
from ..ports.database import SyncDatabase
from ..ports.options import check_options
from ..ports.streaming import StreamConfig

if TYPE_CHECKING:  # asyncio is imported by the coroutines: sync programs never load it
    import asyncio

T = TypeVar("T")
_DONE = object()


class SyncBackedAsyncDatabase(AsyncDatabase):
    """Async port over a sync adapter of class ``sync_class``.

    Options are those of the sync adapter, plus ``max_workers`` (threads used for blocking
    calls; default 8). ``sync`` is the wrapped adapter."""

    sync_class: ClassVar[type[SyncDatabase]]
    #: run hooks on the event loop thread (only for adapters that never block)
    run_inline: ClassVar[bool] = False

    def __init__(self, *, max_workers: int = 8, **options: Any) -> None:
        super().__init__()
        self.sync = self.sync_class(**options)
        self.schema = self.sync.schema
        self._max_workers = max_workers
        self._executor: ThreadPoolExecutor | None = None
        # the open transaction's thread (per task): the sync adapter's transaction holds
        # thread-bound locks, so every call of the block runs on that one thread
        self._tx_thread: contextvars.ContextVar[ThreadPoolExecutor | None] = (
            contextvars.ContextVar(f"dk_bridge_tx_{id(self)}", default=None))
        # an inline adapter's open transaction: other tasks' calls wait on this lock, the
        # block's own task (and the tasks it starts) is its owner and goes on
        self._tx_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._tx_owner: contextvars.ContextVar[bool] = contextvars.ContextVar(
            f"dk_bridge_owner_{id(self)}", default=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        sync_class = cls.__dict__.get("sync_class")
        if sync_class is not None:
            if "capabilities" not in cls.__dict__:  # a subclass may declare less
                cls.capabilities = sync_class.capabilities
            cls.backend_name = sync_class.backend_name

    @property
    def checked_stream(self) -> bool:
        """The sync adapter's: ``_stream_read`` yields its records as they come."""
        return self.sync.checked_stream

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Any:
        """Same options as the sync adapter, plus ``max_workers``."""
        max_workers = config.get("max_workers", 8)
        options = {k: v for k, v in config.items() if k != "max_workers"}
        options = check_options(cls.sync_class.backend_name, cls.sync_class, options)
        return cls(max_workers=max_workers, **options)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        import asyncio

        if self.run_inline:
            if self._tx_lock is not None and not self._tx_owner.get():
                lock = self._tx_lock[1]
                if lock.locked():
                    async with lock:  # another task's transaction is open: wait for its end
                        pass
            return fn(*args)
        tx_thread = self._tx_thread.get()
        if tx_thread is not None:
            return await asyncio.get_running_loop().run_in_executor(
                tx_thread, functools.partial(fn, *args))
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._max_workers, thread_name_prefix=f"dk-{self.backend_name}"
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    async def _connect(self) -> None:
        await self._call(self.sync.connect)

    async def _close(self) -> None:
        await self._call(self.sync.close)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Self]:
        """The sync adapter's ``transaction()``, entered and left on one thread that runs
        every call of the block; other tasks' calls wait in the pool's threads until it
        ends (an inline adapter runs the block on the event loop, and other tasks' calls
        wait for it on a lock). A nested block is the sync adapter's nested block (a
        savepoint)."""
        if not self.capabilities.transactions:
            raise self._no_transactions()
        if self.run_inline:
            async with self._inline_transaction():
                yield self
            return
        outer = self._tx_thread.get()
        tx_thread = outer or ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"dk-{self.backend_name}-tx")
        block = self.sync.transaction()
        token = self._tx_thread.set(tx_thread)
        try:
            await self._call(block.__enter__)
            try:
                yield self
            except BaseException as err:
                await self._call(block.__exit__, type(err), err, err.__traceback__)
                raise
            await self._call(block.__exit__, None, None, None)
        finally:
            self._tx_thread.reset(token)
            if outer is None:
                tx_thread.shutdown(wait=True)

    @contextlib.asynccontextmanager
    async def _inline_transaction(self) -> AsyncIterator[None]:
        import asyncio

        if self._tx_owner.get():  # nested in this task's open block
            with self.sync.transaction():
                yield
            return
        loop = asyncio.get_running_loop()
        if self._tx_lock is None or self._tx_lock[0] is not loop:
            self._tx_lock = (loop, asyncio.Lock())
        async with self._tx_lock[1]:
            token = self._tx_owner.set(True)
            try:
                with self.sync.transaction():
                    yield
            finally:
                self._tx_owner.reset(token)

    async def _create(self, record_id: str, record: Record) -> None:
        await self._call(self.sync._create, record_id, record)

    async def _read(self, record_id: str) -> Record | None:
        return await self._call(self.sync._read, record_id)

    async def _update(self, record_id: str, record: Record, expected_version: str | None
                      ) -> bool:
        return await self._call(self.sync._update, record_id, record, expected_version)

    async def _delete(self, record_id: str, expected_version: str | None) -> bool:
        return await self._call(self.sync._delete, record_id, expected_version)

    async def _upsert(self, record_id: str, record: Record, expected_version: str | None
                      ) -> None:
        await self._call(self.sync._upsert, record_id, record, expected_version)

    async def _search(self, query: Query) -> list[Record]:
        return await self._call(self.sync._search, query)

    async def _count(self, query: Query) -> int:
        return await self._call(self.sync._count, query)

    async def _vector_hits(self, query: Query, vq: VectorQuery, metric: DistanceMetric,
                           skip: int, take: int) -> list[tuple[Record, float]] | None:
        return await self._call(self.sync._vector_hits, query, vq, metric, skip, take)

    async def _clear(self) -> int:
        return await self._call(self.sync._clear)

    async def _get_version(self, record_id: str) -> str | None:
        return await self._call(self.sync._get_version, record_id)

    async def _exists(self, record_id: str) -> bool:
        return await self._call(self.sync._exists, record_id)

    async def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        return await self._call(self.sync._create_batch, records)

    async def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        return await self._call(self.sync._read_batch, record_ids)

    async def _update_batch(self, updates: list[tuple[str, Record]]) -> list[bool]:
        return await self._call(self.sync._update_batch, updates)

    async def _delete_batch(self, record_ids: list[str]) -> list[bool]:
        return await self._call(self.sync._delete_batch, record_ids)

    async def _upsert_batch(self, records: list[Record]) -> None:
        await self._call(self.sync._upsert_batch, records)

    async def _stream_read(self, query: Query, config: StreamConfig) -> AsyncIterator[Record]:
        iterator: Iterator[Record] = self.sync._stream_read(query, config)

        def next_chunk() -> list[Record]:
            chunk: list[Record] = []
            for record in iterator:
                chunk.append(record)
                if len(chunk) >= config.batch_size:
                    break
            return chunk

        while True:
            chunk = await self._call(next_chunk)
            if not chunk:
                return
            for record in chunk:
                yield record

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.sync!r})"


