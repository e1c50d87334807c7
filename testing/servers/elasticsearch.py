"""An Elasticsearch-compatible server for tests: osmem-server, or an external cluster.

``start_osmem()`` runs the binary bundled in the ``osmem-server`` wheel (an in-memory,
OpenSearch-compatible server) on 127.0.0.1 and a free port, and polls its HTTP endpoint
until it answers (never a fixed sleep). ``external_server()`` reads
``DATAKNOBS_TEST_ES_URL`` (a real Elasticsearch, credentials allowed in the URL).
``ElasticsearchTestServer.options()`` gives adapter options that reach the server, with the
compatibility mode the server needs (osmem-server rejects the client's ``compatible-with``
media types, so it is reached with ``compatibility="opensearch"``).

``start_noida()`` runs the binary of the ``noida-db`` wheel (an in-memory server speaking
Elasticsearch 8's REST API, ``dense_vector`` and vector scoring scripts included) with only
its Elasticsearch service, on a free port and a fresh data directory: the server of the
Elasticsearch adapter's native vector search (``vectors``), which osmem-server cannot score.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import free_port, stop_process

URL_ENV = "DATAKNOBS_TEST_ES_URL"
COMPATIBILITY_ENV = "DATAKNOBS_TEST_ES_COMPATIBILITY"
START_TIMEOUT = 30.0


@dataclass
class ElasticsearchTestServer:
    """A reachable server: ``name`` is ``osmem``, ``noida`` or ``external``."""

    name: str
    url: str
    compatibility: str = "elasticsearch"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    data_dir: str | None = field(default=None, repr=False)  # removed by ``stop``

    def options(self, index: str | None = None) -> dict[str, Any]:
        """Adapter options for a fresh index on this server."""
        return {"hosts": [self.url], "compatibility": self.compatibility,
                "index": index or new_index_name()}

    def stop(self) -> None:
        """Stop the server process (nothing for an external server)."""
        proc, self.process = self.process, None
        if proc is not None:
            stop_process(proc, grace=10)
        if self.data_dir is not None:
            import shutil

            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None


def new_index_name(stem: str = "dk-test") -> str:
    """A unique, valid index name."""
    return f"{stem}-{uuid.uuid4().hex[:12]}"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=2) as resp:
            return 200 <= int(resp.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until_ready(url: str, process: subprocess.Popen[bytes] | None = None,
                     timeout: float = START_TIMEOUT) -> None:
    """Poll ``url`` until it answers 2xx; RuntimeError when the process exits or time runs
    out."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} during startup")
        if _answers(url):
            return
        time.sleep(delay)  # polling interval, not synchronisation
        delay = min(delay * 2, 0.25)
    raise RuntimeError(f"the server at {url} did not answer within {timeout:.0f} s")


def _ready(server: ElasticsearchTestServer) -> ElasticsearchTestServer:
    """``server`` once it answers; stopped (its files removed) when it does not."""
    try:
        wait_until_ready(server.url, server.process)
    except BaseException:
        server.stop()
        raise
    return server


def start_osmem() -> ElasticsearchTestServer:
    """Start osmem-server on a free port of 127.0.0.1 and wait until it answers."""
    import osmem_server

    binary = osmem_server.resolve_binary()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [binary, "-addr", f"127.0.0.1:{port}", "-no-stdin-watch", "-no-ja",
         "-parent-pid", str(os.getpid())],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _ready(ElasticsearchTestServer("osmem", url, "opensearch", proc))


def start_noida() -> ElasticsearchTestServer:
    """Start noida-db's Elasticsearch service on a free port of 127.0.0.1, its data in a
    fresh temporary directory (removed by ``stop``), and wait until it answers."""
    import tempfile
    from importlib.resources import files

    binary = str(files("noida_db").joinpath("noida-db"))
    os.chmod(binary, 0o755)  # a wheel's data file, as the package's own launcher does
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data_dir = tempfile.mkdtemp(prefix="dk-noida-")
    proc = subprocess.Popen(
        [binary, "start", "--only", "elasticsearch", "--host", "127.0.0.1",
         "--elasticsearch-port", str(port), "--data-dir", data_dir],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _ready(ElasticsearchTestServer("noida", url, "elasticsearch", proc, data_dir))


def external_server() -> ElasticsearchTestServer | None:
    """The server named by ``DATAKNOBS_TEST_ES_URL`` (None when unset); its compatibility
    mode comes from ``DATAKNOBS_TEST_ES_COMPATIBILITY`` (default ``elasticsearch``)."""
    url = os.environ.get(URL_ENV, "").strip().rstrip("/")
    if not url:
        return None
    compatibility = os.environ.get(COMPATIBILITY_ENV, "elasticsearch").strip() or "elasticsearch"
    return ElasticsearchTestServer("external", url, compatibility)


def start_vector_server() -> ElasticsearchTestServer:
    """The external server when configured in ``elasticsearch`` mode, else a fresh noida-db:
    a server that scores ``dense_vector`` fields (the native vector search's tests)."""
    external = external_server()
    if external is not None and external.compatibility == "elasticsearch":
        return external
    return start_noida()


def start_server() -> ElasticsearchTestServer:
    """The external server when configured, else a fresh osmem-server."""
    return external_server() or start_osmem()


class LazyElasticsearchServer:
    """A test session's server (``start``: ``start_server`` by default), started on first
    ``get()``; a start failure is remembered, so every test that asks reports it
    (``require_server``: a failure in CI, a skip elsewhere). ``stop()`` ends it."""

    def __init__(self, start: Callable[[], ElasticsearchTestServer] | None = None) -> None:
        self.start = start or start_server
        self.server: ElasticsearchTestServer | None = None
        self.error: str | None = None

    def get(self) -> ElasticsearchTestServer:
        """The running server."""
        from . import require_server

        if self.error:
            require_server("elasticsearch", self.error)
        if self.server is None:
            try:
                self.server = self.start()
            except Exception as err:
                self.error = f"{type(err).__name__}: {err}"
                require_server("elasticsearch", self.error)
        return self.server

    def stop(self) -> None:
        """Stop the server if it was started."""
        if self.server is not None:
            self.server.stop()
            self.server = None


__all__ = ["COMPATIBILITY_ENV", "URL_ENV", "ElasticsearchTestServer", "LazyElasticsearchServer",
           "external_server", "new_index_name", "start_noida", "start_osmem", "start_server",
           "start_vector_server",
           "wait_until_ready"]
