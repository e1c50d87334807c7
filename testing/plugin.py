"""The package's pytest plugin (registered as the ``pytest11`` entry point ``dataknobs_data``).

Installing dataknobs-data makes these fixtures available to every test suite (see
docs/testing.md); their names start with ``dk_`` so that they never shadow a project's own:

=====================  =========  ==========================================================
fixture                scope      what it gives
=====================  =========  ==========================================================
``dk_memory_db``       function   an empty ``MemoryDatabase``
``dk_file_db``         function   an empty ``FileDatabase`` (JSON Lines) in ``tmp_path``
``dk_postgres_dsn``    session    the PostgreSQL server's DSN (``--dk-postgres-dsn``, else
                                  ``DATAKNOBS_TEST_POSTGRES_DSN``, else the local server)
``dk_postgres_schema`` function   a fresh schema on that server, dropped after the test
``dk_postgres_db``     function   a ``PostgresDatabase`` on a table of that schema
``dk_s3_server``       session    an S3 server (moto's, started in this process), or the
                                  endpoint named by ``DATAKNOBS_TEST_S3_ENDPOINT``
``dk_s3_db``           function   an ``S3Database`` on a fresh prefix of that server
``dk_es_server``       session    an Elasticsearch-compatible server (osmem-server, from its
                                  package), or the cluster named by ``DATAKNOBS_TEST_ES_URL``
``dk_es_db``           function   an ``ElasticsearchDatabase`` on a fresh index (deleted after)
``dk_override``        function   ``dk_override(container.people, replacement)``: overrides a
                                  container provider for this test, reset afterwards
=====================  =========  ==========================================================

A server that cannot be reached skips the test with the reason, except under CI (``CI`` set
to a true value), where it fails it. The servers are the ones this project's own suite uses
(``dataknobs_data.testing.servers``), started only when a test asks for them.

It also gives the shipped suites (``testing.conformance``, ``testing.differential``,
``testing.fidelity``) their default ``adapter_options``: none. A conftest.py that defines
``adapter_options`` overrides it for its directory, e.g. with a server's connection options::

    @pytest.fixture
    def adapter_options(postgres_dsn):
        return {"dsn": postgres_dsn, "table": f"t_{uuid.uuid4().hex[:8]}"}

This module is imported by every pytest run of anyone who has the package installed, so it
imports nothing beyond pytest at load time: adapters, drivers and servers are imported by the
fixtures that need them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from dataknobs_data.adapters.elasticsearch import ElasticsearchDatabase
    from dataknobs_data.adapters.file import FileDatabase
    from dataknobs_data.adapters.memory import MemoryDatabase
    from dataknobs_data.adapters.postgres import PostgresDatabase
    from dataknobs_data.adapters.s3 import S3Database
    from dataknobs_data.testing.servers.elasticsearch import (
        ElasticsearchTestServer,
        LazyElasticsearchServer,
    )
    from dataknobs_data.testing.servers.s3 import S3Servers, S3TestServer

DSN_OPTION = "--dk-postgres-dsn"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dataknobs_data", "dataknobs-data fixtures")
    group.addoption(
        DSN_OPTION, default=None, metavar="DSN",
        help="PostgreSQL server for the dk_postgres_* fixtures (default: the environment "
             "variable DATAKNOBS_TEST_POSTGRES_DSN, else postgresql://postgres@127.0.0.1:5432/"
             "postgres)")


#: the run summaries the shipped suites attach to their test reports (``runner.run_reported``)
SUMMARY_KINDS = ("differential", "fidelity")


class RunSummaries:
    """Repeats the differential and fidelity suites' one-line run summaries at the end of
    the session, where they are seen also when pytest-xdist workers ran the tests (a
    worker's own terminal output is not shown; its reports' ``user_properties`` are)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.lines += [str(value) for kind, value in report.user_properties
                           if kind in SUMMARY_KINDS]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.lines:
            terminalreporter.section("dataknobs-data suite runs")
            for line in self.lines:
                terminalreporter.write_line(line)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller, or a run without workers
        config.pluginmanager.register(RunSummaries(), "dataknobs_data_run_summaries")


@pytest.fixture
def adapter_options() -> dict[str, Any]:
    """Options every declared ``adapter`` of the suites is built with (default: none)."""
    return {}


# --- embedded stores ------------------------------------------------------------------------
@pytest.fixture
def dk_memory_db() -> Iterator[MemoryDatabase]:
    """An empty memory database, closed after the test."""
    from dataknobs_data.adapters.memory import MemoryDatabase

    db = MemoryDatabase()
    yield db
    db.close()


@pytest.fixture
def dk_file_db(tmp_path: Path) -> Iterator[FileDatabase]:
    """An empty file database (``dk_file_db.jsonl`` in the test's ``tmp_path``), closed
    after the test."""
    from dataknobs_data.adapters.file import FileDatabase

    db = FileDatabase(path=tmp_path / "dk_file_db.jsonl")
    yield db
    db.close()


# --- PostgreSQL -----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def dk_postgres_dsn(pytestconfig: pytest.Config) -> str:
    """The DSN of the PostgreSQL server the ``dk_postgres_*`` fixtures use; the test is
    skipped (failed in CI) when the server does not answer."""
    from dataknobs_data.testing.servers import require_server
    from dataknobs_data.testing.servers.postgres import check_server, postgres_dsn

    dsn = pytestconfig.getoption(DSN_OPTION) or postgres_dsn()
    problem = check_server(dsn)
    if problem is not None:
        require_server("postgres", problem)
    return str(dsn)


@pytest.fixture
def dk_postgres_schema(dk_postgres_dsn: str) -> Iterator[str]:
    """A schema created for this test (``dk_test_<hex>``), dropped with everything in it
    after the test."""
    from dataknobs_data.testing.servers.postgres import PostgresTestServer

    server = PostgresTestServer(dk_postgres_dsn)
    schema = server.create_schema("dk_test")
    yield schema
    server.drop_schema(schema)


@pytest.fixture
def dk_postgres_db(dk_postgres_dsn: str, dk_postgres_schema: str) -> Iterator[PostgresDatabase]:
    """A PostgreSQL database on the table ``records`` of this test's own schema."""
    from dataknobs_data.adapters.postgres import PostgresDatabase

    db = PostgresDatabase(dsn=dk_postgres_dsn, table_schema=dk_postgres_schema, table="records")
    yield db
    db.close()


# --- S3 -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _dk_s3_servers() -> Iterator[S3Servers]:
    import logging

    from dataknobs_data.testing.servers.s3 import S3Servers

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    servers = S3Servers("dk-plugin")
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def dk_s3_server(_dk_s3_servers: S3Servers) -> S3TestServer:
    """An S3 server for the session: ``DATAKNOBS_TEST_S3_ENDPOINT`` when set, else moto's
    server on a free port of 127.0.0.1. ``.options()`` gives adapter options that reach it,
    ``.new_bucket()`` makes a bucket, ``.client()`` is a boto3 client."""
    from dataknobs_data.testing.servers.s3 import server_names

    return _dk_s3_servers.get(server_names()[0])


@pytest.fixture
def dk_s3_db(dk_s3_server: S3TestServer, _dk_s3_servers: S3Servers) -> Iterator[S3Database]:
    """An S3 database on a fresh prefix of the session's bucket, cleared after the test."""
    from dataknobs_data.adapters.s3 import S3Database

    db = S3Database(bucket=_dk_s3_servers.buckets[dk_s3_server.name],
                    prefix=f"dk-{uuid.uuid4().hex[:12]}/", **dk_s3_server.options())
    yield db
    with contextlib.suppress(Exception):
        db.clear()
    db.close()


# --- Elasticsearch --------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _dk_es_server() -> Iterator[LazyElasticsearchServer]:
    from dataknobs_data.testing.servers.elasticsearch import LazyElasticsearchServer

    holder = LazyElasticsearchServer()
    yield holder
    holder.stop()


@pytest.fixture(scope="session")
def dk_es_server(_dk_es_server: LazyElasticsearchServer) -> ElasticsearchTestServer:
    """An Elasticsearch-compatible server for the session: ``DATAKNOBS_TEST_ES_URL`` when
    set, else osmem-server (from its package) on a free port. ``.options()`` gives adapter
    options for a fresh index."""
    return _dk_es_server.get()


@pytest.fixture
def dk_es_db(dk_es_server: ElasticsearchTestServer) -> Iterator[ElasticsearchDatabase]:
    """An Elasticsearch database on a fresh index, deleted after the test."""
    from dataknobs_data.adapters.elasticsearch import ElasticsearchDatabase

    options = dk_es_server.options()
    db = ElasticsearchDatabase(**options)
    yield db
    with contextlib.suppress(Exception):
        db.client.indices.delete(index=options["index"], ignore_unavailable=True)
    db.close()


# --- containers -----------------------------------------------------------------------------
class Override(Protocol):
    """The ``dk_override`` fixture's type: ``dk_override(provider, replacement)``."""

    def __call__(self, provider: Any, replacement: Any) -> Any: ...


def _provider_is_async(provider: Any, replacement: Any) -> bool:
    from dataknobs_data.ports.async_database import AsyncDatabase

    entry = next(iter(getattr(provider, "args", ())), None)  # a DatabasesContainer resource
    return isinstance(replacement, AsyncDatabase) or bool(getattr(entry, "is_async", False))


async def _async_value(value: Any) -> Any:
    yield value


@contextlib.contextmanager
def override_provider(provider: Any, replacement: Any) -> Iterator[Any]:
    """Override a dependency-injector ``provider`` with ``replacement`` inside the block.

    ``replacement`` is a provider (``providers.Singleton(MemoryDatabase)``) or any object,
    which is then what the provider gives (awaitable when the provider is an async database,
    so ``await container.events()`` and ``@inject`` on ``async def`` keep working). The
    block yields what the provider now gives (the object itself when one was passed). The
    override is removed on leaving the block, even when the block fails; the replacement is
    not closed (its owner closes it)."""
    from dependency_injector import providers

    if isinstance(replacement, providers.Provider):
        overriding: Any = replacement
    elif _provider_is_async(provider, replacement):
        overriding = providers.Resource(_async_value, replacement)
    else:
        overriding = providers.Object(replacement)
    provider.override(overriding)
    try:
        yield replacement
    finally:
        provider.reset_last_overriding()


@pytest.fixture
def dk_override() -> Iterator[Override]:
    """``dk_override(container.people, replacement)`` overrides the provider for the rest of
    the test (see ``override_provider``) and returns ``replacement``; every override the
    test made is removed after it, the last one first."""
    with contextlib.ExitStack() as stack:

        def override(provider: Any, replacement: Any) -> Any:
            return stack.enter_context(override_provider(provider, replacement))

        yield override


__all__ = ["DSN_OPTION", "Override", "override_provider"]
