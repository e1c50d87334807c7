"""The backend registry: built-ins resolve lazily, unknown names are explained, drivers
missing give the install hint, register_backend and the entry-point group work."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dataknobs_data import (
    AsyncMemoryDatabase,
    BackendNotAvailableError,
    ConfigurationError,
    MemoryDatabase,
)
from dataknobs_data.containers import (
    ENTRY_POINT_GROUP,
    available_backends,
    backend_specs,
    database_factory,
    get_spec,
    register_backend,
    resolve_backend,
    unregister_backend,
)


def test_builtins_are_known_by_name():
    assert {"memory", "file", "postgres", "s3", "elasticsearch"} <= set(available_backends())
    assert resolve_backend("memory") is MemoryDatabase
    assert resolve_backend("memory", use_async=True) is AsyncMemoryDatabase
    assert get_spec("s3").install_hint == "pip install 'dataknobs-data[s3]'"
    assert get_spec("postgres").sync == "dataknobs_data.adapters.postgres:PostgresDatabase"


def test_registry_imports_no_adapter_until_asked():
    # a fresh interpreter: loading the registry and resolving memory imports no other adapter
    code = textwrap.dedent("""
        import sys
        from dataknobs_data.containers import available_backends, resolve_backend
        available_backends()
        resolve_backend("memory")
        loaded = [m for m in ("dataknobs_data.adapters.s3",
                  "dataknobs_data.adapters.postgres", "dataknobs_data.adapters.elasticsearch",
                  "boto3", "psycopg2", "psycopg", "elasticsearch") if m in sys.modules]
        print(loaded)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_backend_names_choices_and_nearest():
    with pytest.raises(ConfigurationError) as err:
        resolve_backend("postgress")
    message = str(err.value)
    assert "'postgress'" in message
    assert "did you mean 'postgres'?" in message
    assert "memory" in message and "elasticsearch" in message


def test_missing_driver_gives_install_hint():
    register_backend("fakedb", "dataknobs_data.adapters.memory:MemoryDatabase",
                     extra="fakedb", drivers=["dataknobs_no_such_driver_xyz"])
    try:
        with pytest.raises(BackendNotAvailableError) as err:
            resolve_backend("fakedb")
        assert "pip install 'dataknobs-data[fakedb]'" in str(err.value)
        assert "dataknobs_no_such_driver_xyz" in str(err.value)
        assert not get_spec("fakedb").driver_installed
        # the factory goes through the same registry
        with pytest.raises(BackendNotAvailableError):
            database_factory.create(backend="fakedb")
    finally:
        unregister_backend("fakedb")


def test_missing_adapter_module_gives_install_hint():
    register_backend("ghost", "dataknobs_no_such_adapter_pkg.mod:GhostDatabase", extra="ghost")
    try:
        with pytest.raises(BackendNotAvailableError) as err:
            resolve_backend("ghost")
        assert "pip install 'dataknobs-data[ghost]'" in str(err.value)
    finally:
        unregister_backend("ghost")


def test_register_backend_by_class_and_by_path():
    class Custom(MemoryDatabase):
        """A test adapter."""

    register_backend("custom", Custom)
    register_backend("custom_path", "dataknobs_data.adapters.memory:MemoryDatabase",
                     "dataknobs_data.adapters.memory.AsyncMemoryDatabase")
    try:
        assert resolve_backend("custom") is Custom
        assert resolve_backend("custom_path") is MemoryDatabase
        assert resolve_backend("custom_path", use_async=True) is AsyncMemoryDatabase
        with pytest.raises(ConfigurationError, match="has no async adapter"):
            resolve_backend("custom", use_async=True)
        assert isinstance(database_factory.create(backend="custom"), Custom)
    finally:
        unregister_backend("custom")
        unregister_backend("custom_path")
    assert "custom" not in available_backends()


def test_register_backend_rejects_empty():
    with pytest.raises(ConfigurationError):
        register_backend("", MemoryDatabase)
    with pytest.raises(ConfigurationError):
        register_backend("nothing", None)


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A tiny third-party adapter 'installed' on a sys.path entry: its package and a
    dist-info whose entry_points.txt declares it in the dataknobs_data.backends group."""
    pkg = tmp_path / "dk_tiny_backend"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent("""
        from dataknobs_data import AsyncMemoryDatabase, MemoryDatabase

        class TinyDatabase(MemoryDatabase):
            '''A third-party adapter (the memory adapter with one option).'''
            backend_name = "tiny"
            def __init__(self, *, flavour: str = "plain") -> None:
                super().__init__()
                self.flavour = flavour

        class AsyncTinyDatabase(AsyncMemoryDatabase):
            '''Its async twin.'''
    """))
    dist = tmp_path / "dk_tiny_backend-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: dk-tiny-backend\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\ntiny = dk_tiny_backend:TinyDatabase\n"
        "tiny.async = dk_tiny_backend:AsyncTinyDatabase\n"
        "memory = dk_tiny_backend:TinyDatabase\n")    # may not take over a built-in name
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "tiny"
    sys.modules.pop("dk_tiny_backend", None)


def test_entry_point_backend(installed_plugin: str):
    assert installed_plugin in available_backends()
    spec = backend_specs()["tiny"]
    assert "dk-tiny-backend" in spec.source
    # discovered from metadata only: not imported until resolved
    assert "dk_tiny_backend" not in sys.modules
    assert resolve_backend("memory") is MemoryDatabase
    cls = resolve_backend("tiny")
    assert cls.__name__ == "TinyDatabase"
    assert resolve_backend("tiny", use_async=True).__name__ == "AsyncTinyDatabase"
    db = database_factory.create(backend="tiny", flavour="spicy")
    assert db.flavour == "spicy"
    with pytest.raises(ConfigurationError, match="'flavor' is not an option of tiny; did you "
                                                 "mean 'flavour'"):
        database_factory.create(backend="tiny", flavor="spicy")


def test_entry_point_backend_in_yaml(installed_plugin: str, tmp_path: Path):
    from dataknobs_data.containers import DatabasesContainer

    cfg = tmp_path / "plugin.yaml"
    cfg.write_text("databases:\n  - name: things\n    backend: tiny\n    flavour: mild\n")
    container = DatabasesContainer.from_yaml(cfg)
    assert container.things().flavour == "mild"
    container.shutdown_resources()


def test_each_adapter_needs_only_its_own_driver():
    # the sync adapter resolves without the async adapter's driver, and the other way round
    register_backend("halfdb", "dataknobs_data.adapters.memory:MemoryDatabase",
                     "dataknobs_data.adapters.memory:AsyncMemoryDatabase",
                     extra="halfdb", drivers=[], async_drivers=["dataknobs_no_such_async_xyz"])
    try:
        assert resolve_backend("halfdb").__name__ == "MemoryDatabase"
        with pytest.raises(BackendNotAvailableError, match="dataknobs_no_such_async_xyz"):
            resolve_backend("halfdb", use_async=True)
        spec = get_spec("halfdb")
        assert spec.missing_drivers(False) == [] and not spec.driver_installed
    finally:
        unregister_backend("halfdb")
    postgres = get_spec("postgres")
    assert postgres.needed_drivers(False) == ("psycopg2",)
    assert postgres.needed_drivers(True) == ("psycopg",)
