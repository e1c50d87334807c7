"""``dataknobs_data.query``: the query names under dataknobs-data 0.11's module path.

They are :mod:`dataknobs_data.domain.query`'s own classes and functions (see
docs/compatibility.md)."""

from .domain.operators import coerce_operator
from .domain.query import (
           RESERVED_KEY_FIELD,
           ComplexQuery,
           Filter,
           LogicCondition,
           LogicOperator,
           Operator,
           Query,
           is_storage_key_field,
)
from .domain.query import SortOrder as SortOrder
from .domain.query import SortSpec as SortSpec
from .domain.query import coerce_sort_order as coerce_sort_order

__all__ = ["RESERVED_KEY_FIELD", "ComplexQuery", "Filter", "LogicCondition", "LogicOperator",
           "Operator", "Query", "SortOrder", "SortSpec", "coerce_operator", "coerce_sort_order",
           "is_storage_key_field"]
