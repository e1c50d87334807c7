"""The Elasticsearch test server: osmem-server started once per session (or the cluster
named by ``DATAKNOBS_TEST_ES_URL``). Every test gets its own index (``es_options``), so
tests never see each other's data; indexes are deleted at the end of the session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dataknobs_data.testing.servers.elasticsearch import (
    ElasticsearchTestServer,
    LazyElasticsearchServer,
    new_index_name,
    start_server,
    start_vector_server,
)


def _reachable_server() -> ElasticsearchTestServer:
    """The session's server (``start_server``), checked with a client request."""
    server = start_server()
    _check_reachable(server)
    return server


class _Server:
    """Starts the server on first use (``LazyElasticsearchServer``: a failure is remembered,
    so every test reports it) and deletes an external cluster's test indexes at the end."""

    def __init__(self) -> None:
        self.lazy = LazyElasticsearchServer(_reachable_server)
        self.indexes: list[str] = []

    def get(self) -> ElasticsearchTestServer:
        return self.lazy.get()

    def options(self) -> dict[str, Any]:
        name = new_index_name()
        self.indexes.append(name)
        return self.get().options(name)

    def stop(self) -> None:
        server = self.lazy.server
        if server is None:
            return
        if server.name == "external" and self.indexes:
            _delete_indexes(server, self.indexes)
        self.lazy.stop()


def _client(server: ElasticsearchTestServer) -> Any:
    from dataknobs_data.adapters.elasticsearch import ElasticsearchDatabase

    return ElasticsearchDatabase(**server.options()).client


def _check_reachable(server: ElasticsearchTestServer) -> None:
    client = _client(server)
    try:
        client.info()
    finally:
        client.close()


def _delete_indexes(server: ElasticsearchTestServer, names: list[str]) -> None:
    client = _client(server)
    try:
        for start in range(0, len(names), 50):
            client.indices.delete(index=",".join(names[start:start + 50]),
                                  ignore_unavailable=True)
    finally:
        client.close()


@pytest.fixture(scope="session")
def es_session() -> Iterator[_Server]:
    """The session's server (started lazily)."""
    holder = _Server()
    yield holder
    holder.stop()


@pytest.fixture
def es_server(es_session: _Server) -> ElasticsearchTestServer:
    """The running server."""
    return es_session.get()


@pytest.fixture
def es_options(es_session: _Server) -> dict[str, Any]:
    """Adapter options for a fresh index of its own."""
    return es_session.options()


@pytest.fixture
def adapter_options(es_options: dict[str, Any]) -> dict[str, Any]:
    """What the shipped suites pass to a declared ``adapter`` here: ``es_options``."""
    return es_options


@pytest.fixture(scope="session")
def es_vector_session() -> Iterator[LazyElasticsearchServer]:
    """The session's server for the native vector search: one that scores ``dense_vector``
    fields (noida-db, or ``DATAKNOBS_TEST_ES_URL`` in ``elasticsearch`` mode)."""
    holder = LazyElasticsearchServer(start_vector_server)
    yield holder
    holder.stop()


@pytest.fixture
def es_vector_options(es_vector_session: LazyElasticsearchServer
                      ) -> Iterator[Callable[..., dict[str, Any]]]:
    """Adapter options for fresh indexes on the vector server (extra options merged in);
    an external cluster's indexes are deleted after the test."""
    server = es_vector_session.get()
    names: list[str] = []

    def options(**extra: Any) -> dict[str, Any]:
        names.append(new_index_name())
        return {**server.options(names[-1]), **extra}

    yield options
    if server.name == "external" and names:
        _delete_indexes(server, names)


@pytest.fixture
def no_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The port's reference vector path made an error (the native path must answer)."""
    from dataknobs_data.adapters.elasticsearch import ElasticsearchDatabase
    from dataknobs_data.testing.native_vectors import forbid_reference

    forbid_reference(monkeypatch, ElasticsearchDatabase)
