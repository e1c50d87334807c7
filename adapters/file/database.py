"""The file adapter: a record store in one JSON, JSON Lines, CSV or Parquet file.

State is a ``MemoryDatabase`` (the reference adapter) loaded from the snapshot file plus its
operation log, so every query has the reference semantics by construction and reads never
touch the file. Writes append one line to the log (``oplog``) under an exclusive file lock
(``locking``) after catching up with other processes' appends; compaction writes a new
snapshot atomically (``durability``) and starts a new log: on ``close()`` and whenever the log
holds more operations than ``max(compaction_threshold, records / 2)``. A batch big enough
to trigger that compaction skips the log: it goes straight into the new snapshot. Each read first
checks whether another process changed the store -- one memory read of the change counter that
writers bump in the memory-mapped lock file (``locking``), plus a ``stat`` of the log at most
once a second -- and then replays only what was appended. Inside
``deferred_compaction()`` (the ``Migrator`` writes a whole migration in one) every batch
still reaches the log before its call returns, but the snapshot is written once, when the
block ends, instead of each time the log outgrows half the records.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from ...domain.errors import (
    ConfigurationError,
    DataknobsError,
    RecordExistsError,
    SerializationError,
    StorageError,
)
from ...domain.query import Query
from ...domain.records import Record
from ...domain.schema import Schema
from ...domain.values import MAX_DEPTH, is_plain
from ...ports.capabilities import Capabilities
from ...ports.database import SyncDatabase, check_version
from ...ports.streaming import StreamConfig
from ..async_bridge import SyncBackedAsyncDatabase
from ..memory import MemoryDatabase
from .durability import atomic_write, describe_os_error, remove_stale_temp_files
from .formats import FileLayout, SnapshotFormat, get_format, resolve_layout
from .locking import StoreLock
from .oplog import Operation, OperationLog, encode_operation, is_put, log_line

Signature = tuple[int, int, int]
T = TypeVar("T")

log = logging.getLogger(__name__)

#: seconds between the ``stat`` checks that catch files changed outside the library
STAT_CHECK_INTERVAL = 1.0


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain_container(value: Any, depth_left: int) -> bool:
    """Whether the log would take ``value`` (a dict or list nested at most ``depth_left``
    more levels, ``value`` included) as it is: string keys, finite floats, datetimes and
    the plain scalars only. A cheap walk that builds nothing; False only means "check it
    through the log's encoder" (``_unstorable``), never that the value is refused."""
    if depth_left <= 0:
        return False
    if type(value) is dict:
        items: Any = value.values()
        for key in value:
            if type(key) is not str:
                return False
    else:
        items = value
    for item in items:
        t = type(item)
        if t in _SCALARS:
            if t is float and item - item != 0.0:  # inf and nan are nan here
                return False
        elif t is dict or t is list:
            if not _plain_container(item, depth_left - 1):
                return False
        elif t is not datetime:
            return False
    return True


def _loggable(record: Record) -> bool:
    """Whether ``encode_operation`` and the log line certainly take ``record`` (False: ask
    them). The limit is the log's: ``MAX_DEPTH`` levels below the data object."""
    metadata = record.metadata
    return (type(record.id) is str and _plain_container(record.data, MAX_DEPTH + 1)
            and (not metadata or _plain_container(metadata, MAX_DEPTH + 1)))


def _removes(ops: Sequence[Operation]) -> bool:
    """Whether ``ops`` delete or clear anything."""
    return any(kind != "put" for kind, _ in ops)


def _puts_plain(ops: Sequence[Operation]) -> bool:
    """Whether every record ``ops`` put holds only plain values (``is_plain``): a log line
    another program wrote can hold NaN or a 100-bit integer, which its decoding keeps."""
    return all(is_plain(rec.data) and (not rec.metadata or is_plain(rec.metadata))
               for kind, rec in ops if kind == "put")


def _signature(path: str) -> Signature | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except OSError as err:
        raise StorageError(f"cannot read {path}: {describe_os_error(err)}") from err
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class FileDatabase(SyncDatabase):
    """A store kept in one file (see docs/backends/file.md).

    ``path``: the snapshot file; ``format``: ``"json"``, ``"jsonl"``, ``"csv"`` or
    ``"parquet"`` (default: from the extension, ``.gz`` adds gzip); ``compression``: None or
    ``"gzip"``; ``fsync``: fsync the log on every write, so a write that returned survives
    power loss (False: it survives a crash of the process only); ``compact_on_close``: fold
    the log into the snapshot on ``close()``; ``compaction_threshold``: compact when the log
    holds more operations than this and than half the number of records (so a compaction's
    O(n) cost is spread over at least n/2 writes; a batch that would trigger it goes
    straight into the new snapshot, skipping the log); ``indexes``: field paths
    to hash-index in memory (as ``MemoryDatabase``)."""

    backend_name = "file"
    capabilities = Capabilities(persistent=True, atomic_batches=True, conditional_writes=True,
                                transactions=True)

    def __init__(
        self,
        *,
        path: str | os.PathLike[str],
        format: str | None = None,
        compression: str | None = None,
        fsync: bool = True,
        compact_on_close: bool = True,
        compaction_threshold: int = 10_000,
        indexes: Sequence[str] = (),
        schema: Schema | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(schema=schema)
        self.layout: FileLayout = resolve_layout(path, format, compression)
        self.fsync = bool(fsync)
        self.compact_on_close = bool(compact_on_close)
        self.compaction_threshold = int(compaction_threshold)
        if self.compaction_threshold < 0:
            raise ConfigurationError(
                f"file: compaction_threshold must be >= 0, got {compaction_threshold!r}")
        self._indexes = [indexes] if isinstance(indexes, str) else list(indexes)
        self._format: SnapshotFormat | None = None
        self._state: MemoryDatabase | None = None
        self._snapshot_signature: Signature | None = None
        self._log = OperationLog(self.layout.log_path)
        self._lock = StoreLock(self.layout.lock_path)
        self._mutex = threading.RLock()
        self._dirty = False
        self._seen_counter: int | None = None
        self._next_stat_check = 0.0
        self._compaction_retry_at = 0  # after a failed compaction: the log size to retry at
        # whether the current log deletes or clears anything: then a batch must not skip it
        # (see ``_goes_direct``)
        self._log_removes = False
        # whether every record this handle ever loaded was known plain when loaded (a Parquet
        # snapshot's screened columns, the log's puts walked); only ever turned off, and off
        # before such records reach the state, so a record read from any state this handle
        # held is vouched for while it is on (``checked_stream``)
        self._plain = True
        # the log objects of the open transaction's writes, appended when it commits; only
        # the thread holding ``_mutex`` sees it set (the transaction holds it throughout)
        self._pending: list[bytes] | None = None
        # open ``deferred_compaction`` blocks: while any is, writes never compact
        self._deferring = 0

    @property
    def path(self) -> str:
        """The snapshot file."""
        return self.layout.path

    @property
    def format(self) -> str:
        """The snapshot format name."""
        return self.layout.format

    @property
    def checked_stream(self) -> bool:
        """While every record this handle loaded was known plain (``PortBase``): a Parquet
        snapshot whose columns pass ``columnar.layout_plain``, log lines whose puts pass
        ``is_plain``; the records written through the port were checked then (and are not
        read back). Loading a JSON, JSON Lines or CSV snapshot turns it off."""
        return self._plain

    # -- loading and change detection ---------------------------------------------------------
    def _snapshot_format(self) -> SnapshotFormat:
        if self._format is None:
            self._format = get_format(self.layout.format)
        return self._format

    def _read_snapshot(self) -> tuple[list[Record], Signature | None, bool]:
        path = self.layout.path
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                payload = fh.read()
        except FileNotFoundError:
            return [], None, True
        except OSError as err:
            raise StorageError(f"cannot read {path}: {describe_os_error(err)}") from err
        try:
            records, plain = self._snapshot_format().load_checked(
                payload, self.layout.compression, path)
        except DataknobsError:
            raise
        except Exception as err:  # a damaged file can fail a parser in unforeseen ways
            raise StorageError(f"cannot read {path}: {type(err).__name__}: {err}") from err
        return records, (st.st_ino, st.st_size, st.st_mtime_ns), plain

    def _reload(self) -> None:
        directory = self.layout.directory
        if not os.path.isdir(directory):
            raise StorageError(f"{self.layout.path}: the directory {directory} does not exist")
        self._snapshot_format()
        records, signature, plain = self._read_snapshot()
        state = MemoryDatabase(indexes=self._indexes)
        # through the reference adapter's own batch hook, never its internals
        duplicated = bool(state._create_batch(records)) or len(state) != len(records)
        if duplicated:
            raise StorageError(f"{self.layout.path}: the snapshot holds an id twice")
        ops = self._log.read_all()
        if self._plain and not (plain and _puts_plain(ops)):
            self._plain = False
        self._apply(state, ops)
        self._log_removes = _removes(ops)
        self._state, self._snapshot_signature = state, signature

    @staticmethod
    def _apply(state: MemoryDatabase, ops: list[Operation]) -> None:
        for kind, arg in ops:
            if kind == "put":
                state._upsert(arg.id, arg, None)
            elif kind == "del":
                state._delete(arg, None)
            else:
                state._clear()

    def _changed(self) -> bool:
        # One stat per call: every compaction replaces the log with a new one, so a changed
        # snapshot always comes with a changed log (the snapshot is checked only while there
        # is no log at all).
        st = self._log.stat()
        if st is None:
            return (self._log.ino is not None
                    or _signature(self.layout.path) != self._snapshot_signature)
        return st.st_ino != self._log.ino or st.st_size != self._log.seen_size

    def _catch_up(self) -> MemoryDatabase:
        """Bring the in-memory state up to date (caller holds the file lock)."""
        if self._state is None or _signature(self.layout.path) != self._snapshot_signature:
            self._reload()
        else:
            st = self._log.stat()
            if st is None:
                if self._log.ino is not None:
                    self._reload()
            elif st.st_ino != self._log.ino or st.st_size < self._log.offset:
                self._reload()
            elif st.st_size != self._log.seen_size:
                ops = self._log.read_tail()
                if ops is None:
                    self._reload()
                else:
                    assert self._state is not None
                    if self._plain and not _puts_plain(ops):
                        self._plain = False
                    self._apply(self._state, ops)
                    self._log_removes = self._log_removes or _removes(ops)
        assert self._state is not None
        return self._state

    def _stale(self) -> bool:
        counter = self._lock.counter()
        if counter is None:  # no shared counter (read-only directory): one stat per call
            return self._changed()
        if counter != self._seen_counter:
            return True
        # a safety net for files changed behind the library's back (copied in, edited)
        now = time.monotonic()
        if now >= self._next_stat_check:
            self._next_stat_check = now + STAT_CHECK_INTERVAL
            return self._changed()
        return False

    def _current(self) -> MemoryDatabase:
        """The up-to-date state for a read: a cheap change check, a replay only on change."""
        with self._mutex:
            state = self._state
            if self._pending is not None and state is not None:
                return state  # a transaction holds the exclusive lock: nobody else writes
            if state is None or self._stale():
                with self._lock.shared():
                    self._seen_counter = self._lock.counter()
                    state = self._catch_up()
            return state

    @contextlib.contextmanager
    def _writing(self) -> Iterator[MemoryDatabase]:
        with self._mutex:
            if self._pending is not None and self._state is not None:
                # inside a transaction, which holds the file lock and commits the log itself
                yield self._state
                return
            with self._writing_locked() as state:
                yield state

    @contextlib.contextmanager
    def _writing_locked(self) -> Iterator[MemoryDatabase]:
        with self._lock.exclusive():
            state = self._catch_up()
            try:
                yield state
                if not self._deferring and self._compaction_due(self._log.count, len(state)):
                    self._compact_after_write(state)
            finally:
                # every change to the snapshot or log is announced before the lock is freed
                self._seen_counter = self._lock.bump()

    def _compact_after_write(self, state: MemoryDatabase) -> None:
        """A compaction a write triggered. The write is already durable in the log, so a
        failed compaction must not report it as failed (a retry would then say the record
        exists): the failure is logged and retried once the log has doubled, and
        ``close()``/``compact()`` report it if it persists."""
        try:
            self._compact_locked(state)
        except Exception as err:  # any failure: the write still stands
            self._compaction_retry_at = 2 * self._log.count
            log.warning("%s: compaction failed, the writes are kept in the log %s: %s",
                        self.layout.path, self.layout.log_path, err, exc_info=err)

    def _append(self, ops: list[Operation]) -> None:
        if ops:
            self._append_encoded([encode_operation(op) for op in ops])

    def _append_encoded(self, encoded: list[bytes]) -> None:
        if self._pending is not None:
            self._pending.extend(encoded)
        elif encoded:
            self._log.append(log_line(encoded), len(encoded), self.fsync)
            self._dirty = True
            if not self._log_removes:
                self._log_removes = not all(map(is_put, encoded))

    def _compact_locked(self, state: MemoryDatabase) -> None:
        stored = getattr(state, "_records", None)
        # the reference's stored records are never mutated in place, so they can be written
        # without copying; should its internals change, fall back to the port's full search
        records = (list(stored.values()) if isinstance(stored, dict)
                   else state._search(Query()))
        try:
            payload = self._snapshot_format().dump(records, self.layout.compression)
        except DataknobsError:
            raise
        except Exception as err:  # a format that cannot hold a stored record is a bug
            raise StorageError(f"cannot write the {self.layout.format} snapshot "
                               f"{self.layout.path}: {type(err).__name__}: {err}") from err
        atomic_write(self.layout.path, payload)
        self._log.renew()
        self._log_removes = False
        remove_stale_temp_files(self.layout.path)
        self._snapshot_signature = _signature(self.layout.path)
        self._dirty = False
        self._compaction_retry_at = 0

    # -- batches written straight into a snapshot ------------------------------------------
    def _goes_direct(self, state: MemoryDatabase, written: int, added: int,
                     replaces: bool) -> bool:
        """Whether a batch writing ``written`` records, ``added`` of them new (``replaces``:
        some of them stored already), goes straight into a new snapshot instead of the log:
        when appending it would make the write compact anyway (the check of
        ``_writing_locked``), so its log line would be encoded, written and thrown away at
        once. Never inside a transaction (its writes reach the log when it commits).

        A crash between the snapshot's rename and the log's renewal leaves the new snapshot
        with the old log, which is replayed over it on reopening; that replay must leave the
        batch alone, as the log does not hold it. Operations are absolute, so this holds
        when the old log touches no record of the batch: a new id appears in it only under
        a ``del`` or ``clear`` (so none may be in the log: ``_log_removes``), a replaced
        record may appear in any operation (so the log must be empty)."""
        return (self._pending is None and not self._deferring and written > 0
                and not self._log_removes
                and not (replaces and self._log.count)
                and self._compaction_due(self._log.count + written, len(state) + added))

    def _compaction_due(self, logged: int, records: int) -> bool:
        """The compaction rule: the log holds more operations than the threshold, than half
        the records, and than the size a failed compaction is retried at."""
        return logged > max(self.compaction_threshold, records // 2, self._compaction_retry_at)

    @staticmethod
    def _unstorable(records: Sequence[Record]) -> dict[int, SerializationError]:
        """Per index, why the log would refuse a record: the log's own check
        (``encode_operation``, and the line's JSON), run only on records the cheap walk
        ``_loggable`` cannot vouch for. A value JSON cannot write (``ValueError``) raises,
        as appending it to the log would."""
        failed: dict[int, SerializationError] = {}
        for i, rec in enumerate(records):
            if not _loggable(rec):
                try:
                    encode_operation(("put", rec))
                except SerializationError as err:
                    failed[i] = err
        return failed

    def _snapshot_batch(self, state: MemoryDatabase, puts: Sequence[Record],
                        apply: Callable[[], T]) -> T:
        """Apply a batch (``apply``) to the state and write it straight into a new snapshot
        (atomic, as every compaction). Should the snapshot fail, the batch is appended to
        the log as any other write would be -- durable all the same -- and the compaction
        is retried once the log has doubled (as ``_compact_after_write``); should that fail
        too, the state rolls back and the error propagates: nothing of the batch was
        written, or (the log not renewed after a written snapshot) all of it, which the
        next read reloads since the snapshot changed."""
        with state.transaction():  # rolls the state back if this block raises
            result = apply()
            try:
                self._compact_locked(state)
            except Exception as err:
                self._append_encoded([encode_operation(("put", rec)) for rec in puts])
                self._compaction_retry_at = 2 * self._log.count
                log.warning("%s: writing the batch into a new snapshot failed, it is kept in "
                            "the log %s: %s", self.layout.path, self.layout.log_path, err,
                            exc_info=err)
        return result

    @contextlib.contextmanager
    def transaction(self) -> Iterator[FileDatabase]:
        """Operations in the block form one transaction: all take effect, or none if the
        block raises. The block holds the store's exclusive lock (other threads and
        processes wait for it to end); its writes reach the log as one line when it ends,
        so a crash keeps all of them or none. A nested block is a savepoint. The in-memory
        state rolls back through ``MemoryDatabase.transaction``."""
        with self._mutex:
            if self._pending is not None:  # nested: undo only this block's writes
                mark = len(self._pending)
                assert self._state is not None
                try:
                    with self._state.transaction():
                        yield self
                except BaseException:
                    del self._pending[mark:]
                    raise
                return
            with self._writing_locked() as state:
                self._pending = []
                try:
                    with state.transaction():
                        yield self
                        encoded, self._pending = self._pending, None
                        self._append_encoded(encoded)  # a failure here rolls the state back
                finally:
                    self._pending = None

    @contextlib.contextmanager
    def deferred_compaction(self) -> Iterator[FileDatabase]:
        """A bulk of writes: each is as durable as outside the block (a batch is in the log
        before its call returns), but none compacts, and no batch goes straight into a new
        snapshot; when the outermost block ends, the compaction then due runs once (a
        failure is logged and retried as after any write; ``close()`` reports it). A bulk
        load thus writes its snapshot once instead of each time the log outgrows half the
        records (about twice the records in all); other processes meanwhile replay a longer
        log. The ``Migrator`` runs every migration into a file store in one."""
        self._hold_compaction()
        try:
            yield self
        finally:
            self._release_compaction()

    def _hold_compaction(self) -> None:
        with self._mutex:
            self._deferring += 1

    def _release_compaction(self) -> None:
        with self._mutex:
            self._deferring -= 1
            if self._deferring or self._state is None:
                return
            with self._writing():  # compacts on the way out when it is due
                pass

    def compact(self) -> None:
        """Write every record to a new snapshot now and start a new, empty operation log."""
        with self._mutex:  # another thread's transaction ends first
            if self._pending is not None:
                raise StorageError(f"{self.layout.path}: compact() inside a transaction "
                                   "would write its uncommitted changes; call it after the "
                                   "block")
            with self._writing() as state:
                try:
                    self._compact_locked(state)
                except StorageError as err:
                    raise StorageError(f"{err}; no write is lost: the log "
                                       f"{self.layout.log_path} keeps them and the store "
                                       "reopens with them") from err

    # -- lifecycle --------------------------------------------------------------------------
    def _connect(self) -> None:
        self._current()

    def _close(self) -> None:
        with self._mutex:
            try:
                if self._dirty and self.compact_on_close and self._state is not None:
                    self.compact()
            finally:
                self._log.close()
                self._lock.close()
                self._state = None
                self._snapshot_signature = None
                self._seen_counter = None
                self._dirty = False
                self._log_removes = False

    # -- writes -----------------------------------------------------------------------------
    def _create(self, record_id: str, record: Record) -> None:
        with self._writing() as state:
            if state._exists(record_id):
                raise RecordExistsError(record_id)
            self._append([("put", record)])
            state._create(record_id, record)

    def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        with self._writing() as state:
            failed: dict[int, BaseException] = {
                i: RecordExistsError(rec.id or "") for i, rec in enumerate(records)
                if state._exists(rec.id or "")}
            if self._goes_direct(state, len(records), len(records), False):
                failed.update(self._unstorable(records))
                if failed:  # atomic, as below
                    return failed
                return self._snapshot_batch(state, records,
                                            lambda: state._create_batch(records))
            encoded = []
            for i, rec in enumerate(records):
                try:
                    encoded.append(encode_operation(("put", rec)))
                except SerializationError as err:
                    failed[i] = err
            if failed:  # atomic: a batch with a taken id or an unstorable record writes nothing
                return failed
            self._append_encoded(encoded)
            return state._create_batch(records)

    @staticmethod
    def _checked(state: MemoryDatabase, record_id: str, expected_version: str | None
                 ) -> str | None:
        """The record's current version, after checking the one the caller expects."""
        current = state._get_version(record_id)
        if expected_version is not None:
            check_version(record_id, expected_version, current)
        return current

    def _update(self, record_id: str, record: Record, expected_version: str | None) -> bool:
        with self._writing() as state:
            if self._checked(state, record_id, expected_version) is None:
                return False
            self._append([("put", record)])
            state._upsert(record_id, record, None)
            return True

    def _delete(self, record_id: str, expected_version: str | None) -> bool:
        with self._writing() as state:
            if self._checked(state, record_id, expected_version) is None:
                return False
            self._append([("del", record_id)])
            return state._delete(record_id, None)

    def _upsert(self, record_id: str, record: Record, expected_version: str | None) -> None:
        with self._writing() as state:
            self._checked(state, record_id, expected_version)
            self._append([("put", record)])
            state._upsert(record_id, record, None)

    def _update_batch(self, updates: list[tuple[str, Record]]) -> list[bool]:
        with self._writing() as state:
            found = [state._exists(rid) for rid, _ in updates]
            puts = [rec.with_id(rid) if rec.id != rid else rec
                    for (rid, rec), ok in zip(updates, found, strict=True) if ok]
            if self._goes_direct(state, len(puts), 0, True):
                self._raise_unstorable(puts)
                return self._snapshot_batch(state, puts,
                                            lambda: self._put_all(state, puts, found))
            self._append([("put", rec) for rec in puts])
            return self._put_all(state, puts, found)

    def _delete_batch(self, record_ids: list[str]) -> list[bool]:
        with self._writing() as state:
            gone: set[str] = set()
            found = []
            for rid in record_ids:
                ok = rid not in gone and state._exists(rid)
                gone.add(rid)
                found.append(ok)
            doomed = [rid for rid, ok in zip(record_ids, found, strict=True) if ok]
            self._append([("del", rid) for rid in doomed])
            for rid in doomed:
                state._delete(rid, None)
            return found

    def _upsert_batch(self, records: list[Record]) -> None:
        with self._writing() as state:
            if records:
                ids = {rec.id or "" for rec in records}
                added = sum(1 for rid in ids if not state._exists(rid))
                if self._goes_direct(state, len(records), added, added < len(ids)):
                    self._raise_unstorable(records)
                    self._snapshot_batch(state, records,
                                         lambda: self._put_all(state, records, None))
                    return
            self._append([("put", rec) for rec in records])
            self._put_all(state, records, None)

    @staticmethod
    def _put_all(state: MemoryDatabase, puts: Sequence[Record], result: T) -> T:
        for rec in puts:
            state._upsert(rec.id or "", rec, None)
        return result

    def _raise_unstorable(self, records: Sequence[Record]) -> None:
        """The first refusal ``_unstorable`` finds, raised (as appending the batch to the log
        raises it for the whole call)."""
        failed = self._unstorable(records)
        if failed:
            raise failed[min(failed)]

    def _clear(self) -> int:
        with self._writing() as state:
            count = len(state)
            self._append([("clear", None)])
            state._clear()
            return count

    # -- reads ------------------------------------------------------------------------------
    def _read(self, record_id: str) -> Record | None:
        return self._current()._read(record_id)

    def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        return self._current()._read_batch(record_ids)

    def _exists(self, record_id: str) -> bool:
        return self._current()._exists(record_id)

    def _get_version(self, record_id: str) -> str | None:
        return self._current()._get_version(record_id)

    def _search(self, query: Query) -> list[Record]:
        return self._current()._search(query)

    def _count(self, query: Query) -> int:
        return self._current()._count(query)

    def _stream_read(self, query: Query, config: StreamConfig) -> Iterator[Record]:
        yield from self._current()._stream_read(query, config)

    def _arrow_batches(self, query: Query, batch_size: int) -> Iterator[Any]:
        # the loaded state's own batches: its stored records encoded without a copy-out
        return self._current()._arrow_batches(query, batch_size)

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return (f"FileDatabase(path={self.layout.path!r}, format={self.layout.format!r}, "
                f"compression={self.layout.compression!r})")


class AsyncFileDatabase(SyncBackedAsyncDatabase):
    """The file adapter behind the async port: file I/O runs in a bounded thread pool."""

    sync_class = FileDatabase

    async def compact(self) -> None:
        """Write every record to a new snapshot now (see ``FileDatabase.compact``)."""
        sync = self.sync
        assert isinstance(sync, FileDatabase)
        await self._call(sync.compact)

    @contextlib.asynccontextmanager
    async def deferred_compaction(self) -> AsyncIterator[AsyncFileDatabase]:
        """``FileDatabase.deferred_compaction`` (the compaction at the end runs in the
        adapter's thread pool)."""
        sync = self.sync
        assert isinstance(sync, FileDatabase)
        await self._call(sync._hold_compaction)  # its lock may wait for a write in the pool
        try:
            yield self
        finally:
            await self._call(sync._release_compaction)


__all__ = ["AsyncFileDatabase", "FileDatabase"]
