"""The fidelity suite on S3, sync and async, against moto's server and SeaweedFS.

Each handle the suite opens is a new adapter (its own client and cache) on the test's own
prefix, so every record read after the reopen comes back from the server."""

from __future__ import annotations

from typing import Any, ClassVar

from dataknobs_data.adapters.s3 import AsyncS3Database, S3Database
from dataknobs_data.domain.values import MAX_DEPTH
from dataknobs_data.testing.fidelity import FidelitySuite


class TestS3Fidelity(FidelitySuite):
    adapter = S3Database
    # every example writes objects to the server and lists the prefix after the reopen
    fidelity_examples = 40
    #: The object body's keys and the codec's own tags (a datetime is ``{"$datetime": ...}``,
    #: a user key starting with ``$`` is stored with one more ``$``).
    envelope_names = ("id", "data", "metadata", "write", "$datetime", "$$datetime")
    max_depth = MAX_DEPTH
    max_string = 1_000_000


class TestAsyncS3Fidelity(TestS3Fidelity):
    adapter = AsyncS3Database
    adapter_kwargs: ClassVar[dict[str, Any]] = {"max_workers": 4}
    fidelity_examples = 15
