"""The differential suite (random records and queries against the memory reference) on a
DuckDB file, sync and async."""

from typing import Any, ClassVar

from dataknobs_data.adapters.duckdb import AsyncDuckDBDatabase, DuckDBDatabase
from dataknobs_data.testing.differential import DifferentialSuite


class TestDuckDBDifferential(DifferentialSuite):
    adapter = DuckDBDatabase
    differential_examples = 60


class TestAsyncDuckDBDifferential(DifferentialSuite):
    adapter = AsyncDuckDBDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"max_workers": 2}
    differential_examples = 25
