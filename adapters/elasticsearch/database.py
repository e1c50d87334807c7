"""The Elasticsearch adapter (sync): the shared options and the sync driver.

``ElasticsearchOptions`` reads the configuration once for both adapters (no I/O);
``ElasticsearchDatabase`` runs the flows of ``operations`` with the official sync client.
docs/backends/elasticsearch.md describes the options, the mapping and the measured speed.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...domain.errors import ConfigurationError, DataknobsError
from ...domain.query import Query
from ...domain.records import Record
from ...domain.schema import Schema
from ...domain.vectors import DistanceMetric, VectorQuery
from ...ports import flows
from ...ports.capabilities import Capabilities
from ...ports.database import SyncDatabase
from ...ports.streaming import StreamConfig
from .connection import ConnectionSettings, check_index_name, import_client, translate_error
from .operations import PIT_MODES, REFRESH_POLICIES, Bulk, Call, Emit, Flow, Operations
from .vectors import check_vectors


def _refresh_policy(value: object) -> str:
    if value is True:
        return "true"
    if value is False or value is None:
        return "false"
    text = str(value).strip().lower()
    if text not in REFRESH_POLICIES:
        raise ConfigurationError(
            f"refresh {value!r} is not one of {', '.join(REFRESH_POLICIES)}")
    return text


class ElasticsearchOptions:
    """The configuration both adapters accept (see docs/backends/elasticsearch.md).

    ``hosts`` (a URL, a comma-separated string or a list) or ``cloud_id`` say where;
    ``api_key`` (a string or an ``[id, key]`` pair), ``basic_auth`` (``[user, password]``)
    or ``username``/``password`` authenticate; ``ca_certs`` and ``verify_certs`` configure
    TLS. ``index`` names the one index of this database. ``compatibility="opensearch"``
    sends plain JSON media types (for OpenSearch and OpenSearch-compatible servers).
    ``refresh`` is ``"true"`` (default: every write is visible to the next search),
    ``"wait_for"`` or ``"false"``. ``point_in_time`` is ``"auto"``, ``"elasticsearch"``,
    ``"opensearch"`` or ``"none"``. ``page_size`` records per search request,
    ``chunk_size``/``max_chunk_bytes`` per bulk request; ``index_settings`` are merged
    into the settings of a newly created index. ``text_subfield`` maps every string value
    with an analysed ``text`` subfield too (for full-text queries sent to the index directly;
    ``false`` indexes faster). ``vectors`` (``{path: dimension}``) ranks nearest-neighbour
    queries on those paths in the server, exactly (``vectors.py``); ``{path: {dimensions,
    method: hnsw, metric, m, ef_construction, num_candidates}}`` indexes the path for the
    server's approximate kNN search of that metric. ``client`` takes a ready client (not
    closed by the adapter)."""

    backend_name = "elasticsearch"

    def __init__(
        self,
        *,
        index: str = "dataknobs-records",
        hosts: str | Sequence[str] | None = None,
        cloud_id: str | None = None,
        api_key: str | Sequence[str] | None = None,
        basic_auth: Sequence[str] | None = None,
        username: str | None = None,
        password: str | None = None,
        ca_certs: str | None = None,
        verify_certs: bool | None = None,
        compatibility: str = "elasticsearch",
        refresh: str | bool = "true",
        point_in_time: str = "auto",
        page_size: int = 1000,
        chunk_size: int = 500,
        max_chunk_bytes: int = 50 * 1024 * 1024,
        keep_alive: str = "1m",
        index_settings: Mapping[str, Any] | None = None,
        text_subfield: bool = True,
        vectors: Mapping[str, int | Mapping[str, Any]] | None = None,
        request_timeout: float = 30.0,
        max_retries: int = 3,
        client: Any = None,
        schema: Schema | Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(schema=schema)  # type: ignore[call-arg]
        if client is None:
            self.settings = ConnectionSettings.build(
                hosts, cloud_id, api_key, basic_auth, username, password, ca_certs,
                verify_certs, compatibility, float(request_timeout), int(max_retries))
        else:
            self.settings = ConnectionSettings(["<given client>"], compatibility=compatibility)
        if point_in_time not in PIT_MODES:
            raise ConfigurationError(
                f"point_in_time {point_in_time!r} is not one of {', '.join(PIT_MODES)}")
        for name, value in (("page_size", page_size), ("chunk_size", chunk_size),
                            ("max_chunk_bytes", max_chunk_bytes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{name} must be a positive integer, got {value!r}")
        if page_size > 10_000:
            raise ConfigurationError("page_size must be at most 10000 (the result window)")
        self.index = check_index_name(index)
        self.operations = Operations(
            index=self.index, refresh=_refresh_policy(refresh), point_in_time=point_in_time,
            compatibility=compatibility, page_size=page_size, chunk_size=chunk_size,
            max_chunk_bytes=max_chunk_bytes, keep_alive=keep_alive,
            index_settings=dict(index_settings or {}), text_subfield=bool(text_subfield),
            vectors=check_vectors(vectors, compatibility))
        if any(spec.indexed for spec in self.operations.vectors.values()):
            # an HNSW index answers the queries of its metric: approximate, for this instance
            setattr(self, "capabilities", dataclasses.replace(  # noqa: B010 - a ClassVar
                type(self).capabilities, approximate_vectors=True))  # type: ignore[attr-defined]
        self._given_client = client
        self._client_lock = threading.Lock()

    _client_class: str  # "Elasticsearch" or "AsyncElasticsearch"
    _es: Any = None

    @property
    def client(self) -> Any:
        """The ``elasticsearch`` client of the adapter (sync or async; made on first use)."""
        if self._given_client is not None:
            return self._given_client
        with self._client_lock:
            if self._es is None:
                make = getattr(import_client(), self._client_class)
                self._es = make(**self.settings.client_kwargs(
                    asynchronous=self._client_class.startswith("Async")))
            return self._es

    # -- running the flows of ``operations`` (both adapters) --------------------------------
    _run_flow: Callable[[Any, flows.Flow], Any]  # run_flow or arun_flow
    _run_stream: Callable[[Any, flows.Flow], Any]  # stream_flow or astream_flow

    def _steps(self, flow: Flow, then: Callable[[Any], Any] | None = None,
               into: list[Record] | None = None) -> flows.Flow:
        """An ``operations`` flow as ``ports.flows`` steps: each client step is a call of the
        adapter's ``_perform``; a client error is thrown into the flow (which may handle it)
        and, unhandled, becomes a domain error; the records of each page emitted are emitted
        one by one (or added to ``into``); the result goes through ``then``."""
        value: Any = None
        error: Exception | None = None
        last: Call | Bulk | None = None
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration as stop:
                return stop.value if then is None else then(stop.value)
            except DataknobsError:
                raise
            except Exception as exc:
                if exc is error and last is not None:
                    raise translate_error(exc, self.settings.where, last.action) from None
                raise
            value, error = None, None
            if isinstance(step, Emit):
                if into is not None:
                    into.extend(step.records)
                else:
                    for record in step.records:
                        yield flows.Emit(record)
                continue
            last = step
            try:
                value = yield flows.Call("_perform", (step,))
            except DataknobsError:
                raise
            except Exception as err:
                error = err

    def _method(self, step: Call) -> Any:
        """The client method a step calls (``indices.exists`` and the like included)."""
        target = self.client
        for part in step.method.split("."):
            target = getattr(target, part)
        return target

    @staticmethod
    def _response(step: Call, resp: Any) -> Any:
        if step.method == "indices.exists":
            return bool(resp)
        return getattr(resp, "body", resp)

    def _drive(self, flow: Flow, then: Callable[[Any], Any] | None = None) -> Any:
        """The flow's result (sync adapter) or a coroutine of it (async adapter)."""
        return self._run_flow(self, self._steps(flow, then))

    # -- the hooks of the ports ----------------------------------------------------------------
    def _connect(self) -> Any:
        return self._drive(self.operations.ensure_index())

    def _create(self, record_id: str, record: Record) -> Any:
        return self._drive(self.operations.create(record_id, record))

    def _read(self, record_id: str) -> Any:
        return self._drive(self.operations.read(record_id))

    def _update(self, record_id: str, record: Record, expected_version: str | None) -> Any:
        return self._drive(self.operations.update(record_id, record, expected_version), bool)

    def _delete(self, record_id: str, expected_version: str | None) -> Any:
        return self._drive(self.operations.delete(record_id, expected_version), bool)

    def _upsert(self, record_id: str, record: Record, expected_version: str | None) -> Any:
        return self._drive(self.operations.upsert(record_id, record, expected_version))

    def _get_version(self, record_id: str) -> Any:
        return self._drive(self.operations.get_version(record_id))

    def _create_batch(self, records: list[Record]) -> Any:
        return self._drive(self.operations.create_batch(records))

    def _read_batch(self, record_ids: list[str]) -> Any:
        return self._drive(self.operations.read_batch(record_ids))

    def _update_batch(self, updates: list[tuple[str, Record]]) -> Any:
        return self._drive(self.operations.update_batch(updates))

    def _delete_batch(self, record_ids: list[str]) -> Any:
        return self._drive(self.operations.delete_batch(record_ids))

    def _upsert_batch(self, records: list[Record]) -> Any:
        return self._drive(self.operations.upsert_batch(records))

    def _search(self, query: Query) -> Any:
        out: list[Record] = []
        return self._run_flow(self, self._steps(self.operations.scan(query),
                                                lambda _: out, into=out))

    def _count(self, query: Query) -> Any:
        return self._drive(self.operations.count(query), int)

    def _vector_hits(self, query: Query, vq: VectorQuery, metric: DistanceMetric, skip: int,
                     take: int) -> Any:
        return self._drive(self.operations.vector_hits(query, vq, metric, skip, take))

    def _clear(self) -> Any:
        return self._drive(self.operations.clear(), int)

    def _stream_read(self, query: Query, config: StreamConfig) -> Any:
        return self._run_stream(self, self._steps(self.operations.scan(query,
                                                                       config.batch_size)))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(index={self.index!r}, {self.settings.describe()}, "
                f"refresh={self.operations.refresh!r})")


class ElasticsearchDatabase(ElasticsearchOptions, SyncDatabase):
    """Records in one Elasticsearch index, through the official sync client."""

    capabilities = Capabilities(persistent=True, conditional_writes=True, query_pushdown=True,
                                mixed_type_fields=True)
    _client_class = "Elasticsearch"

    # -- the driver ---------------------------------------------------------------------------
    def _perform(self, step: Call | Bulk) -> Any:
        client = self.client
        if isinstance(step, Bulk):
            from elasticsearch import helpers

            return list(helpers.streaming_bulk(client, step.actions, raise_on_error=False,
                                               raise_on_exception=False, **step.options))
        return self._response(step, self._method(step)(**step.kwargs))

    _run_flow = staticmethod(flows.run_flow)
    _run_stream = staticmethod(flows.stream_flow)

    def _close(self) -> None:
        with self._client_lock:
            if self._es is not None:
                self._es.close()
                self._es = None


__all__ = ["ElasticsearchDatabase", "ElasticsearchOptions"]
