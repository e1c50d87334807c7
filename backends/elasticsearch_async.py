"""dataknobs-data 0.11's ``dataknobs_data.backends.elasticsearch_async``:
``AsyncElasticsearchDatabase`` with 0.11's positional configuration dict (``hosts``, or
``host`` and ``port``), over ``adapters.elasticsearch.AsyncElasticsearchDatabase`` (the
native async client)."""

from __future__ import annotations

from typing import ClassVar

from ..adapters.elasticsearch import AsyncElasticsearchDatabase as _AsyncElasticsearch
from .elasticsearch import HostAndPort


class AsyncElasticsearchDatabase(HostAndPort, _AsyncElasticsearch):
    """``adapters.elasticsearch.AsyncElasticsearchDatabase`` with 0.11's constructor."""

    default_host: ClassVar[tuple[str | None, int | None]] = (None, None)  # the client's


__all__ = ["AsyncElasticsearchDatabase"]
