"""The fidelity suite on the memory reference, sync and async.

A memory store lives as long as its object, so "reopening" hands back the same instance after
``close()``; what is checked is that nothing the port accepted is changed or shared."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dataknobs_data.adapters.memory import AsyncMemoryDatabase, MemoryDatabase
from dataknobs_data.testing.fidelity import FidelitySuite


class TestMemoryFidelity(FidelitySuite):
    adapter = MemoryDatabase
    fidelity_examples = 150

    @pytest.fixture
    def open_database(self) -> Callable[[], Any]:
        store = self.adapter()  # type: ignore[misc]
        return lambda: store


class TestAsyncMemoryFidelity(TestMemoryFidelity):
    adapter = AsyncMemoryDatabase
    fidelity_examples = 60
