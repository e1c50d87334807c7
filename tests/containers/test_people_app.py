"""The example application: its repository is injected, a test overrides the provider with
the memory adapter, and configuration alone switches it to the file adapter."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from dependency_injector import providers

from dataknobs_data import MemoryDatabase
from dataknobs_data.adapters.file import FileDatabase

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def people_app():
    spec = importlib.util.spec_from_file_location("people_app", EXAMPLES / "people_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["people_app"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("people_app", None)


def test_app_with_provider_overridden_by_memory(people_app, tmp_path: Path, monkeypatch):
    # the file configuration, but the test swaps the store for the memory adapter
    monkeypatch.setenv("PEOPLE_PATH", str(tmp_path / "never.jsonl"))
    container = people_app.build_container(str(EXAMPLES / "config" / "people-file.yaml"))
    try:
        with container.people.override(providers.Singleton(MemoryDatabase)):
            people_app.add_person("Ada", 36, "core")
            people_app.add_person("Grace", 45, "core")
            people_app.add_person("Linus", 29, "infra")
            assert people_app.roster("core") == ["Grace", "Ada"]
            assert people_app.headcount() == 3
            assert isinstance(container.people(), MemoryDatabase)
        assert not (tmp_path / "never.jsonl").exists()
    finally:
        container.unwire()
        container.shutdown_resources()


def test_same_app_on_file_backend_by_configuration(people_app, tmp_path: Path, monkeypatch):
    store = tmp_path / "people.jsonl"
    monkeypatch.setenv("PEOPLE_PATH", str(store))
    container = people_app.build_container(str(EXAMPLES / "config" / "people-file.yaml"))
    try:
        people_app.add_person("Ada", 36, "core")
        assert isinstance(container.people(), FileDatabase)
    finally:
        container.shutdown_resources()
        container.unwire()
    # a second container (a new "process") sees the stored record
    container = people_app.build_container(str(EXAMPLES / "config" / "people-file.yaml"))
    try:
        assert people_app.roster("core") == ["Ada"]
    finally:
        container.shutdown_resources()
        container.unwire()
    assert store.exists()


@pytest.mark.parametrize("config", ["people-memory.yaml", "people-file.yaml"])
def test_app_main_runs_on_either_config(config: str, tmp_path: Path):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "people_app.py"), str(EXAMPLES / "config" / config)],
        capture_output=True, text=True, cwd=tmp_path, check=True,
        env={"PATH": "", "PEOPLE_PATH": str(tmp_path / "p.jsonl")},
    )
    assert out.stdout.splitlines() == ["core: Grace, Ada", "people stored: 3"]
