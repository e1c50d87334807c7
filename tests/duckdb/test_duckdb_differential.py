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


class SmallFetchDuckDB(DuckDBDatabase):
    """Fetches as few rows as a sorted, limited search allows (4 x offset + limit), so the
    small generated record sets reach the bound that ``DuckDBDatabase._top`` computes."""

    top_fetch = 1


class TestDuckDBTopKDifferential(DifferentialSuite):
    adapter = SmallFetchDuckDB
    differential_examples = 60
