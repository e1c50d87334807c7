"""Fixtures for the container tests: a recording adapter registered under a test name."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from dataknobs_data import AsyncMemoryDatabase, MemoryDatabase
from dataknobs_data.containers import register_backend, unregister_backend


class RecordingDatabase(MemoryDatabase):
    """The memory adapter, remembering every instance built and whether it was closed."""

    backend_name = "recording"
    built: list[RecordingDatabase] = []

    def __init__(self, *, password: str | None = None, api_key: str | None = None,
                 dsn: str | None = None, label: str = "", **_: Any) -> None:
        super().__init__()
        self.password, self.api_key, self.dsn, self.label = password, api_key, dsn, label
        self.closed = 0
        RecordingDatabase.built.append(self)

    def _close(self) -> None:
        self.closed += 1

    def __repr__(self) -> str:
        return f"RecordingDatabase(label={self.label!r})"


class StrictRecordingDatabase(MemoryDatabase):
    """A recording adapter that takes only named options (so unknown ones fail)."""

    backend_name = "strict"
    built: list[StrictRecordingDatabase] = []

    def __init__(self, *, password: str | None = None, api_key: str | None = None,
                 host: str = "127.0.0.1", port: int = 1) -> None:
        super().__init__()
        self.password, self.api_key, self.host, self.port = password, api_key, host, port
        self.closed = 0
        StrictRecordingDatabase.built.append(self)

    def _close(self) -> None:
        self.closed += 1


class AsyncRecordingDatabase(AsyncMemoryDatabase):
    """The async memory adapter counting closes."""

    closes = 0

    async def _close(self) -> None:
        AsyncRecordingDatabase.closes += 1
        await super()._close()


@pytest.fixture
def recording() -> Iterator[SimpleNamespace]:
    """``recording`` and ``strict`` backends registered for one test; yields the classes
    (``.Recording``, ``.Strict``, ``.Async``)."""
    RecordingDatabase.built.clear()
    StrictRecordingDatabase.built.clear()
    AsyncRecordingDatabase.closes = 0
    register_backend("recording", RecordingDatabase, AsyncRecordingDatabase)
    register_backend("strict", StrictRecordingDatabase)
    yield SimpleNamespace(Recording=RecordingDatabase, Strict=StrictRecordingDatabase,
                          Async=AsyncRecordingDatabase)
    unregister_backend("recording")
    unregister_backend("strict")
