"""``dataknobs_data.vector`` (dataknobs-data 0.11's module for vector search types).

Re-exported from the domain (``dataknobs_data.domain.vectors``); see docs/vectors.md."""

from .domain.vectors import DistanceMetric as DistanceMetric
from .domain.vectors import VectorField as VectorField
from .domain.vectors import VectorQuery as VectorQuery
from .domain.vectors import VectorSearchResult as VectorSearchResult
