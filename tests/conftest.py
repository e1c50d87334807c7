"""Makes ``tests/streaming/backends.py`` importable as ``dataknobs_test_backends``.

The test directories are not packages (``--import-mode=importlib``), so the backend fixtures
shared by tests/streaming, tests/migration and tests/dataframes are loaded here once; each
of those directories' conftest re-exports them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "dataknobs_test_backends"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).resolve().parent / "streaming" / "backends.py")
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
