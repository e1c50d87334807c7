"""Helpers for the file adapter's tests: child processes that write one store concurrently,
and running a check without root's power to ignore file permissions."""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data.adapters.async_bridge import SyncBackedAsyncDatabase
from dataknobs_data.adapters.file import FileDatabase


class SnapshotEveryCallDatabase(FileDatabase):
    """Compacts after every write and reloads the snapshot before every read, so a suite
    run through it checks the snapshot codec of its format, not only the operation log.
    Inside a transaction it does neither: the block's changes are not committed yet."""

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Any]:
        with super()._writing() as state:
            yield state
            if self._pending is None:
                self._compact_locked(state)

    def _current(self) -> Any:
        with self._mutex:
            if self._pending is None:
                self._state = None
            return super()._current()


class AsyncSnapshotEveryCallDatabase(SyncBackedAsyncDatabase):
    """``SnapshotEveryCallDatabase`` behind the async port."""

    sync_class = SnapshotEveryCallDatabase


@pytest.fixture
def snapshot_every_call() -> type[SnapshotEveryCallDatabase]:
    """The class ``SnapshotEveryCallDatabase`` (test modules cannot import conftest)."""
    return SnapshotEveryCallDatabase


@pytest.fixture
def async_snapshot_every_call() -> type[AsyncSnapshotEveryCallDatabase]:
    """The class ``AsyncSnapshotEveryCallDatabase``."""
    return AsyncSnapshotEveryCallDatabase

WORKER = r"""
import sys
from dataknobs_data import Record
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.domain.errors import ConcurrencyError, RecordExistsError

path, name, count, mode, threshold = sys.argv[1:6]
count, threshold = int(count), int(threshold)
db = FileDatabase(path=path, compaction_threshold=threshold, fsync=False)
db.connect()
print("ready", flush=True)
sys.stdin.readline()  # start together with the other writers
result = 0
if mode == "create":
    for i in range(count):
        db.create(Record({"writer": name, "i": i}, id=f"{name}-{i}"))
        if i % 10 == 0:
            db.create_batch([Record({"writer": name, "i": i, "b": j}, id=f"{name}-b{i}-{j}")
                             for j in range(3)])
    result = count
elif mode == "increment":
    while result < count:
        version = db.get_version("counter")
        current = db.read("counter")
        if db.get_version("counter") != version:
            continue
        try:
            db.update("counter", Record({"n": current["n"] + 1}), expected_version=version)
            result += 1
        except ConcurrencyError:
            pass
elif mode == "contend":
    for i in range(count):
        try:
            db.create(Record({"writer": name}, id=f"shared-{i}"))
            result += 1
        except RecordExistsError:
            pass
elif mode == "forever":
    i = 0
    while True:
        db.create(Record({"i": i, "pad": "x" * (i % 50)}, id=f"c{i}"))
        print(f"c{i}", flush=True)  # acknowledged: the write returned
        i += 1
db.close()
print(f"done {result}", flush=True)
"""


def start_worker(path: Path, name: str, count: int, mode: str, threshold: int = 10_000
                 ) -> subprocess.Popen[str]:
    """A child process running ``WORKER``; it prints ``ready`` and waits for a line."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(path), name, str(count), mode, str(threshold)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", line
    return proc


def run_workers(path: Path, mode: str, count: int, names: list[str], threshold: int
                ) -> list[int]:
    """Start one worker per name, release them together, and return their results."""
    procs = [start_worker(path, name, count, mode, threshold) for name in names]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
        results.append(int(out.strip().splitlines()[-1].split()[1]))
    return results


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory that an unprivileged user can traverse (tmp_path's parents cannot)."""
    directory = tempfile.mkdtemp(prefix="dk-file-")
    os.chmod(directory, 0o755)
    try:
        yield Path(directory)
    finally:
        for root, dirs, files in os.walk(directory):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        subprocess.run(["rm", "-rf", directory], check=True)


def as_unprivileged(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` where file permissions apply: directly for a normal user; for root in a
    forked child that has dropped to uid/gid 65534 (root ignores permission bits)."""
    if os.geteuid() != 0:
        try:
            return fn()
        except Exception as err:
            raise UnprivilegedError(type(err).__name__, str(err)) from err
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                outcome: tuple[str, Any] = ("ok", fn())
            except BaseException as err:
                outcome = ("raised", (type(err).__name__, str(err)))
            payload = pickle.dumps(outcome)
        except BaseException as err:  # pragma: no cover - setup failed
            payload = pickle.dumps(("setup", repr(err)))
        with os.fdopen(write_end, "wb") as fh:
            fh.write(payload)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        payload = fh.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(payload)
    if kind == "setup":  # pragma: no cover
        pytest.fail(f"could not drop privileges: {value}")
    if kind == "raised":
        raise UnprivilegedError(*value)
    return value


class UnprivilegedError(Exception):
    """An exception raised inside ``as_unprivileged`` (its type name and message)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message


@pytest.fixture
def unprivileged() -> Callable[[Callable[[], Any]], Any]:
    """``as_unprivileged`` as a fixture (test modules cannot import conftest)."""
    return as_unprivileged


@pytest.fixture
def workers() -> Any:
    """``run_workers`` and ``start_worker`` as a fixture."""

    class Workers:
        run = staticmethod(run_workers)
        start = staticmethod(start_worker)

    return Workers
