"""The fidelity suite on S3, sync and async, against moto's server and SeaweedFS.

Each handle the suite opens is a new adapter (its own client and cache) on the test's own
prefix, so every record read after the reopen comes back from the server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dataknobs_data.adapters.s3 import AsyncS3Database, S3Database
from dataknobs_data.domain.values import MAX_DEPTH
from dataknobs_data.testing.fidelity import FidelitySuite

#: The object body's keys and the codec's own tags (a datetime is ``{"$datetime": ...}``, a
#: user key starting with ``$`` is stored with one more ``$``).
ENVELOPE_NAMES = ("id", "data", "metadata", "write", "$datetime", "$$datetime")


class TestS3Fidelity(FidelitySuite):
    # every example writes objects to the server and lists the prefix after the reopen
    fidelity_examples = 40
    envelope_names = ENVELOPE_NAMES
    max_depth = MAX_DEPTH
    max_string = 1_000_000

    @pytest.fixture
    def open_database(self, s3_options: dict[str, Any]) -> Callable[[], Any]:
        return lambda: S3Database(**s3_options)


class TestAsyncS3Fidelity(FidelitySuite):
    fidelity_examples = 15
    envelope_names = ENVELOPE_NAMES
    max_depth = MAX_DEPTH
    max_string = 1_000_000

    @pytest.fixture
    def open_database(self, s3_options: dict[str, Any]) -> Callable[[], Any]:
        return lambda: AsyncS3Database(max_workers=4, **s3_options)
