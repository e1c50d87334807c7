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

from dataknobs_data.testing.servers import require_server
from dataknobs_data.testing.servers.s3 import STARTERS, S3TestServer, external_server

SERVER_NAMES = ["external"] if external_server() is not None else list(STARTERS)


class _Servers:
    """Starts each server on first use, stops all at session end."""

    def __init__(self) -> None:
        self.running: dict[str, S3TestServer] = {}
        self.buckets: dict[str, str] = {}
        self.errors: dict[str, str] = {}

    def get(self, name: str) -> S3TestServer:
        if name in self.errors:
            require_server(name, self.errors[name])
        if name not in self.running:
            try:
                server = external_server() if name == "external" else STARTERS[name]()
                assert server is not None
            except Exception as err:
                self.errors[name] = f"{type(err).__name__}: {err}"
                require_server(name, self.errors[name])
            self.running[name] = server
            self.buckets[name] = server.new_bucket("dk-tests")
        return self.running[name]

    def stop(self) -> None:
        for server in self.running.values():
            server.stop()


@pytest.fixture(scope="session")
def s3_servers() -> Iterator[_Servers]:
    """The session's servers (started lazily)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    servers = _Servers()
    yield servers
    servers.stop()


@pytest.fixture(scope="session", params=SERVER_NAMES)
def s3_server(request: pytest.FixtureRequest, s3_servers: _Servers) -> S3TestServer:
    """One running S3-compatible server (the tests using it run once per server)."""
    return s3_servers.get(request.param)


@pytest.fixture
def s3_options(s3_server: S3TestServer, s3_servers: _Servers) -> dict[str, Any]:
    """Adapter options for a fresh, empty prefix of the session bucket."""
    return {"bucket": s3_servers.buckets[s3_server.name],
            "prefix": f"t-{uuid.uuid4().hex[:12]}/", **s3_server.options()}
