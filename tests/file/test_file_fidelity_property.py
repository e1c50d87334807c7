"""The fidelity property suite on the file adapter: every format (and gzip), sync and async.

Each example writes hostile records, closes the store (which compacts the log into the
snapshot), and reopens it from the file, so the snapshot codec of each format is what is
checked; the operation log is checked by the handle that reads before closing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from dataknobs_data.adapters.file import AsyncFileDatabase, FileDatabase
from dataknobs_data.domain.envelope import MAX_DEPTH
from dataknobs_data.testing.fidelity import FidelitySuite

SUFFIXES = ["json", "jsonl", "csv", "parquet", "csv.gz", "jsonl.gz"]


class TestFileFidelity(FidelitySuite):
    fidelity_examples = 25
    envelope_names: ClassVar[tuple[str, ...]] = ("$id", "$metadata", "id", "data", "metadata",
                                                 "op", "$datetime", "$object")
    max_depth = MAX_DEPTH
    max_string = 3_000_000

    @pytest.fixture(params=SUFFIXES)
    def open_database(self, request: pytest.FixtureRequest, tmp_path: Path
                      ) -> Callable[[], Any]:
        path = tmp_path / f"store.{request.param}"
        return lambda: FileDatabase(path=path, fsync=False)


class TestAsyncFileFidelity(FidelitySuite):
    fidelity_examples = 15
    envelope_names = TestFileFidelity.envelope_names
    max_depth = MAX_DEPTH
    max_string = 1_000_000

    @pytest.fixture(params=["parquet", "json.gz"])
    def open_database(self, request: pytest.FixtureRequest, tmp_path: Path
                      ) -> Callable[[], Any]:
        path = tmp_path / f"store.{request.param}"
        return lambda: AsyncFileDatabase(path=path, fsync=False, max_workers=2)
