"""Native nearest-neighbour search of the Elasticsearch adapter (the ``vectors`` option).

``vectors: {path: dimension}`` keeps, for each listed data path, a *sidecar* in every
document written (``v.<field_name(path)>``, never in ``_source``'s record text ``r``):

``k`` (byte)
    the row's kind for ``adapters.vector_window``: 1 *placed* (a vector of the listed
    dimension that a float32 distance can bound: ``float32_safe``, norm within
    ``[MIN_NORM, MAX_NORM]``), 0 *unplaced* (another such vector: an element of magnitude
    above 1e15, a norm outside that range, zero included), 2 another dimension, 3 no vector
    for the reference (``stored_vector``: missing, not a list of numbers only).
``x`` (``dense_vector``, ``index: false``, the listed dimension)
    the vector of a placed row.

The record itself stays in ``r`` as before: the sidecar only ranks. A query ranks the
placed rows among the filter's matches (the translator's exact DSL) with a ``script_score``
(``cosineSimilarity`` or ``l2norm``: a brute-force, exact scan of the matches, not the
approximate ``knn`` search) and asks for every match of kind 0 or 2 or without a sidecar
(documents written before the option was set); ``window_steps`` re-ranks the window
exactly in float64 and widens it until certain. Each document's ``_source`` comes with its
hit, so a window costs one request per round.

The bounds: the server computes the similarity in float32 from float32 vectors (any order of
summation), then the score ``cos + 1`` or ``1 / (1 + D)``, rounded to a float32 ``_score``;
``slack`` covers the first (as for sqlite-vec), ``SCORE_ROUNDING`` the second. The dot
product is not ranked natively (the score must be non-negative and its bound needs each
row's norm): such queries, a query vector of another dimension than the listed one, and one
outside the float32 ranges take the reference path. So does a query whose window or
unplaced matches would pass ``MAX_WINDOW`` hits.

Only ``compatibility="elasticsearch"`` maps ``dense_vector`` (OpenSearch's ``knn_vector``
and its scoring scripts are not offered: the OpenSearch-compatible server the tests run,
osmem-server, scores neither).
"""

from __future__ import annotations

import math
import re
from collections.abc import Generator, Mapping
from typing import Any, Final

from ...domain.errors import ConfigurationError
from ...domain.query import Query
from ...domain.records import Record, lookup
from ...domain.values import MISSING
from ...domain.vectors import DistanceMetric, TopK, VectorQuery, numpy, stored_vector
from ..vector_window import MAX_NORM, MIN_NORM, first_window, float32_safe, slack, window_steps
from .serializer import ID_FIELD, RECORD_FIELD, field_name, from_source

VECTOR_FIELD: Final = "v"
PLACED, UNPLACED, OTHER_DIMENSION, NO_VECTOR = 1, 0, 2, 3
#: Elasticsearch's largest ``dense_vector`` dimension
MAX_DIMS: Final = 4096
#: the hits one search returns (``index.max_result_window``'s default)
MAX_WINDOW: Final = 10_000
#: the float32 rounding of a ``_score`` (at most 2), doubled, and of the division in it
SCORE_ROUNDING: Final = 8 * 2.0 ** -24
_SAFE_NAME = re.compile(r"[A-Za-z0-9-]+")


def check_vectors(option: Mapping[str, Any] | None, compatibility: str) -> dict[str, int]:
    """The ``vectors`` option as {path: dimension}; ``ConfigurationError`` naming a bad path
    or dimension, or the compatibility mode that has no ``dense_vector``."""
    if option is None:
        return {}
    if not isinstance(option, Mapping):
        raise ConfigurationError(
            f"vectors must map data paths to dimensions, got {type(option).__name__}")
    out: dict[str, int] = {}
    for path, dims in option.items():
        if not isinstance(path, str) or not path or path.startswith(".") or \
                path.endswith(".") or ".." in path or path == "id":
            raise ConfigurationError(f"vectors: {path!r} is not a data path")
        if isinstance(dims, bool) or not isinstance(dims, int) or not 1 <= dims <= MAX_DIMS:
            raise ConfigurationError(
                f"vectors: the dimension of {path!r} must be an integer from 1 to {MAX_DIMS}, "
                f"got {dims!r}")
        out[path] = dims
    if out and compatibility != "elasticsearch":
        raise ConfigurationError(
            f"vectors needs compatibility 'elasticsearch' (dense_vector), not {compatibility!r}")
    return out


def sidecar_name(path: str) -> str:
    """The sidecar object of a path (letters, digits and ``-`` only: it is written into the
    scoring script's source, which takes no field parameter on every server)."""
    name = field_name(path)
    if not _SAFE_NAME.fullmatch(name):  # pragma: no cover - field_name's own contract
        raise AssertionError(f"unsafe sidecar name {name!r}")
    return name


def mapping(vectors: Mapping[str, int]) -> dict[str, Any]:
    """The ``v`` property of the index mapping."""
    return {"properties": {sidecar_name(path): {"properties": {
        "k": {"type": "byte"},
        "x": {"type": "dense_vector", "dims": dims, "index": False}}}
        for path, dims in vectors.items()}}


def sidecar(data: Mapping[str, Any], vectors: Mapping[str, int]) -> dict[str, Any]:
    """The ``v`` object of a record's data (module doc)."""
    out: dict[str, Any] = {}
    for path, dims in vectors.items():
        value = lookup(data, path)
        vec = None if value is MISSING else stored_vector(value)
        entry: dict[str, Any]
        if vec is None:
            entry = {"k": NO_VECTOR}
        elif len(vec) != dims:
            entry = {"k": OTHER_DIMENSION}
        else:
            a = float32_safe(vec)
            norm = None if a is None else math.sqrt(float(a @ a))
            if a is None or norm is None or not MIN_NORM <= norm <= MAX_NORM:
                entry = {"k": UNPLACED}
            else:
                entry = {"k": PLACED, "x": a.tolist()}
        out[sidecar_name(path)] = entry
    return out


class VectorSearch:
    """The requests of one query's native search: the candidates of each round as
    ``search`` keyword arguments, the hits read back (module doc)."""

    def __init__(self, index: str, dsl: Mapping[str, Any], vq: VectorQuery,
                 metric: DistanceMetric, q: Any, q_norm: float) -> None:
        self.index = index
        self.dsl = dsl
        self.metric = metric
        self.q = [float(x) for x in q]
        self.q_norm = q_norm
        self.dim = len(self.q)
        self.slack = slack(self.dim)
        self.name = f"{VECTOR_FIELD}.{sidecar_name(vq.field)}"
        self.records: dict[bytes, tuple[str, Record]] = {}  # every hit's record, by key

    def _script(self) -> dict[str, Any]:
        vector = f"'{self.name}.x'"
        source = (f"cosineSimilarity(params.q, {vector}) + 1.0"
                  if self.metric is DistanceMetric.COSINE
                  else f"1.0 / (1.0 + l2norm(params.q, {vector}))")
        return {"source": source, "params": {"q": self.q}}

    def bound(self, score: float) -> float:
        """A lower bound of the exact ranking key of a row scored ``score``."""
        if self.metric is DistanceMetric.COSINE:  # key -cos; score cos + 1
            return 1.0 - score - 2.0 * self.slack - SCORE_ROUNDING
        distance = 1.0 / score - 1.0 if score > 0 else math.inf  # score 1 / (1 + D)
        return ((distance - SCORE_ROUNDING * (1.0 + distance)) * (1.0 - self.slack)
                - 2.0 * self.slack * self.q_norm - 1e-18)

    def min_score(self, cut_at: float) -> float:
        """A score every row whose ``bound`` is at most ``cut_at`` reaches (a little lower:
        a row more is harmless, one less is not)."""
        if self.metric is DistanceMetric.COSINE:
            return max(0.0, 1.0 - cut_at - 2.0 * self.slack - SCORE_ROUNDING - 1e-6)
        s = self.slack
        distance = ((cut_at + 2.0 * s * self.q_norm + 1e-18) / (1.0 - s)
                    + SCORE_ROUNDING) / (1.0 - SCORE_ROUNDING)
        return max(0.0, 1.0 / (1.0 + max(distance, 0.0)) * (1.0 - 1e-6))

    def placed(self, size: int, cut_at: float | None) -> dict[str, Any] | None:
        """The ``search`` arguments of a round's placed rows; None beyond ``MAX_WINDOW``."""
        if size > MAX_WINDOW:
            return None
        body: dict[str, Any] = {
            "index": self.index, "source_includes": [RECORD_FIELD], "track_total_hits": False,
            "query": {"script_score": {
                "query": {"bool": {"filter": [self.dsl, {"term": {f"{self.name}.k": PLACED}}]}},
                "script": self._script()}},
            "sort": [{"_score": "desc"}, {ID_FIELD: "asc"}]}
        if cut_at is None:
            body["size"] = size
        else:
            body["size"] = MAX_WINDOW
            body["min_score"] = self.min_score(cut_at)
        return body

    def others(self) -> dict[str, Any]:
        """The ``search`` arguments of the matches that are always candidates (kinds 0 and
        2, and documents without the sidecar), at most ``MAX_WINDOW`` of them."""
        return {"index": self.index, "source_includes": [RECORD_FIELD], "size": MAX_WINDOW,
                "track_total_hits": False, "sort": [{ID_FIELD: "asc"}],
                "query": {"bool": {"filter": [self.dsl], "must_not": [
                    {"terms": {f"{self.name}.k": [PLACED, NO_VECTOR]}}]}}}

    def rows(self, resp: Mapping[str, Any], kind: int) -> list[tuple[bytes, int, float]]:
        """A response's hits as ``window_hits`` rows (their records kept for ``fetch``)."""
        out = []
        for hit in resp["hits"]["hits"]:
            rid = hit["_id"]
            key = rid.encode("utf-8")
            self.records[key] = (rid, from_source(rid, hit.get("_source")))
            out.append((key, kind, self.bound(float(hit["_score"])) if kind == PLACED
                        else 0.0))
        return out


Flow = Generator[Any, Any, Any]


def search_flow(index: str, dsl: Mapping[str, Any], query: Query, vq: VectorQuery,
                metric: DistanceMetric, skip: int, take: int) -> Flow:
    """The flow of a native search (``Operations.vector_hits``): yields the ``search``
    keyword arguments of each request and is sent the response; its value is the hits, or
    None when the reference path must answer (module doc)."""
    if metric is DistanceMetric.DOT_PRODUCT:
        return None
    top = TopK(vq, metric, skip + take)  # checks the query vector (a zero one for cosine)
    q = float32_safe(vq.vector)
    if q is None or (metric is DistanceMetric.COSINE and
                     not MIN_NORM <= top.q_norm <= MAX_NORM):
        return None
    search = VectorSearch(index, dsl, vq, metric, numpy().asarray(q), top.q_norm)
    resp = yield search.others()
    others = search.rows(resp, UNPLACED)
    if len(others) >= MAX_WINDOW:
        return None
    steps = window_steps(query, vq, metric, skip, take, first_window(skip + take))
    answer: Any = None
    while True:
        try:
            ask = steps.send(answer)
        except StopIteration as stop:
            return stop.value
        if ask[0] == "fetch":
            answer = {key: search.records[key] for key in ask[1] if key in search.records}
            continue
        body = search.placed(ask[1], ask[2])
        if body is None:
            return None
        resp = yield body
        placed = search.rows(resp, PLACED)
        if ask[2] is not None and len(placed) >= MAX_WINDOW:
            return None
        answer = [*others, *placed]


__all__ = ["MAX_DIMS", "VECTOR_FIELD", "VectorSearch", "check_vectors", "mapping",
           "search_flow", "sidecar", "sidecar_name"]
