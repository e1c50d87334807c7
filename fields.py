"""``dataknobs_data.fields`` (dataknobs-data 0.11's module for ``Field`` and ``FieldType``).

Re-exported from the domain; see docs/compatibility.md."""

from .domain.records import Field as Field
from .domain.records import FieldType as FieldType
from .domain.vectors import VectorField as VectorField
