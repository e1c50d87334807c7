"""S3 test servers: moto's server and SeaweedFS, each started once per session.

Tests that take ``s3_server`` run against both (or only against the endpoint named by
``DATAKNOBS_TEST_S3_ENDPOINT`` when it is set). Each server gets one bucket per session;
every test uses its own prefix in it (``s3_options``), so tests never see each other's data.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from dataknobs_data.testing.servers.s3 import S3Servers, S3TestServer, server_names

SERVER_NAMES = server_names()


@pytest.fixture(scope="session")
def s3_servers() -> Iterator[S3Servers]:
    """The session's servers (started lazily)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    servers = S3Servers("dk-tests")
    yield servers
    servers.stop()


@pytest.fixture(scope="session", params=SERVER_NAMES)
def s3_server(request: pytest.FixtureRequest, s3_servers: S3Servers) -> S3TestServer:
    """One running S3-compatible server (the tests using it run once per server)."""
    return s3_servers.get(request.param)


@pytest.fixture
def s3_options(s3_server: S3TestServer, s3_servers: S3Servers) -> dict[str, Any]:
    """Adapter options for a fresh, empty prefix of the session bucket."""
    return {"bucket": s3_servers.buckets[s3_server.name],
            "prefix": f"t-{uuid.uuid4().hex[:12]}/", **s3_server.options()}


@pytest.fixture
def adapter_options(s3_options: dict[str, Any]) -> dict[str, Any]:
    """What the shipped suites pass to a declared ``adapter`` here: ``s3_options``."""
    return s3_options
