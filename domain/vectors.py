"""Vectors: the value type, the metrics, the nearest-neighbour query and its reference ranking.

A vector is a fixed-dimension sequence of finite floats. Records hold it as a plain ``list``
of ``float`` (numpy arrays are accepted on write and become such lists), so every backend
stores it exactly as it stores any list of numbers, and it reads back as written. A schema
declares a vector field with its dimension and metric (``type: vector, dimensions: 384,
metric: cosine``), which refuses records with a vector of another length.

``Query.similar_to(vector, field, k)`` asks for the k records whose vector in ``field`` is
nearest to ``vector``, among the records the query's filters match (the filter is exact: it
is applied first, never approximated). The result is ranked by similarity, ties broken by
record id; each hit has a ``score`` where higher is nearer:

- ``cosine``: the cosine similarity, in [-1, 1]; zero vectors have no direction and are
  never ranked (a zero query vector is a ``QueryError``);
- ``dot_product``: the dot product;
- ``euclidean``: ``1 / (1 + distance)`` (ranked by the distance itself).

Records whose field is missing, null or not a list of numbers have no vector and are not
ranked; a list of numbers of another length than the query vector is a ``QueryError`` naming
the record (a schema that declares ``dimensions`` keeps such records out of the store).

``rank`` is the reference: exact, in numpy (float64), used by the memory adapter and by the
port's generic path for every backend without a native index. docs/vectors.md has the rest.
"""

from __future__ import annotations

import copy
import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError, QueryError, SerializationError
from .records import Field, Record, check_path, lookup
from .values import MISSING, FieldType

if TYPE_CHECKING:
    import numpy as np


def numpy() -> Any:
    """The numpy module, or an ``ImportError`` with the install hint."""
    try:
        import numpy as np
    except ImportError as err:  # pragma: no cover - numpy is installed with the extras
        raise ImportError("vector search needs numpy: pip install 'dataknobs-data[vectors]'"
                          ) from err
    return np


class DistanceMetric(Enum):
    """How nearness is measured (dataknobs-data 0.11's names; aliases accepted)."""

    COSINE = "cosine"
    DOT_PRODUCT = "dot_product"
    EUCLIDEAN = "euclidean"
    INNER_PRODUCT = "dot_product"  # 0.11's names for the same two metrics: aliases
    L2 = "euclidean"

    @classmethod
    def _missing_(cls, value: object) -> DistanceMetric | None:
        if isinstance(value, str):
            return _METRIC_ALIASES.get(value.strip().lower())
        return None


_METRIC_ALIASES: dict[str, DistanceMetric] = {
    "cosine": DistanceMetric.COSINE, "cos": DistanceMetric.COSINE,
    "cosine_similarity": DistanceMetric.COSINE,
    "dot_product": DistanceMetric.DOT_PRODUCT, "dot": DistanceMetric.DOT_PRODUCT,
    "inner_product": DistanceMetric.DOT_PRODUCT, "ip": DistanceMetric.DOT_PRODUCT,
    "euclidean": DistanceMetric.EUCLIDEAN, "l2": DistanceMetric.EUCLIDEAN,
    "euclidean_distance": DistanceMetric.EUCLIDEAN,
}


def coerce_metric(metric: DistanceMetric | str) -> DistanceMetric:
    """The metric a spelling names; ``QueryError`` naming the valid ones otherwise."""
    if isinstance(metric, DistanceMetric):
        return metric
    try:
        return DistanceMetric(metric)
    except ValueError:
        raise QueryError(f"unknown vector metric {metric!r}; valid: cosine, dot_product, "
                         "euclidean (aliases: cos, dot, inner_product, ip, l2)") from None


#: the most dimensions a vector field may declare (what pgvector and OpenSearch index)
MAX_DIMENSIONS = 16_000


@dataclass(frozen=True)
class IndexEntry:
    """One approximate-index option of an adapter, read by ``read_index_entry``."""

    method: str
    metric: DistanceMetric
    numbers: dict[str, int]
    words: dict[str, str] = field(default_factory=dict)


def read_index_entry(where: str, entry: object, methods: Mapping[str, str],
                     numbers: Sequence[tuple[str, int, int, int | None]],
                     settings: Mapping[str, Sequence[str]] | None = None,
                     words: Sequence[tuple[str, Sequence[str]]] = ()) -> IndexEntry:
    """An adapter's vector index option (PostgreSQL's ``vector_indexes`` entries,
    Elasticsearch's ``vectors`` mappings) read and checked: ``method`` (one of ``methods``,
    each with what it means; the first by default), ``metric`` (cosine by default), the
    integer settings ``numbers`` (key, lowest, highest, default; None: required) and the
    settings ``words`` (key, its allowed strings; the first by default). ``settings`` names,
    per method, the keys that belong to it (a key may belong to several): such a key given
    with a method it does not belong to (one that builds no index included) is refused,
    never ignored. A ``ConfigurationError`` names ``where`` and the bad key or value."""
    keys = ("metric", "method", *(key for key, *_ in numbers), *(key for key, _ in words))
    if not isinstance(entry, Mapping):
        required = [key for key, _, _, default in numbers if default is None]
        raise ConfigurationError(
            f"{where} must be a mapping with {', '.join(map(repr, required))} (and "
            f"{', '.join(key for key in keys if key not in required)})")
    unknown = set(entry) - set(keys)
    if unknown:
        raise ConfigurationError(f"{where}: unknown keys {sorted(map(str, unknown))} "
                                 f"(valid: {', '.join(keys)})")
    method = entry.get("method", next(iter(methods)))
    if not isinstance(method, str) or method not in methods:
        raise ConfigurationError(f"{where}: method {method!r} is not supported ("
                                 + "; ".join(f"{m}: {what}" for m, what in methods.items())
                                 + ")")
    owners: dict[str, list[str]] = {}
    for owner, owned in (settings or {}).items():
        for key in owned:
            owners.setdefault(key, []).append(owner)
    for key in entry:
        if key in owners and method not in owners[key]:
            raise ConfigurationError(f"{where}: {key!r} is a setting of method "
                                     f"{' or '.join(map(repr, owners[key]))}, not of "
                                     f"{method!r}")
    values: dict[str, int] = {}
    for key, low, high, default in numbers:
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigurationError(f"{where}: {key!r} must be an integer from {low} to "
                                     f"{high}, got {value!r}")
        values[key] = value
    chosen: dict[str, str] = {}
    for key, allowed in words:
        word = entry.get(key, allowed[0])
        if not isinstance(word, str) or word not in allowed:
            raise ConfigurationError(f"{where}: {key!r} must be one of "
                                     f"{', '.join(map(repr, allowed))}, got {word!r}")
        chosen[key] = word
    try:
        metric = coerce_metric(entry.get("metric", "cosine"))
    except QueryError as err:
        raise ConfigurationError(f"{where}: {err}") from None
    return IndexEntry(method, metric, values, chosen)


def as_vector(value: Any, what: str = "vector") -> list[float]:
    """``value`` (a sequence of numbers or a 1-D numpy array) as a list of finite floats;
    ``SerializationError`` naming ``what`` when it is not one."""
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and type(value).__module__.startswith("numpy"):
        shape = getattr(value, "shape", ())
        if len(shape) != 1:
            raise SerializationError(f"{what}: a vector is one-dimensional, got an array of "
                                     f"shape {tuple(shape)}")
        if value.dtype.kind in "iu" and value.size and int(abs(value).max()) > 2 ** 53:
            raise SerializationError(f"{what}: an integer of magnitude above 2**53 has no "
                                     "exact float value")
        if value.dtype.kind in "fiu" and value.size and bool((value - value == 0).all()):
            return [float(x) for x in tolist()]  # finite numbers: checked whole
        value = tolist()
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise SerializationError(f"{what}: a vector is a sequence of numbers, got "
                                 f"{type(value).__name__}")
    out: list[float] = []
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int | float):
            item_of = getattr(item, "item", None)
            if callable(item_of) and type(item).__module__.startswith("numpy"):
                item = item_of()
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise SerializationError(f"{what}[{i}]: {item!r} is not a number")
        number = float(item)
        if not math.isfinite(number):
            raise SerializationError(f"{what}[{i}]: {item!r} is not a finite number")
        out.append(number)
    if not out:
        raise SerializationError(f"{what}: a vector needs at least one dimension")
    return out


def stored_vector(value: Any) -> list[Any] | None:
    """A stored value read as a vector: the list itself when it holds only numbers (not
    booleans), else None (the record has no vector in that field)."""
    if type(value) is not list or not value:
        return None
    for item in value:
        t = type(item)
        if t is not float and t is not int:
            return None
    return value


@dataclass
class VectorQuery:
    """The nearest-neighbour part of a query: ``k`` records nearest to ``vector`` on
    ``field`` by ``metric`` (None: the schema's declared metric, else cosine), optionally
    only those scoring at least ``score_threshold``."""

    vector: list[float]
    field: str = "embedding"
    k: int = 10
    metric: DistanceMetric | None = None
    score_threshold: float | None = None

    def __post_init__(self) -> None:
        check_path(self.field)
        try:
            self.vector = as_vector(self.vector, "query vector")
        except SerializationError as err:
            raise QueryError(str(err)) from None
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise QueryError(f"k must be a positive integer, got {self.k!r}")
        if self.metric is not None:
            self.metric = coerce_metric(self.metric)
        if self.score_threshold is not None:
            t = self.score_threshold
            if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
                raise QueryError(f"score_threshold must be a finite number, got {t!r}")
            self.score_threshold = float(t)

    @property
    def field_name(self) -> str:
        """``field`` (dataknobs-data 0.11's name)."""
        return self.field

    @property
    def dimensions(self) -> int:
        """The query vector's dimension."""
        return len(self.vector)

    def resolved(self, metric: DistanceMetric) -> VectorQuery:
        """This query with ``metric`` filled in where it names none."""
        if self.metric is not None:
            return self
        out = copy.copy(self)  # already checked: no second validation
        out.metric = metric
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (``Query.to_dict``'s ``similar_to`` entry)."""
        out: dict[str, Any] = {"vector": list(self.vector), "field": self.field, "k": self.k}
        if self.metric is not None:
            out["metric"] = self.metric.value
        if self.score_threshold is not None:
            out["score_threshold"] = self.score_threshold
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VectorQuery:
        """Inverse of ``to_dict``; an unknown key is a ``QueryError`` naming it."""
        if not isinstance(data, Mapping) or "vector" not in data:
            raise QueryError(f"similar_to needs a 'vector': {data!r}")
        unknown = set(data) - {"vector", "field", "k", "metric", "score_threshold"}
        if unknown:
            raise QueryError(f"unknown similar_to keys: {sorted(unknown)}")
        return cls(data["vector"], data.get("field", "embedding"), data.get("k", 10),
                   data.get("metric"), data.get("score_threshold"))


@dataclass
class VectorSearchResult:
    """One hit of a vector search: the record, its score (higher is nearer) and the field."""

    record: Record
    score: float
    vector_field: str | None = None
    source_text: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str | None:
        """The record's id."""
        return self.record.id

    def __lt__(self, other: VectorSearchResult) -> bool:
        return self.score < other.score

    def __repr__(self) -> str:
        return (f"VectorSearchResult(score={self.score:.6f}, record_id={self.record.id!r}, "
                f"vector_field={self.vector_field!r})")


# -- the reference ranking --------------------------------------------------------------------
def _keys(matrix: np.ndarray, norms: np.ndarray | None, q: np.ndarray, q_norm: float,
          metric: DistanceMetric) -> np.ndarray:
    """The ranking key of each row: smaller is nearer (negated similarity, or distance)."""
    np = numpy()
    if metric is DistanceMetric.EUCLIDEAN:
        diff = matrix - q
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))
    dots = matrix @ q
    if metric is DistanceMetric.DOT_PRODUCT:
        return -dots
    assert norms is not None
    with np.errstate(divide="ignore", invalid="ignore"):
        sims = dots / (norms * q_norm)
    # zero vectors have no direction: never ranked
    return np.where(norms > 0, -sims, np.inf)


def score_of(key: float, metric: DistanceMetric) -> float:
    """The reported score of a ranking key (higher is nearer)."""
    if metric is DistanceMetric.EUCLIDEAN:
        return 1.0 / (1.0 + key)
    return -key


def key_of_score(score: float, metric: DistanceMetric) -> float:
    """The ranking key a score threshold stands for."""
    if metric is DistanceMetric.EUCLIDEAN:
        return math.inf if score <= 0 else 1.0 / score - 1.0
    return -score


def row_norms(matrix: np.ndarray) -> np.ndarray:
    """The Euclidean norm of each row."""
    np = numpy()
    return np.sqrt(np.einsum("ij,ij->i", matrix, matrix))


class TopK:
    """The running ``want`` best (key, id) pairs over batches of candidate rows: what a
    ranking keeps while records stream past (memory bounded by ``want`` plus a batch)."""

    def __init__(self, vq: VectorQuery, metric: DistanceMetric, want: int) -> None:
        np = numpy()
        self.metric = metric
        self.want = want
        self.q = np.asarray(vq.vector, dtype=np.float64)
        self.q_norm = float(np.sqrt(self.q @ self.q))
        if metric is DistanceMetric.COSINE and self.q_norm == 0.0:
            raise QueryError("cosine similarity is undefined for a zero query vector")
        self.limit = (math.inf if vq.score_threshold is None
                      else key_of_score(vq.score_threshold, metric))
        self.best: list[tuple[float, str, Any]] = []  # sorted (key, id, payload)

    def add(self, ids: Sequence[str], matrix: np.ndarray, payloads: Sequence[Any],
            norms: np.ndarray | None = None) -> None:
        """Rank a batch: ``matrix`` rows are the vectors of ``ids`` (``payloads`` beside)."""
        if not len(ids):
            return
        np = numpy()
        if norms is None and self.metric is DistanceMetric.COSINE:
            norms = row_norms(matrix)
        keys = _keys(matrix, norms, self.q, self.q_norm, self.metric)
        ok = keys <= self.limit
        if self.best and len(self.best) >= self.want:
            ok &= keys <= self.best[-1][0]
        chosen = np.flatnonzero(ok & np.isfinite(keys))
        if len(chosen) > self.want:
            # every row tied with the want-th best key stays: ids break those ties
            cut = np.partition(keys[chosen], self.want - 1)[self.want - 1]
            chosen = chosen[keys[chosen] <= cut]
        merged = self.best + [(float(keys[i]), ids[i], payloads[i]) for i in chosen]
        self.best = heapq.nsmallest(self.want, merged, key=lambda t: (t[0], t[1]))

    def cut(self) -> float:
        """The largest key a row not yet seen could rank with (a tie included): the
        ``want``-th best key once there are that many, else the threshold's. A window of
        candidates ordered by a lower bound of the key is complete once its last bound is
        above this."""
        if len(self.best) < self.want:
            return self.limit
        return min(self.limit, self.best[-1][0])

    def hits(self, skip: int = 0) -> list[tuple[Any, float]]:
        """(payload, score) of the ranked rows after the first ``skip``."""
        return [(payload, score_of(key, self.metric)) for key, _, payload in self.best[skip:]]


def vectors_of(records: Iterable[Record], vq: VectorQuery
               ) -> tuple[list[str], list[list[Any]], list[Record]]:
    """The ids, vectors and records of the records holding a vector in ``vq.field``;
    ``QueryError`` for a vector of another dimension than the query's."""
    ids: list[str] = []
    rows: list[list[Any]] = []
    kept: list[Record] = []
    dim = len(vq.vector)
    for rec in records:
        value = lookup(rec.data, vq.field)
        vec = None if value is MISSING else stored_vector(value)
        if vec is None:
            continue
        if len(vec) != dim:
            raise QueryError(f"record {rec.id!r}: field {vq.field!r} holds a vector of "
                             f"{len(vec)} dimensions, the query vector has {dim}")
        ids.append(rec.id or "")
        rows.append(vec)
        kept.append(rec)
    return ids, rows, kept


def rank(records: Iterable[Record], vq: VectorQuery, metric: DistanceMetric, *,
         offset: int = 0, batch: int = 4096) -> list[tuple[Record, float]]:
    """The reference: the ``vq.k`` records nearest to the query vector after the first
    ``offset``, with their scores, ties broken by id (records are read ``batch`` at a
    time)."""
    np = numpy()
    top = TopK(vq, metric, offset + vq.k)
    chunk: list[Record] = []
    for rec in records:
        chunk.append(rec)
        if len(chunk) >= batch:
            _rank_chunk(top, chunk, vq, np)
            chunk = []
    _rank_chunk(top, chunk, vq, np)
    return top.hits(offset)


def _rank_chunk(top: TopK, chunk: list[Record], vq: VectorQuery, np: Any) -> None:
    ids, rows, kept = vectors_of(chunk, vq)
    if ids:
        top.add(ids, np.asarray(rows, dtype=np.float64), kept)



class VectorField(Field):
    """A vector value for a record, with its model metadata (dataknobs-data 0.11's class)::

        Record({"embedding": VectorField([0.1, 0.2, 0.3], model_name="minilm")})

    The record stores the value as a list of floats (a numpy array is converted); the
    field-level metadata (``dimensions``, ``source_field``, ``model``) stays with the record
    object, as any ``Field``'s does. ``dimensions``, when given, must match the value."""

    def __init__(self, value: Any, name: str | None = None, dimensions: int | None = None,
                 source_field: str | None = None, model_name: str | None = None,
                 model_version: str | None = None, metadata: Mapping[str, Any] | None = None
                 ) -> None:
        name = name or "embedding"
        vector = as_vector(value, f"vector field {name!r}")
        if dimensions is not None and dimensions != len(vector):
            raise SerializationError(f"vector field {name!r}: expected {dimensions} "
                                     f"dimensions, got {len(vector)}")
        meta = dict(metadata or {})
        meta.update({"dimensions": len(vector), "source_field": source_field,
                     "model": ({"name": model_name, "version": model_version}
                               if model_name else None)})
        super().__init__(name, vector, FieldType.VECTOR, meta)
        self.dimensions = len(vector)
        self.source_field = source_field
        self.model_name = model_name
        self.model_version = model_version


__all__ = ["MAX_DIMENSIONS", "DistanceMetric", "IndexEntry", "TopK", "VectorField",
           "VectorQuery", "VectorSearchResult", "as_vector", "coerce_metric", "rank",
           "read_index_entry", "row_norms", "score_of", "stored_vector", "vectors_of"]
