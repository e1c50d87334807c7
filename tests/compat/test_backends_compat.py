"""dataknobs-data 0.11's backend modules, factory helpers and file transactions, used the way
0.11's README and docs write programs: ``dataknobs_data.backends.<name>`` classes built from
one positional dict, ``dataknobs_data.factory``'s registries and helpers, and
``transaction()`` blocks on the file backend."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data import (
    ConfigurationError,
    MemoryDatabase,
    Query,
    Record,
    SyncDatabase,
    build_backend,
    select_backend,
)
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.backends.elasticsearch import SyncElasticsearchDatabase
from dataknobs_data.backends.elasticsearch_async import AsyncElasticsearchDatabase
from dataknobs_data.backends.file import AsyncFileDatabase, SyncFileDatabase
from dataknobs_data.backends.memory import AsyncMemoryDatabase, SyncMemoryDatabase
from dataknobs_data.backends.postgres import AsyncPostgresDatabase, SyncPostgresDatabase
from dataknobs_data.backends.s3 import SyncS3Database
from dataknobs_data.backends.s3_async import AsyncS3Database
from dataknobs_data.containers import unregister_backend
from dataknobs_data.factory import (
    async_backends,
    async_database_factory,
    available_backends,
    backend_available,
    backend_info,
    database_factory,
    is_default_backend,
    normalize_backend,
    register_backend,
    sync_backends,
)


def ids(db: Any) -> list[str]:
    return sorted(str(rec.id) for rec in db.search(Query()))


async def async_ids(db: Any) -> list[str]:
    return sorted(str(rec.id) for rec in await db.search(Query()))


# -- the backend classes --------------------------------------------------------------------
def test_memory_backend_takes_a_config_dict_and_is_the_memory_adapter() -> None:
    db = SyncMemoryDatabase({})
    db.connect()
    rid = db.create(Record({"name": "Ada"}))
    assert db.read(rid)["name"] == "Ada"
    db.close()
    # what the factory builds passes 0.11's type checks
    assert isinstance(database_factory.create(backend="memory"), SyncMemoryDatabase)
    assert isinstance(async_database_factory.create(backend="memory"), AsyncMemoryDatabase)
    assert isinstance(db, MemoryDatabase)
    assert not isinstance(MemoryDatabase(), SyncFileDatabase)


def test_file_backend_persists_through_a_config_dict(tmp_path: Path) -> None:
    path = str(tmp_path / "people.json")
    with SyncFileDatabase({"path": path, "format": "json"}) as db:
        db.create(Record({"name": "Ada"}, id="ada"))
    again = SyncFileDatabase({"path": path})
    assert again.read("ada")["name"] == "Ada"
    again.close()


def test_file_backend_without_a_path_is_a_temporary_file_removed_on_close() -> None:
    db = SyncFileDatabase()
    path = db.path
    db.create(Record({"v": 1}, id="a"))
    assert db.read("a")["v"] == 1
    db.close()
    assert not any(os.path.exists(p) for p in (path, path + ".log", path + ".lock"))


def test_async_file_backend_without_a_path_is_removed_on_close() -> None:
    async def main() -> str:
        db = AsyncFileDatabase()
        await db.create(Record({"v": 1}, id="a"))
        assert (await db.count()) == 1
        await db.close()
        return str(db.sync.path)  # type: ignore[attr-defined]

    path = asyncio.run(main())
    assert not os.path.exists(path) and not os.path.exists(path + ".log")


def test_the_factory_names_a_missing_path_rather_than_making_a_temporary_store() -> None:
    # 0.11's factory gives a temporary store here; this one asks for the path
    with pytest.raises(ConfigurationError, match="file needs 'path'"):
        database_factory.create(backend="file")


def test_a_store_given_a_path_is_kept_on_close(tmp_path: Path) -> None:
    path = tmp_path / "kept.json"
    db = SyncFileDatabase({"path": str(path)})
    db.create(Record({"v": 1}))
    db.close()
    assert path.exists()


def test_option_names_of_0_11_are_mapped_and_unknown_ones_refused() -> None:
    s3 = SyncS3Database({"bucket": "b", "region_name": "eu-west-1"})
    assert (s3.bucket, s3.region, s3.layout.prefix) == ("b", "eu-west-1", "records/")
    assert AsyncS3Database({"bucket": "b"}).sync.layout.prefix == ""  # type: ignore[attr-defined]
    pg = SyncPostgresDatabase({"host": "db", "schema": "sales", "table": "orders",
                               "min_pool_size": 1, "max_pool_size": 3})
    assert (pg.options.table_schema, pg.options.table) == ("sales", "orders")
    assert (pg.options.pool_min_size, pg.options.pool_max_size) == (1, 3)
    es = SyncElasticsearchDatabase({"host": "search", "port": 9300, "index": "people"})
    assert es.settings.hosts == ["http://search:9300"]
    assert SyncElasticsearchDatabase({}).settings.hosts == ["http://localhost:9200"]
    with pytest.raises(ConfigurationError, match=r"'pth'.*did you mean 'path'"):
        SyncFileDatabase({"pth": "x.json"})
    # 0.11's vector options: always on; the metric declares the vector field
    assert SyncMemoryDatabase({"vector_enabled": True}).schema is None
    vdb = SyncMemoryDatabase({"vector_enabled": True, "vector_metric": "euclidean",
                              "vector_dimensions": 2})
    declared = vdb.schema.vector_field("embedding")
    assert (declared.metric, declared.dimensions) == ("euclidean", 2)
    vdb.create_batch([Record({"embedding": [0.0, 0.0]}, id="a"),
                      Record({"embedding": [3.0, 4.0]}, id="b")])
    assert [(h.id, h.score) for h in vdb.vector_search([0.0, 0.0])] == [("a", 1.0),
                                                                       ("b", 1 / 6)]
    with pytest.raises(ConfigurationError, match=r"'vector_metric'.*unknown vector metric"):
        SyncMemoryDatabase({"vector_enabled": True, "vector_metric": "manhattan"})
    with pytest.raises(ConfigurationError, match="'vector_enabled' must be true or false"):
        SyncMemoryDatabase({"vector_enabled": "yes"})
    with pytest.raises(ConfigurationError, match="conflicts with the schema's declaration"):
        SyncMemoryDatabase({"vector_metric": "dot"},
                           schema={"fields": {"embedding": {"type": "vector",
                                                            "metric": "cosine"}}})
    made = database_factory.create(backend="memory", vector_enabled=True,
                                   vector_metric="dot_product", default_vector_field="e")
    assert made.schema.vector_field("e").metric == "dot_product"
    with pytest.raises(ConfigurationError, match="given twice"):
        SyncS3Database({"bucket": "b", "region": "x", "region_name": "y"})
    with pytest.raises(ConfigurationError, match="dict of options"):
        SyncMemoryDatabase("memory")  # type: ignore[arg-type]
    # the factory takes 0.11's names too
    s3_made = database_factory.create(backend="s3", bucket="b", region_name="us-east-2")
    assert isinstance(s3_made, SyncS3Database) and s3_made.region == "us-east-2"


def test_server_backends_import_without_their_drivers() -> None:
    # (the PostgreSQL adapter's constructor asks psycopg to quote its sequence name)
    program = (
        "import sys\n"
        "from dataknobs_data.backends.postgres import SyncPostgresDatabase\n"
        "from dataknobs_data.backends.elasticsearch import SyncElasticsearchDatabase\n"
        "from dataknobs_data.backends.s3 import SyncS3Database\n"
        "SyncS3Database({'bucket': 'b'}); SyncElasticsearchDatabase({})\n"
        "print(sorted(m for m in ('psycopg', 'psycopg2', 'elasticsearch', 'boto3')"
        " if m in sys.modules))\n")
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == "[]"
    assert AsyncPostgresDatabase({"table": "t"}).options.table == "t"
    assert AsyncElasticsearchDatabase({"hosts": ["http://a:1"]}).settings.hosts == ["http://a:1"]


# -- the factory helpers --------------------------------------------------------------------
def test_registry_helpers_answer_for_names_aliases_and_any_case() -> None:
    assert {"memory", "file"} <= set(available_backends(sync_backends))
    assert backend_available(sync_backends, "MEM") and backend_available(async_backends, "mem")
    assert not backend_available(sync_backends, "nope")
    info = backend_info(sync_backends, "memory")
    assert info["persistent"] is False and "description" in info
    assert backend_info(sync_backends, "nope")["description"] == "Unknown backend"
    assert normalize_backend(" File ") == "file"
    assert is_default_backend({}) and is_default_backend({"backend": "mem"}, sync_backends)
    assert not is_default_backend({"backend": "file"}, sync_backends)
    with pytest.raises(ConfigurationError, match="'backend' must be a string"):
        normalize_backend(None)


def test_select_and_build_a_backend_from_a_config(tmp_path: Path) -> None:
    cls, name, options = select_backend(
        {"backend": "File", "path": str(tmp_path / "x.json")}, sync_backends, kind="database")
    assert (cls, name) == (FileDatabase, "file")
    db = build_backend(cls, options, kind="database", backend_type=name)
    db.create(Record({"v": 1}, id="a"))
    assert db.read("a")["v"] == 1
    with pytest.raises(ValueError, match=r"Unknown backend type: redis\. Available backends:"):
        select_backend({"backend": "redis"}, sync_backends, kind="database")
    with pytest.raises(ConfigurationError, match="no from_config"):
        build_backend(len, {}, kind="database", backend_type="len")


def test_register_a_backend_with_a_loader() -> None:
    loaded: list[str] = []

    def load() -> type:
        loaded.append("x")
        return MemoryDatabase

    register_backend(sync_backends, "scratch", load,
                     metadata={"description": "scratch store"}, aliases=("scr",))
    try:
        assert loaded == []                           # imported when first built, not before
        db = database_factory.create(backend="scr")
        assert isinstance(db, MemoryDatabase) and loaded == ["x"]
        assert backend_info(sync_backends, "scratch")["description"] == "scratch store"
        assert not backend_available(async_backends, "scratch")  # no async adapter given
        with pytest.raises(ConfigurationError, match="already has"):
            register_backend(sync_backends, "scratch", load, metadata={})
        calls = len(loaded)
        register_backend(sync_backends, "needs-driver", load,
                         metadata={"requires_module": "no_such_driver_module"})
        assert not backend_available(sync_backends, "needs-driver")
        assert len(loaded) == calls                   # never loaded without its driver
        with pytest.raises(ConfigurationError, match="no_such_driver_module"):
            database_factory.create(backend="needs-driver")
    finally:
        unregister_backend("scratch")
        unregister_backend("needs-driver")


# -- transactions on the file backend -------------------------------------------------------
def test_file_transaction_commits_or_leaves_nothing_behind_on_disk(tmp_path: Path) -> None:
    path = str(tmp_path / "tx.jsonl")
    db = SyncDatabase.from_backend("file", {"path": path})
    db.create(Record({"v": 1}, id="a"))
    with db.transaction():
        db.create(Record({"v": 2}, id="b"))
        db.update("a", Record({"v": 10}))
    with pytest.raises(ZeroDivisionError), db.transaction():
        db.delete("a")
        db.create(Record({"v": 3}, id="c"))
        raise ZeroDivisionError
    assert ids(db) == ["a", "b"]
    # another process sees the committed state only
    other = FileDatabase(path=path)
    assert ids(other) == ["a", "b"] and other.read("a")["v"] == 10
    other.close()
    db.close()


def test_async_file_transaction_commits_rolls_back_and_nests(tmp_path: Path) -> None:
    async def main() -> None:
        db = AsyncFileDatabase({"path": str(tmp_path / "tx.json")})
        assert db.capabilities.transactions
        await db.create(Record({"v": 1}, id="a"))
        async with db.transaction() as tx:
            await tx.create(Record({"v": 2}, id="b"))
            assert await db.count() == 2           # the block sees its own writes
        with pytest.raises(ZeroDivisionError):
            async with db.transaction():
                await db.create(Record({"v": 3}, id="c"))
                with pytest.raises(KeyError):
                    async with db.transaction():  # a savepoint
                        await db.delete("a")
                        raise KeyError("inner")
                assert await async_ids(db) == ["a", "b", "c"]
                raise ZeroDivisionError
        assert await async_ids(db) == ["a", "b"]
        await db.close()

    asyncio.run(main())


def test_another_tasks_write_is_not_undone_by_a_rollback(tmp_path: Path) -> None:
    async def main() -> list[str]:
        db = AsyncFileDatabase({"path": str(tmp_path / "iso.json")})
        ready = asyncio.Event()

        async def other() -> None:
            await ready.wait()
            await db.create(Record({"v": 9}, id="z"))

        task = asyncio.create_task(other())     # started outside: not part of the block
        with pytest.raises(ZeroDivisionError):
            async with db.transaction():
                await db.create(Record({"v": 1}, id="y"))
                ready.set()
                await asyncio.sleep(0)          # let the other task start its write
                raise ZeroDivisionError
        await task
        found = await async_ids(db)
        await db.close()
        return found

    assert asyncio.run(main()) == ["z"]


def test_async_memory_transaction_rolls_back_as_a_0_11_program_expects() -> None:
    async def main() -> None:
        db = AsyncMemoryDatabase()
        await db.create(Record({"balance": 100}, id="alice"))
        with pytest.raises(RuntimeError):
            async with db.transaction():
                await db.update("alice", Record({"balance": 0}))
                raise RuntimeError("refused")
        assert (await db.read("alice")).get_value("balance") == 100

    asyncio.run(main())


def test_supports_transactions_is_the_declared_capability(tmp_path: Path) -> None:
    from dataknobs_data.backends.file import SyncFileDatabase
    from dataknobs_data.backends.memory import AsyncMemoryDatabase, SyncMemoryDatabase

    assert SyncMemoryDatabase().supports_transactions() is True
    assert AsyncMemoryDatabase().supports_transactions() is True
    assert SyncFileDatabase({"path": str(tmp_path / "t.json")}).supports_transactions() is True


def test_sqlite_backend_modules_as_0_11_names_them(tmp_path: Path) -> None:
    from dataknobs_data.backends.sqlite import SyncSQLiteDatabase
    from dataknobs_data.backends.sqlite_async import AsyncSQLiteDatabase

    memory = SyncSQLiteDatabase()  # 0.11's default path, ":memory:"
    rid = memory.create(Record({"a": 1}))
    assert memory.read(rid).get_value("a") == 1
    on_disk = SyncSQLiteDatabase({"path": str(tmp_path / "app.db"), "timeout": 5.0,
                                  "journal_mode": None, "auto_create_table": True})
    on_disk.create(Record({"b": 2}, id="x"))
    on_disk.close()
    assert SyncSQLiteDatabase({"path": str(tmp_path / "app.db")}).read("x").get_value("b") == 2
    with pytest.raises(ConfigurationError, match="journal_mode"):
        SyncSQLiteDatabase({"journal_mode": "DELETE"})

    async def main() -> None:
        db = AsyncSQLiteDatabase({"path": str(tmp_path / "app.db")})
        assert (await db.read("x")).get_value("b") == 2
        await db.close()

    asyncio.run(main())
    assert isinstance(SyncDatabase.from_backend("sqlite3", {"path": ":memory:"}),
                      SyncSQLiteDatabase)
