"""Work the sync and async ports share: id assignment, validation, normalisation.

Both ports call these before handing a record to an adapter hook, so every backend receives
records that hold only storable values (docs/query-semantics.md, "Values"), have a string id
and satisfy the database's schema.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from ..domain.errors import DataknobsError, InvalidRecordIdError, QueryError, SerializationError
from ..domain.query import Query
from ..domain.records import Record, new_id
from ..domain.schema import Schema
from ..domain.values import is_plain, normalize_value

#: True while records are handed over that a store of this library has already checked: the
#: stored records a ``checked_stream`` store yields from ``stream_read(copy=False)``, which the
#: ``Migrator`` passes on untransformed. ``prepare_record(copy=False)`` then skips the
#: ``is_plain`` walk of their values (ids and the schema are still checked). Set only around
#: such a hand-over (a context variable: other threads and tasks never see it).
VOUCHED: ContextVar[bool] = ContextVar("dataknobs_data_vouched", default=False)


@contextlib.contextmanager
def vouching() -> Iterator[None]:
    """``VOUCHED`` set for the block, reset when it ends however it ends. Wrap the one call
    that hands the vouched-for records over, never a step of a flow or a generator, which
    may be left suspended."""
    token = VOUCHED.set(True)
    try:
        yield
    finally:
        VOUCHED.reset(token)


def check_id(record_id: object) -> str:
    """A record id as a non-empty string; raise ``InvalidRecordIdError`` naming a bad one.

    The same rule holds for every operation, so an id that cannot be read is never written:
    an empty id is refused, never replaced by a fresh one."""
    if type(record_id) is str and record_id:  # the common case, checked first: a hot path
        return record_id
    if isinstance(record_id, bool) or not isinstance(record_id, str | int):
        raise InvalidRecordIdError(
            record_id, f"must be a string, got {type(record_id).__name__}")
    rid = str(record_id)
    if not rid:
        raise InvalidRecordIdError(rid, "must not be empty")
    return rid


def as_record(value: Record | Mapping[str, Any]) -> Record:
    """Accept a Record or a plain mapping of field values."""
    if isinstance(value, Record):
        return value
    if isinstance(value, Mapping):
        return Record(value)
    raise TypeError(f"expected a Record or a mapping, got {type(value).__name__}")


def prepare_record(
    record: Record | Mapping[str, Any], record_id: str | None, schema: Schema | None,
    *, copy: bool = True,
) -> Record:
    """A normalised, validated copy of ``record`` carrying ``record_id`` (or its own id, or a
    new one). The caller's object is never modified or shared with the store.

    ``copy=False`` is for adapters that serialise the record before the write returns and
    keep no reference to it (``PortBase.serializes_writes``): values that are already plain
    (``is_plain``) are then checked and passed on as they are, not copied."""
    # each property read once: this runs for every record of every batch
    rec = record if type(record) is Record else as_record(record)
    own_id = rec.id
    if record_id is None:
        record_id = own_id
    rid = new_id() if record_id is None else check_id(record_id)
    data = given = rec.data
    metadata = rec.metadata
    if copy or not (VOUCHED.get() or (is_plain(data) and (not metadata or is_plain(metadata)))):
        try:
            data = normalize_value(data, "data")
            metadata = normalize_value(metadata, "metadata") if metadata else {}
        except SerializationError as err:
            raise SerializationError(f"record {rid!r}: {err}") from err
    if data is given and type(rec) is Record and own_id == rid:
        prepared = rec  # copy=False, plain values, the id it reports: nothing to build
    else:
        prepared = Record.trusted(data, metadata, rid)  # fresh copies (or checked values)
    if schema is not None:
        schema.validate(prepared)
    return prepared


def prepare_batch(
    records: Iterable[Record | Mapping[str, Any]], schema: Schema | None, *, copy: bool = True
) -> tuple[list[Record], dict[int, BaseException]]:
    """Prepare every record of a create batch: the prepared records, in input order, and
    the errors by input index (``copy`` as in ``prepare_record``). A batch with no error
    holds every record, so index ``i`` of the list is the input's ``i``.

    A second record with an id already used earlier in the same batch is an error at its index."""
    from ..domain.errors import RecordExistsError

    good: list[Record] = []
    bad: dict[int, BaseException] = {}
    seen: set[str] = set()
    for i, record in enumerate(records):
        try:
            rec = prepare_record(record, None, schema, copy=copy)
        except (DataknobsError, TypeError) as err:
            bad[i] = err
            continue
        rid = rec.id
        assert rid is not None
        if rid in seen:
            bad[i] = RecordExistsError(rid)
            continue
        seen.add(rid)
        good.append(rec)
    return good, bad


def split_upsert(
    id_or_record: str | Record | Mapping[str, Any], record: Record | Mapping[str, Any] | None
) -> tuple[str | None, Record | Mapping[str, Any]]:
    """Read ``upsert(id, record)`` and ``upsert(record)`` call forms."""
    if record is None:
        if isinstance(id_or_record, str):
            raise TypeError("upsert(id) needs a record: upsert(id, record) or upsert(record)")
        return None, id_or_record
    return check_id(id_or_record), record


def split_upsert_items(
    items: Sequence[Record | Mapping[str, Any] | tuple[str, Record | Mapping[str, Any]]],
) -> list[tuple[str | None, Record | Mapping[str, Any]]]:
    """Read an ``upsert_batch`` argument: records, or (id, record) pairs."""
    out: list[tuple[str | None, Record | Mapping[str, Any]]] = []
    for item in items:
        if isinstance(item, tuple):
            rid, rec = item
            out.append((check_id(rid), rec))
        else:
            out.append((None, item))
    return out


def normalize_query(query: Query | None) -> Query:
    """The query to run (an empty one for None)."""
    if query is None:
        return Query()
    if not isinstance(query, Query):
        raise QueryError(f"expected a Query, got {type(query).__name__}")
    return query
