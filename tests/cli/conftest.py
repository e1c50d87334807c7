"""Fixtures for the command-line tests: a clean working directory and a CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataknobs_data.cli.app import app


class Cli:
    """Runs the ``dataknobs-data`` app in-process (as the script would, errors included)."""

    def __init__(self, runner: CliRunner) -> None:
        self.runner = runner

    def __call__(self, *args: str, env: dict[str, str] | None = None):
        return self.runner.invoke(app, list(args), env=env)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh current directory (the embedded default writes ./.dataknobs/ there)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATAKNOBS_CONFIG", raising=False)
    monkeypatch.delenv("DATAKNOBS_DEBUG", raising=False)
    return tmp_path


@pytest.fixture
def cli(workdir: Path) -> Cli:
    """Invoke the app: ``cli("query", "--where", "age>=30")``."""
    return Cli(CliRunner())


@pytest.fixture
def sample() -> Path:
    """The shipped sample data set."""
    return Path(__file__).resolve().parents[2] / "examples" / "data" / "people.csv"
