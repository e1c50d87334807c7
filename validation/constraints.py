"""The constraints of ``dataknobs_data.validation`` (defined in ``domain.schema``)."""

from ..domain.schema import (
    All,
    AnyOf,
    Constraint,
    Custom,
    Enum,
    Length,
    Not,
    Pattern,
    Range,
    Required,
    Unique,
)

__all__ = ["All", "AnyOf", "Constraint", "Custom", "Enum", "Length", "Not", "Pattern",
           "Range", "Required", "Unique"]
