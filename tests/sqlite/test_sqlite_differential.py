"""The differential suite (random records and queries against the memory reference) on an
SQLite file, sync and async; the sync store indexes two of the generated paths, so the
index terms the translator adds are checked too."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data.adapters.sqlite import AsyncSQLiteDatabase, SQLiteDatabase
from dataknobs_data.testing.differential import DifferentialSuite


class TestSQLiteDifferential(DifferentialSuite):
    differential_examples = 60

    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[Any]:
        yield SQLiteDatabase(path=tmp_path / "store.db", indexes=["a", "o.x"])


class TestAsyncSQLiteDifferential(DifferentialSuite):
    differential_examples = 25

    @pytest.fixture
    def database(self, tmp_path: Path) -> Iterator[Any]:
        yield AsyncSQLiteDatabase(path=tmp_path / "store.db", max_workers=2)
