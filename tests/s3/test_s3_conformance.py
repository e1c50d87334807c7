"""The S3 adapter through the conformance and differential suites, on moto and SeaweedFS."""

from __future__ import annotations

from typing import Any, ClassVar

from dataknobs_data.adapters.s3 import AsyncS3Database, S3Database
from dataknobs_data.testing.conformance import DatabaseConformance
from dataknobs_data.testing.differential import DifferentialSuite


class TestS3Conformance(DatabaseConformance):
    adapter = S3Database


class TestS3ConformanceWithoutCache(TestS3Conformance):
    """The same answers with the cache switched off."""

    adapter_kwargs: ClassVar[dict[str, Any]] = {"cache": False}


class TestAsyncS3Conformance(TestS3Conformance):
    adapter = AsyncS3Database
    adapter_kwargs: ClassVar[dict[str, Any]] = {"max_workers": 4}


class TestS3Differential(DifferentialSuite):
    adapter = S3Database
    # every record set is written to the server and every query lists the prefix
    differential_examples = 25


class TestAsyncS3Differential(TestS3Differential):
    adapter = AsyncS3Database
    differential_examples = 10
