"""Bad input: corrupt files, files of another format, missing and read-only directories,
unreadable files. Each gives a StorageError naming the file, and nothing stored is lost."""

from __future__ import annotations

import gzip
import itertools
import os
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data import Record
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.domain.errors import StorageError

SUFFIXES = ["json", "jsonl", "csv", "parquet"]


def store_with_records(path: Path) -> bytes:
    with FileDatabase(path=path) as db:
        db.create_batch([Record({"n": i}, id=f"r{i}") for i in range(3)])
    return path.read_bytes()


def assert_refused_and_untouched(path: Path, before: bytes) -> None:
    """Reads and writes fail with a StorageError naming the file; the file is unchanged."""
    db = FileDatabase(path=path)
    with pytest.raises(StorageError, match=path.name):
        db.count()
    with pytest.raises(StorageError, match=path.name):
        db.create(Record({"n": 9}, id="new"))
    db.close()
    assert path.read_bytes() == before


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("garbage", [
    b"\x00\xff\xfe garbage \x80\x81", b"{not json", b"[1, 2, 3]\n", b"PAR1 not really PAR1",
    b'{"id": 5, "data": []}\n',
])
def test_corrupt_file(tmp_path: Path, suffix: str, garbage: bytes) -> None:
    path = tmp_path / f"store.{suffix}"
    path.write_bytes(garbage)
    assert_refused_and_untouched(path, garbage)


@pytest.mark.parametrize(("written", "read_as"), list(itertools.permutations(SUFFIXES, 2)))
def test_file_of_another_format(tmp_path: Path, written: str, read_as: str) -> None:
    source = tmp_path / f"store.{written}"
    payload = store_with_records(source)
    path = tmp_path / f"other.{read_as}"
    path.write_bytes(payload)
    assert_refused_and_untouched(path, payload)


def test_compression_mismatch(tmp_path: Path) -> None:
    plain = tmp_path / "a.jsonl"
    payload = store_with_records(plain)
    as_gz = tmp_path / "b.jsonl.gz"
    as_gz.write_bytes(payload)
    assert_refused_and_untouched(as_gz, payload)
    compressed = gzip.compress(payload)
    not_gz = tmp_path / "c.jsonl"
    not_gz.write_bytes(compressed)
    assert_refused_and_untouched(not_gz, compressed)


def test_truncated_parquet(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    payload = store_with_records(path)
    path.write_bytes(payload[: len(payload) // 2])
    assert_refused_and_untouched(path, payload[: len(payload) // 2])


def test_damaged_snapshot_keeps_the_pending_log(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    store_with_records(path)
    db = FileDatabase(path=path, compact_on_close=False)
    db.create(Record({"n": 7}, id="logged"))
    db.close()
    log_before = Path(f"{path}.log").read_bytes()
    path.write_bytes(b"$id,$metadata,n\nr0,,{broken\n")
    with pytest.raises(StorageError, match=r"s\.csv: line 2"):
        FileDatabase(path=path).read("logged")
    assert Path(f"{path}.log").read_bytes() == log_before


def test_missing_directory(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "s.json"
    db = FileDatabase(path=path)
    with pytest.raises(StorageError, match=r"nowhere.*does not exist"):
        db.connect()
    with pytest.raises(StorageError, match=r"s\.json"):
        db.create(Record({"n": 1}))
    db.close()
    assert not (tmp_path / "nowhere").exists()


def test_path_is_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "dir.json"
    path.mkdir()
    with pytest.raises(StorageError, match=r"dir\.json"):
        FileDatabase(path=path).count()


@pytest.mark.parametrize("suffix", ["json", "parquet"])
def test_read_only_directory(shared_dir: Path, unprivileged: Any, suffix: str) -> None:
    import pyarrow.parquet  # noqa: F401 - loaded before any child drops privileges

    store = shared_dir / "store"
    store.mkdir()
    path = store / f"s.{suffix}"
    before = store_with_records(path)
    os.chmod(path, 0o644)
    os.chmod(store, 0o555)

    def read_then_write() -> Any:
        db = FileDatabase(path=path)
        seen = sorted(r.id or "" for r in db.all())  # reading needs no write access
        try:
            db.create(Record({"n": 9}, id="new"))
            outcome = "written"
        except StorageError as err:
            outcome = str(err)
        db.close()
        return seen, outcome

    seen, outcome = unprivileged(read_then_write)
    assert seen == ["r0", "r1", "r2"]
    assert "permission denied" in outcome and str(store) in outcome
    assert path.read_bytes() == before
    os.chmod(store, 0o755)
    with FileDatabase(path=path) as db:
        assert db.count() == 3


def test_unreadable_file(shared_dir: Path, unprivileged: Any) -> None:
    path = shared_dir / "s.jsonl"
    before = store_with_records(path)
    os.chmod(path, 0o000)

    def read() -> Any:
        return FileDatabase(path=path).count()

    with pytest.raises(Exception, match=r"StorageError: cannot read .*s\.jsonl.*permission"):
        unprivileged(read)
    os.chmod(path, 0o644)
    assert path.read_bytes() == before


def test_reader_without_write_access_still_locks_and_sees_changes(shared_dir: Path,
                                                                  unprivileged: Any) -> None:
    # Check: another user's store (lock file 0644, not ours): reads take the shared lock
    # through a read-only descriptor and follow the writers' change counter
    path = shared_dir / "s.jsonl"
    store_with_records(path)
    writer = FileDatabase(path=path)
    writer.create(Record({"n": 3}, id="r3"))
    os.chmod(f"{path}.lock", 0o444)

    def read() -> Any:
        db = FileDatabase(path=path)
        count = db.count()
        lock = db._lock
        state = (count, lock._fd is not None, lock._writable, lock.counter() is not None)
        db.close()
        return state

    count, has_descriptor, writable, has_counter = unprivileged(read)
    assert (count, has_descriptor, writable, has_counter) == (4, True, False, True)
    writer.create(Record({"n": 4}, id="r4"))  # the writer's descriptor is unaffected
    writer.close()
