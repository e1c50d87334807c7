"""The domain error hierarchy.

Every adapter translates its driver's errors into these (``raise RecordExistsError(rid) from
err``), so applications catch one set of exceptions whatever the backend. The shape follows
PEP 249: ``DatabaseError`` at the root, then operational, integrity, data, programming and
not-supported branches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DataknobsError(Exception):
    """Root of every error this library raises on purpose."""


class ConfigurationError(DataknobsError, ValueError):
    """A configuration value is missing, unknown or invalid (raised before any I/O)."""


class BackendNotAvailableError(ConfigurationError, ImportError):
    """A backend's optional driver is not installed; the message carries the install hint."""


class DatabaseError(DataknobsError):
    """An operation on a store failed."""


class OperationalError(DatabaseError):
    """The store could not be reached or failed outside the caller's control (connection lost,
    server down, file unreadable, permission denied)."""


class StorageError(OperationalError):
    """Stored data could not be read or written (corrupt file, wrong format, full disk)."""


class IntegrityError(DatabaseError):
    """A write would break an invariant of the store."""


class _AboutRecord(KeyError):
    """An error about one record, by id (a ``KeyError`` too): ``record 'x' <what>``."""

    what = ""

    def __init__(self, record_id: str) -> None:
        super().__init__(record_id)
        self.record_id = record_id

    def __str__(self) -> str:
        return f"record {self.record_id!r} {self.what}"


class RecordExistsError(IntegrityError, _AboutRecord):
    """``create`` was given an id that is already stored."""

    what = "already exists"


class RecordNotFoundError(DatabaseError, _AboutRecord):
    """An operation that requires an existing record did not find it."""

    what = "not found"


class ConcurrencyError(IntegrityError):
    """A conditional write's ``expected_version`` did not match the stored version."""

    def __init__(self, record_id: str, expected: str | None, actual: str | None) -> None:
        super().__init__(record_id, expected, actual)
        self.record_id = record_id
        self.expected = expected
        self.actual = actual

    def __str__(self) -> str:
        return (
            f"record {self.record_id!r} changed: expected version {self.expected!r}, "
            f"stored version {self.actual!r}"
        )


class DataError(DatabaseError, ValueError):
    """A value cannot be stored as given."""


class SerializationError(DataError):
    """A value is not one of the storable types (see docs/query-semantics.md, "Values")."""


class ValidationError(DataError):
    """A record breaks its database's schema; ``errors`` lists every violation."""

    def __init__(self, errors: Sequence[str], record_id: str | None = None) -> None:
        self.errors = list(errors)
        self.record_id = record_id
        where = f"record {record_id!r}: " if record_id is not None else ""
        super().__init__(where + "; ".join(self.errors))


class QueryError(DatabaseError, ValueError):
    """A query is malformed (wrong operand shape, invalid pattern, unknown operator)."""


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
        super().__init__([f"record id {shown(record_id)}: {reason}"])


class UnsupportedQueryError(QueryError, NotImplementedError):
    """A backend cannot honour part of a query; it is never silently ignored."""


class BatchOperationError(DatabaseError):
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
