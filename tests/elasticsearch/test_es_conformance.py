"""The Elasticsearch adapter through the conformance and differential suites, sync and
async, against osmem-server (or ``DATAKNOBS_TEST_ES_URL``)."""

from __future__ import annotations

from typing import Any, ClassVar

from dataknobs_data.adapters.elasticsearch import (
    AsyncElasticsearchDatabase,
    ElasticsearchDatabase,
)
from dataknobs_data.testing.conformance import DatabaseConformance
from dataknobs_data.testing.differential import DifferentialSuite


class TestElasticsearchConformance(DatabaseConformance):
    adapter = ElasticsearchDatabase


class TestAsyncElasticsearchConformance(TestElasticsearchConformance):
    adapter = AsyncElasticsearchDatabase


class TestElasticsearchPagedConformance(TestElasticsearchConformance):
    """Every result paged two records at a time (search_after, point in time)."""

    adapter_kwargs: ClassVar[dict[str, Any]] = {"page_size": 2}


class TestElasticsearchDifferential(DifferentialSuite):
    adapter = ElasticsearchDatabase
    differential_examples = 60


class TestAsyncElasticsearchDifferential(TestElasticsearchDifferential):
    adapter = AsyncElasticsearchDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"page_size": 3}
    differential_examples = 20
