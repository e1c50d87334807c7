"""The Elasticsearch adapter (async): the same flows, run with ``AsyncElasticsearch``.

Native async: requests go through the client's aiohttp node on the caller's event loop, no
threads. The options, request building, paging and error mapping are those of the sync
adapter (``database.ElasticsearchOptions``, ``operations``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ...domain.errors import DataknobsError
from ...domain.query import Query
from ...domain.records import Record
from ...ports.async_database import AsyncDatabase
from ...ports.capabilities import Capabilities
from ...ports.streaming import StreamConfig
from .connection import import_client
from .database import ElasticsearchOptions
from .operations import Bulk, Call, Emit, Flow


class AsyncElasticsearchDatabase(ElasticsearchOptions, AsyncDatabase):
    """Records in one Elasticsearch index, through the official async client."""

    capabilities = Capabilities(persistent=True, conditional_writes=True, query_pushdown=True,
                                mixed_type_fields=True, native_async=True)
    _es: Any = None

    @property
    def client(self) -> Any:
        """The ``elasticsearch.AsyncElasticsearch`` client (created on first use)."""
        if self._given_client is not None:
            return self._given_client
        if self._es is None:
            es = import_client()
            self._es = es.AsyncElasticsearch(**self.settings.client_kwargs(asynchronous=True))
        return self._es

    # -- the driver ---------------------------------------------------------------------------
    async def _perform(self, step: Call | Bulk) -> Any:
        client = self.client
        if isinstance(step, Bulk):
            from elasticsearch import helpers

            return [item async for item in helpers.async_streaming_bulk(
                client, step.actions, raise_on_error=False, raise_on_exception=False,
                **step.options)]
        target = client
        for part in step.method.split("."):
            target = getattr(target, part)
        resp = await target(**step.kwargs)
        if step.method == "indices.exists":
            return bool(resp)
        return getattr(resp, "body", resp)

    async def _iterate(self, flow: Flow) -> AsyncIterator[Emit | tuple[str, Any]]:
        """Run a flow, yielding what it emits and finally ``("result", value)``."""
        value: Any = None
        error: Exception | None = None
        last: Call | Bulk | None = None
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration as stop:
                yield ("result", stop.value)
                return
            except DataknobsError:
                raise
            except Exception as exc:
                if exc is error and last is not None:
                    raise self._failure(exc, last.action) from None
                raise
            value, error = None, None
            if isinstance(step, Emit):
                yield step
                continue
            last = step
            try:
                value = await self._perform(step)
            except DataknobsError:
                raise
            except Exception as err:
                error = err

    async def _run(self, flow: Flow) -> Any:
        result: Any = None
        async for item in self._iterate(flow):
            if isinstance(item, tuple):
                result = item[1]
        return result

    # -- hooks ----------------------------------------------------------------------------------
    async def _connect(self) -> None:
        await self._run(self.operations.ensure_index())

    async def _close(self) -> None:
        if self._es is not None:
            es, self._es = self._es, None
            await es.close()

    async def _create(self, record_id: str, record: Record) -> None:
        await self._run(self.operations.create(record_id, record))

    async def _read(self, record_id: str) -> Record | None:
        return await self._run(self.operations.read(record_id))

    async def _update(self, record_id: str, record: Record, expected_version: str | None
                      ) -> bool:
        return bool(await self._run(self.operations.update(record_id, record, expected_version)))

    async def _delete(self, record_id: str, expected_version: str | None) -> bool:
        return bool(await self._run(self.operations.delete(record_id, expected_version)))

    async def _upsert(self, record_id: str, record: Record, expected_version: str | None
                      ) -> None:
        await self._run(self.operations.upsert(record_id, record, expected_version))

    async def _get_version(self, record_id: str) -> str | None:
        return await self._run(
            self.operations.get_version(record_id))

    async def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        return await self._run(
            self.operations.create_batch(records))

    async def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        return await self._run(
            self.operations.read_batch(record_ids))

    async def _update_batch(self, updates: list[tuple[str, Record]]) -> list[bool]:
        return await self._run(
            self.operations.update_batch(updates))

    async def _delete_batch(self, record_ids: list[str]) -> list[bool]:
        return await self._run(
            self.operations.delete_batch(record_ids))

    async def _upsert_batch(self, records: list[Record]) -> None:
        await self._run(self.operations.upsert_batch(records))

    async def _search(self, query: Query) -> list[Record]:
        out: list[Record] = []
        async for item in self._iterate(self.operations.scan(query)):
            if isinstance(item, Emit):
                out.extend(item.records)
        return out

    async def _count(self, query: Query) -> int:
        return int(await self._run(self.operations.count(query)))

    async def _clear(self) -> int:
        return int(await self._run(self.operations.clear()))

    async def _stream_read(self, query: Query, config: StreamConfig) -> AsyncIterator[Record]:
        async for item in self._iterate(self.operations.scan(query, config.batch_size)):
            if isinstance(item, Emit):
                for record in item.records:
                    yield record


__all__ = ["AsyncElasticsearchDatabase"]
