"""The S3 adapter through the conformance and differential suites, on moto and SeaweedFS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dataknobs_data.adapters.s3 import AsyncS3Database, S3Database
from dataknobs_data.testing.conformance import DatabaseConformance
from dataknobs_data.testing.differential import DifferentialSuite


class TestS3Conformance(DatabaseConformance):
    @pytest.fixture
    def database(self, s3_options: dict[str, Any]) -> Iterator[S3Database]:
        yield S3Database(**s3_options)


class TestS3ConformanceWithoutCache(DatabaseConformance):
    """The same answers with the cache switched off."""

    @pytest.fixture
    def database(self, s3_options: dict[str, Any]) -> Iterator[S3Database]:
        yield S3Database(cache=False, **s3_options)


class TestAsyncS3Conformance(DatabaseConformance):
    @pytest.fixture
    def database(self, s3_options: dict[str, Any]) -> Iterator[AsyncS3Database]:
        yield AsyncS3Database.from_config({"backend": "s3", "max_workers": 4, **s3_options})


class TestS3Differential(DifferentialSuite):
    # every record set is written to the server and every query lists the prefix
    differential_examples = 25

    @pytest.fixture
    def database(self, s3_options: dict[str, Any]) -> Iterator[S3Database]:
        yield S3Database(**s3_options)


class TestAsyncS3Differential(DifferentialSuite):
    differential_examples = 10

    @pytest.fixture
    def database(self, s3_options: dict[str, Any]) -> Iterator[AsyncS3Database]:
        yield AsyncS3Database(**s3_options)
