"""The differential suite (random records and queries against the memory reference) on an
SQLite file, sync and async; the sync store indexes two of the generated paths, so the
index terms the translator adds are checked too."""

from typing import Any, ClassVar

from dataknobs_data.adapters.sqlite import AsyncSQLiteDatabase, SQLiteDatabase
from dataknobs_data.testing.differential import DifferentialSuite


class TestSQLiteDifferential(DifferentialSuite):
    adapter = SQLiteDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"indexes": ["a", "o.x"]}
    differential_examples = 60


class TestAsyncSQLiteDifferential(DifferentialSuite):
    adapter = AsyncSQLiteDatabase
    adapter_kwargs: ClassVar[dict[str, Any]] = {"max_workers": 2}
    differential_examples = 25
