"""The fidelity suite on DuckDB, sync and async: each handle the suite opens is a new
connection to the same file (conftest.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from dataknobs_data.adapters.duckdb import AsyncDuckDBDatabase, DuckDBDatabase
from dataknobs_data.domain.values import MAX_DEPTH
from dataknobs_data.testing.fidelity import FidelitySuite


class TestDuckDBFidelity(FidelitySuite):
    adapter = DuckDBDatabase
    fidelity_examples = 60
    #: the table's columns and the codec's own keys
    envelope_names = ("id", "version", "data", "metadata", "records", "$datetime", "$object")
    max_depth = MAX_DEPTH


class TestAsyncDuckDBFidelity(TestDuckDBFidelity):
    adapter = AsyncDuckDBDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"max_workers": 2}
    fidelity_examples = 25
