"""The file adapter through the whole conformance suite: every format, sync and async, and
gzip for the text formats and Parquet."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data.adapters.file import AsyncFileDatabase, FileDatabase
from dataknobs_data.testing.conformance import DatabaseConformance

#: the stores every conformance test runs on, sync and async: each format, gzip (by suffix
#: and by option), and indexes
STORES: dict[str, dict[str, Any]] = {
    "json": {"path": "store.json"},
    "jsonl": {"path": "store.jsonl"},
    "csv": {"path": "store.csv"},
    "parquet": {"path": "store.parquet"},
    "jsonl-indexed": {"path": "store.jsonl",
                      "indexes": ["name", "age", "v", "team.name", "score"]},
    "jsonl.gz": {"path": "store.jsonl.gz"},
    "csv-gzip": {"path": "store.csv", "compression": "gzip"},
    "parquet.gz": {"path": "store.parquet.gz"},
}


class TestFileConformance(DatabaseConformance):
    adapter = FileDatabase

    @pytest.fixture(params=list(STORES))
    def database(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
        options = dict(STORES[request.param])
        yield self.adapter(**{**options, "path": tmp_path / options["path"]})  # type: ignore[misc]


class TestAsyncFileConformance(TestFileConformance):
    adapter = AsyncFileDatabase


@pytest.fixture(params=["json", "jsonl", "csv", "parquet", "csv.gz"])
def snapshot_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return tmp_path / f"store.{request.param}"


class TestSnapshotEveryCallConformance(DatabaseConformance):
    """Compacts after every write and reloads before every read: each test also runs
    through the snapshot codec of its format, not only through the log."""

    @pytest.fixture
    def database(self, snapshot_path: Path, snapshot_every_call: Any) -> Iterator[FileDatabase]:
        yield snapshot_every_call(path=snapshot_path)
