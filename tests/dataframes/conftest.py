"""Fixtures: the backend-parametrized stores of tests/streaming/backends.py (loaded by
tests/conftest.py as ``dataknobs_test_backends``)."""

from __future__ import annotations

import sys
from types import ModuleType

import pytest
from dataknobs_test_backends import (  # type: ignore[import-not-found]  # noqa: F401
    backend,
    es_server,
    pg_schema,
    s3_servers,
    stores,
)


@pytest.fixture
def helpers() -> ModuleType:
    """The shared helpers (Stores, FaultyStore, Crash): test modules cannot import conftest."""
    return sys.modules["dataknobs_test_backends"]
