"""The memory adapter: the reference semantics of the repository port.

Records live in a dict guarded by a lock, so one instance is safe to share between threads.
Queries run through the reference matcher (``domain.matcher``), compiled once per query.
Optional hash indexes (``indexes=["team", "address.city"]``) answer EQ and IN filters that
appear at the top level of a query without scanning every record. A search copies only the
records it returns, after sort and paging.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..domain.errors import RecordExistsError
from ..domain.matcher import compile_query, page, sort_pairs
from ..domain.query import Filter, Operator, Query
from ..domain.records import Record, lookup
from ..domain.schema import Schema
from ..domain.values import MISSING, clone, hash_key
from ..ports.capabilities import Capabilities
from ..ports.database import SyncDatabase, check_version
from ..ports.streaming import StreamConfig
from .async_bridge import SyncBackedAsyncDatabase

_versions = itertools.count(1)


def _copy_out(record: Record, fields: Sequence[str] | None = None) -> Record:
    if fields:
        return record.project(fields)
    out = Record.__new__(Record)
    out._data = clone(record._data)
    out._field_meta = {}
    out.metadata = clone(record.metadata)
    out._id = record._id
    return out


class HashIndex:
    """Ids by value for one field path, with ``values_equal`` semantics (1 == 1.0 != True)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.buckets: dict[Any, set[str]] = {}

    def _key(self, record: Record) -> Any:
        value = lookup(record.data, self.path)
        if value is MISSING or value is None:
            return None
        return hash_key(value)

    def add(self, record_id: str, record: Record) -> None:
        key = self._key(record)
        if key is not None:
            self.buckets.setdefault(key, set()).add(record_id)

    def remove(self, record_id: str, record: Record) -> None:
        key = self._key(record)
        if key is not None:
            bucket = self.buckets.get(key)
            if bucket is not None:
                bucket.discard(record_id)
                if not bucket:
                    del self.buckets[key]

    def lookup(self, operands: Iterable[Any]) -> set[str] | None:
        """Ids whose value equals one of ``operands``; None if an operand is unindexable."""
        ids: set[str] = set()
        for operand in operands:
            key = hash_key(operand)
            if key is None:
                return None
            ids |= self.buckets.get(key, set())
        return ids


class MemoryDatabase(SyncDatabase):
    """In-process store; ``indexes`` lists field paths to hash-index for EQ/IN filters."""

    backend_name = "memory"
    capabilities = Capabilities(atomic_batches=True, conditional_writes=True)

    def __init__(
        self,
        *,
        indexes: Sequence[str] = (),
        schema: Schema | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(schema=schema)
        self._records: dict[str, Record] = {}
        self._versions: dict[str, str] = {}
        self._lock = threading.RLock()
        if isinstance(indexes, str):
            indexes = [indexes]
        self._indexes = {path: HashIndex(path) for path in indexes}

    # -- internal bookkeeping ----------------------------------------------------------------
    def _put(self, record_id: str, record: Record) -> None:
        old = self._records.get(record_id)
        if old is not None:
            for index in self._indexes.values():
                index.remove(record_id, old)
        stored = Record.__new__(Record)
        stored._data, stored._field_meta = record._data, {}
        stored.metadata, stored._id = record.metadata, record_id
        self._records[record_id] = stored
        self._versions[record_id] = str(next(_versions))
        for index in self._indexes.values():
            index.add(record_id, stored)

    def _drop(self, record_id: str) -> bool:
        old = self._records.pop(record_id, None)
        if old is None:
            return False
        del self._versions[record_id]
        for index in self._indexes.values():
            index.remove(record_id, old)
        return True

    def _candidates(self, query: Query) -> Iterable[tuple[str, Record]]:
        best: set[str] | None = None
        for cond in query.filters:
            if not isinstance(cond, Filter) or cond.field not in self._indexes:
                continue
            if cond.operator is Operator.EQ:
                ids = self._indexes[cond.field].lookup([cond.value])
            elif cond.operator is Operator.IN:
                ids = self._indexes[cond.field].lookup(cond.value)
            else:
                continue
            if ids is not None and (best is None or len(ids) < len(best)):
                best = ids
        if best is None:
            return self._records.items()
        records = self._records
        return ((rid, records[rid]) for rid in best)

    # -- hooks -------------------------------------------------------------------------------
    def _create(self, record_id: str, record: Record) -> None:
        with self._lock:
            if record_id in self._records:
                raise RecordExistsError(record_id)
            self._put(record_id, record)

    def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        with self._lock:
            taken = {i: RecordExistsError(r.id or "") for i, r in enumerate(records)
                     if r.id in self._records}
            if taken:  # atomic: a batch with a taken id writes nothing
                return dict(taken)
            for rec in records:
                assert rec.id is not None
                self._put(rec.id, rec)
        return {}

    def _read(self, record_id: str) -> Record | None:
        with self._lock:
            rec = self._records.get(record_id)
            return _copy_out(rec) if rec is not None else None

    def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        with self._lock:
            return [
                _copy_out(rec) if (rec := self._records.get(rid)) is not None else None
                for rid in record_ids
            ]

    def _update(self, record_id: str, record: Record, expected_version: str | None) -> bool:
        with self._lock:
            current = self._versions.get(record_id)
            if expected_version is not None:
                check_version(record_id, expected_version, current)
            if current is None:
                return False
            self._put(record_id, record)
            return True

    def _delete(self, record_id: str, expected_version: str | None) -> bool:
        with self._lock:
            if expected_version is not None:
                check_version(record_id, expected_version, self._versions.get(record_id))
            return self._drop(record_id)

    def _upsert(self, record_id: str, record: Record, expected_version: str | None) -> None:
        with self._lock:
            if expected_version is not None:
                check_version(record_id, expected_version, self._versions.get(record_id))
            self._put(record_id, record)

    def _exists(self, record_id: str) -> bool:
        return record_id in self._records

    def _get_version(self, record_id: str) -> str | None:
        return self._versions.get(record_id)

    def _matching_pairs(self, query: Query) -> list[tuple[str, dict[str, Any]]]:
        pred = compile_query(query)
        return [(rid, rec._data) for rid, rec in self._candidates(query) if pred(rec._data)]

    def _search(self, query: Query) -> list[Record]:
        with self._lock:
            pairs = self._matching_pairs(query)
            sort_pairs(pairs, query)
            chosen = page(pairs, query)
            records = self._records
            return [_copy_out(records[rid], query.fields) for rid, _ in chosen]

    def _count(self, query: Query) -> int:
        with self._lock:
            if not query.filters:
                return len(self._records)
            pred = compile_query(query)
            return sum(1 for _, rec in self._candidates(query) if pred(rec._data))

    def _clear(self) -> int:
        with self._lock:
            n = len(self._records)
            self._records.clear()
            self._versions.clear()
            for path in self._indexes:
                self._indexes[path] = HashIndex(path)
            return n

    def _stream_read(self, query: Query, config: StreamConfig) -> Iterator[Record]:
        # Snapshot the ordered ids once, then copy records out a batch at a time.
        with self._lock:
            pairs = self._matching_pairs(query)
            sort_pairs(pairs, query)
            ids = [rid for rid, _ in page(pairs, query)]
        for start in range(0, len(ids), config.batch_size):
            with self._lock:
                chunk = [self._records.get(rid) for rid in ids[start : start + config.batch_size]]
            for rec in chunk:
                if rec is not None:
                    yield _copy_out(rec, query.fields)

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"MemoryDatabase(records={len(self._records)}, indexes={list(self._indexes)})"


class AsyncMemoryDatabase(SyncBackedAsyncDatabase):
    """The memory adapter behind the async port (runs inline: it never blocks)."""

    sync_class = MemoryDatabase
    run_inline = True


__all__ = ["AsyncMemoryDatabase", "HashIndex", "MemoryDatabase"]
