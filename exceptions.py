"""``dataknobs_data.exceptions`` as dataknobs-data 0.11 names it.

Every name is a class of :mod:`dataknobs_data.domain.errors` (see docs/compatibility.md), so
an error raised by any adapter is caught by its 0.11 name: ``DuplicateRecordError`` is
``RecordExistsError``, ``DataknobsDataError`` is ``DataknobsError``, and 0.11's categories
(``NotFoundError``, ``OperationError``, ``ResourceError``) are bases of this project's errors.
"""

from .domain import errors as _errors

BackendNotFoundError = _errors.BackendNotFoundError
ConcurrencyError = _errors.ConcurrencyError
ConfigurationError = _errors.ConfigurationError
DataFormatError = _errors.DataFormatError
DatabaseConnectionError = _errors.DatabaseConnectionError
DatabaseError = _errors.DatabaseError
DatabaseOperationError = _errors.DatabaseOperationError
DataknobsDataError = _errors.DataknobsDataError
DataknobsError = _errors.DataknobsError
DuplicateRecordError = _errors.DuplicateRecordError
FieldTypeError = _errors.FieldTypeError
MigrationError = _errors.MigrationError
NotFoundError = _errors.NotFoundError
OperationError = _errors.OperationError
QueryError = _errors.QueryError
RecordNotFoundError = _errors.RecordNotFoundError
RecordValidationError = _errors.RecordValidationError
ResourceError = _errors.ResourceError
SerializationError = _errors.SerializationError
TransactionError = _errors.TransactionError
ValidationError = _errors.ValidationError
