"""The result types of ``dataknobs_data.validation`` (defined in ``domain.schema``)."""

from ..domain.schema import ValidationContext, ValidationResult

__all__ = ["ValidationContext", "ValidationResult"]
