"""``dataknobs-data migrate SOURCE TARGET`` against file stores named in a configuration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dataknobs_data import Record
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.cli.app import app
from dataknobs_data.migration import FileCheckpointStore, Migrator

CONFIG = """\
databases:
  - name: people
    backend: file
    path: people.jsonl
  - name: archive
    backend: file
    path: archive.parquet
  - name: strict
    backend: file
    path: strict.json
    schema:
      fields:
        age: {type: integer}
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATAKNOBS_DEBUG", raising=False)
    (tmp_path / "dk.yaml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("DATAKNOBS_CONFIG", str(tmp_path / "dk.yaml"))
    with FileDatabase(path=tmp_path / "people.jsonl") as db:
        db.create_batch([Record({"name": f"p{i:02d}", "age": 20 + i, "tags": [i]},
                                id=f"id{i:03d}") for i in range(30)])
    return tmp_path


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def archive(workdir: Path) -> list[Record]:
    with FileDatabase(path=workdir / "archive.parquet") as db:
        return db.all()


def test_migrate_with_query_transforms_and_verify(workdir: Path) -> None:
    out = cli("migrate", "people", "archive", "--query", "age>=35", "-t",
              "rename:name=full_name", "-t", "drop:tags", "-t", "default:country=NO",
              "--batch-size", "4", "--verify")
    assert out.exit_code == 0, out.output
    assert "read 15" in out.output and "written 15" in out.output
    assert "verify OK" in out.output
    recs = archive(workdir)
    assert len(recs) == 15 and recs[0].data == {"full_name": "p15", "age": 35,
                                                "country": "NO"}


def test_dry_run_writes_nothing_and_lists_refusals(workdir: Path) -> None:
    with FileDatabase(path=workdir / "people.jsonl") as db:
        db.update("id004", Record({"name": "x", "age": "old"}))
    out = cli("migrate", "people", "strict", "--dry-run")
    assert out.exit_code == 1
    assert "would write 29" in out.output and "'id004'" in out.output
    assert not (workdir / "strict.json").exists() or FileDatabase(
        path=workdir / "strict.json").count() == 0


def test_resume_after_an_interrupted_run(workdir: Path) -> None:
    # an earlier run stopped after two batches (its checkpoint is in the default place)
    store = FileCheckpointStore(workdir / ".dataknobs" / "migrations")

    class Stop(Exception):
        pass

    def stop(progress: Any) -> None:
        if progress.read >= 20:
            raise Stop

    with FileDatabase(path=workdir / "people.jsonl") as src, \
            FileDatabase(path=workdir / "archive.parquet") as dst, pytest.raises(Stop):
        Migrator(src, dst, batch_size=10, checkpoint=store,
                 migration_id="people-to-archive", progress=stop).run()
    refused = cli("migrate", "people", "archive", "--batch-size", "10")
    assert refused.exit_code == 1 and "--resume" in refused.output
    out = cli("migrate", "people", "archive", "--batch-size", "10", "--resume", "--verify",
              "--json")
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["resumed_from"] == 20 and result["read"] == 10
    assert result["verification"]["ok"] and len(archive(workdir)) == 30
    again = cli("migrate", "people", "archive", "--restart", "--upsert", "--verify")
    assert again.exit_code == 0 and "read 30" in again.output


def test_verify_failure_exits_non_zero(workdir: Path) -> None:
    assert cli("migrate", "people", "archive").exit_code == 0
    with FileDatabase(path=workdir / "archive.parquet") as db:
        db.delete("id003")
    out = cli("migrate", "people", "archive", "--resume", "--verify")
    assert out.exit_code == 1 and "missing: 'id003'" in out.output


def test_skip_policy_reports_and_continues(workdir: Path) -> None:
    with FileDatabase(path=workdir / "people.jsonl") as db:
        db.update("id004", Record({"name": "x", "age": "old"}))
    stopped = cli("migrate", "people", "strict", "--batch-size", "5")
    assert stopped.exit_code == 1 and "stopped" in stopped.output.lower()
    out = cli("migrate", "people", "strict", "--on-error", "skip", "--migration-id", "s2",
              "--upsert")
    assert out.exit_code == 1 and "written 29" in out.output and "'id004'" in out.output


@pytest.mark.parametrize(("args", "message"), [
    (("people", "nowhere"), "no database 'nowhere'"),
    (("people", "people"), "same database"),
    (("people", "archive", "-t", "explode:x"), "unknown kind"),
    (("people", "archive", "--on-error", "ignore"), "stop, skip or retry"),
    (("people", "archive", "--query", "{bad json"), "--query"),
])
def test_bad_arguments_are_one_line_errors(workdir: Path, args: tuple[str, ...],
                                          message: str) -> None:
    out = cli("migrate", *args)
    assert out.exit_code != 0 and message in out.output, out.output


def test_json_query(workdir: Path) -> None:
    q = json.dumps({"filters": [{"field": "age", "operator": "lt", "value": 22}]})
    out = cli("migrate", "people", "archive", "--query", q)
    assert out.exit_code == 0, out.output
    assert [r.id for r in archive(workdir)] == ["id000", "id001"]


def test_checkpoint_keeps_the_flags_for_resume_and_dry_run(workdir: Path) -> None:
    (workdir / "mytransforms.py").write_text(
        "def shout(value):\n    return value.upper()\n", encoding="utf-8")
    with FileDatabase(path=workdir / "people.jsonl") as db:
        db.update("id017", Record({"name": "x", "age": "old"}))
    flags = ("--batch-size", "5", "-t", "map:name=mytransforms:shout", "-t",
             "default:country=NO", "--query", "name>=p02", "--upsert")
    stopped = cli("migrate", "people", "strict", *flags)
    assert stopped.exit_code == 1 and "stopped" in stopped.output.lower(), stopped.output
    with FileDatabase(path=workdir / "people.jsonl") as db:
        db.update("id017", Record({"name": "p17", "age": 37}))
    dry = cli("migrate", "people", "strict", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would write 28" in dry.output, dry.output
    out = cli("migrate", "people", "strict", "--resume", "--json")
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["resumed_from"] == 15 and result["read"] == 13  # batches of 5 again
    with FileDatabase(path=workdir / "strict.json") as db:
        recs = db.all()
    assert len(recs) == 28
    assert all(r.data["country"] == "NO" and r.data["name"].isupper() for r in recs)
    # a flag given again wins over the checkpoint's (and here changes the definition)
    changed = cli("migrate", "people", "strict", "--resume", "--query", "name>=p05")
    assert changed.exit_code != 0 and "different" in changed.output, changed.output


def test_resume_without_a_checkpoint_is_an_error(workdir: Path) -> None:
    out = cli("migrate", "people", "archive", "--resume")
    assert out.exit_code != 0
    assert "'people-to-archive' has no checkpoint" in out.output, out.output
    assert not (workdir / "archive.parquet").exists()
