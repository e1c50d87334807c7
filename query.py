"""``dataknobs_data.query``: the query names under dataknobs-data 0.11's module path.

They are :mod:`dataknobs_data.domain.query`'s own classes (see docs/compatibility.md)."""

from .domain.query import Filter, Operator, Query, SortOrder, SortSpec

__all__ = ["Filter", "Operator", "Query", "SortOrder", "SortSpec"]
