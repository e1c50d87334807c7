"""The package's pytest plugin (registered as the ``pytest11`` entry point ``dataknobs_data``).

It gives the shipped suites (``testing.conformance``, ``testing.differential``,
``testing.fidelity``) their default ``adapter_options``: none. A conftest.py that defines
``adapter_options`` overrides it for its directory, e.g. with a server's connection options::

    @pytest.fixture
    def adapter_options(postgres_dsn):
        return {"dsn": postgres_dsn, "table": f"t_{uuid.uuid4().hex[:8]}"}
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def adapter_options() -> dict[str, Any]:
    """Options every declared ``adapter`` of the suites is built with (default: none)."""
    return {}
