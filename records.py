"""``dataknobs_data.records`` as dataknobs-data 0.11 names it: ``Record`` and its fields.

A re-export of :mod:`dataknobs_data.domain.records` (see docs/compatibility.md)."""

from .domain.records import Field, FieldType, Record

__all__ = ["Field", "FieldType", "Record"]
