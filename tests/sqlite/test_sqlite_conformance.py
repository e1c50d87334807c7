"""The SQLite adapter through the whole conformance suite, sync and async, on a file in WAL
mode (conftest.py), with the default table and with a table whose name needs quoting."""

from typing import Any, ClassVar

from dataknobs_data.adapters.sqlite import AsyncSQLiteDatabase, SQLiteDatabase
from dataknobs_data.testing.conformance import DatabaseConformance


class TestSQLiteConformance(DatabaseConformance):
    adapter = SQLiteDatabase


class TestSQLiteConformanceQuotedTable(TestSQLiteConformance):
    """Every statement names the table as a quoted identifier."""

    adapter_kwargs: ClassVar[dict[str, Any]] = {"table": 'my "records"; --'}


class TestAsyncSQLiteConformance(TestSQLiteConformance):
    adapter = AsyncSQLiteDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"max_workers": 2}
