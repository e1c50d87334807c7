"""The inter-process lock of a file store: ``fcntl.flock`` on a sidecar ``<path>.lock``,
which also carries the store's change counter.

Writers (and compaction) hold it exclusively while they catch up with the log, decide and
append; readers hold it shared while they load or replay the log, so they never see a
half-written append or a half-finished compaction. The lock file is opened lazily (no I/O in
constructors), reopened after ``fork`` (a child must not share its parent's lock), and never
deleted. Where ``fcntl`` does not exist (Windows) the lock only serialises threads.

The first 8 bytes of the lock file are a change counter, memory-mapped by every process:
a writer bumps it, under the exclusive lock, after each change to the snapshot or the log,
so a reader learns whether anything changed from one memory read instead of a ``stat``.
"""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import struct
from collections.abc import Iterator

from ...domain.errors import StorageError
from .durability import describe_os_error

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_fork_generation = 0


def _after_fork_in_child() -> None:
    global _fork_generation
    _fork_generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

_READ_ONLY_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)
_COUNTER = struct.Struct("<Q")


class StoreLock:
    """Shared/exclusive lock on ``path`` (a sidecar file), usable as context managers."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._writable = False
        self._map: mmap.mmap | None = None
        self._generation = -1
        self._unavailable = False

    def _open(self, for_write: bool) -> int | None:
        if (self._fd is not None and self._generation == _fork_generation
                and (self._writable or not for_write)):
            return self._fd
        if self._unavailable and not for_write:
            return None
        if self._fd is not None:  # inherited across fork (or read-only): drop it; closing
            self.close()          # a copy never unlocks the parent's descriptor
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            writable = True
        except OSError as err:
            if for_write or err.errno not in _READ_ONLY_ERRNOS:
                reason = describe_os_error(err)
                if err.errno == errno.ENOENT:
                    reason = f"the directory {os.path.dirname(os.path.abspath(self.path))} " \
                             "does not exist"
                raise StorageError(f"cannot open the lock file {self.path}: {reason}") from err
            try:
                # a reader without write access: flock works on a read-only descriptor
                fd = os.open(self.path, os.O_RDONLY)
                writable = False
            except OSError:
                # no lock file and no right to create one: nobody can write beside it
                # either, so reading unlocked keeps read-only stores readable
                self._unavailable = True
                return None
        self._fd, self._writable = fd, writable
        self._generation = _fork_generation
        self._unavailable = False
        self._map_counter(fd, writable)
        return fd

    def _map_counter(self, fd: int, writable: bool) -> None:
        self._map = None
        try:
            if os.fstat(fd).st_size < _COUNTER.size:
                if not writable:
                    return
                os.ftruncate(fd, _COUNTER.size)  # extending never changes existing bytes
            self._map = mmap.mmap(fd, _COUNTER.size,
                                  access=mmap.ACCESS_WRITE if writable else mmap.ACCESS_READ)
        except (OSError, ValueError):  # a file system without shared mappings
            self._map = None

    def counter(self) -> int | None:
        """The store's change counter, or None when it cannot be shared (then callers fall
        back to ``stat``)."""
        if self._map is None or self._generation != _fork_generation:
            try:
                self._open(False)
            except StorageError:
                return None
            if self._map is None:
                return None
        value: int = _COUNTER.unpack_from(self._map)[0]
        return value

    def bump(self) -> int | None:
        """Advance the change counter (caller holds the exclusive lock); the new value."""
        if self._map is None or not self._writable:
            return None
        value: int = (_COUNTER.unpack_from(self._map)[0] + 1) & 0xFFFF_FFFF_FFFF_FFFF
        _COUNTER.pack_into(self._map, 0, value)
        return value

    @contextlib.contextmanager
    def _held(self, mode: int, for_write: bool) -> Iterator[None]:
        fd = self._open(for_write)
        if fd is None or fcntl is None:
            yield
            return
        fcntl.flock(fd, mode)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def shared(self) -> contextlib.AbstractContextManager[None]:
        """Hold the lock shared (readers)."""
        return self._held(fcntl.LOCK_SH if fcntl else 0, False)

    def exclusive(self) -> contextlib.AbstractContextManager[None]:
        """Hold the lock exclusively (writers, compaction)."""
        return self._held(fcntl.LOCK_EX if fcntl else 0, True)

    def close(self) -> None:
        """Close the lock file (releases the lock if held)."""
        self._unavailable = False
        if self._map is not None:
            with contextlib.suppress(OSError, ValueError, BufferError):
                self._map.close()
            self._map = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


__all__ = ["StoreLock"]
