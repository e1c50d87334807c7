"""The fidelity suite on SQLite, sync and async: each handle the suite opens is a new
connection to the same file, so every record read back has been through the table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data.adapters.sqlite import AsyncSQLiteDatabase, SQLiteDatabase
from dataknobs_data.domain.values import MAX_DEPTH
from dataknobs_data.testing.fidelity import FidelitySuite


class TestSQLiteFidelity(FidelitySuite):
    fidelity_examples = 60
    #: the table's columns and the codec's own keys
    envelope_names = ("id", "version", "data", "metadata", "records", "$datetime", "$object")
    max_depth = MAX_DEPTH

    @pytest.fixture
    def open_database(self, tmp_path: Path) -> Callable[[], Any]:
        return lambda: SQLiteDatabase(path=tmp_path / "store.db")


class TestAsyncSQLiteFidelity(TestSQLiteFidelity):
    fidelity_examples = 25

    @pytest.fixture
    def open_database(self, tmp_path: Path) -> Callable[[], Any]:
        return lambda: AsyncSQLiteDatabase(path=tmp_path / "store.db", max_workers=2)
