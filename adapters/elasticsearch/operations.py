"""Every operation of the adapter as a sans-I/O flow, shared by the sync and async drivers.

A flow is a generator: it yields what it needs done (``Call`` a client method, ``Bulk``
through the bulk helpers, ``Emit`` records to the caller) and receives the result, or has
the client's exception thrown into it. ``ElasticsearchDatabase`` runs flows with the sync
client, ``AsyncElasticsearchDatabase`` with the async one; the request building, result
reading, paging, point-in-time handling and error mapping exist once, here.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...domain.errors import (
    BatchOperationError,
    ConcurrencyError,
    ConfigurationError,
    DataError,
    DataknobsError,
    InvalidRecordIdError,
    OperationalError,
    RecordExistsError,
    StorageError,
    UnsupportedQueryError,
)
from ...domain.query import Query
from ...domain.records import Record
from ...domain.vectors import DistanceMetric, VectorQuery
from .connection import error_type, index_body, status_of
from .serializer import (
    ID_FIELD,
    RECORD_FIELD,
    SHADOW_FIELD,
    STRING_PREFIX,
    VECTOR_FIELD,
    from_source,
    id_problem,
    to_document,
)
from .translator import QueryTranslator
from .vectors import VectorPath, knn_flow, search_flow, sidecar
from .vectors import mapping as vector_mapping

#: Elasticsearch's default ``index.max_result_window`` (from + size).
MAX_WINDOW = 10_000
REFRESH_POLICIES = ("true", "wait_for", "false")
PIT_MODES = ("auto", "elasticsearch", "opensearch", "none")
_UPDATE_ATTEMPTS = 8


@dataclass
class Call:
    """Call ``method`` (a dotted attribute path on the client) with ``kwargs``."""

    method: str
    kwargs: dict[str, Any]
    action: str


@dataclass
class Bulk:
    """Run ``actions`` through the bulk helpers; the result is ``[(ok, item), ...]`` in
    action order (per-item errors included, never raised)."""

    actions: list[dict[str, Any]]
    options: dict[str, Any]
    action: str


@dataclass
class Emit:
    """Records for the caller (search collects them, stream_read yields them)."""

    records: list[Record]


Step = Call | Bulk | Emit
Flow = Generator[Step, Any, Any]


def _item_body(item: Mapping[str, Any]) -> dict[str, Any]:
    """The result of one bulk item (``{"index": {...}}`` -> ``{...}``)."""
    return next(iter(item.values()), {}) if item else {}


@dataclass
class PointInTime:
    """An open point in time and the API that opened it."""

    id: str
    api: str


@dataclass
class Operations:
    """The flows of one database: index name, policies and shared translator."""

    index: str
    refresh: str = "true"
    point_in_time: str = "auto"
    compatibility: str = "elasticsearch"
    page_size: int = 1000
    chunk_size: int = 500
    max_chunk_bytes: int = 50 * 1024 * 1024
    keep_alive: str = "1m"
    index_settings: dict[str, Any] = field(default_factory=dict)
    text_subfield: bool = True
    vectors: dict[str, VectorPath] = field(default_factory=dict)  # by path (vectors.py)
    translator: QueryTranslator = field(default_factory=QueryTranslator)
    ready: bool = False
    pit_api: str | None = None  # learnt on first use in "auto" mode ("none" when unavailable)

    # -- index ------------------------------------------------------------------------------
    def ensure_index(self) -> Flow:
        """Create the index with its mapping unless it exists; check a found one is ours."""
        if self.ready:
            return
        exists = yield Call("indices.exists", {"index": self.index}, "checking the index")
        if not exists:
            try:
                body = index_body(self.index_settings, text_subfield=self.text_subfield)
                if self.vectors:
                    body["mappings"]["properties"][VECTOR_FIELD] = vector_mapping(self.vectors)
                yield Call("indices.create", {"index": self.index, **body},
                           f"creating index {self.index!r}")
            except Exception as err:
                if "already_exists" not in error_type(err):
                    raise
                yield from self._add_vector_mapping()
        else:
            mapping = yield Call("indices.get_mapping", {"index": self.index},
                                 "reading the mapping")
            props: Mapping[str, Any] = {}
            for value in dict(mapping).values():
                props = value.get("mappings", {}).get("properties", {})
            if not {ID_FIELD, RECORD_FIELD, SHADOW_FIELD} <= set(props):
                raise ConfigurationError(
                    f"elasticsearch index {self.index!r} exists but was not created by "
                    f"dataknobs (its mapping lacks {ID_FIELD!r}, {RECORD_FIELD!r} and "
                    f"{SHADOW_FIELD!r}); choose another index name")
            yield from self._add_vector_mapping()
        self.ready = True

    def _add_vector_mapping(self) -> Flow:
        """Add the sidecars of ``vectors`` to an existing index (a no-op when it has them;
        ``ConfigurationError`` when it maps a listed path with another dimension)."""
        if not self.vectors:
            return
        try:
            yield Call("indices.put_mapping", {"index": self.index, "properties": {
                VECTOR_FIELD: vector_mapping(self.vectors)}}, "adding the vector mapping")
        except Exception as err:
            if status_of(err) == 400:
                given = {path: spec.describe() for path, spec in self.vectors.items()}
                raise ConfigurationError(
                    f"elasticsearch index {self.index!r} maps a path of the vectors option "
                    f"{given!r} differently; use the dimensions and index it was created "
                    "with, or another index") from None
            raise

    def document(self, record_id: str, record: Record) -> dict[str, Any]:
        """The document of a record (``to_document``), with its vector sidecars."""
        document = to_document(record_id, record)
        if self.vectors:
            document[VECTOR_FIELD] = sidecar(record.data, self.vectors)
        return document

    def _refresh_kwargs(self) -> dict[str, Any]:
        return {} if self.refresh == "false" else {"refresh": self.refresh}

    def _refresh_after_batch(self) -> Flow:
        if self.refresh == "true":
            yield Call("indices.refresh", {"index": self.index}, "refreshing the index")

    @staticmethod
    def check_id(record_id: str) -> None:
        """``InvalidRecordIdError`` for an id Elasticsearch cannot hold (writes; lookups of
        such an id find nothing, ``holdable``)."""
        problem = id_problem(record_id)
        if problem is not None:
            raise InvalidRecordIdError(record_id, problem)

    @staticmethod
    def holdable(record_id: str) -> bool:
        """Whether a record can be stored under this id (never sent to the server if not:
        the client cannot encode a lone surrogate, the server refuses long ids)."""
        return id_problem(record_id) is None

    # -- single records ---------------------------------------------------------------------
    def create(self, record_id: str, record: Record) -> Flow:
        self.check_id(record_id)
        document = self.document(record_id, record)
        yield from self.ensure_index()
        try:
            yield Call("index", {"index": self.index, "id": record_id, "document": document,
                                 "op_type": "create", **self._refresh_kwargs()},
                       f"creating record {record_id!r}")
        except Exception as err:
            if status_of(err) == 409:
                raise RecordExistsError(record_id) from None
            raise

    def _get(self, record_id: str, what: str, **kwargs: Any) -> Flow:
        """The document of ``record_id`` (None when there is none, or the id cannot be one)."""
        yield from self.ensure_index()
        if not self.holdable(record_id):
            return None
        try:
            doc = yield Call("get", {"index": self.index, "id": record_id, **kwargs}, what)
        except Exception as err:
            if status_of(err) == 404:
                return None
            raise
        return doc if doc.get("found", True) else None

    def read(self, record_id: str) -> Flow:
        doc = yield from self._get(record_id, f"reading record {record_id!r}",
                                   source_includes=[RECORD_FIELD])
        return None if doc is None else from_source(record_id, doc.get("_source"))

    def get_version(self, record_id: str) -> Flow:
        doc = yield from self._get(record_id, f"reading the version of {record_id!r}",
                                   source=False)
        return None if doc is None else f"{doc['_seq_no']}:{doc['_primary_term']}"

    @staticmethod
    def parse_version(version: str) -> tuple[int, int] | None:
        seq, _, term = str(version).partition(":")
        if seq.isdigit() and term.isdigit():
            return int(seq), int(term)
        return None

    def _condition(self, record_id: str, expected: str) -> Flow:
        """The ``if_seq_no``/``if_primary_term`` of a version; ConcurrencyError when it
        cannot be a version."""
        parsed = self.parse_version(expected)
        if parsed is None:
            actual = yield from self.get_version(record_id)
            raise ConcurrencyError(record_id, expected, actual)
        return {"if_seq_no": parsed[0], "if_primary_term": parsed[1]}

    def _conditional_index(self, record_id: str, document: dict[str, Any], expected: str
                           ) -> Flow:
        """Index the document if its stored version is ``expected``; ConcurrencyError if
        not."""
        condition = yield from self._condition(record_id, expected)
        try:
            yield Call("index", {"index": self.index, "id": record_id, "document": document,
                                 **condition, **self._refresh_kwargs()},
                       f"updating record {record_id!r}")
        except Exception as err:
            if status_of(err) in (404, 409):
                actual = yield from self.get_version(record_id)
                raise ConcurrencyError(record_id, expected, actual) from None
            raise

    def _never_stored(self, record_id: str, expected: str | None) -> bool:
        """Whether no record can have this id (then an update or delete finds nothing, and
        a conditional one raises ``ConcurrencyError``)."""
        if self.holdable(record_id):
            return False
        if expected is not None:
            raise ConcurrencyError(record_id, expected, None)
        return True

    def update(self, record_id: str, record: Record, expected: str | None) -> Flow:
        yield from self.ensure_index()
        if self._never_stored(record_id, expected):
            return False
        document = self.document(record_id, record)
        if expected is not None:
            yield from self._conditional_index(record_id, document, expected)
            return True
        # Replace only an existing record: read its version, write conditionally on it,
        # and start again if another writer got in between.
        for _attempt in range(_UPDATE_ATTEMPTS):
            current = yield from self.get_version(record_id)
            if current is None:
                return False
            try:
                yield from self._conditional_index(record_id, document, current)
                return True
            except ConcurrencyError:
                continue
        raise StorageError(f"updating record {record_id!r}: the record kept changing during "
                           f"{_UPDATE_ATTEMPTS} attempts")

    def delete(self, record_id: str, expected: str | None) -> Flow:
        yield from self.ensure_index()
        if self._never_stored(record_id, expected):
            return False
        kwargs: dict[str, Any] = {"index": self.index, "id": record_id,
                                  **self._refresh_kwargs()}
        if expected is not None:
            kwargs.update((yield from self._condition(record_id, expected)))
        try:
            yield Call("delete", kwargs, f"deleting record {record_id!r}")
        except Exception as err:
            status = status_of(err)
            if status == 404 and expected is None:
                return False
            if status in (404, 409) and expected is not None:
                actual = yield from self.get_version(record_id)
                raise ConcurrencyError(record_id, expected, actual) from None
            raise
        return True

    def upsert(self, record_id: str, record: Record, expected: str | None) -> Flow:
        self.check_id(record_id)
        document = self.document(record_id, record)
        yield from self.ensure_index()
        if expected is not None:
            yield from self._conditional_index(record_id, document, expected)
            return
        yield Call("index", {"index": self.index, "id": record_id, "document": document,
                             **self._refresh_kwargs()}, f"writing record {record_id!r}")

    # -- batches ----------------------------------------------------------------------------
    def _bulk_options(self) -> dict[str, Any]:
        refresh = {"refresh": "wait_for"} if self.refresh == "wait_for" else {}
        return {"chunk_size": self.chunk_size, "max_chunk_bytes": self.max_chunk_bytes,
                **refresh}

    @staticmethod
    def item_error(record_id: str, item: Mapping[str, Any]) -> DataknobsError:
        """The domain error of one failed bulk item."""
        body = _item_body(item)
        status = body.get("status")
        error = body.get("error")
        if status == 409:
            return RecordExistsError(record_id)
        if "exception" in body:
            return OperationalError(f"record {record_id!r}: the bulk request failed: "
                                    f"{type(body['exception']).__name__}")
        if isinstance(error, dict):
            kind = str(error.get("type", ""))
            reason = str(error.get("reason", ""))[:300]
            caused = error.get("caused_by")
            if isinstance(caused, dict) and caused.get("reason"):
                reason = f"{reason}: {str(caused['reason'])[:200]}"
        else:
            kind, reason = "", str(error)[:300]
        if "parsing" in kind or "mapping" in kind or "illegal_argument" in kind:
            return DataError(f"record {record_id!r}: elasticsearch refused the document "
                             f"({kind}): {reason}")
        return StorageError(f"record {record_id!r}: elasticsearch failed to write it "
                            f"({status} {kind}): {reason}")

    def _bulk_write(self, records: list[Record], op_type: str, action: str) -> Flow:
        """Write whole documents through one bulk flow (``create`` or ``index``); the
        failures by position: a refused id or value, or a failed item, never dropped."""
        yield from self.ensure_index()
        failures: dict[int, BaseException] = {}
        actions: list[dict[str, Any]] = []
        positions: list[int] = []
        for i, rec in enumerate(records):
            assert rec.id is not None
            try:
                self.check_id(rec.id)
                document = self.document(rec.id, rec)
            except DataError as err:  # InvalidRecordIdError, SerializationError
                failures[i] = err
                continue
            positions.append(i)
            actions.append({"_op_type": op_type, "_index": self.index, "_id": rec.id,
                            "_source": document})
        if actions:
            results = yield Bulk(actions, self._bulk_options(), action)
            for position, (ok, item) in zip(positions, results, strict=True):
                if not ok:
                    failures[position] = self.item_error(records[position].id or "", item)
            yield from self._refresh_after_batch()
        return failures

    def create_batch(self, records: list[Record]) -> Flow:
        return (yield from self._bulk_write(records, "create", "creating records"))

    def _mget(self, record_ids: list[str], action: str, **kwargs: Any) -> Flow:
        """The found documents of the ids a record can have, by id."""
        wanted = [rid for rid in record_ids if self.holdable(rid)]
        if not wanted:
            return {}
        resp = yield Call("mget", {"index": self.index, "ids": wanted, **kwargs}, action)
        return {doc["_id"]: doc for doc in resp["docs"] if doc.get("found")}

    def read_batch(self, record_ids: list[str]) -> Flow:
        yield from self.ensure_index()
        found = yield from self._mget(record_ids, "reading records",
                                      source_includes=[RECORD_FIELD])
        # decoded per position: an id asked for twice gives two independent records
        return [from_source(rid, found[rid].get("_source")) if rid in found else None
                for rid in record_ids]

    def update_batch(self, updates: list[tuple[str, Record]]) -> Flow:
        failed: dict[int, BaseException] = {}
        documents: dict[int, dict[str, Any]] = {}
        for i, (rid, rec) in enumerate(updates):
            if not self.holdable(rid):
                continue  # not stored, so not updated (False)
            try:
                documents[i] = self.document(rid, rec)
            except DataError as err:
                failed[i] = err
        yield from self.ensure_index()
        docs = yield from self._mget([rid for rid, _ in updates], "reading record versions",
                                     source=False)
        actions: list[dict[str, Any]] = []
        positions: list[int] = []
        result = [False] * len(updates)
        for i, (rid, _rec) in enumerate(updates):
            if rid not in docs or i in failed:
                continue
            positions.append(i)
            actions.append({"_op_type": "index", "_index": self.index, "_id": rid,
                            "_source": documents[i], "if_seq_no": docs[rid]["_seq_no"],
                            "if_primary_term": docs[rid]["_primary_term"]})
        retry: list[int] = []
        if actions:
            results = yield Bulk(actions, self._bulk_options(), "updating records")
            for position, (ok, item) in zip(positions, results, strict=True):
                if ok:
                    result[position] = True
                elif _item_body(item).get("status") == 409:
                    retry.append(position)  # changed meanwhile (or repeated in this batch)
                else:
                    failed[position] = self.item_error(updates[position][0], item)
        for position in retry:
            rid, rec = updates[position]
            result[position] = yield from self.update(rid, rec, None)
        if actions:
            yield from self._refresh_after_batch()
        if failed:
            succeeded = {i: updates[i][0] for i, ok in enumerate(result) if ok}
            raise BatchOperationError("update_batch", succeeded, failed)
        return result

    def delete_batch(self, record_ids: list[str]) -> Flow:
        yield from self.ensure_index()
        result = [False] * len(record_ids)
        actions: list[dict[str, Any]] = []
        positions: list[int] = []
        seen: set[str] = set()
        for i, rid in enumerate(record_ids):
            if rid in seen or not self.holdable(rid):
                continue  # a repeated id is deleted once; later positions report False
            seen.add(rid)
            positions.append(i)
            actions.append({"_op_type": "delete", "_index": self.index, "_id": rid})
        failed: dict[int, BaseException] = {}
        if actions:
            results = yield Bulk(actions, self._bulk_options(), "deleting records")
            for position, (ok, item) in zip(positions, results, strict=True):
                if ok:
                    result[position] = True
                elif _item_body(item).get("status") != 404:
                    failed[position] = self.item_error(record_ids[position], item)
            yield from self._refresh_after_batch()
        if failed:
            succeeded = {i: record_ids[i] for i, ok in enumerate(result) if ok}
            raise BatchOperationError("delete_batch", succeeded, failed)
        return result

    def upsert_batch(self, records: list[Record]) -> Flow:
        failed = yield from self._bulk_write(records, "index", "writing records")
        if failed:
            succeeded = {i: r.id for i, r in enumerate(records) if i not in failed}
            raise BatchOperationError("upsert_batch", succeeded, failed)

    # -- queries ----------------------------------------------------------------------------
    def _query(self, query: Query) -> Flow:
        """The DSL of a query's conditions, refusing pattern operators over long strings."""
        translation = self.translator.translate(query.condition)
        if translation.pattern_paths:
            check = self.translator.long_string_check(translation.pattern_paths)
            resp = yield Call("count", {"index": self.index, "query": check},
                              "checking string lengths")
            if resp["count"]:
                paths = ", ".join(sorted(translation.pattern_paths))
                raise UnsupportedQueryError(
                    f"LIKE/ILIKE/REGEX on {paths}: elasticsearch indexes the first "
                    f"{STRING_PREFIX} characters of a string and {resp['count']} record(s) "
                    "hold longer strings there")
        return translation.query

    def vector_hits(self, query: Query, vq: VectorQuery, metric: DistanceMetric, skip: int,
                    take: int) -> Flow:
        """The native nearest-neighbour search of a field in ``vectors`` (vectors.py): the
        server's kNN search where the path has an index of the query's metric, else its
        exact ``script_score``; None (the port ranks the matches itself) for any other field
        or query."""
        spec = self.vectors.get(vq.field)
        if spec is None or spec.dimensions != len(vq.vector):
            return None
        yield from self.ensure_index()
        dsl = yield from self._query(query)

        def request(body: dict[str, Any]) -> Call:
            return Call("search", body, "ranking records by vector")

        if spec.answers(metric):
            return (yield from knn_flow(self.index, dsl, spec, vq, skip, take, request))
        return (yield from search_flow(self.index, dsl, query, vq, metric, skip, take, request))

    def count(self, query: Query) -> Flow:
        yield from self.ensure_index()
        dsl = yield from self._query(query)
        resp = yield Call("count", {"index": self.index, "query": dsl}, "counting records")
        return int(resp["count"])

    def clear(self) -> Flow:
        yield from self.ensure_index()
        # writes made with refresh=false must be visible to delete_by_query
        yield Call("indices.refresh", {"index": self.index}, "refreshing the index")
        resp = yield Call("delete_by_query", {"index": self.index,
                                              "query": {"match_all": {}},
                                              "refresh": True, "conflicts": "proceed"},
                          "clearing the index")
        return int(resp.get("deleted", 0))

    def _open_pit(self) -> Flow:
        """Open a point in time (trying the APIs the mode allows); None when none works."""
        mode = self.pit_api or self.point_in_time
        if mode == "none":
            return None
        order = [mode] if mode != "auto" else (
            ["opensearch", "elasticsearch"] if self.compatibility == "opensearch"
            else ["elasticsearch", "opensearch"])
        for api in order:
            try:
                if api == "elasticsearch":
                    resp = yield Call("open_point_in_time",
                                      {"index": self.index, "keep_alive": self.keep_alive},
                                      "opening a point in time")
                    pit_id = resp["id"]
                else:
                    resp = yield Call("perform_request", {
                        "method": "POST", "path": f"/{self.index}/_search/point_in_time",
                        "params": {"keep_alive": self.keep_alive},
                        "headers": {"accept": "application/json"}},
                        "opening a point in time")
                    pit_id = resp["pit_id"]
            except Exception as err:
                if status_of(err) in (400, 404, 405, 501) or type(err).__name__ in (
                        "UnsupportedProductError",):
                    continue
                raise
            self.pit_api = api
            return PointInTime(pit_id, api)
        self.pit_api = "none"
        return None

    def _close_pit(self, pit: PointInTime) -> Flow:
        try:
            if pit.api == "elasticsearch":
                yield Call("close_point_in_time", {"id": pit.id}, "closing a point in time")
            else:
                yield Call("perform_request", {
                    "method": "DELETE", "path": "/_search/point_in_time",
                    "body": {"pit_id": [pit.id]},
                    "headers": {"accept": "application/json",
                                "content-type": "application/json"}},
                    "closing a point in time")
        except Exception:
            return

    def scan(self, query: Query, page_size: int | None = None) -> Flow:
        """Emit the records of a query in order, ``page_size`` per request.

        One request when the window allows ``from``/``size``; otherwise ``search_after``
        over the (sort keys, rid) order, from the second page on inside a point in time
        where the server offers one. An offset beyond the window is skipped by reading sort
        values only."""
        yield from self.ensure_index()
        size_limit = page_size or self.page_size
        remaining = query.limit_value
        skip = query.offset_value or 0
        if remaining == 0:
            return
        dsl = yield from self._query(query)
        base: dict[str, Any] = {"query": dsl, "sort": self.translator.sort(query.sort_specs),
                                "track_total_hits": False}
        pit: PointInTime | None = None
        after: list[Any] | None = None
        requests = 0
        try:
            while remaining is None or remaining > 0:
                kwargs = dict(base)
                if skip > 0 and (after is not None or skip + size_limit > MAX_WINDOW):
                    size = min(skip, MAX_WINDOW)  # skipping: sort values only
                    kwargs["source"] = False
                    fetching = False
                else:
                    size = size_limit if remaining is None else min(size_limit, remaining)
                    if skip:
                        kwargs["from_"] = skip
                    kwargs["source_includes"] = [RECORD_FIELD]
                    fetching = True
                kwargs["size"] = size
                if after is not None:
                    kwargs["search_after"] = after
                if requests == 1 and pit is None:
                    pit = yield from self._open_pit()
                if pit is not None:
                    kwargs["pit"] = {"id": pit.id, "keep_alive": self.keep_alive}
                else:
                    kwargs["index"] = self.index
                resp = yield Call("search", kwargs, "searching records")
                requests += 1
                if pit is not None and resp.get("pit_id"):
                    pit.id = resp["pit_id"]
                hits = resp["hits"]["hits"]
                if fetching:
                    records = [from_source(hit["_id"], hit.get("_source")) for hit in hits]
                    if records:
                        yield Emit([rec.project(query.fields) for rec in records]
                                   if query.fields else records)
                    skip = 0
                    if remaining is not None:
                        remaining -= len(hits)
                else:
                    skip -= len(hits)
                if len(hits) < size:
                    break
                after = hits[-1]["sort"]
        except GeneratorExit:
            raise  # the caller stopped early: the point in time expires after keep_alive
        except BaseException:
            if pit is not None:
                yield from self._close_pit(pit)
            raise
        if pit is not None:
            yield from self._close_pit(pit)
