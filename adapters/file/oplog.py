"""The operation log: an append-only JSON Lines file (``<path>.log``) beside the snapshot.

Every write appends one line instead of rewriting the snapshot, so a single-record write
costs O(1); compaction later folds the log into a new snapshot and starts a new, empty log. Lines:

- header (first line): ``{"dataknobs_data_log": 1, "generation": "<hex>"}``; a new log
  (after a compaction) has a new generation, so a reader that tails an old one notices;
- ``{"op": "put", "id": ..., "data": ..., "metadata": ...}`` (an envelope: create, update
  and upsert all store the whole record);
- ``{"op": "del", "id": ...}`` and ``{"op": "clear"}``;
- ``{"op": "batch", "ops": [...]}``: several operations in one line, applied all or none.

Operations are absolute (the record's new state, not a change to it), so replaying a log
over a snapshot that already contains it gives the same state: a crash between writing a
new snapshot and renewing the log loses nothing and duplicates nothing. A last line without
its newline is a write that never returned (the process died mid-append); readers ignore it
and the next writer truncates it away. Any other damaged line is a ``StorageError``.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Sequence
from typing import Any

from ...domain.codec import fast_tagged
from ...domain.envelope import MAX_DEPTH, envelope, from_envelope, to_utf8
from ...domain.errors import StorageError
from .durability import atomic_write, describe_os_error, write_all

HEADER_KEY = "dataknobs_data_log"

#: ("put", Record) | ("del", record_id) | ("clear", None)
Operation = tuple[str, Any]


#: the start of every encoded put (``encode_operation``), and of no other operation
PUT_PREFIX = b'{"op":"put",'


def encode_operation(op: Operation) -> bytes:
    """The compact JSON text (UTF-8) of one operation's log object; ``SerializationError``
    naming the record and path when a record cannot be stored (nothing is written then).

    A put is written by orjson in one call when its text is the envelope's byte for byte
    (``codec.fast_tagged``: datetimes tagged, no key needing escape, the standard library's
    number text) and it certainly nests within ``MAX_DEPTH`` levels (each level opens a
    bracket, so the count of brackets in the text bounds it); otherwise the envelope is
    built and checked by the walk."""
    kind, arg = op
    if kind == "put":
        fast = _fast_put(arg)
        if fast is not None:
            return fast
        return to_utf8({"op": "put", **envelope(arg, MAX_DEPTH)})
    if kind == "del":
        return to_utf8({"op": "del", "id": arg})
    return to_utf8({"op": "clear"})


def _fast_put(record: Any) -> bytes | None:
    rid = record.id
    if type(rid) is not str:
        return None
    metadata = record.metadata
    obj = ({"op": "put", "id": rid, "data": record.data, "metadata": metadata} if metadata
           else {"op": "put", "id": rid, "data": record.data})
    data = fast_tagged(obj)
    # the op object and the data object are two levels; MAX_DEPTH more may nest inside
    if data is None or data.count(b"{") + data.count(b"[") > MAX_DEPTH + 2:
        return None
    return data


def is_put(encoded: bytes) -> bool:
    """Whether an ``encode_operation`` text is a put."""
    return encoded.startswith(PUT_PREFIX)


def log_line(encoded: Sequence[bytes]) -> bytes:
    """One log line holding already-encoded operations (a batch line when there are
    several): the compact JSON of the line's object, put together from their texts."""
    if len(encoded) == 1:
        return encoded[0] + b"\n"
    return b'{"op":"batch","ops":[' + b",".join(encoded) + b"]}\n"


def encode_operations(ops: Sequence[Operation]) -> bytes:
    """One log line holding ``ops`` (a batch line when there are several)."""
    return log_line([encode_operation(op) for op in ops])


def _decode_operation(obj: Any, source: str, where: str, tagged: bool) -> Operation:
    if type(obj) is not dict:
        raise StorageError(f"{source}: {where}: not a log operation")
    kind = obj.get("op")
    if kind == "put":
        return ("put", from_envelope(obj, source, where, tagged))
    if kind == "del" and type(obj.get("id")) is str:
        return ("del", obj["id"])
    if kind == "clear":
        return ("clear", None)
    raise StorageError(f"{source}: {where}: unknown log operation {kind!r}")


def parse_operations(chunk: bytes, source: str, first_line: int
                     ) -> tuple[list[Operation], int, int]:
    """The operations in the complete lines of ``chunk``: (ops, bytes consumed, lines)."""
    end = chunk.rfind(b"\n") + 1
    ops: list[Operation] = []
    lineno = first_line
    lines = 0
    for line in chunk[:end].split(b"\n")[:-1]:
        lineno += 1
        lines += 1
        if not line.strip():
            continue
        where = f"line {lineno}"
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise StorageError(f"{source}: {where}: damaged log line ({err})") from err
        tagged = b'"$' in line
        if type(obj) is dict and obj.get("op") == "batch" and type(obj.get("ops")) is list:
            ops.extend(_decode_operation(item, source, where, tagged) for item in obj["ops"])
        else:
            ops.append(_decode_operation(obj, source, where, tagged))
    return ops, end, lines


class OperationLog:
    """One store's log file and how far this process has read it.

    ``ino``/``generation`` identify the log file read; ``offset`` is the end of the last
    complete line applied; ``seen_size`` the file size when last read (larger than
    ``offset`` only while a torn last line is present); ``count`` the operations in it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._reset()
        self._fd: int | None = None
        self._fd_ino: int | None = None

    def _reset(self) -> None:
        self.ino: int | None = None
        self.generation: str | None = None
        self.offset = 0
        self.seen_size = 0
        self.lines = 0
        self.count = 0

    def stat(self) -> os.stat_result | None:
        """The log file's status, or None when there is no log."""
        try:
            return os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StorageError(f"cannot read {self.path}: {describe_os_error(err)}") from err

    def _read_header(self, data: bytes) -> tuple[str, int]:
        newline = data.find(b"\n")
        if newline < 0:
            raise StorageError(f"{self.path}: the log has no complete header line")
        try:
            header = json.loads(data[:newline])
            generation = header["generation"] if header.get(HEADER_KEY) == 1 else None
        except (ValueError, TypeError, AttributeError, KeyError):
            generation = None
        if type(generation) is not str:
            raise StorageError(f"{self.path}: not a dataknobs-data operation log")
        return generation, newline + 1

    def read_all(self) -> list[Operation]:
        """Every operation of the current log file (none when there is no log)."""
        try:
            with open(self.path, "rb") as fh:
                st = os.fstat(fh.fileno())
                data = fh.read()
        except FileNotFoundError:
            self._reset()
            return []
        except OSError as err:
            raise StorageError(f"cannot read {self.path}: {describe_os_error(err)}") from err
        if not data:  # created but its header never written: an empty log
            self._reset()
            self.ino, self.seen_size = st.st_ino, 0
            return []
        generation, start = self._read_header(data)
        ops, consumed, lines = parse_operations(data[start:], self.path, 1)
        self.ino, self.generation = st.st_ino, generation
        self.offset, self.seen_size = start + consumed, len(data)
        self.lines, self.count = lines, len(ops)
        return ops

    def read_tail(self) -> list[Operation] | None:
        """Operations appended since the last read, or None when the log was replaced by a
        new generation (the caller then reloads everything)."""
        try:
            with open(self.path, "rb") as fh:
                st = os.fstat(fh.fileno())
                head = fh.read(256)
                if st.st_ino != self.ino:
                    return None
                try:
                    generation, _ = self._read_header(head)
                except StorageError:
                    return None
                if generation != self.generation:
                    return None
                fh.seek(self.offset)
                data = fh.read()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StorageError(f"cannot read {self.path}: {describe_os_error(err)}") from err
        ops, consumed, lines = parse_operations(data, self.path, self.lines + 1)
        self.offset += consumed
        self.seen_size = self.offset + (len(data) - consumed)
        self.lines += lines
        self.count += len(ops)
        return ops

    def append(self, payload: bytes, operations: int, fsync: bool) -> None:
        """Append complete lines (caller holds the exclusive lock and has caught up)."""
        if self.ino is None or self.generation is None:
            self._create()
        fd = self._open_for_append()
        old = self.offset
        try:
            if self.seen_size != self.offset:  # a torn line left by a crashed writer
                os.ftruncate(fd, self.offset)
            write_all(fd, payload)
            if fsync:
                os.fsync(fd)
        except OSError as err:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, old)  # leave no partial line behind
            self.seen_size = self.offset
            raise StorageError(f"cannot write {self.path}: {describe_os_error(err)}") from err
        self.offset = old + len(payload)
        self.seen_size = self.offset
        self.lines += payload.count(b"\n")
        self.count += operations

    def _create(self) -> None:
        generation = uuid.uuid4().hex
        header = to_utf8({HEADER_KEY: 1, "generation": generation}) + b"\n"
        atomic_write(self.path, header)
        try:
            st = os.stat(self.path)
        except OSError as err:
            raise StorageError(f"cannot read {self.path}: {describe_os_error(err)}") from err
        self._reset()
        self.ino, self.generation = st.st_ino, generation
        self.offset = self.seen_size = len(header)
        self.lines = 1

    def _open_for_append(self) -> int:
        if self._fd is not None and self._fd_ino == self.ino:
            return self._fd
        self.close()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            st = os.fstat(fd)
        except OSError as err:
            raise StorageError(f"cannot write {self.path}: {describe_os_error(err)}") from err
        if st.st_ino != self.ino:
            os.close(fd)
            raise StorageError(f"{self.path} was replaced while locked; retry the write")
        self._fd, self._fd_ino = fd, st.st_ino
        return fd

    def renew(self) -> None:
        """Replace the log with an empty one of a new generation (after its operations
        reached a durable snapshot). Replacing rather than deleting lets other processes
        notice a compaction with the single ``stat`` of the log they make on every call."""
        self.close()
        self._create()

    def close(self) -> None:
        """Close the append handle."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = self._fd_ino = None


__all__ = ["PUT_PREFIX", "OperationLog", "encode_operation", "encode_operations", "is_put",
           "log_line", "parse_operations"]
