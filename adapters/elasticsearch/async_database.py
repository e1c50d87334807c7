"""The Elasticsearch adapter (async): the same flows, run with ``AsyncElasticsearch``.

Native async: requests go through the client's aiohttp node on the caller's event loop, no
threads. The options, request building, paging and error mapping are those of the sync
adapter (``database.ElasticsearchOptions``, ``operations``).
"""

from __future__ import annotations

from typing import Any

from ...ports import flows
from ...ports.async_database import AsyncDatabase
from ...ports.capabilities import Capabilities
from .database import ElasticsearchOptions
from .operations import Bulk, Call


class AsyncElasticsearchDatabase(ElasticsearchOptions, AsyncDatabase):
    """Records in one Elasticsearch index, through the official async client."""

    capabilities = Capabilities(persistent=True, conditional_writes=True, query_pushdown=True,
                                mixed_type_fields=True, native_async=True)
    _client_class = "AsyncElasticsearch"

    # -- the driver ---------------------------------------------------------------------------
    async def _perform(self, step: Call | Bulk) -> Any:
        client = self.client
        if isinstance(step, Bulk):
            from elasticsearch import helpers

            return [item async for item in helpers.async_streaming_bulk(
                client, step.actions, raise_on_error=False, raise_on_exception=False,
                **step.options)]
        return self._response(step, await self._method(step)(**step.kwargs))

    _run_flow = staticmethod(flows.arun_flow)
    _run_stream = staticmethod(flows.astream_flow)

    # -- hooks ----------------------------------------------------------------------------------
    async def _close(self) -> None:
        if self._es is not None:
            es, self._es = self._es, None
            await es.close()


__all__ = ["AsyncElasticsearchDatabase"]
