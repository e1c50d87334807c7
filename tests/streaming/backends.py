"""Backend fixtures shared by tests/streaming, tests/migration and tests/dataframes.

Each directory's conftest loads this file and re-exports the fixtures. ``backend`` is
parametrized over memory, the four file formats, S3 on moto and SeaweedFS (started once per
session through ``testing.servers.s3.S3Servers``, as tests/s3 does), PostgreSQL
(``testing.servers.postgres``) and Elasticsearch (``testing.servers.elasticsearch``); an
unreachable server is ``require_server``'s failure in CI. ``stores`` makes fresh, empty
stores of the backend (each test gets its own file, prefix, table or index) and reopens one
over the same storage, so a round trip goes through the backend's real serialization.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data.adapters.file import AsyncFileDatabase, FileDatabase
from dataknobs_data.adapters.memory import AsyncMemoryDatabase, MemoryDatabase
from dataknobs_data.domain.errors import OperationalError
from dataknobs_data.domain.query import Query
from dataknobs_data.domain.records import Record
from dataknobs_data.ports.database import SyncDatabase
from dataknobs_data.ports.streaming import StreamConfig
from dataknobs_data.testing.servers import require_server
from dataknobs_data.testing.servers.elasticsearch import LazyElasticsearchServer
from dataknobs_data.testing.servers.postgres import PostgresTestServer, check_server, postgres_dsn
from dataknobs_data.testing.servers.s3 import S3Servers, server_names

S3_NAMES = server_names()
FILE_FORMATS = ["json", "jsonl", "csv", "parquet"]
BACKENDS = ["memory", *(f"file-{f}" for f in FILE_FORMATS), *(f"s3-{n}" for n in S3_NAMES),
            "postgres", "elasticsearch"]
POSTGRES_DSN = postgres_dsn()


#: every PostgreSQL table of this test process lives in one schema, dropped at the end
PG_SCHEMA = f"dk_mig_tests_{uuid.uuid4().hex[:8]}"


def _drop_pg_schema() -> None:
    with contextlib.suppress(Exception):
        PostgresTestServer(POSTGRES_DSN).drop_schema(PG_SCHEMA)


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """The schema of this session's PostgreSQL tables (dropped with them at the end)."""
    yield PG_SCHEMA
    _drop_pg_schema()


# One instance of each per process: the three test directories that load this module share
# the servers (each conftest registers its own session fixture; all end with the session).
_S3 = S3Servers("dk-mig")
_ES = LazyElasticsearchServer()


@pytest.fixture(scope="session")
def s3_servers() -> Iterator[S3Servers]:
    """The session's S3 servers (started lazily)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    yield _S3
    _S3.stop()


@pytest.fixture(scope="session")
def es_server() -> Iterator[LazyElasticsearchServer]:
    """The session's Elasticsearch-compatible server (started lazily)."""
    yield _ES
    _ES.stop()


class Stores:
    """Fresh stores of one backend; closes (and for servers clears) them at teardown."""

    def __init__(self, backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self.request = request
        self.opened: list[Any] = []
        self.async_opened: list[Any] = []
        self.options: dict[int, tuple[type, type, dict[str, Any]]] = {}
        self.sync_cls, self.async_cls, self._base = self._resolve()

    @property
    def persistent(self) -> bool:
        """Whether ``reopen`` reads the backend's storage again (not the same object)."""
        return self.backend != "memory"

    def _resolve(self) -> tuple[type, type, dict[str, Any]]:
        name = self.backend
        if name == "memory":
            return MemoryDatabase, AsyncMemoryDatabase, {}
        if name.startswith("file-"):
            return FileDatabase, AsyncFileDatabase, {"fsync": False}
        if name.startswith("s3-"):
            from dataknobs_data.adapters.s3 import AsyncS3Database, S3Database

            servers = self.request.getfixturevalue("s3_servers")
            server = servers.get(name[3:])
            return S3Database, AsyncS3Database, {"bucket": servers.buckets[server.name],
                                                 **server.options()}
        if name == "postgres":
            from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase

            problem = check_server(POSTGRES_DSN)
            if problem is not None:
                require_server("postgres", problem)
            schema = self.request.getfixturevalue("pg_schema")
            return PostgresDatabase, AsyncPostgresDatabase, {"dsn": POSTGRES_DSN,
                                                             "table_schema": schema}
        if name == "elasticsearch":
            from dataknobs_data.adapters.elasticsearch import (
                AsyncElasticsearchDatabase,
                ElasticsearchDatabase,
            )

            server = self.request.getfixturevalue("es_server").get()
            return ElasticsearchDatabase, AsyncElasticsearchDatabase, {
                "hosts": server.url, "compatibility": server.compatibility}
        raise AssertionError(name)

    def _fresh_options(self) -> dict[str, Any]:
        tag = uuid.uuid4().hex[:10]
        opts = dict(self._base)
        if self.backend.startswith("file-"):
            opts["path"] = str(self.tmp_path / f"store-{tag}.{self.backend[5:]}")
        elif self.backend.startswith("s3-"):
            opts["prefix"] = f"m-{tag}/"
        elif self.backend == "postgres":
            opts["table"] = f"mig_{tag}"
        elif self.backend == "elasticsearch":
            opts["index"] = f"mig-{tag}"
        return opts

    def _build(self, cls: type, opts: dict[str, Any]) -> Any:
        return cls.from_config(opts)  # type: ignore[attr-defined]

    def new(self, **extra: Any) -> Any:
        """A fresh, empty sync store (``extra``: more adapter options, e.g. schema)."""
        return self._new(self.sync_cls, self.opened, extra)

    def new_async(self, **extra: Any) -> Any:
        """A fresh, empty async store."""
        return self._new(self.async_cls, self.async_opened, extra)

    def _new(self, cls: type, opened: list[Any], extra: dict[str, Any]) -> Any:
        opts = {**self._fresh_options(), **extra}
        db = self._build(cls, opts)
        opened.append(db)
        self.options[id(db)] = (self.sync_cls, self.async_cls, opts)
        return db

    def reopen(self, db: Any) -> Any:
        """A new sync instance over the same storage (the same object for memory)."""
        if self.backend == "memory":
            return db.sync if isinstance(db, AsyncMemoryDatabase) else db
        sync_cls, _, opts = self.options[id(db)]
        if isinstance(db, FileDatabase):
            db.close()
        clone = self._build(sync_cls, opts)
        self.opened.append(clone)
        self.options[id(clone)] = self.options[id(db)]
        return clone

    async def aclose(self) -> None:
        """Close the async stores (call at the end of an async test: their clients belong to
        the test's event loop)."""
        for db in self.async_opened:
            with contextlib.suppress(Exception):
                if self.backend in ("postgres", "elasticsearch") or self.backend.startswith("s3"):
                    await db.clear()
            with contextlib.suppress(Exception):
                await db.close()
        self.async_opened = []

    def close_all(self) -> None:
        for db in self.opened:
            with contextlib.suppress(Exception):
                if self.backend in ("postgres", "elasticsearch") or self.backend.startswith("s3"):
                    db.clear()
                drop = getattr(db, "drop", None)
                if callable(drop) and self.backend in ("postgres", "elasticsearch"):
                    drop()
            with contextlib.suppress(Exception):
                db.close()


class Crash(BaseException):
    """A simulated process death (not an Exception: nothing may catch and report it)."""


class FaultyStore(SyncDatabase):
    """A real store behind a wrapper that injects write faults (the storage stays real).

    ``transient``: how many batch writes fail with ``OperationalError`` before succeeding;
    ``lost_ack``: such a failure happens after the write landed (the reply was lost);
    ``crash_on_batch``: the n-th batch write (1-based) writes its first half, then the
    process "dies" (``Crash``)."""

    def __init__(self, inner: SyncDatabase, *, transient: int = 0, lost_ack: bool = False,
                 crash_on_batch: int | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.schema = inner.schema
        self.backend_name = inner.backend_name  # type: ignore[misc]
        self.capabilities = inner.capabilities  # type: ignore[misc]
        self.transient = transient
        self.lost_ack = lost_ack
        self.crash_on_batch = crash_on_batch
        self.batch_calls = 0

    def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        self.batch_calls += 1
        if self.crash_on_batch == self.batch_calls:
            half = records[: len(records) // 2]
            self.inner._create_batch(half)
            raise Crash(f"died during batch {self.batch_calls}")
        if self.transient > 0:
            self.transient -= 1
            if self.lost_ack:
                self.inner._create_batch(records)
            raise OperationalError("connection reset by peer (injected)")
        return self.inner._create_batch(records)

    def _upsert_batch(self, records: list[Record]) -> None:
        self.batch_calls += 1
        if self.crash_on_batch == self.batch_calls:
            self.inner._upsert_batch(records[: len(records) // 2])
            raise Crash(f"died during batch {self.batch_calls}")
        self.inner._upsert_batch(records)

    def _create(self, record_id: str, record: Record) -> None:
        self.inner._create(record_id, record)

    def _read(self, record_id: str) -> Record | None:
        return self.inner._read(record_id)

    def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        return self.inner._read_batch(record_ids)

    def _update(self, record_id: str, record: Record, expected_version: str | None) -> bool:
        return self.inner._update(record_id, record, expected_version)

    def _delete(self, record_id: str, expected_version: str | None) -> bool:
        return self.inner._delete(record_id, expected_version)

    def _upsert(self, record_id: str, record: Record, expected_version: str | None) -> None:
        self.inner._upsert(record_id, record, expected_version)

    def _search(self, query: Query) -> list[Record]:
        return self.inner._search(query)

    def _count(self, query: Query) -> int:
        return self.inner._count(query)

    def _clear(self) -> int:
        return self.inner._clear()

    def _get_version(self, record_id: str) -> str | None:
        return self.inner._get_version(record_id)

    def _stream_read(self, query: Query, config: StreamConfig) -> Iterator[Record]:
        return self.inner._stream_read(query, config)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test (a parameter: every test using it runs once per backend)."""
    return str(request.param)


@pytest.fixture
def stores(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stores]:
    """Fresh stores of ``backend``."""
    made = Stores(backend, tmp_path, request)
    yield made
    made.close_all()


__all__ = [
    "BACKENDS",
    "FILE_FORMATS",
    "PG_SCHEMA",
    "Crash",
    "FaultyStore",
    "Stores",
    "backend",
    "es_server",
    "pg_schema",
    "s3_servers",
    "stores",
]
