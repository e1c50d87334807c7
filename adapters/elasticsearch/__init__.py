"""The Elasticsearch backend: one index per database, exact query DSL, bulk, deep paging.

``ElasticsearchDatabase`` (sync client) and ``AsyncElasticsearchDatabase`` (native
``AsyncElasticsearch``) share one serializer (``serializer``: records to documents with a
typed query shadow), one translator (``translator``: a dispatch table from operator to
DSL) and one set of operation flows (``operations``). The ``elasticsearch`` client is
imported on first use; without it the adapter raises ``BackendNotAvailableError`` with the
install hint ``pip install 'dataknobs-data[elasticsearch]'``. See
docs/backends/elasticsearch.md.
"""

from .async_database import AsyncElasticsearchDatabase
from .connection import COMPATIBILITY_MODES, ConnectionSettings, index_body
from .database import ElasticsearchDatabase
from .translator import OPERATORS, QueryTranslator

__all__ = ["COMPATIBILITY_MODES", "OPERATORS", "AsyncElasticsearchDatabase",
           "ConnectionSettings", "ElasticsearchDatabase", "QueryTranslator", "index_body"]
