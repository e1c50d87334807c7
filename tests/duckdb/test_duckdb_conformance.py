"""The DuckDB adapter through the whole conformance suite, sync and async, on a file
(conftest.py), with the default table and with a table whose name needs quoting."""

from typing import Any, ClassVar

from dataknobs_data.adapters.duckdb import AsyncDuckDBDatabase, DuckDBDatabase
from dataknobs_data.testing.conformance import DatabaseConformance


class TestDuckDBConformance(DatabaseConformance):
    adapter = DuckDBDatabase


class TestDuckDBConformanceQuotedTable(TestDuckDBConformance):
    """Every statement names the table as a quoted identifier."""

    adapter_kwargs: ClassVar[dict[str, Any]] = {"table": 'my "records"; --'}


class TestAsyncDuckDBConformance(TestDuckDBConformance):
    adapter = AsyncDuckDBDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"max_workers": 2}
