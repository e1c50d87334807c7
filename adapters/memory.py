"""The memory adapter: the reference semantics of the repository port.

Records live in a dict guarded by a lock, so one instance is safe to share between threads;
their data dicts are also kept in one list (``RowTable``) so a scan touches nothing else.
Queries run through the reference matcher (``domain.matcher``), compiled to Python code once
per distinct condition. Optional hash indexes (``indexes=["team", "address.city"]``) answer
EQ and IN filters that appear at the top level of a query without scanning every record. A
search copies only the records it returns, after sort and paging. docs/backends/memory.md
explains the design and its measured speed.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, cast

from ..domain import columnar
from ..domain.errors import QueryError, RecordExistsError
from ..domain.matcher import compiled, order_matches, page
from ..domain.query import STORAGE_KEY, Filter, Operator, Query
from ..domain.records import Record, _Filling, lookup
from ..domain.schema import Schema
from ..domain.values import MISSING, clone, hash_key
from ..domain.vectors import DistanceMetric, TopK, VectorQuery, numpy, row_norms, stored_vector
from ..ports.capabilities import Capabilities
from ..ports.database import SyncDatabase, check_version
from ..ports.streaming import StreamConfig
from .async_bridge import SyncBackedAsyncDatabase

_versions = itertools.count(1)


_trusted = Record.trusted
_filling = _Filling.__new__


def _copy_out(record: Record, fields: Sequence[str] | None = None) -> Record:
    if fields:
        return record.project(fields)
    meta = record.metadata
    return _trusted(clone(record._data), clone(meta) if meta else {}, record.id)


_CONTAINERS = frozenset({dict, list})


def _copy_plan(data: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keys of ``data`` whose values are containers holding scalars only (a vector, tags,
    a flat object: a C-level ``.copy()`` is a copy of their own) and those of the others
    (``clone``)."""
    shallow: list[str] = []
    deep: list[str] = []
    for key, value in data.items():
        t = type(value)
        if t is list:
            (shallow if _CONTAINERS.isdisjoint(map(type, value)) else deep).append(key)
        elif t is dict:
            (shallow if _CONTAINERS.isdisjoint(map(type, value.values())) else deep).append(key)
    return tuple(shallow), tuple(deep)


def _copy_known(plans: dict[str, Any], record_id: str, rec: Record, version: str | None,
                stored: int) -> Record:
    """A copy of the stored record ``rec`` for the caller to own, ``version`` its version
    token read with it under the lock, ``stored`` how many records the store holds.

    Only the containers (dicts, lists) in a record's data need a copy of their own, and a
    record's values never change while its version stays: ``plans`` remembers, per record
    id, what ``_copy_plan`` found, as the version string itself when the record holds no
    containers and no metadata (its copy is then one ``dict.copy()``, and the metadata dict
    is never touched) or as ``(version, shallow, deep)``. Every write gives the record a
    new version object, so a plan counts only while it names the version read now; plans of
    replaced and deleted records are dropped with all others once they outnumber the
    records (twice over), and relearnt on later reads."""
    data = rec._data.copy()
    plan = plans.get(record_id)
    if plan is not version or version is None:
        if version is not None and type(plan) is tuple and plan[0] is version:
            shallow, deep = plan[1], plan[2]
        else:
            shallow, deep = _copy_plan(data)
            if version is not None:
                if len(plans) > 2 * stored + 1024:
                    plans.clear()
                plans[record_id] = ((version, shallow, deep) if shallow or deep or rec.metadata
                                    else version)
        for key in shallow:
            data[key] = data[key].copy()
        for key in deep:
            data[key] = clone(data[key])
    meta = rec.metadata
    return _trusted(data, clone(meta) if meta else {}, record_id)


_TOMBSTONE: dict[str, Any] = {}  # the row of a deleted record until compaction


class _Picked(Sequence[str]):
    """The ids of some rows of a matrix (``ids[rows[i]]``), without building the list: a
    ranking reads only the ids of the rows it keeps."""

    def __init__(self, ids: list[str], rows: Any) -> None:
        self.ids, self.rows = ids, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: Any) -> Any:
        return self.ids[self.rows[i]]


class VectorMatrix:
    """The vectors of one field path, as float64 matrices by dimension, with their ids
    and row norms: built on the first vector query after a write, reused until the next."""

    def __init__(self, path: str, records: dict[str, Record]) -> None:
        np = numpy()
        groups: dict[int, tuple[list[str], list[list[Any]]]] = {}
        for rid, rec in records.items():
            value = lookup(rec.data, path)
            vec = None if value is MISSING else stored_vector(value)
            if vec is not None:
                ids, rows = groups.setdefault(len(vec), ([], []))
                ids.append(rid)
                rows.append(vec)
        #: the sorted row positions of an index bucket's ids, by (dim, bucket key): an
        #: indexed filter asked again before the next write reuses them
        self.picked_rows: dict[tuple[int, Any], Any] = {}
        self.by_dim: dict[int, tuple[list[str], Any, Any, dict[str, int]]] = {}
        for dim, (ids, rows) in groups.items():
            matrix = np.asarray(rows, dtype=np.float64)
            self.by_dim[dim] = (ids, matrix, row_norms(matrix),
                                {rid: i for i, rid in enumerate(ids)})

    def rank(self, vq: VectorQuery, metric: DistanceMetric, want: int,
             candidates: Collection[str] | None, bucket_key: Any = None) -> TopK:
        """The ranking of the rows of ``candidates`` (None: every row); ``QueryError``,
        as the reference raises it, when one of them holds a vector of another dimension.
        ``bucket_key`` (hashable) names a candidate set that is the same until the next
        write: its row positions are computed once."""
        np = numpy()
        dim = len(vq.vector)
        top = TopK(vq, metric, want)
        others = [(rid, d) for d, (_, _, _, slots) in self.by_dim.items() if d != dim
                  for rid in (slots if candidates is None else
                              [c for c in candidates if c in slots])]
        if others:
            rid, d = min(others)
            raise QueryError(f"record {rid!r}: field {vq.field!r} holds a vector of {d} "
                             f"dimensions, the query vector has {dim}")
        group = self.by_dim.get(dim)
        if group is None:
            return top
        ids, matrix, norms, slots = group
        if candidates is None:
            top.add(ids, matrix, ids, norms)
        else:
            rows = None if bucket_key is None else self.picked_rows.get((dim, bucket_key))
            if rows is None:
                rows = np.array(list(map(slots.get, candidates, itertools.repeat(-1))),
                                dtype=np.intp)
                # in matrix order: the gather reads memory forward (ids break ties)
                rows = np.sort(rows[rows >= 0])
                if bucket_key is not None:
                    if len(self.picked_rows) >= 64:
                        self.picked_rows.clear()
                    self.picked_rows[(dim, bucket_key)] = rows
            for lo in range(0, len(rows), 2048):  # gathered in blocks that stay in cache
                block = rows[lo:lo + 2048]
                picked = _Picked(ids, block)
                top.add(picked, matrix[block], picked, norms[block])
        return top


def _bucket_key(only: Filter) -> Any:
    """A hashable name of an indexed EQ/IN filter's candidate set (types kept apart, so
    ``1`` and ``True`` never share one), or None when a value is not hashable."""
    values = [only.value] if only.operator is Operator.EQ else list(only.value)
    key = (only.field, only.operator.name, tuple((type(v), v) for v in values))
    try:
        hash(key)
    except TypeError:
        return None
    return key


class RowTable:
    """The data dicts of the stored records, in one list, for scans that touch nothing else.

    A scan over a list of dicts runs as fast as a hand-written comprehension; going through
    each ``Record`` object first costs a pointer chase per record. ``owner`` maps a stored
    data dict (by identity) back to its record id, for the sorted scans that find data
    first and ids after (``identify``). It is built on first need (``build_owner``) and kept
    up to date from then on, so writes before the first sorted search skip it (a load is
    one dict insert cheaper per record). A deletion leaves a tombstone row that compaction
    removes once they make up half the list."""

    __slots__ = ("dead", "ids", "owner", "rows", "slots")

    def __init__(self, records: dict[str, Record] | None = None) -> None:
        self.rows: list[dict[str, Any]] = []
        self.ids: list[str | None] = []  # beside ``rows``; None for a tombstone
        self.slots: dict[str, int] = {}
        self.owner: dict[int, str] | None = None
        self.dead = 0
        for rid, rec in (records or {}).items():
            self.put(rid, rec.data)

    def put(self, record_id: str, data: dict[str, Any]) -> None:
        slot = self.slots.get(record_id)
        owner = self.owner
        if slot is None:
            self.slots[record_id] = len(self.rows)
            self.rows.append(data)
            self.ids.append(record_id)
        else:
            if owner is not None:
                owner.pop(id(self.rows[slot]), None)
            self.rows[slot] = data
        if owner is not None:
            owner[id(data)] = record_id

    def put_new(self, record_ids: list[str], datas: list[dict[str, Any]]) -> bool:
        """``put`` of each (id, data) pair at once, when the ids are distinct and none is
        stored, and (once ``owner`` is built) no two rows, stored or new, would share a
        dict: C-level list and dict updates. False, with nothing changed, otherwise."""
        n = len(record_ids)
        if not self.rows:  # an empty table (a load): the new map tells the duplicates
            slots = dict(zip(record_ids, range(n), strict=True))
            if len(slots) != n:
                return False
            self.slots, self.owner = slots, None
            self.rows.extend(datas)
            self.ids.extend(record_ids)
            return True
        owner = self.owner
        keys = [id(data) for data in datas] if owner is not None else []
        if len(set(record_ids)) != n or not self.slots.keys().isdisjoint(record_ids) or (
                owner is not None and (len(set(keys)) != n or
                                       not owner.keys().isdisjoint(keys))):
            return False
        start = len(self.rows)
        self.slots.update(zip(record_ids, range(start, start + n), strict=True))
        self.rows.extend(datas)
        self.ids.extend(record_ids)
        if owner is not None:
            owner.update(zip(keys, record_ids, strict=True))
        return True

    def drop(self, record_id: str) -> None:
        slot = self.slots.pop(record_id, None)
        if slot is None:
            return
        if self.owner is not None:
            self.owner.pop(id(self.rows[slot]), None)
        self.rows[slot] = _TOMBSTONE
        self.ids[slot] = None
        self.dead += 1
        if self.dead > 64 and self.dead * 2 > len(self.rows):
            live = [(rid, self.rows[slot]) for rid, slot in self.slots.items()]
            self.rows = [data for _, data in live]
            self.ids = [rid for rid, _ in live]
            self.slots = {rid: i for i, (rid, _) in enumerate(live)}
            self.dead = 0

    def build_owner(self) -> list[int]:
        """Build ``owner`` (when it is not built yet) and return the slots whose dict an
        earlier live row holds too: until ``owner`` exists nothing stops two records
        sharing one dict, and each of those needs a copy of its own (the caller's job:
        ``MemoryDatabase._identified_rows``) before ``identify`` can tell them apart."""
        if self.owner is not None:
            return []
        owner = dict(zip(map(id, self.rows), self.ids, strict=True))
        owner.pop(id(_TOMBSTONE), None)
        if len(owner) == len(self.slots):  # one dict per live row: the common case
            self.owner = cast("dict[int, str]", owner)
            return []
        seen: dict[int, str] = {}
        shared = []
        for slot, (rid, data) in enumerate(zip(self.ids, self.rows, strict=True)):
            if rid is None:
                continue
            if id(data) in seen:
                shared.append(slot)
            else:
                seen[id(data)] = rid
        self.owner = seen
        return shared

    def identify(self, matched: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        """(id, data) for matched rows, tombstones left out (``owner`` is built)."""
        owner = self.owner
        assert owner is not None, "build_owner() first"
        return [(rid, data) for data in matched if (rid := owner.get(id(data))) is not None]


class HashIndex:
    """Stored data by value for one field path, with ``values_equal`` semantics
    (1 == 1.0 != True): ``buckets`` maps a ``hash_key`` to {record id: data dict}."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.buckets: dict[Any, dict[str, dict[str, Any]]] = {}

    def _key(self, record: Record) -> Any:
        value = lookup(record.data, self.path)
        if value is MISSING or value is None:
            return None
        return hash_key(value)

    def add(self, record_id: str, record: Record) -> None:
        key = self._key(record)
        if key is not None:
            self.buckets.setdefault(key, {})[record_id] = record.data

    def remove(self, record_id: str, record: Record) -> None:
        key = self._key(record)
        if key is not None:
            bucket = self.buckets.get(key)
            if bucket is not None:
                bucket.pop(record_id, None)
                if not bucket:
                    del self.buckets[key]

    def lookup(self, operands: Iterable[Any]) -> dict[str, dict[str, Any]] | None:
        """{id: data} of records whose value equals one of ``operands``; None if an operand
        is unindexable. With one operand this is the bucket itself: read it, never change
        it."""
        keys = []
        for operand in operands:
            key = hash_key(operand)
            if key is None:
                return None
            keys.append(key)
        if len(keys) == 1:
            return self.buckets.get(keys[0], {})
        found: dict[str, dict[str, Any]] = {}
        for key in keys:
            found.update(self.buckets.get(key, {}))
        return found


class MemoryDatabase(SyncDatabase):
    """In-process store; ``indexes`` lists field paths to hash-index for EQ/IN filters."""

    backend_name = "memory"
    capabilities = Capabilities(atomic_batches=True, conditional_writes=True,
                                transactions=True)

    @property
    def checked_stream(self) -> bool:
        """Always: ``stream_read(copy=False)`` yields the stored, checked records."""
        return True

    def __init__(
        self,
        *,
        indexes: Sequence[str] = (),
        schema: Schema | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(schema=schema)
        self._records: dict[str, Record] = {}
        self._versions: dict[str, str] = {}
        self._table = RowTable()
        self._lock = threading.RLock()
        if isinstance(indexes, str):
            indexes = [indexes]
        self._indexes = {path: HashIndex(path) for path in indexes}
        self._generation = 0  # bumped by every write: the vector matrices' freshness
        self._matrices: dict[str, tuple[tuple[int, int], VectorMatrix]] = {}
        self._copy_plans: dict[str, Any] = {}  # what a read copies, per record (_copy_known)

    # -- internal bookkeeping ----------------------------------------------------------------
    def _put(self, record_id: str, record: Record) -> None:
        self._generation += 1
        old = self._records.get(record_id)
        if old is not None:
            for index in self._indexes.values():
                index.remove(record_id, old)
        data = record.data
        owner = self._table.owner
        if owner is not None and owner.get(id(data), record_id) != record_id:
            data = clone(data)  # one dict object never serves two records
        # the port hands over a record it has just prepared (and owns): keep it as it is
        stored = (record if data is record.data and record._id == record_id
                  else Record.trusted(data, record.metadata, record_id))
        self._records[record_id] = stored
        self._versions[record_id] = str(next(_versions))
        self._table.put(record_id, data)
        for index in self._indexes.values():
            index.add(record_id, stored)

    def _drop(self, record_id: str) -> bool:
        old = self._records.pop(record_id, None)
        if old is None:
            return False
        self._generation += 1
        del self._versions[record_id]
        self._table.drop(record_id)
        for index in self._indexes.values():
            index.remove(record_id, old)
        return True

    @contextlib.contextmanager
    def transaction(self) -> Iterator[MemoryDatabase]:
        """Operations in the block form one transaction: all take effect, or none if the
        block raises. Other threads wait until the block ends (it holds the store's lock);
        a nested block is a savepoint (its failure undoes only its own operations)."""
        with self._lock:
            records, versions = dict(self._records), dict(self._versions)
            try:
                yield self
            except BaseException:
                self._restore(records, versions)
                raise

    def _restore(self, records: dict[str, Record], versions: dict[str, str]) -> None:
        """Put back the state saved when a transaction began (stored records are never
        changed in place, so the saved mappings hold them as they were)."""
        self._records, self._versions = records, versions
        self._generation += 1
        self._table = RowTable(records)
        for path in self._indexes:
            index = self._indexes[path] = HashIndex(path)
            for rid, rec in records.items():
                index.add(rid, rec)

    def _rows(self) -> RowTable:
        # Records placed straight into ``_records`` (a bulk load) are picked up here.
        if len(self._table.slots) != len(self._records):
            self._table = RowTable(self._records)
        return self._table

    def _identified_rows(self) -> RowTable:
        """The row table with its ``owner`` map built (``identify`` works): a record that
        shares its data dict with an earlier row gets a copy of its own, in the table, the
        stored record and the indexes alike (same content, same version)."""
        table = self._rows()
        for slot in table.build_owner():
            rid = table.ids[slot]
            assert rid is not None and table.owner is not None
            old = self._records[rid]
            data = clone(old.data)
            stored = Record.trusted(data, old.metadata, rid)
            for index in self._indexes.values():
                index.remove(rid, old)
                index.add(rid, stored)
            self._records[rid] = stored
            table.rows[slot] = data
            table.owner[id(data)] = rid
        return table

    def _candidates(self, query: Query
                    ) -> tuple[Iterable[str | None], Iterable[dict[str, Any]], bool]:
        """The ids and data dicts (parallel) a query can match, and whether they may hold
        tombstones (id None): the records named by a top-level EQ/IN filter on ``id`` (the
        storage key: a data index on a field named ``id`` never answers it), or an index
        bucket when a top-level EQ/IN filter on an indexed path allows it (the smallest
        one), else every row."""
        best: dict[str, dict[str, Any]] | None = None
        found: dict[str, dict[str, Any]] | None
        for cond in query.filters:
            if not isinstance(cond, Filter):
                continue
            if cond.field == STORAGE_KEY:
                if cond.operator not in (Operator.EQ, Operator.IN):
                    continue
                wanted = [cond.value] if cond.operator is Operator.EQ else cond.value
                records = self._records
                found = {rid: records[rid].data for rid in wanted
                         if type(rid) is str and rid in records}
            elif cond.field not in self._indexes:
                continue
            elif cond.operator is Operator.EQ:
                found = self._indexes[cond.field].lookup([cond.value])
            elif cond.operator is Operator.IN:
                found = self._indexes[cond.field].lookup(cond.value)
            else:
                continue
            if found is not None and (best is None or len(found) < len(best)):
                best = found
        if best is None:
            table = self._rows()
            return table.ids, table.rows, True
        return best.keys(), best.values(), False

    def _ordered_ids(self, query: Query) -> list[str]:
        """The ids of the stored records matching ``query``, sorted and paged."""
        program = compiled(query.condition)
        # a sorted scan finds data dicts first and their ids after (``identify``)
        table = self._identified_rows() if query.sort_specs else self._rows()
        ids, rows, may_hold_tombstones = self._candidates(query)
        window = None
        if query.limit_value is not None:
            window = (query.offset_value or 0) + query.limit_value
        if not query.sort_specs:
            # id order only: no data needed past the scan
            found = program.scan_ids(ids, rows)
            if may_hold_tombstones and table.dead:
                found = [rid for rid in found if rid is not None]
            if window is None or window >= len(found):
                found.sort()
            else:
                found = heapq.nsmallest(window, found)
            return page(found, query)
        # tombstone rows drop out in ``identify``
        matched = program.scan_with_ids(ids, rows) if program.reads_id else program.scan(rows)
        ordered = order_matches(matched, table.identify, query.sort_specs, window)
        return page([rid for rid, _ in ordered], query)

    # -- hooks -------------------------------------------------------------------------------
    def _create(self, record_id: str, record: Record) -> None:
        with self._lock:
            if record_id in self._records:
                raise RecordExistsError(record_id)
            self._put(record_id, record)

    def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        with self._lock:
            stored = self._records
            taken = {i: RecordExistsError(r.id or "") for i, r in enumerate(records)
                     if r.id in stored} if stored else {}
            if taken:  # atomic: a batch with a taken id writes nothing
                return dict(taken)
            if not self._put_new(records):
                for rec in records:
                    assert rec.id is not None
                    self._put(rec.id, rec)
        return {}

    def _put_new(self, records: list[Record]) -> bool:
        """``_put`` of every record at once, when that is what ``_put`` one by one would do
        and none needs its special cases: distinct ids none of which is stored, each record's
        own id set, and data dicts no other record (stored or in the batch) holds. The
        bookkeeping is then C-level list and dict updates (a snapshot load writes a whole
        file through here). False, with nothing written, otherwise. The caller holds the
        lock."""
        n = len(records)
        ids = cast("list[str]", [rec._id for rec in records])  # None checked first
        if None in ids or not self._table.put_new(ids, [rec._data for rec in records]):
            return False
        self._generation += n
        self._records.update(zip(ids, records, strict=True))
        self._versions.update(zip(ids, map(str, itertools.islice(_versions, n)), strict=True))
        for index in self._indexes.values():
            for rid, rec in zip(ids, records, strict=True):
                index.add(rid, rec)
        return True

    def _read(self, record_id: str) -> Record | None:
        lock = self._lock
        lock.acquire()  # not a with block: that costs more than the two lookups it guards
        try:
            rec = self._records.get(record_id)
            version = self._versions.get(record_id)
        finally:
            lock.release()
        if rec is None:
            return None
        plans = self._copy_plans
        # stored records are replaced, never changed in place: copy outside the lock
        if plans.get(record_id) is not version or version is None:
            return _copy_known(plans, record_id, rec, version, len(self._records))
        # a record known to hold no containers and no metadata (the common case, inline):
        # Record.trusted without its call
        out: Record = _filling(_Filling)
        out._data = rec._data.copy()
        out._field_meta = {}
        out.metadata = {}
        out._id = record_id
        out.__class__ = Record
        return out

    def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        with self._lock:
            records, versions = self._records, self._versions
            found = [(rec, versions.get(rid)) if (rec := records.get(rid)) is not None
                     else None for rid in record_ids]
            stored = len(records)
        plans = self._copy_plans
        # copied outside the lock, as in _read
        return [None if hit is None else _copy_known(plans, rid, hit[0], hit[1], stored)
                for rid, hit in zip(record_ids, found, strict=True)]

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

    def _search(self, query: Query) -> list[Record]:
        with self._lock:
            records, fields = self._records, query.fields
            return [_copy_out(records[rid], fields) for rid in self._ordered_ids(query)]

    def _count(self, query: Query) -> int:
        with self._lock:
            if not query.filters:
                return len(self._records)
            program = compiled(query.condition)
            table = self._rows()
            ids, rows, may_hold_tombstones = self._candidates(query)
            n = program.count_with_ids(ids, rows) if program.reads_id else program.count(rows)
            if may_hold_tombstones and table.dead and program.predicate(_TOMBSTONE):
                n -= table.dead
            return n

    def _vector_hits(self, query: Query, vq: VectorQuery, metric: DistanceMetric, skip: int,
                     take: int) -> list[tuple[Record, float]] | None:
        with self._lock:
            stamp = (self._generation, len(self._records))
            cached = self._matrices.get(vq.field)
            if cached is None or cached[0] != stamp:
                cached = self._matrices[vq.field] = (stamp, VectorMatrix(vq.field,
                                                                         self._records))
            candidates: Collection[str] | None = None
            bucket_key: Any = None
            if query.filters:  # the matches in any order: the ranking orders them
                program = compiled(query.condition)
                only = query.filters[0] if len(query.filters) == 1 else None
                if isinstance(only, Filter) and only.field in self._indexes \
                        and only.operator in (Operator.EQ, Operator.IN) and (
                            bucket := self._indexes[only.field].lookup(
                                [only.value] if only.operator is Operator.EQ else only.value)
                        ) is not None:
                    candidates = bucket  # the index answers the whole filter (no copy)
                    bucket_key = _bucket_key(only)
                elif program.reads_id:
                    candidates = self._ordered_ids(query)
                else:
                    ids, rows, _ = self._candidates(query)
                    candidates = program.scan_ids(ids, rows)
            top = cached[1].rank(vq, metric, skip + take, candidates, bucket_key)
            records = self._records
            return [(_copy_out(records[rid]), score) for rid, score in top.hits(skip)[:take]]

    def _clear(self) -> int:
        with self._lock:
            n = len(self._records)
            self._generation += 1
            self._records.clear()
            self._versions.clear()
            self._table = RowTable()
            for path in self._indexes:
                self._indexes[path] = HashIndex(path)
            return n

    def _stream_read(self, query: Query, config: StreamConfig) -> Iterator[Record]:
        # Snapshot the ordered ids once, then copy records out a batch at a time.
        with self._lock:
            ids = self._ordered_ids(query)
        for start in range(0, len(ids), config.batch_size):
            with self._lock:
                chunk = [self._records.get(rid) for rid in ids[start : start + config.batch_size]]
            if not config.copy and not query.fields:  # the caller promised not to change them
                yield from (rec for rec in chunk if rec is not None)
                continue
            for rec in chunk:
                if rec is not None:
                    yield _copy_out(rec, query.fields)

    def _arrow_batches(self, query: Query, batch_size: int) -> Iterator[Any]:
        # as _stream_read, without the copy-out: stored records are replaced, never changed
        # in place, and the layout encoder copies every value it reads into Arrow
        with self._lock:
            ids = self._ordered_ids(query)

        def batches() -> Iterator[Any]:
            for start in range(0, len(ids), batch_size):
                with self._lock:
                    got = [self._records.get(rid) for rid in ids[start : start + batch_size]]
                chunk = [rec if not query.fields else rec.project(query.fields)
                         for rec in got if rec is not None]
                if chunk:
                    yield from columnar.records_table(chunk).to_batches()

        return batches()

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"MemoryDatabase(records={len(self._records)}, indexes={list(self._indexes)})"


class AsyncMemoryDatabase(SyncBackedAsyncDatabase):
    """The memory adapter behind the async port (runs inline: it never blocks)."""

    sync_class = MemoryDatabase
    run_inline = True  # transactions: other tasks wait on the bridge's lock


__all__ = ["AsyncMemoryDatabase", "HashIndex", "MemoryDatabase"]
