"""examples/inventory_app's own test suite, run as its users would run it (``python -m
pytest`` in its folder, a pytest run of its own whose fixtures come from the installed
plugin), and its script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "examples" / "inventory_app"


@pytest.mark.server
def test_the_example_apps_tests_pass() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-rs"],
                          cwd=APP, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout, done.stdout


def test_the_example_app_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(APP / "inventory.py"), str(APP / "inventory.yaml")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True,
        env={**os.environ, "STOCK_PATH": str(tmp_path / "stock.jsonl")})
    assert done.stdout.splitlines() == ["low: nut"]
    assert (tmp_path / "stock.jsonl").exists()
