"""database_factory and every adapter's from_config: the same registry, the same checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataknobs_data import AsyncMemoryDatabase, ConfigurationError, MemoryDatabase
from dataknobs_data.adapters.file import AsyncFileDatabase, FileDatabase
from dataknobs_data.containers import database_factory


def test_create_memory_and_file(tmp_path: Path):
    assert isinstance(database_factory.create(backend="memory"), MemoryDatabase)
    assert isinstance(database_factory.create(), MemoryDatabase)       # memory by default
    db = database_factory.create(backend="file", path=str(tmp_path / "x.jsonl"))
    assert isinstance(db, FileDatabase)
    assert not (tmp_path / "x.jsonl").exists()        # constructing does no I/O
    assert isinstance(database_factory.create_async("memory"), AsyncMemoryDatabase)
    assert isinstance(database_factory.create("file", use_async=True,
                                              path=str(tmp_path / "y.json")), AsyncFileDatabase)


def test_same_message_as_from_config(tmp_path: Path):
    with pytest.raises(ConfigurationError) as via_factory:
        database_factory.create(backend="file", pth=str(tmp_path / "x.json"))
    with pytest.raises(ConfigurationError) as via_adapter:
        FileDatabase.from_config({"pth": str(tmp_path / "x.json")})
    expected = "'pth' is not an option of file; did you mean 'path'?"
    assert expected in str(via_factory.value)
    assert expected in str(via_adapter.value)


def test_class_path_and_config_mapping():
    db = database_factory.create(class_="dataknobs_data.adapters.memory:MemoryDatabase",
                                 indexes=["a"])
    assert isinstance(db, MemoryDatabase)
    db2 = database_factory.from_config({"backend": "memory", "indexes": "${IDX:}"},
                                       environ={})
    assert isinstance(db2, MemoryDatabase)


def test_conflicting_and_unknown_backend():
    with pytest.raises(ConfigurationError, match="give either 'backend' or 'class'"):
        database_factory.create(backend="file", class_="dataknobs_data.adapters.memory.X")
    with pytest.raises(ConfigurationError, match="did you mean 'elasticsearch'"):
        database_factory.create(backend="elasticsearh")


def test_a_container_entry_is_accepted_by_the_adapters_from_config(tmp_path: Path):
    # one list of routing keys: an entry as the container reads it (backend, name, async)
    # configures the adapter class directly too
    entry = {"name": "main", "backend": "memory", "async": False, "indexes": ["a"]}
    assert isinstance(MemoryDatabase.from_config(entry), MemoryDatabase)
    db = FileDatabase.from_config({"backend": "file", "async": False,
                                   "path": str(tmp_path / "x.jsonl")})
    assert isinstance(db, FileDatabase)
    with pytest.raises(ConfigurationError, match="'asynch' is not an option of memory"):
        MemoryDatabase.from_config({"backend": "memory", "asynch": False})


# -- dataknobs-data 0.11's factory API (compared side by side with 0.11.0) ----------------------
def test_factories_are_importable_from_the_top_level_as_in_dataknobs_data():
    import dataknobs_data
    from dataknobs_data import (
        AsyncDatabaseFactory,
        DatabaseFactory,
        async_database_factory,
        database_factory,
    )

    assert isinstance(database_factory, DatabaseFactory)
    assert isinstance(async_database_factory, AsyncDatabaseFactory)
    assert {"database_factory", "async_database_factory"} <= set(dataknobs_data.__all__)


def test_create_takes_the_configuration_as_keywords():
    from dataknobs_data import AsyncDatabase, SyncDatabase, async_database_factory, database_factory

    assert isinstance(database_factory.create(backend="memory"), SyncDatabase)
    assert isinstance(async_database_factory.create(backend="memory"), AsyncDatabase)
    assert isinstance(async_database_factory.create(), AsyncDatabase)


def test_discovery_reports_installed_backends_and_unknown_ones():
    from dataknobs_data import async_database_factory, database_factory

    available = database_factory.get_available_backends()
    assert available == sorted(available) and {"memory", "file"} <= set(available)
    assert {"memory", "file"} <= set(async_database_factory.get_available_backends())
    assert database_factory.is_backend_available("memory")
    assert not database_factory.is_backend_available("nope")
    assert database_factory.get_backend_info("nope") == {
        "description": "Unknown backend", "error": "Backend 'nope' not recognized"}
    memory = database_factory.get_backend_info("memory")
    assert memory["persistent"] is False and memory["requires_install"] is False
    file = database_factory.get_backend_info("file")
    assert file["persistent"] is True and file["config_options"]["path"] == "required"


def test_a_backend_whose_driver_is_missing_is_reported_with_its_install_command():
    from dataknobs_data import database_factory
    from dataknobs_data.containers import register_backend, unregister_backend

    register_backend("needs-driver", "dataknobs_data.adapters.memory:MemoryDatabase",
                     drivers=["surely_not_an_installed_module"], extra="nope")
    try:
        assert not database_factory.is_backend_available("needs-driver")
        assert "needs-driver" not in database_factory.get_available_backends()
        info = database_factory.get_backend_info("needs-driver")
        assert info["requires_install"] == "pip install 'dataknobs-data[nope]'"
        assert info["requires_module"] == ("surely_not_an_installed_module",)
        assert info["persistent"] is None
    finally:
        unregister_backend("needs-driver")


def test_from_backend_builds_and_connects_as_in_dataknobs_data(tmp_path):
    import asyncio

    from dataknobs_data import AsyncDatabase, Record, SyncDatabase

    db = SyncDatabase.from_backend("file", {"path": str(tmp_path / "s.jsonl")})
    db.create(Record({"a": 1}, id="r"))
    db.close()
    again = SyncDatabase.from_backend("file", {"path": str(tmp_path / "s.jsonl")})
    assert again.read("r")["a"] == 1
    again.close()

    async def run() -> str:
        adb = await AsyncDatabase.from_backend("memory")
        rid = await adb.create(Record({"a": 2}))
        return (await adb.read(rid))["a"]

    assert asyncio.run(run()) == 2
    with pytest.raises(ConfigurationError, match="unknown backend 'nope'"):
        SyncDatabase.from_backend("nope")


def test_async_backend_info_lists_the_options_of_the_adapter_it_wraps():
    from dataknobs_data import async_database_factory

    options = async_database_factory.get_backend_info("file")["config_options"]
    assert options["path"] == "required" and options["max_workers"] == "default: 8"
