"""Native nearest-neighbour search of the Elasticsearch adapter (the ``vectors`` option).

``vectors: {path: dimension}`` (or the settings below) keeps, for each listed data path, a
*sidecar* in every document written (``v.<field_name(path)>``, never in ``_source``'s
record text ``r``):

``k`` (byte)
    the row's kind for ``adapters.vector_window``: 1 *placed* (a vector of the listed
    dimension that a float32 distance can bound: ``float32_safe``, norm within
    ``[MIN_NORM, MAX_NORM]``), 0 *unplaced* (another such vector: an element of magnitude
    above 1e15, a norm outside that range, zero included), 2 another dimension, 3 no vector
    for the reference (``stored_vector``: missing, not a list of numbers only).
``x`` (``dense_vector``, ``index: false``, the listed dimension) and ``m`` (double)
    the vector of a placed row and its float64 norm.

The record itself stays in ``r`` as before: the sidecar only ranks. A query ranks the
placed rows among the filter's matches (the translator's exact DSL) with a ``script_score``
(``cosineSimilarity``, ``l2norm`` or ``dotProduct``: a brute-force, exact scan of the
matches, not the approximate ``knn`` search); the same search scores every match of kind 0
or 2 or without a sidecar (documents written before the option was set) above them all
(``TOP_SCORE``), so those are always candidates. ``window_steps`` re-ranks the window
exactly in float64 and widens it until certain. Each hit brings its record (the sidecar is
not in ``_source``), so a query is usually one request.

The bounds: the server computes the similarity in float32 from float32 vectors (any order of
summation), then the score, rounded to a float32 ``_score``; ``slack`` covers the first (as
for sqlite-vec), ``SCORE_ROUNDING`` the second. Scores must be non-negative and grow with
nearness: ``cos + 1`` for the cosine, ``1 / (1 + D)`` for the Euclidean distance; for the dot
product the script computes the bound itself, ``b = -dot - slack |q| m`` (the error of a
float32 dot product grows with the row's norm ``m``), and scores ``1 - b`` or
``1 / (1 + b)``. A query vector of another dimension than the listed one, or outside the
float32 ranges, takes the reference path; so does a query whose window or unplaced matches
would pass ``MAX_WINDOW`` hits (a request that fills up with always-candidate rows is sent
again, larger).

A path given as ``{dimensions, method: hnsw, metric, ...}`` (``VectorPath``) indexes ``x``
(an HNSW graph of the metric's ``SIMILARITY``), and a query of that metric is one
``KnnSearch``: the server's ``knn`` section over the filter's placed matches (the
translator's exact DSL in its ``filter``), the always-candidate matches beside it, the
window ranked exactly from the records (``knn_flow``). Which rows reach the window is the
graph's choice: approximate (``capabilities.approximate_vectors``). Queries of the other
metrics take the exact search above on the same index.

Only ``compatibility="elasticsearch"`` maps ``dense_vector`` (OpenSearch's ``knn_vector``
and its scoring scripts are not offered: the OpenSearch-compatible server the tests run,
osmem-server, scores neither).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ...domain.errors import ConfigurationError, QueryError
from ...domain.query import Query
from ...domain.records import Record, check_path, lookup
from ...domain.values import MISSING
from ...domain.vectors import (
    DistanceMetric,
    TopK,
    VectorQuery,
    numpy,
    read_index_entry,
    stored_vector,
    vectors_of,
)
from ..vector_window import MAX_NORM, MIN_NORM, first_window, float32_safe, slack, window_steps
from .serializer import ID_FIELD, RECORD_FIELD, VECTOR_FIELD, field_name, from_source

PLACED, UNPLACED, OTHER_DIMENSION, NO_VECTOR = 1, 0, 2, 3
#: Elasticsearch's largest ``dense_vector`` dimension
MAX_DIMS: Final = 4096
#: the hits one search returns (``index.max_result_window``'s default)
MAX_WINDOW: Final = 10_000
#: the score of an always-candidate row: above every placed row's (at most about 1e20)
TOP_SCORE: Final = 1e30
#: the float32 rounding of a ``_score`` (at most 2), doubled, and of the division in it
SCORE_ROUNDING: Final = 8 * 2.0 ** -24
_SAFE_NAME = re.compile(r"[A-Za-z0-9-]+")


#: the ``dense_vector`` similarity of an HNSW index for each metric (``dot_product`` there
#: takes unit-length vectors only; ``max_inner_product`` any)
SIMILARITY: Final = {DistanceMetric.COSINE: "cosine", DistanceMetric.EUCLIDEAN: "l2_norm",
                     DistanceMetric.DOT_PRODUCT: "max_inner_product"}
METHODS: Final = {"hnsw": "an HNSW index, approximate kNN queries",
                  "none": "exact script_score queries"}


@dataclass(frozen=True)
class VectorPath:
    """One path of the ``vectors`` option: its ``dimensions`` and, with ``method`` ``hnsw``,
    an HNSW index of its sidecar vector for ``metric`` (``m`` and ``ef_construction`` as
    Elasticsearch names them; ``num_candidates`` per query, at least the window)."""

    dimensions: int
    method: str = "none"
    metric: DistanceMetric = DistanceMetric.COSINE
    m: int = 16
    ef_construction: int = 100
    num_candidates: int = 400

    @property
    def indexed(self) -> bool:
        return self.method == "hnsw"

    def answers(self, metric: DistanceMetric) -> bool:
        """Whether a query of ``metric`` takes this path's kNN search (else the exact one)."""
        return self.indexed and metric is self.metric

    def describe(self) -> object:
        """The option's value for this path, as a user writes it."""
        if not self.indexed:
            return self.dimensions
        return {"dimensions": self.dimensions, "method": self.method,
                "metric": self.metric.value, "m": self.m,
                "ef_construction": self.ef_construction, "num_candidates": self.num_candidates}


def check_vectors(option: Mapping[str, Any] | None, compatibility: str
                  ) -> dict[str, VectorPath]:
    """The ``vectors`` option as {path: ``VectorPath``} (a path maps to its dimension, or to
    ``{dimensions, method, metric, m, ef_construction, num_candidates}``);
    ``ConfigurationError`` naming a bad path, dimension or setting, or the compatibility
    mode that has no ``dense_vector``."""
    if option is None:
        return {}
    if not isinstance(option, Mapping):
        raise ConfigurationError(
            f"vectors must map data paths to dimensions, got {type(option).__name__}")
    out: dict[str, VectorPath] = {}
    for path, entry in option.items():
        try:
            check_path(path)
        except QueryError as err:
            raise ConfigurationError(f"vectors: {path!r} is not a data path ({err})") from None
        if path == "id":
            raise ConfigurationError("vectors: 'id' is the record id, not a data path")
        if isinstance(entry, Mapping):
            read = read_index_entry(f"vectors[{path!r}]", entry, METHODS, (
                ("dimensions", 1, MAX_DIMS, None), ("m", 2, 100, VectorPath.m),
                ("ef_construction", 4, 1000, VectorPath.ef_construction),
                ("num_candidates", 1, MAX_WINDOW, VectorPath.num_candidates)),
                {"hnsw": ("m", "ef_construction", "num_candidates")})
            out[path] = VectorPath(method=read.method, metric=read.metric, **read.numbers)
            continue
        if isinstance(entry, bool) or not isinstance(entry, int) or not 1 <= entry <= MAX_DIMS:
            raise ConfigurationError(
                f"vectors: the dimension of {path!r} must be an integer from 1 to {MAX_DIMS}, "
                f"got {entry!r}")
        out[path] = VectorPath(entry)
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


def mapping(vectors: Mapping[str, VectorPath]) -> dict[str, Any]:
    """The ``v`` property of the index mapping."""
    out: dict[str, Any] = {}
    for path, spec in vectors.items():
        vector: dict[str, Any] = {"type": "dense_vector", "dims": spec.dimensions,
                                  "index": spec.indexed}
        if spec.indexed:
            vector["similarity"] = SIMILARITY[spec.metric]
            vector["index_options"] = {"type": "hnsw", "m": spec.m,
                                       "ef_construction": spec.ef_construction}
        out[sidecar_name(path)] = {"properties": {
            "k": {"type": "byte"}, "m": {"type": "double"}, "x": vector}}
    return {"properties": out}


def sidecar(data: Mapping[str, Any], vectors: Mapping[str, VectorPath]) -> dict[str, Any]:
    """The ``v`` object of a record's data (module doc)."""
    out: dict[str, Any] = {}
    for path, spec in vectors.items():
        dims = spec.dimensions
        value = lookup(data, path)
        vec = None if value is MISSING else stored_vector(value)
        entry: dict[str, Any]
        if vec is None:
            entry = {"k": NO_VECTOR}
        elif len(vec) != dims:
            entry = {"k": OTHER_DIMENSION}
        else:
            a = float32_safe(vec)
            norm = 0.0 if a is None else math.sqrt(float(a @ a))
            if a is None or not MIN_NORM <= norm <= MAX_NORM:
                entry = {"k": UNPLACED}
            else:
                entry = {"k": PLACED, "x": a.tolist(), "m": norm}
        out[sidecar_name(path)] = entry
    return out


class VectorSearch:
    """The requests of one query's native search: the candidates of each round as
    ``search`` keyword arguments, the hits read back (module doc)."""

    def __init__(self, index: str, dsl: Mapping[str, Any], vq: VectorQuery,
                 metric: DistanceMetric, q: Any, q_norm: float,
                 request: Callable[[dict[str, Any]], Any] = lambda body: body) -> None:
        self.index = index
        self.request = request  # what a flow yields for a search's keyword arguments
        self.dsl = dsl
        self.metric = metric
        self.q = [float(x) for x in q]
        self.q_norm = q_norm
        self.dim = len(self.q)
        self.slack = slack(self.dim)
        self.name = f"{VECTOR_FIELD}.{sidecar_name(vq.field)}"
        self.records: dict[bytes, tuple[str, Record]] = {}  # every hit's record, by key
        self.others = 0  # the always-candidate matches, once a response has counted them

    def _script(self) -> dict[str, Any]:
        vector = f"'{self.name}.x'"
        if self.metric is DistanceMetric.COSINE:
            source = f"cosineSimilarity(params.q, {vector}) + 1.0"
        elif self.metric is DistanceMetric.EUCLIDEAN:
            source = f"1.0 / (1.0 + l2norm(params.q, {vector}))"
        else:  # the bound itself, b = -dot - slack |q| m, scored 1 - b or 1 / (1 + b)
            source = (f"double b = -dotProduct(params.q, {vector}) - params.s * "
                      f"doc['{self.name}.m'].value; return b <= 0 ? 1.0 - b : 1.0 / (1.0 + b);")
            return {"source": source, "params": {"q": self.q, "s": self.slack * self.q_norm}}
        return {"source": source, "params": {"q": self.q}}

    def bound(self, score: float) -> float:
        """A lower bound of the exact ranking key of a row scored ``score``."""
        if self.metric is DistanceMetric.COSINE:  # key -cos; score cos + 1
            return 1.0 - score - 2.0 * self.slack - SCORE_ROUNDING
        if self.metric is DistanceMetric.DOT_PRODUCT:  # key -dot; the script's bound b
            b = 1.0 - score if score >= 1.0 else (1.0 / score - 1.0 if score > 0 else math.inf)
            return b - SCORE_ROUNDING * (1.0 + abs(b))
        distance = 1.0 / score - 1.0 if score > 0 else math.inf  # score 1 / (1 + D)
        return ((distance - SCORE_ROUNDING * (1.0 + distance)) * (1.0 - self.slack)
                - 2.0 * self.slack * self.q_norm - 1e-18)

    def min_score(self, cut_at: float) -> float:
        """A score every row whose ``bound`` is at most ``cut_at`` reaches (a little lower:
        a row more is harmless, one less is not)."""
        if self.metric is DistanceMetric.COSINE:
            return max(0.0, 1.0 - cut_at - 2.0 * self.slack - SCORE_ROUNDING - 1e-6)
        if self.metric is DistanceMetric.DOT_PRODUCT:  # the largest b whose bound <= cut_at
            r = cut_at + SCORE_ROUNDING
            b = r / (1.0 - SCORE_ROUNDING) if r >= 0 else r / (1.0 + SCORE_ROUNDING)
            return max(0.0, (1.0 - b if b <= 0 else 1.0 / (1.0 + b)) * (1.0 - 1e-6))
        s = self.slack
        distance = ((cut_at + 2.0 * s * self.q_norm + 1e-18) / (1.0 - s)
                    + SCORE_ROUNDING) / (1.0 - SCORE_ROUNDING)
        return max(0.0, 1.0 / (1.0 + max(distance, 0.0)) * (1.0 - 1e-6))

    def body(self, size: int, cut_at: float | None) -> dict[str, Any]:
        """The ``search`` arguments of ``size`` hits (``cut_at``: every hit whose bound is at
        most it, up to ``MAX_WINDOW``): the filter's matches with a sidecar kind other than
        "no vector" (or none), the always-candidate rows first (scored ``TOP_SCORE``), then
        the placed rows by score."""
        vector = self._script()
        kind = f"doc['{self.name}.k']"
        vector["source"] = (f"if ({kind}.size() == 0 || {kind}.value != {PLACED}) "
                            f"{{ return params.top; }} {vector['source']}")
        vector["params"]["top"] = TOP_SCORE
        body: dict[str, Any] = {
            "index": self.index, "source_includes": [RECORD_FIELD], "track_total_hits": False,
            "query": {"script_score": {
                "query": {"bool": {"filter": [self.dsl], "must_not": [
                    {"term": {f"{self.name}.k": NO_VECTOR}}]}},
                "script": vector}},
            "sort": [{"_score": "desc"}, {ID_FIELD: "asc"}], "size": size}
        if cut_at is not None:
            body["size"] = MAX_WINDOW
            body["min_score"] = self.min_score(cut_at)
        return body

    def rows(self, resp: Mapping[str, Any]) -> list[tuple[bytes, int, float]]:
        """A response's hits as ``window_hits`` rows, always-candidate ones (kind 0) first
        (their records kept for ``fetch``)."""
        out = []
        for hit in resp["hits"]["hits"]:
            rid = hit["_id"]
            key = rid.encode("utf-8")
            self.records[key] = (rid, from_source(rid, hit.get("_source")))
            score = float(hit["_score"])
            out.append((key, UNPLACED, 0.0) if score >= TOP_SCORE / 2
                       else (key, PLACED, self.bound(score)))
        return out

    def window(self, size: int, cut_at: float | None) -> Flow:
        """The rows of a round: every always-candidate match and the ``size`` placed rows
        with the smallest bounds (or, with ``cut_at``, every placed row whose bound is at
        most it); None past ``MAX_WINDOW`` hits. The always-candidate rows come first, so a
        response that is full before ``size`` placed rows is asked again, larger."""
        while True:
            ask = size + self.others if cut_at is None else MAX_WINDOW
            if ask > MAX_WINDOW:
                return None
            rows = self.rows((yield self.request(self.body(ask, cut_at))))
            placed = sum(1 for row in rows if row[1] == PLACED)
            if cut_at is not None:
                return None if len(rows) >= MAX_WINDOW else rows
            if len(rows) < ask or placed >= size:
                return rows
            # full of the always-candidate rows: all of them were returned when a placed
            # row follows them, else there may be more
            self.others = len(rows) - placed if placed else ask * 4


class KnnSearch(VectorSearch):
    """The requests of an approximate query (a path with an HNSW index, a query of its
    metric): the server's ``knn`` search among the filter's placed matches, with every
    always-candidate match beside it (scored ``TOP_SCORE``: ``window`` asks again when they
    fill the response). The server's scores only choose the window: it is ranked from the
    records."""

    def __init__(self, spec: VectorPath, *args: Any) -> None:
        super().__init__(*args)
        self.spec = spec

    def bound(self, score: float) -> float:
        return 0.0  # the window is not ordered by a bound of the exact key

    def body(self, size: int, cut_at: float | None) -> dict[str, Any]:
        kind = f"{self.name}.k"
        return {
            "index": self.index, "source_includes": [RECORD_FIELD], "track_total_hits": False,
            "knn": {"field": f"{self.name}.x", "query_vector": self.q, "k": size,
                    "num_candidates": min(MAX_WINDOW, max(self.spec.num_candidates, size)),
                    "filter": [self.dsl, {"term": {kind: PLACED}}]},
            "query": {"constant_score": {"boost": TOP_SCORE, "filter": {"bool": {
                "filter": [self.dsl],
                "must_not": [{"terms": {kind: [PLACED, NO_VECTOR]}}]}}}},
            "size": size}


Flow = Generator[Any, Any, Any]


def _search(index: str, dsl: Mapping[str, Any], vq: VectorQuery, metric: DistanceMetric,
            want: int, request: Callable[[dict[str, Any]], Any],
            spec: VectorPath | None = None) -> tuple[TopK, VectorSearch] | None:
    """The running top ``want`` and the searches of a query (a ``KnnSearch`` with
    ``spec``); None when the query vector is one the server's float32 cannot rank."""
    top = TopK(vq, metric, want)  # checks the query vector (a zero one for cosine)
    q = float32_safe(vq.vector)
    if q is None or (metric is not DistanceMetric.EUCLIDEAN and
                     not MIN_NORM <= top.q_norm <= MAX_NORM):
        return None
    args = (index, dsl, vq, metric, numpy().asarray(q), top.q_norm, request)
    return top, (VectorSearch(*args) if spec is None else KnnSearch(spec, *args))


def search_flow(index: str, dsl: Mapping[str, Any], query: Query, vq: VectorQuery,
                metric: DistanceMetric, skip: int, take: int,
                request: Callable[[dict[str, Any]], Any]) -> Flow:
    """The flow of an exact native search (``Operations.vector_hits``): yields ``request``
    of each search's keyword arguments and is sent the response; its value is the hits, or
    None when the reference path must answer (module doc)."""
    prepared = _search(index, dsl, vq, metric, skip + take, request)
    if prepared is None:
        return None
    search = prepared[1]
    steps = window_steps(query, vq, metric, skip, take, first_window(skip + take))
    answer: Any = None
    while True:
        try:
            ask = steps.send(answer)
        except StopIteration as stop:
            return stop.value
        if ask[0] == "fetch":
            answer = {key: search.records[key] for key in ask[1] if key in search.records}
        else:
            answer = yield from search.window(ask[1], ask[2])
            if answer is None:
                return None


def knn_flow(index: str, dsl: Mapping[str, Any], spec: VectorPath, vq: VectorQuery,
             skip: int, take: int, request: Callable[[dict[str, Any]], Any]) -> Flow:
    """The flow of an approximate search (``spec.answers`` the query's metric): one
    ``KnnSearch`` window of ``first_window`` placed rows and every always-candidate match,
    ranked exactly from the records (``QueryError`` for a vector of another dimension, the
    first in id order, as the reference); None when the reference path must answer."""
    prepared = _search(index, dsl, vq, spec.metric, skip + take, request, spec)
    if prepared is None:
        return None
    top, search = prepared
    rows = yield from search.window(first_window(skip + take), None)
    if rows is None:
        return None
    found = sorted(search.records[key] for key, _, _ in rows)
    ids, matrix, kept = vectors_of([record for _, record in found], vq)
    if ids:
        np = numpy()
        top.add(ids, np.asarray(matrix, dtype=np.float64), kept)
    return top.hits(skip)


__all__ = ["MAX_DIMS", "SIMILARITY", "KnnSearch", "VectorPath", "VectorSearch", "check_vectors",
           "knn_flow", "mapping", "search_flow", "sidecar", "sidecar_name"]
