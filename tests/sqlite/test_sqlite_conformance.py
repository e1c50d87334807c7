"""The SQLite adapter through the whole conformance suite, sync and async, on a file (WAL)
and in memory, with the default table and with a table whose name needs quoting."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data.adapters.sqlite import AsyncSQLiteDatabase, SQLiteDatabase
from dataknobs_data.testing.conformance import DatabaseConformance

#: the stores every conformance test runs on, sync and async
STORES: dict[str, dict[str, Any]] = {
    "file": {"path": "store.db"},
    "quoted-table": {"path": "store.db", "table": 'my "records"; --'},
}


class TestSQLiteConformance(DatabaseConformance):
    adapter = SQLiteDatabase

    @pytest.fixture(params=list(STORES))
    def database(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
        options = dict(STORES[request.param])
        yield self.adapter(**{**options, "path": tmp_path / options["path"]})  # type: ignore[misc]


class TestAsyncSQLiteConformance(TestSQLiteConformance):
    adapter = AsyncSQLiteDatabase
