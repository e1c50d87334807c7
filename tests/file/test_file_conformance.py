"""The file adapter through the whole conformance suite: every format, sync and async, and
gzip for the text formats and Parquet."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data.adapters.file import AsyncFileDatabase, FileDatabase
from dataknobs_data.testing.conformance import DatabaseConformance


class TestJsonConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[FileDatabase]:
        yield FileDatabase(path=tmp_path / "store.json")


class TestJsonLinesConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[FileDatabase]:
        yield FileDatabase(path=tmp_path / "store.jsonl")


class TestCsvConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[FileDatabase]:
        yield FileDatabase(path=tmp_path / "store.csv")


class TestParquetConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[FileDatabase]:
        yield FileDatabase(path=tmp_path / "store.parquet")


class TestIndexedJsonLinesConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[FileDatabase]:
        yield FileDatabase(path=tmp_path / "store.jsonl",
                           indexes=["name", "age", "v", "team.name", "score"])


class TestAsyncJsonConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[AsyncFileDatabase]:
        yield AsyncFileDatabase(path=tmp_path / "store.json")


class TestAsyncJsonLinesConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[AsyncFileDatabase]:
        yield AsyncFileDatabase(path=tmp_path / "store.jsonl")


class TestAsyncCsvConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[AsyncFileDatabase]:
        yield AsyncFileDatabase(path=tmp_path / "store.csv")


class TestAsyncParquetConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[AsyncFileDatabase]:
        yield AsyncFileDatabase(path=tmp_path / "store.parquet")


class TestGzipJsonLinesConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[FileDatabase]:
        yield FileDatabase(path=tmp_path / "store.jsonl.gz")


class TestGzipCsvConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[FileDatabase]:
        yield FileDatabase(path=tmp_path / "store.csv", compression="gzip")


class TestGzipParquetConformance(DatabaseConformance):
    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[FileDatabase]:
        yield FileDatabase(path=tmp_path / "store.parquet.gz")


@pytest.fixture(params=["json", "jsonl", "csv", "parquet", "csv.gz"])
def snapshot_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return tmp_path / f"store.{request.param}"


class TestSnapshotEveryCallConformance(DatabaseConformance):
    """Compacts after every write and reloads before every read: each test also runs
    through the snapshot codec of its format, not only through the log."""

    @pytest.fixture
    def database(self, snapshot_path: Path, snapshot_every_call: Any) -> Iterator[FileDatabase]:
        yield snapshot_every_call(path=snapshot_path)
