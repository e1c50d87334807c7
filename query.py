"""``dataknobs_data.query``: the query names under dataknobs-data 0.11's module path.

They are :mod:`dataknobs_data.domain.query`'s own classes and functions (see
docs/compatibility.md)."""

from .domain import query as _query
from .domain.operators import coerce_operator

RESERVED_KEY_FIELD = _query.RESERVED_KEY_FIELD
ComplexQuery = _query.ComplexQuery
Filter = _query.Filter
LogicCondition = _query.LogicCondition
LogicOperator = _query.LogicOperator
Operator = _query.Operator
Query = _query.Query
SortOrder = _query.SortOrder
SortSpec = _query.SortSpec
coerce_sort_order = _query.coerce_sort_order
is_storage_key_field = _query.is_storage_key_field

__all__ = ["RESERVED_KEY_FIELD", "ComplexQuery", "Filter", "LogicCondition", "LogicOperator",
           "Operator", "Query", "SortOrder", "SortSpec", "coerce_operator", "coerce_sort_order",
           "is_storage_key_field"]
