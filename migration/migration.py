"""``Migration``: dataknobs-data 0.11's versioned list of operations, over ``CompositeOperation``.

A migration takes a record from ``from_version`` to ``to_version`` (free-form strings kept in
the record's metadata under ``version_key``, default ``"version"``) and back. For integer
versions applied to whole stores, resumably, use ``SchemaEvolution``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from ..domain.records import Record, lookup
from ..domain.values import MISSING
from .evolution import CompositeOperation, EvolutionError, Operation


class Migration(CompositeOperation):
    """Operations from ``from_version`` to ``to_version``; ``apply(record, reverse=True)``
    runs them backward. Called as a transform, it applies forward."""

    def __init__(self, from_version: str, to_version: str, description: str | None = None,
                 operations: Iterable[Operation] = (), *, version_key: str = "version"
                 ) -> None:
        if not version_key:
            raise EvolutionError("Migration version_key must be a non-empty string")
        super().__init__(operations)
        self.from_version = from_version
        self.to_version = to_version
        self.description = description
        self.version_key = version_key

    def add_many(self, operations: Iterable[Operation]) -> Self:
        """Append operations; returns self."""
        for op in operations:
            self.add(op)
        return self

    def apply(self, record: Record, reverse: bool = False) -> Record:
        """A migrated copy of ``record``, stamped with the version it is now at."""
        out = record.copy()
        if reverse:
            self.backward(out)
        else:
            self.forward(out)
        out.metadata[self.version_key] = self.from_version if reverse else self.to_version
        return out

    def apply_many(self, records: Iterable[Record], reverse: bool = False) -> list[Record]:
        """``apply`` to each record."""
        return [self.apply(rec, reverse) for rec in records]

    def can_reverse(self) -> bool:
        """Every operation has a backward step (a ``TransformField`` without ``reverse_fn``
        leaves its value going backward)."""
        return True

    def get_affected_fields(self) -> set[str]:
        """The fields the operations may change."""
        return self.affected_fields()

    def validate(self, record: Record) -> tuple[bool, list[str]]:
        """Whether ``record`` can be migrated: its version (when it has one) is
        ``from_version`` and it has the fields the operations need."""
        issues: list[str] = []
        current = record.metadata.get(self.version_key)
        if current is not None and current != self.from_version:
            issues.append(f"Record version mismatch: expected {self.from_version!r}, got "
                          f"{current!r}")
        issues.extend(f"Field {name!r} not found (an operation needs it)"
                      for name in sorted(self.needed_fields())
                      if lookup(record.data, name) is MISSING)
        return not issues, issues

    def __repr__(self) -> str:
        return (f"Migration({self.from_version!r}, {self.to_version!r}, "
                f"operations={self.operations!r})")

    def __str__(self) -> str:
        head = f"Migration from {self.from_version} to {self.to_version}"
        if self.description:
            head += f": {self.description}"
        return "\n".join([head, *(f"  {i}. {op!r}" for i, op in enumerate(self.operations, 1))])


__all__ = ["Migration"]
