"""Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it
over the target, fsync the directory. A reader (or a crash) sees the old file or the new one,
never a torn or empty one."""

from __future__ import annotations

import contextlib
import errno
import os
import uuid

from ...domain.errors import StorageError


def describe_os_error(err: OSError) -> str:
    """A short reason for an OS error ("permission denied", "read-only file system", ...)."""
    if err.errno == errno.ENOENT:
        return "no such file or directory"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if err.errno == errno.EROFS:
        return "read-only file system"
    if err.errno == errno.ENOSPC:
        return "no space left on device"
    return err.strerror or str(err)


def fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (best effort where directories cannot be
    opened, e.g. on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_all(fd: int, payload: bytes) -> None:
    """``os.write`` until every byte is written."""
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write(path: str, payload: bytes) -> None:
    """Replace ``path`` with ``payload`` atomically and durably.

    Raises ``StorageError`` naming ``path`` when any step fails; the old file is then intact
    and the temp file removed."""
    directory = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    fd = -1
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        write_all(fd, payload)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(temp, path)
    except OSError as err:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise StorageError(f"cannot write {path}: {describe_os_error(err)}") from err
    fsync_directory(directory)


def remove_stale_temp_files(path: str) -> None:
    """Delete temp files a crashed writer left beside ``path`` (and its sidecars). Call it
    only while holding the store's exclusive lock: temp files are written under it, so any
    found then belong to a writer that died."""
    directory = os.path.dirname(os.path.abspath(path))
    prefix = f".{os.path.basename(path)}."
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(".tmp"):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))


__all__ = ["atomic_write", "describe_os_error", "fsync_directory", "remove_stale_temp_files",
           "write_all"]
