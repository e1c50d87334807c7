"""Fixtures: the backend-parametrized stores of tests/streaming/backends.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

_NAME = "dataknobs_test_backends"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).resolve().parents[1] / "streaming" / "backends.py")
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
_backends = sys.modules[_NAME]

backend = _backends.backend
es_server = _backends.es_server
pg_schema = _backends.pg_schema
s3_servers = _backends.s3_servers
stores = _backends.stores


@pytest.fixture
def helpers() -> ModuleType:
    """The shared helpers (Stores, FaultyStore, Crash): test modules cannot import conftest."""
    return _backends
