"""The Elasticsearch adapter through the conformance and differential suites, sync and
async, against osmem-server (or ``DATAKNOBS_TEST_ES_URL``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dataknobs_data.adapters.elasticsearch import (
    AsyncElasticsearchDatabase,
    ElasticsearchDatabase,
)
from dataknobs_data.testing.conformance import DatabaseConformance
from dataknobs_data.testing.differential import DifferentialSuite


class TestElasticsearchConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, es_options: dict[str, Any]) -> Iterator[ElasticsearchDatabase]:
        yield ElasticsearchDatabase(**es_options)


class TestAsyncElasticsearchConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, es_options: dict[str, Any]) -> Iterator[AsyncElasticsearchDatabase]:
        yield AsyncElasticsearchDatabase.from_config({"backend": "elasticsearch", **es_options})


class TestElasticsearchPagedConformance(DatabaseConformance):
    """Every result paged two records at a time (search_after, point in time)."""

    @pytest.fixture
    def database(self, es_options: dict[str, Any]) -> Iterator[ElasticsearchDatabase]:
        yield ElasticsearchDatabase(page_size=2, **es_options)


class TestElasticsearchDifferential(DifferentialSuite):
    differential_examples = 60

    @pytest.fixture
    def database(self, es_options: dict[str, Any]) -> Iterator[ElasticsearchDatabase]:
        yield ElasticsearchDatabase(**es_options)


class TestAsyncElasticsearchDifferential(DifferentialSuite):
    differential_examples = 20

    @pytest.fixture
    def database(self, es_options: dict[str, Any]) -> Iterator[AsyncElasticsearchDatabase]:
        yield AsyncElasticsearchDatabase(page_size=3, **es_options)
