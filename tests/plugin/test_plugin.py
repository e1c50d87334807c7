"""The pytest plugin's fixtures (entry point ``pytest11`` ``dataknobs_data``), used here as a
user's suite uses them: by name, with no conftest. The server fixtures reach real servers
(PostgreSQL on the local server, moto's S3, osmem-server); a subprocess run checks what
happens after a test (overrides reset, the schema and the index gone) and that loading the
plugin imports nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from dependency_injector import providers
from dependency_injector.wiring import Provide, inject

from dataknobs_data import Query, Record, SyncDatabase
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.adapters.memory import AsyncMemoryDatabase, MemoryDatabase
from dataknobs_data.containers import DatabasesContainer
from dataknobs_data.testing.plugin import override_provider
from dataknobs_data.testing.servers.postgres import PostgresTestServer


def _round_trip(db: SyncDatabase) -> None:
    assert db.count() == 0, "a fixture's database starts empty"
    db.create(Record({"name": "Ada", "age": 36, "tags": ["x", -0.0]}, id="ada"))
    got = db.read("ada")
    assert got is not None and got["name"] == "Ada" and got["age"] == 36
    assert [r.id for r in db.search(Query())] == ["ada"]


def test_memory_db(dk_memory_db: MemoryDatabase) -> None:
    assert isinstance(dk_memory_db, MemoryDatabase)
    _round_trip(dk_memory_db)


def test_file_db_is_a_file_in_tmp_path(dk_file_db: FileDatabase, tmp_path: Path) -> None:
    _round_trip(dk_file_db)
    dk_file_db.close()
    path = tmp_path / "dk_file_db.jsonl"
    assert path.exists()
    with FileDatabase(path=path) as again:
        assert again.read("ada") is not None


@pytest.mark.server
def test_postgres_db_lives_in_its_own_schema(dk_postgres_db: SyncDatabase,
                                             dk_postgres_schema: str,
                                             dk_postgres_dsn: str) -> None:
    assert dk_postgres_schema.startswith("dk_test_")
    _round_trip(dk_postgres_db)
    rows = PostgresTestServer(dk_postgres_dsn).execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        (dk_postgres_schema,))
    assert rows == [("records",)]


@pytest.mark.server
def test_s3_db_on_the_session_server(dk_s3_db: SyncDatabase, dk_s3_server) -> None:
    _round_trip(dk_s3_db)
    assert dk_s3_server.name in ("moto", "external")


@pytest.mark.server
def test_es_db_on_a_fresh_index(dk_es_db: SyncDatabase, dk_es_server) -> None:
    _round_trip(dk_es_db)
    assert dk_es_server.name in ("osmem", "external")


# --- overriding a container provider ---------------------------------------------------------
@inject
def headcount(db: SyncDatabase = Provide["people"]) -> int:
    return db.count()


@inject
async def event_count(db=Provide["events"]) -> int:  # type: ignore[no-untyped-def]
    return int(await db.count())


@pytest.fixture
def container(tmp_path: Path):  # type: ignore[no-untyped-def]
    made = DatabasesContainer.from_dict({"databases": [
        {"name": "people", "backend": "file", "path": str(tmp_path / "never.jsonl")},
        {"name": "events", "backend": "memory", "async": True}]})
    made.wire(modules=[__name__])
    yield made
    made.unwire()
    made.shutdown_resources()


def test_override_with_an_object(container, dk_override, dk_memory_db, tmp_path: Path) -> None:
    dk_memory_db.create(Record({"name": "Ada"}))
    assert dk_override(container.people, dk_memory_db) is dk_memory_db
    assert container.people() is dk_memory_db
    assert headcount() == 1
    assert not (tmp_path / "never.jsonl").exists(), "the configured store was never opened"


def test_override_with_a_provider(container, dk_override) -> None:
    dk_override(container.people, providers.Singleton(MemoryDatabase))
    assert isinstance(container.people(), MemoryDatabase) and headcount() == 0


async def test_override_an_async_database(container, dk_override) -> None:
    replacement = AsyncMemoryDatabase()
    await replacement.create(Record({"kind": "login"}))
    dk_override(container.events, replacement)
    assert await container.events() is replacement
    assert await event_count() == 1
    await replacement.close()


def test_override_provider_resets_even_when_the_block_fails(container) -> None:
    first, second = MemoryDatabase(), MemoryDatabase()
    with override_provider(container.people, first):
        with pytest.raises(RuntimeError), override_provider(container.people, second):
            assert container.people() is second
            raise RuntimeError("the test failed")
        assert container.people() is first, "only the inner override was removed"
    assert not container.people.overridden


# --- what happens after a test, in a pytest run of its own -----------------------------------
def _pytest(tmp_path: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "test_user.py", *args], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        check=False)


def test_overrides_are_reset_after_each_test(tmp_path: Path) -> None:
    done = _pytest(tmp_path, """
        from dataknobs_data import MemoryDatabase
        from dataknobs_data.containers import DatabasesContainer

        CONTAINER = DatabasesContainer.from_dict(
            {"databases": [{"name": "people", "backend": "memory"}]})
        REPLACEMENT = MemoryDatabase()

        def test_1_overrides(dk_override):
            dk_override(CONTAINER.people, REPLACEMENT)
            dk_override(CONTAINER.people, MemoryDatabase())
            assert CONTAINER.people() is not REPLACEMENT

        def test_2_sees_the_configured_provider():
            assert not CONTAINER.people.overridden
            assert CONTAINER.people() is not REPLACEMENT
    """)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


@pytest.mark.server
def test_postgres_schema_is_dropped_after_the_test(tmp_path: Path, dk_postgres_dsn: str) -> None:
    done = _pytest(tmp_path, """
        import json, pathlib

        def test_writes(dk_postgres_db, dk_postgres_schema):
            dk_postgres_db.create(__import__("dataknobs_data").Record({"a": 1}))
            pathlib.Path("schema.json").write_text(json.dumps(dk_postgres_schema))
    """, "--dk-postgres-dsn", dk_postgres_dsn)
    assert done.returncode == 0, done.stdout + done.stderr
    schema = json.loads((tmp_path / "schema.json").read_text())
    rows = PostgresTestServer(dk_postgres_dsn).execute(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", (schema,))
    assert rows == [(0,)]


def test_an_unreachable_server_skips_outside_ci_and_fails_in_ci(tmp_path: Path) -> None:
    source = """
        def test_needs_postgres(dk_postgres_db):
            raise AssertionError("never reached")
    """
    dsn = "postgresql://nobody@127.0.0.1:1/none"
    import os

    env = {k: v for k, v in os.environ.items() if k != "CI"}
    (tmp_path / "test_user.py").write_text(textwrap.dedent(source), encoding="utf-8")
    for ci, outcome in (("", "1 skipped"), ("true", "1 error")):
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
             "-rs", "test_user.py", "--dk-postgres-dsn", dsn], cwd=tmp_path,
            env={**env, "CI": ci}, capture_output=True, text=True, timeout=120, check=False)
        assert outcome in done.stdout, done.stdout + done.stderr
        assert "postgres is not available" in done.stdout


def test_a_missing_driver_skips_outside_ci_and_fails_in_ci(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from dataknobs_data.testing.servers import require_module

    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_module("dataknobs_no_such_driver")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="in CI a missing driver is a failure"):
        require_module("dataknobs_no_such_driver")
    assert require_module("json") is json


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = ("import sys, dataknobs_data.testing.plugin as p; "
            "heavy = ('dependency_injector', 'psycopg', 'psycopg2', 'boto3', 'botocore', "
            "'moto', 'elasticsearch', 'pandas', 'pyarrow', 'hypothesis', "
            "'dataknobs_data.adapters.file', 'dataknobs_data.testing.servers'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy "
            "or m.startswith(heavy[-2:])))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip() == "[]"
