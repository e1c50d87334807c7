"""dataknobs-data 0.11's ``dataknobs_data.backends.memory``: the memory adapter under 0.11's
class names, built from a positional configuration dict (``SyncMemoryDatabase({})``)."""

from __future__ import annotations

from ..adapters.memory import AsyncMemoryDatabase as _AsyncMemory
from ..adapters.memory import MemoryDatabase
from ._compat import CompatConstructor


class SyncMemoryDatabase(CompatConstructor, MemoryDatabase):
    """``MemoryDatabase`` with 0.11's constructor."""


class AsyncMemoryDatabase(CompatConstructor, _AsyncMemory):
    """``adapters.memory.AsyncMemoryDatabase`` with 0.11's constructor."""


__all__ = ["AsyncMemoryDatabase", "SyncMemoryDatabase"]
