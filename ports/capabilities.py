"""Capability flags: the declared, tested differences between backends."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.query import Operator


@dataclass(frozen=True)
class Capabilities:
    """What a backend does beyond the common contract (the conformance suite reads these).

    persistent: data survives ``close()`` and a new instance over the same location sees it.
    atomic_batches: a failed batch write stores none of its records.
    transactions: ``with db.transaction():`` spans several operations and rolls back on error.
    conditional_writes: ``expected_version`` is honoured (``ConcurrencyError`` on mismatch).
    native_async: the async adapter does I/O without threads.
    query_pushdown: filters, sort and paging run in the backend, not in Python.
    unsupported_operators: operators that raise ``UnsupportedQueryError`` on this backend.
    mixed_type_fields: one field may hold values of different types in different records.
    """

    persistent: bool = False
    atomic_batches: bool = False
    transactions: bool = False
    conditional_writes: bool = True
    native_async: bool = False
    query_pushdown: bool = False
    unsupported_operators: frozenset[Operator] = field(default_factory=frozenset)
    mixed_type_fields: bool = True
