"""The memory adapter (the reference) through the whole conformance suite, sync and async."""

from collections.abc import Iterator

import pytest

from dataknobs_data import AsyncMemoryDatabase, MemoryDatabase
from dataknobs_data.testing.conformance import DatabaseConformance


class TestMemoryConformance(DatabaseConformance):
    @pytest.fixture
    def database(self) -> Iterator[MemoryDatabase]:
        yield MemoryDatabase()


class TestIndexedMemoryConformance(DatabaseConformance):
    @pytest.fixture
    def database(self) -> Iterator[MemoryDatabase]:
        yield MemoryDatabase(indexes=["name", "age", "v", "team.name", "score"])


class TestAsyncMemoryConformance(DatabaseConformance):
    @pytest.fixture
    def database(self) -> Iterator[AsyncMemoryDatabase]:
        yield AsyncMemoryDatabase()
