"""The differential suite (random records and queries against the memory reference) for
every format, sync and async. Stores compact after every write and reload before every read,
so each answer has passed through the format's snapshot codec and back."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data.testing.differential import DifferentialSuite

FORMATS = ["json", "jsonl", "csv", "parquet"]


class TestFileDifferential(DifferentialSuite):
    differential_examples = 40

    @pytest.fixture(params=FORMATS)
    def database(self, request: pytest.FixtureRequest, tmp_path: Path,
                 snapshot_every_call: Any) -> Iterator[Any]:
        yield snapshot_every_call(path=tmp_path / f"store.{request.param}")


class TestAsyncFileDifferential(DifferentialSuite):
    differential_examples = 20

    @pytest.fixture(params=FORMATS)
    def database(self, request: pytest.FixtureRequest, tmp_path: Path,
                 async_snapshot_every_call: Any) -> Iterator[Any]:
        yield async_snapshot_every_call(path=tmp_path / f"store.{request.param}")


class TestGzipFileDifferential(DifferentialSuite):
    differential_examples = 20

    @pytest.fixture
    def database(self, tmp_path: Path, snapshot_every_call: Any) -> Iterator[Any]:
        yield snapshot_every_call(path=tmp_path / "store.csv.gz")
