"""The domain error hierarchy.

Every adapter translates its driver's errors into these (``raise RecordExistsError(rid) from
err``), so applications catch one set of exceptions whatever the backend. The shape follows
PEP 249: ``DatabaseError`` at the root, then operational, integrity, data, programming and
not-supported branches.

The names of dataknobs-data 0.11 (``dataknobs_data.exceptions``) are these classes: its
categories (``NotFoundError``, ``OperationError``, ``ResourceError``) are bases of ours, its
constructors are accepted beside ours (``ConfigurationError(parameter, message)``,
``SerializationError(format, message)``, ``ConcurrencyError(message)``), and the few names
this project lacked are thin subclasses here. So an error our adapters raise is caught by its
0.11 name, and every error is a ``DataknobsError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class DataknobsError(Exception):
    """Root of every error this library raises on purpose.

    ``context`` (also readable as ``details``, dataknobs-data 0.11's two names) is a dict of
    what the error is about, such as ``{"id": "r1"}``; it is empty unless a class fills it."""

    def __init__(self, *args: object, context: Mapping[str, Any] | None = None,
                 details: Mapping[str, Any] | None = None) -> None:
        super().__init__(*args)
        self.context = dict(details or context or {})

    @property
    def context(self) -> dict[str, Any]:
        """What the error is about (empty when nothing was recorded)."""
        found: dict[str, Any] = self.__dict__.setdefault("_context", {})
        return found

    @context.setter
    def context(self, value: Mapping[str, Any]) -> None:
        self.__dict__["_context"] = dict(value)

    @property
    def details(self) -> dict[str, Any]:
        """``context`` under dataknobs-data 0.11's other name."""
        return self.context

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt without calling __init__, whose parameters differ from class to class
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(cls: type[DataknobsError], args: tuple[Any, ...],
             state: dict[str, Any]) -> DataknobsError:
    """The inverse of ``DataknobsError.__reduce__`` (errors cross process boundaries)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


# -- dataknobs-data 0.11's categories: bases of the classes below -------------------------------
class NotFoundError(DataknobsError):
    """Something named (a record, a backend) does not exist."""


class OperationError(DataknobsError):
    """An operation could not be carried out (a query, a batch, a transaction, a migration)."""


class ResourceError(DataknobsError):
    """A resource (a store, its connection) failed."""


class _MessageOrPair(DataknobsError):
    """An error built from this project's ``(message)`` or dataknobs-data 0.11's ``(name,
    message)``, whose name is kept in the attribute (and ``context`` key) ``name_key`` and
    is put into the message by ``sentence``."""

    name_key: ClassVar[str]
    sentence: ClassVar[str]

    def __init__(self, *args: str, context: Mapping[str, Any] | None = None) -> None:
        name: str | None = None
        if len(args) == 2 and all(isinstance(arg, str) for arg in args):
            name = args[0]
            message = self.sentence.format(name=name, message=args[1])
        elif len(args) == 1:
            message = str(args[0])
        else:
            raise TypeError(f"{type(self).__name__} takes (message) or ({self.name_key}, "
                            f"message), got {len(args)} arguments {args!r}")
        super().__init__(message, context=context or (
            {self.name_key: name} if name is not None else None))
        setattr(self, self.name_key, name)


class ConfigurationError(_MessageOrPair, ValueError):
    """A configuration value is missing, unknown or invalid (raised before any I/O).

    ``ConfigurationError(message)``, or 0.11's ``ConfigurationError(parameter, message)``,
    which names the parameter in ``parameter`` and in the message."""

    name_key = "parameter"
    sentence = "Configuration error for '{name}': {message}"
    parameter: str | None = None


class BackendNotAvailableError(ConfigurationError, ImportError):
    """A backend's optional driver is not installed; the message carries the install hint."""


class BackendNotFoundError(ConfigurationError, NotFoundError):
    """No backend is registered under ``backend`` (``available`` lists those that are)."""

    def __init__(self, backend: str, available: Sequence[str] | None = None) -> None:
        self.backend = backend
        self.available = list(available or [])
        listed = f". Available backends: {', '.join(self.available)}" if self.available else ""
        super().__init__(f"Backend {backend!r} not found{listed}",
                         context={"backend": backend, "available": self.available})


class DatabaseError(ResourceError):
    """An operation on a store failed."""


class OperationalError(DatabaseError):
    """The store could not be reached or failed outside the caller's control (connection lost,
    server down, file unreadable, permission denied)."""


class DatabaseConnectionError(OperationalError):
    """Connecting to a backend failed: ``DatabaseConnectionError(backend, message)``."""

    def __init__(self, backend: str, message: str) -> None:
        self.backend = backend
        super().__init__(f"Failed to connect to {backend} backend: {message}",
                         context={"backend": backend})


class StorageError(OperationalError):
    """Stored data could not be read or written (corrupt file, wrong format, full disk)."""


class DatabaseOperationError(DatabaseError, OperationError):
    """A named operation failed: ``DatabaseOperationError(operation, message)``."""

    def __init__(self, operation: str, message: str) -> None:
        self.operation = operation
        super().__init__(f"Database operation {operation!r} failed: {message}",
                         context={"operation": operation})


class TransactionError(DatabaseError, OperationError):
    """A transaction could not begin, commit or roll back."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Transaction error: {message}")


class IntegrityError(DatabaseError):
    """A write would break an invariant of the store."""


class _AboutRecord(DataknobsError, KeyError):
    """An error about one record, by id (a ``KeyError`` too): ``Record with ID 'x' <what>``.

    The id is ``record_id`` (and ``id``, 0.11's name), and ``context`` is ``{"id": ...}``."""

    what = ""

    def __init__(self, record_id: str) -> None:
        # DataknobsError's own __init__, whatever the subclass puts between the two in its MRO
        DataknobsError.__init__(self, record_id, context={"id": record_id})
        self.record_id = record_id

    @property
    def id(self) -> str:
        """The record id (dataknobs-data 0.11's name for ``record_id``)."""
        return self.record_id

    def __str__(self) -> str:
        return f"Record with ID {self.record_id!r} {self.what}"


_NOT_GIVEN: Any = object()


class ConcurrencyError(IntegrityError):
    """A write lost to another writer: a conditional write's ``expected_version`` did not
    match the stored version (``ConcurrencyError(record_id, expected, actual)``), or a create
    found its id taken (the subclass ``RecordExistsError``).

    dataknobs-data 0.11's form ``ConcurrencyError(message)`` is accepted too; its
    ``record_id``, ``expected`` and ``actual`` are None."""

    record_id: str | None = None
    expected: str | None = None
    actual: str | None = None
    _text: str | None = None

    def __init__(self, record_id: str, expected: str | None = _NOT_GIVEN,
                 actual: str | None = _NOT_GIVEN, *,
                 context: Mapping[str, Any] | None = None) -> None:
        if expected is _NOT_GIVEN and actual is _NOT_GIVEN:  # 0.11: (message)
            super().__init__(record_id, context=context)
            self._text = f"Concurrency error: {record_id}"
            return
        expected = None if expected is _NOT_GIVEN else expected
        actual = None if actual is _NOT_GIVEN else actual
        super().__init__(record_id, expected, actual, context=context or {
            "id": record_id, "expected_version": expected, "actual_version": actual})
        self.record_id = record_id
        self.expected = expected
        self.actual = actual

    def __str__(self) -> str:
        if self._text is not None:
            return self._text
        return (
            f"record {self.record_id!r} changed: expected version {self.expected!r}, "
            f"stored version {self.actual!r}"
        )


# record_id is always a str here, where ConcurrencyError allows None (its 0.11 message form)
class RecordExistsError(_AboutRecord, ConcurrencyError, ValueError):  # type: ignore[misc]
    """``create`` was given an id that is already stored (dataknobs-data 0.11's
    ``DuplicateRecordError``: a ``ConcurrencyError``, a ``ValueError`` and a ``KeyError``)."""

    what = "already exists"


class RecordNotFoundError(DatabaseError, NotFoundError, _AboutRecord):
    """An operation that requires an existing record did not find it."""

    what = "not found"


#: dataknobs-data 0.11's names for two of the classes above
DuplicateRecordError = RecordExistsError
DataknobsDataError = DataknobsError


class DataError(DatabaseError, ValueError):
    """A value cannot be stored as given."""


class SerializationError(_MessageOrPair, DataError):
    """A value is not one of the storable types (see docs/query-semantics.md, "Values").

    ``SerializationError(message)``, or 0.11's ``SerializationError(format, message)``, which
    keeps the format in ``format``."""

    name_key = "format"
    sentence = "Serialization error ({name}): {message}"
    format: str | None = None


class ValidationError(DataError):
    """A record breaks its database's schema; ``errors`` lists every violation (one message
    may be given as a string)."""

    def __init__(self, errors: Sequence[str] | str, record_id: str | None = None, *,
                 context: Mapping[str, Any] | None = None) -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        self.record_id = record_id
        where = f"record {record_id!r}: " if record_id is not None else ""
        super().__init__(where + "; ".join(self.errors), context=context)


class RecordValidationError(ValidationError):
    """A record is invalid, optionally in one field: ``RecordValidationError(message,
    field_name=None)`` (dataknobs-data 0.11's name)."""

    def __init__(self, message: str, field_name: str | None = None) -> None:
        self.field_name = field_name
        text = f"Field {field_name!r}: {message}" if field_name is not None else message
        super().__init__(text, context={"field_name": field_name} if field_name else None)


class FieldTypeError(ValidationError):
    """A field's value is not of the type an operation needs: ``FieldTypeError(field_name,
    expected_type, actual_type)``."""

    def __init__(self, field_name: str, expected_type: str, actual_type: str) -> None:
        self.field_name = field_name
        self.expected_type = expected_type
        self.actual_type = actual_type
        super().__init__(
            f"Field {field_name!r} type mismatch: expected {expected_type}, got {actual_type}",
            context={"field_name": field_name, "expected_type": expected_type,
                     "actual_type": actual_type})


class DataFormatError(ValidationError):
    """Data in an outside format cannot be read: ``DataFormatError(format, message)``."""

    def __init__(self, format: str, message: str) -> None:
        self.format = format
        super().__init__(f"Data format error ({format}): {message}", context={"format": format})


class QueryError(DatabaseError, OperationError, ValueError):
    """A query is malformed (wrong operand shape, invalid pattern, unknown operator).

    ``query`` is the query concerned when the raiser gave it (0.11's ``QueryError(message,
    query=None)``)."""

    def __init__(self, message: str, query: object = None, *,
                 context: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, context=context or (
            {"query": str(query)} if query is not None else None))
        self.query = query


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters for an error message, with its length."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return text[:limit] + "..." + size


class InvalidRecordIdError(ValidationError, QueryError):
    """A record id that cannot name a record: not a string, empty, or beyond what the
    backend can hold (docs/limits.md). Raised before anything is written or read; it is a
    ``ValidationError`` for writes and a ``QueryError`` for lookups."""

    def __init__(self, record_id: object, reason: str) -> None:
        self.bad_id = record_id
        self.query = None
        super().__init__([f"record id {shown(record_id)}: {reason}"])


class UnsupportedQueryError(QueryError, NotImplementedError):
    """A backend cannot honour part of a query; it is never silently ignored."""


class BatchOperationError(DatabaseError, OperationError):
    """A batch operation failed for some records.

    ``succeeded`` maps the index of each record that was written to its id; ``failed`` maps the
    index of each record that was not written to its exception. Nothing is dropped silently:
    every input index appears in exactly one of the two.
    """

    def __init__(
        self,
        operation: str,
        succeeded: dict[int, Any],
        failed: dict[int, BaseException],
    ) -> None:
        self.operation = operation
        self.succeeded = dict(succeeded)
        self.failed = dict(failed)
        first = next(iter(sorted(self.failed.items())), None)
        detail = f"; first failure at index {first[0]}: {first[1]}" if first else ""
        super().__init__(
            f"{operation}: {len(self.failed)} of {len(self.failed) + len(self.succeeded)} "
            f"records failed{detail}"
        )


class MigrationError(OperationError):
    """A migration cannot start or continue: ``MigrationError(message)``, or 0.11's
    ``MigrationError(source, target, message)`` naming the two stores."""

    source: str | None = None
    target: str | None = None

    def __init__(self, *args: str, context: Mapping[str, Any] | None = None) -> None:
        if len(args) == 3:
            self.source, self.target = args[0], args[1]
            message = f"Migration from {args[0]} to {args[1]} failed: {args[2]}"
            context = context or {"source": args[0], "target": args[1]}
        elif len(args) == 1:
            message = str(args[0])
        else:
            raise TypeError(f"expected (message) or (source, target, message), got "
                            f"{len(args)} arguments {args!r}")
        super().__init__(message, context=context)
