"""The differential suite (random records and queries against the memory reference) for
every format, sync and async. Stores compact after every write and reload before every read,
so each answer has passed through the format's snapshot codec and back."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data.testing.differential import DifferentialSuite

STORES = ["json", "jsonl", "csv", "parquet", "csv.gz"]


class TestFileDifferential(DifferentialSuite):
    differential_examples = 40
    #: the conftest fixture opening a store that compacts and reloads on every call
    store_fixture = "snapshot_every_call"

    @pytest.fixture(params=STORES)
    def database(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
        open_store = request.getfixturevalue(self.store_fixture)
        yield open_store(path=tmp_path / f"store.{request.param}")


class TestAsyncFileDifferential(TestFileDifferential):
    differential_examples = 20
    store_fixture = "async_snapshot_every_call"
