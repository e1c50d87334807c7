"""The asynchronous repository port: ``SyncDatabase``'s contract with coroutines.

Every method of ``SyncDatabase`` exists here with the same arguments, results and errors;
the docstrings there are the specification, given to these methods by ``share_docs``. What
the two ports do besides calling their hooks (preparation, batch bookkeeping, the
``stream_write`` flow) is written once in ``ports.base``.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping, Sequence
from typing import Any, Self

from ..domain import columnar
from ..domain.query import Query
from ..domain.records import Record
from ..domain.vectors import DistanceMetric, VectorQuery, VectorSearchResult
from .base import PortBase, RecordLike, build_backend, share_docs
from .database import SyncDatabase
from .flows import arun_flow, astream_flow
from .preparation import check_id
from .processing import StreamProcessor, Transform, stream_source
from .streaming import StreamConfig, StreamResult

__all__ = ["AsyncDatabase", "RecordLike"]


class AsyncDatabase(PortBase, ABC):
    """A record store, with every operation a coroutine.

    The contract is ``SyncDatabase``'s, method for method; ``stream_read`` is an async
    iterator. Adapters with no native async driver run the sync adapter in a bounded thread
    pool (``capabilities.native_async`` is then false).
    """

    @classmethod
    async def from_backend(cls, backend: str, config: Mapping[str, Any] | None = None
                           ) -> AsyncDatabase:
        db: AsyncDatabase = build_backend(backend, config, use_async=True)
        await db.connect()
        return db

    # -- lifecycle --------------------------------------------------------------------------
    async def connect(self) -> None:
        await self._connect()

    async def close(self) -> None:
        await self._close()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _connect(self) -> None:
        """Adapter hook: open connections (default: nothing to do)."""

    async def _close(self) -> None:
        """Adapter hook: release resources (default: nothing to do)."""

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Self]:
        raise self._no_transactions()
        yield self  # pragma: no cover

    # -- single records ---------------------------------------------------------------------
    async def create(self, record: RecordLike) -> str:
        rid, rec = self._new_record(record)
        await self._create(rid, rec)
        return rid

    async def read(self, record_id: str) -> Record | None:
        return await self._read(check_id(record_id))

    async def update(self, record_id: str, record: RecordLike, *,
                     expected_version: str | None = None) -> bool:
        return await self._update(*self._replacement(record_id, record), expected_version)

    async def delete(self, record_id: str, *, expected_version: str | None = None) -> bool:
        return await self._delete(check_id(record_id), expected_version)

    async def exists(self, record_id: str) -> bool:
        return await self._exists(check_id(record_id))

    async def upsert(self, id_or_record: str | RecordLike, record: RecordLike | None = None,
                     *, expected_version: str | None = None) -> str:
        rid, rec = self._upserted(id_or_record, record)
        await self._upsert(rid, rec, expected_version)
        return rid

    async def get_version(self, record_id: str) -> str | None:
        return await self._get_version(check_id(record_id))

    # -- batches ----------------------------------------------------------------------------
    async def create_batch(self, records: Iterable[RecordLike], copy: bool = True
                           ) -> list[str]:
        prepared = self._new_batch(records, copy)
        return self._batch_ids(prepared, await self._create_batch(prepared))

    async def read_batch(self, record_ids: Sequence[str]) -> list[Record | None]:
        return await self._read_batch([check_id(r) for r in record_ids])

    async def update_batch(self, updates: Sequence[tuple[str, RecordLike]]) -> list[bool]:
        return await self._update_batch(self._replacements(updates))

    async def delete_batch(self, record_ids: Sequence[str]) -> list[bool]:
        return await self._delete_batch([check_id(r) for r in record_ids])

    async def upsert_batch(self, items: Sequence[RecordLike | tuple[str, RecordLike]]
                           ) -> list[str]:
        prepared = self._upserts(items)
        await self._upsert_batch(prepared)
        return [rec.id for rec in prepared if rec.id is not None]

    # -- queries ----------------------------------------------------------------------------
    async def search(self, query: Query | None = None) -> list[Record]:
        q = self._supported(query)
        if q.vector_query is not None:
            return [rec for rec, _ in await arun_flow(self, self._vector_flow(q))]
        return await self._search(q)

    async def vector_search(self, query_vector: Any, vector_field: str = "embedding",
                            k: int = 10, *, metric: DistanceMetric | str | None = None,
                            filter: Query | None = None, score_threshold: float | None = None,
                            include_source: bool = True) -> list[VectorSearchResult]:
        del include_source
        q = self._supported(self._vector_query(query_vector, vector_field, k, metric, filter,
                                               score_threshold))
        return self._vector_results(await arun_flow(self, self._vector_flow(q)), vector_field)

    async def count(self, query: Query | None = None) -> int:
        return await self._count(self._supported(query))

    async def all(self) -> list[Record]:
        return await self.search(Query())

    async def clear(self) -> int:
        return await self._clear()

    # -- streaming --------------------------------------------------------------------------
    async def stream_read(self, query: Query | None = None,
                          config: StreamConfig | None = None) -> AsyncIterator[Record]:
        q = self._supported(query)
        if q.vector_query is not None:  # k ranked hits: one ranking, then its records
            for record in await self.search(q):
                yield record
            return
        async for record in self._stream_read(q, config or StreamConfig()):
            yield record

    async def stream_write(self, records: Iterable[RecordLike] | AsyncIterable[RecordLike],
                           config: StreamConfig | None = None) -> StreamResult:
        source = stream_source(records, allow_async=True)
        result: StreamResult = await arun_flow(self, self._stream_write_flow(source, config))
        return result

    def stream_transform(self, query: Query | None = None,
                         transform: Transform | None = None,
                         config: StreamConfig | None = None) -> AsyncIterator[Record]:
        return StreamProcessor.async_transform_stream(self.stream_read(query, config),
                                                      transform)

    # -- the columnar path -------------------------------------------------------------------
    async def write_arrow(self, data: Any, *, id_column: str | None = None, na: str = "null",
                          batch_size: int | None = None) -> int:
        written: int = await arun_flow(self, self._write_arrow_flow(data, id_column, na,
                                                                     batch_size))
        return written

    async def read_arrow(self, query: Query | None = None, *, batch_size: int | None = None
                         ) -> AsyncIterator[Any]:
        q = self._supported(query)
        async for batch in astream_flow(self, self._read_arrow_flow(q, batch_size)):
            yield batch

    async def to_arrow(self, query: Query | None = None, *, batch_size: int | None = None
                       ) -> Any:
        return columnar.concat_layout(
            [batch async for batch in self.read_arrow(query, batch_size=batch_size)])

    async def _arrow_batches(self, query: Query, batch_size: int) -> Iterator[Any] | None:
        return None

    # -- hooks adapters implement (documented in SyncDatabase) --------------------------------
    @abstractmethod
    async def _create(self, record_id: str, record: Record) -> None: ...

    @abstractmethod
    async def _read(self, record_id: str) -> Record | None: ...

    @abstractmethod
    async def _update(self, record_id: str, record: Record,
                      expected_version: str | None) -> bool: ...

    @abstractmethod
    async def _delete(self, record_id: str, expected_version: str | None) -> bool: ...

    @abstractmethod
    async def _upsert(self, record_id: str, record: Record,
                      expected_version: str | None) -> None: ...

    @abstractmethod
    async def _search(self, query: Query) -> list[Record]: ...

    @abstractmethod
    async def _count(self, query: Query) -> int: ...

    @abstractmethod
    async def _clear(self) -> int: ...

    @abstractmethod
    async def _get_version(self, record_id: str) -> str | None: ...

    async def _exists(self, record_id: str) -> bool:
        return await self._get_version(record_id) is not None

    async def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        failures: dict[int, BaseException] = await arun_flow(self,
                                                             self._create_each_flow(records))
        return failures

    async def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        return [await self._read(rid) for rid in record_ids]

    async def _vector_hits(self, query: Query, vq: VectorQuery, metric: DistanceMetric,
                           skip: int, take: int) -> list[tuple[Record, float]] | None:
        return None

    async def _update_batch(self, updates: list[tuple[str, Record]]) -> list[bool]:
        return [await self._update(rid, rec, None) for rid, rec in updates]

    async def _delete_batch(self, record_ids: list[str]) -> list[bool]:
        return [await self._delete(rid, None) for rid in record_ids]

    async def _upsert_batch(self, records: list[Record]) -> None:
        for rec in records:
            assert rec.id is not None
            await self._upsert(rec.id, rec, None)

    async def _stream_read(self, query: Query, config: StreamConfig) -> AsyncIterator[Record]:
        for record in await self._search(query):
            yield record


share_docs(AsyncDatabase, SyncDatabase)
