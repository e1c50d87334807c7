"""Capability flags: the declared, tested differences between backends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..domain.errors import UnsupportedQueryError
from ..domain.query import Filter, Operator

if TYPE_CHECKING:
    from ..domain.query import Condition, Query


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
    approximate_vectors: nearest-neighbour queries run on an approximate index, so their
        hits are held to recall@10 >= 0.95 against the exact reference, not to its ids.
    metadata_value_chars: the longest a metadata value may be once encoded for the backend
        (S3 object tags: 256), longer is refused with ``ValidationError``; None: no limit
        beyond the common ones.
    """

    persistent: bool = False
    atomic_batches: bool = False
    transactions: bool = False
    conditional_writes: bool = True
    native_async: bool = False
    query_pushdown: bool = False
    unsupported_operators: frozenset[Operator] = field(default_factory=frozenset)
    mixed_type_fields: bool = True
    metadata_value_chars: int | None = None
    approximate_vectors: bool = False


def check_supported(query: Query, capabilities: Capabilities, backend: str) -> Query:
    """``query`` itself, or ``UnsupportedQueryError`` naming the first condition whose
    operator ``capabilities.unsupported_operators`` declares (checked once in the port, so
    no adapter can forget a path: search, count and stream_read alike)."""
    unsupported = capabilities.unsupported_operators
    if unsupported:
        stack: list[Condition] = list(query.filters)
        while stack:
            cond = stack.pop()
            if isinstance(cond, Filter):
                if cond.operator in unsupported:
                    raise UnsupportedQueryError(
                        f"{backend} does not support {cond.operator.name} "
                        f"(condition on {cond.field!r})")
            else:
                stack.extend(cond.conditions)
    return query
