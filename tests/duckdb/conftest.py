"""The DuckDB suites' store: a file in the test's own directory, opened anew by each handle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def adapter_options(tmp_path: Path) -> dict[str, Any]:
    """Options of every adapter the shipped suites build: one file per test."""
    return {"path": tmp_path / "store.duckdb"}
