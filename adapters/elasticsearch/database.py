"""The Elasticsearch adapter (sync): the shared options and the sync driver.

``ElasticsearchOptions`` reads the configuration once for both adapters (no I/O);
``ElasticsearchDatabase`` runs the flows of ``operations`` with the official sync client.
docs/backends/elasticsearch.md describes the options, the mapping and the measured speed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ...domain.errors import ConfigurationError, DataknobsError
from ...domain.query import Query
from ...domain.records import Record
from ...domain.schema import Schema
from ...ports.capabilities import Capabilities
from ...ports.database import SyncDatabase
from ...ports.streaming import StreamConfig
from .connection import ConnectionSettings, check_index_name, import_client, translate_error
from .operations import PIT_MODES, REFRESH_POLICIES, Bulk, Call, Emit, Flow, Operations


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
    ``false`` indexes faster). ``client`` takes a ready client (not
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
            index_settings=dict(index_settings or {}), text_subfield=bool(text_subfield))
        self._given_client = client
        self._client_lock = threading.Lock()

    def _failure(self, err: BaseException, action: str) -> Exception:
        return translate_error(err, self.settings.where, action)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(index={self.index!r}, {self.settings.describe()}, "
                f"refresh={self.operations.refresh!r})")


class ElasticsearchDatabase(ElasticsearchOptions, SyncDatabase):
    """Records in one Elasticsearch index, through the official sync client."""

    capabilities = Capabilities(persistent=True, conditional_writes=True, query_pushdown=True,
                                mixed_type_fields=True)

    _es: Any = None

    @property
    def client(self) -> Any:
        """The ``elasticsearch.Elasticsearch`` client (created on first use)."""
        if self._given_client is not None:
            return self._given_client
        with self._client_lock:
            if self._es is None:
                es = import_client()
                self._es = es.Elasticsearch(**self.settings.client_kwargs(asynchronous=False))
            return self._es

    # -- the driver ---------------------------------------------------------------------------
    def _perform(self, step: Call | Bulk) -> Any:
        client = self.client
        if isinstance(step, Bulk):
            from elasticsearch import helpers

            return list(helpers.streaming_bulk(client, step.actions, raise_on_error=False,
                                               raise_on_exception=False, **step.options))
        target = client
        for part in step.method.split("."):
            target = getattr(target, part)
        resp = target(**step.kwargs)
        if step.method == "indices.exists":
            return bool(resp)
        return getattr(resp, "body", resp)

    def _iterate(self, flow: Flow) -> Iterator[Emit]:
        """Run a flow, yielding what it emits; returns the flow's result. A client error is
        thrown into the flow (which may handle it); unhandled, it becomes a domain error."""
        value: Any = None
        error: Exception | None = None
        last: Call | Bulk | None = None
        while True:
            try:
                step = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration as stop:
                return stop.value
            except DataknobsError:
                raise
            except Exception as exc:
                if exc is error and last is not None:
                    raise self._failure(exc, last.action) from None
                raise
            value, error = None, None
            if isinstance(step, Emit):
                yield step
                continue
            last = step
            try:
                value = self._perform(step)
            except DataknobsError:
                raise
            except Exception as err:
                error = err

    def _run(self, flow: Flow) -> Any:
        it = self._iterate(flow)
        try:
            while True:
                next(it)
        except StopIteration as stop:
            return stop.value

    # -- hooks ----------------------------------------------------------------------------------
    def _connect(self) -> None:
        self._run(self.operations.ensure_index())

    def _close(self) -> None:
        with self._client_lock:
            if self._es is not None:
                self._es.close()
                self._es = None

    def _create(self, record_id: str, record: Record) -> None:
        self._run(self.operations.create(record_id, record))

    def _read(self, record_id: str) -> Record | None:
        return self._run(self.operations.read(record_id))

    def _update(self, record_id: str, record: Record, expected_version: str | None) -> bool:
        return bool(self._run(self.operations.update(record_id, record, expected_version)))

    def _delete(self, record_id: str, expected_version: str | None) -> bool:
        return bool(self._run(self.operations.delete(record_id, expected_version)))

    def _upsert(self, record_id: str, record: Record, expected_version: str | None) -> None:
        self._run(self.operations.upsert(record_id, record, expected_version))

    def _get_version(self, record_id: str) -> str | None:
        return self._run(self.operations.get_version(record_id))

    def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        return self._run(self.operations.create_batch(records))

    def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        return self._run(self.operations.read_batch(record_ids))

    def _update_batch(self, updates: list[tuple[str, Record]]) -> list[bool]:
        return self._run(self.operations.update_batch(updates))

    def _delete_batch(self, record_ids: list[str]) -> list[bool]:
        return self._run(self.operations.delete_batch(record_ids))

    def _upsert_batch(self, records: list[Record]) -> None:
        self._run(self.operations.upsert_batch(records))

    def _search(self, query: Query) -> list[Record]:
        out: list[Record] = []
        for emit in self._iterate(self.operations.scan(query)):
            out.extend(emit.records)
        return out

    def _count(self, query: Query) -> int:
        return int(self._run(self.operations.count(query)))

    def _clear(self) -> int:
        return int(self._run(self.operations.clear()))

    def _stream_read(self, query: Query, config: StreamConfig) -> Iterator[Record]:
        for emit in self._iterate(self.operations.scan(query, config.batch_size)):
            yield from emit.records


__all__ = ["ElasticsearchDatabase", "ElasticsearchOptions"]
