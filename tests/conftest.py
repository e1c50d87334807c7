"""Makes ``tests/streaming/backends.py`` importable as ``dataknobs_test_backends``.

The test directories are not packages (``--import-mode=importlib``), so the backend fixtures
shared by tests/streaming, tests/migration and tests/dataframes (``backend``, ``stores``, the
servers) are loaded here once and offered to every test directory; a directory's own
conftest may override one (tests/s3, tests/elasticsearch run their own servers).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

_NAME = "dataknobs_test_backends"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).resolve().parent / "streaming" / "backends.py")
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

from dataknobs_test_backends import (  # type: ignore[import-not-found]  # noqa: E402, F401
    backend,
    es_server,
    pg_schema,
    s3_servers,
    stores,
)


@pytest.fixture
def helpers() -> ModuleType:
    """The shared helpers (Stores, FaultyStore, Crash): test modules cannot import conftest."""
    return sys.modules[_NAME]
