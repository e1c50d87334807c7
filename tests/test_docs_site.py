"""The docs site (mkdocs.yml: MkDocs Material, the API reference from docstrings through
mkdocstrings) builds with ``--strict``: every page is in the nav, every ``:::`` reference
resolves, and a warning fails the build. Needs no server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dataknobs_data.testing.servers import require_module

ROOT = Path(__file__).resolve().parents[1]


def test_site_builds_strict(tmp_path: Path) -> None:
    require_module("mkdocs", reason='the docs extra: pip install "dataknobs-data[docs]"')
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
         "-d", str(site)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    # the reference pages hold the docstrings, not just the ::: lines
    reference = (site / "reference" / "containers" / "index.html").read_text(encoding="utf-8")
    assert "DatabasesContainer" in reference and ":::" not in reference
    assert (site / "testing" / "index.html").exists()


def test_every_page_is_in_the_nav() -> None:
    import yaml

    def paths(items: object) -> set[str]:
        if isinstance(items, str):
            return {items}
        if isinstance(items, list):
            return set().union(*(paths(i) for i in items))
        if isinstance(items, dict):
            return set().union(*(paths(v) for v in items.values()))
        return set()

    nav = paths(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"])
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages == nav, f"not in the nav: {sorted(pages - nav)}; missing: {sorted(nav - pages)}"
