"""PostgreSQL adapter behaviour beyond the conformance suite: configuration, secrets,
reconnection, pooling, transactions, bulk paths, indexes and server-side streaming."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data import Operator, Query, Record
from dataknobs_data.adapters.postgres import AsyncPostgresDatabase, PostgresDatabase
from dataknobs_data.containers import DatabasesContainer
from dataknobs_data.domain.errors import (
    BatchOperationError,
    ConfigurationError,
    OperationalError,
    RecordExistsError,
    StorageError,
)
from dataknobs_data.ports.streaming import StreamConfig
from dataknobs_data.testing.servers.postgres import PostgresTestServer

MakeDb = Callable[..., PostgresDatabase]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- configuration and secrets -------------------------------------------------------------
def test_constructor_does_no_io_and_repr_hides_password() -> None:
    # port 1 on localhost: nothing listens; building must not try to connect
    db = PostgresDatabase(dsn="postgresql://bob:s3cret-pw@127.0.0.1:1/app", table="t")
    text = repr(db)
    assert "s3cret-pw" not in text and "***" in text and "127.0.0.1:1" in text
    adb = AsyncPostgresDatabase(host="127.0.0.1", port=1, user="bob", password="s3cret-pw")
    assert "s3cret-pw" not in repr(adb)


def test_unreachable_server_error_is_operational_and_redacted() -> None:
    db = PostgresDatabase(dsn="postgresql://bob:s3cret-pw@127.0.0.1:1/app", connect_timeout=2)
    with pytest.raises(OperationalError) as info:
        db.count()
    assert "s3cret-pw" not in str(info.value)
    assert info.value.__cause__ is None  # the driver's exception is not chained
    adb = AsyncPostgresDatabase(dsn="host=127.0.0.1 port=1 password='s3cret-pw'",
                                connect_timeout=2)
    with pytest.raises(OperationalError) as ainfo:
        run(adb.count())
    assert "s3cret-pw" not in str(ainfo.value)


def test_nonexistent_database_error_is_redacted(pg_server: PostgresTestServer) -> None:
    db = PostgresDatabase(dsn=pg_server.dsn, database="dk_no_such_db", password="s3cret-pw")
    with pytest.raises(OperationalError) as info:
        db.read("x")
    assert "dk_no_such_db" in str(info.value) and "s3cret-pw" not in str(info.value)


def test_password_authentication(pg_server: PostgresTestServer, pg_table: str) -> None:
    # The test server trusts every connection from 127.0.0.1 (pg_hba "trust"), so a wrong
    # password is accepted there; with password authentication the same call fails with
    # OperationalError("authentication failed") and, as above, never shows the password.
    role = f"dk_role_{pg_table[-8:]}"
    pg_server.execute(f'CREATE ROLE "{role}" LOGIN PASSWORD \'right-pw\'', ())
    try:
        pg_server.execute(f'GRANT ALL ON SCHEMA public TO "{role}"', ())
        db = PostgresDatabase(dsn=pg_server.dsn, user=role, password="wrong-pw-xyz",
                              table=pg_table)
        try:
            rules = pg_server.execute(
                "SELECT auth_method FROM pg_hba_file_rules WHERE address = '127.0.0.1'", ())
            if rules and rules[0][0] == "trust":
                assert db.count() == 0  # trusted: the password is not checked
            else:
                with pytest.raises(OperationalError, match="authentication") as info:
                    db.count()
                assert "wrong-pw-xyz" not in str(info.value)
        finally:
            db.close()
    finally:
        pg_server.drop_table(pg_table)
        pg_server.execute(f'DROP OWNED BY "{role}"', ())
        pg_server.execute(f'DROP ROLE "{role}"', ())


def test_from_config_and_unknown_option() -> None:
    db = PostgresDatabase.from_config({"backend": "postgres", "host": "db", "port": 5433,
                                       "database": "shop", "user": "app", "password": "pw",
                                       "table": "orders", "table_schema": "sales",
                                       "indexes": ["status", {"field": "name", "type": "text"}],
                                       "pool_max_size": 3})
    assert db.options.connection.params["host"] == "db"
    assert db.options.connection.params["dbname"] == "shop"
    assert db.options.pool_max_size == 3
    assert [i.kind for i in db.options.indexes] == ["btree", "text"]
    with pytest.raises(ConfigurationError, match="did you mean 'table'"):
        PostgresDatabase.from_config({"tabel": "x"})
    with pytest.raises(ConfigurationError, match="index type"):
        PostgresDatabase(indexes=[{"field": "a", "type": "hash"}])
    with pytest.raises(ConfigurationError, match="63 bytes"):
        PostgresDatabase(table="x" * 64)


def test_yaml_with_password_from_environment(tmp_path: Path, pg_server: PostgresTestServer,
                                             pg_table: str) -> None:
    cfg = tmp_path / "dk.yaml"
    cfg.write_text(
        "databases:\n"
        "  - name: orders\n"
        "    backend: postgres\n"
        f"    dsn: {pg_server.dsn}\n"
        "    password: ${PG_PASSWORD}\n"
        f"    table: {pg_table}\n"
        "    indexes: [status]\n")
    container = DatabasesContainer.from_yaml(cfg, environ={"PG_PASSWORD": "env-s3cret"})
    db = container.orders()
    try:
        assert isinstance(db, PostgresDatabase)
        assert "env-s3cret" not in repr(db) and "env-s3cret" not in repr(container)
        db.create(Record({"status": "new"}, id="o1"))
        assert db.read("o1") is not None
    finally:
        db.close()


# -- reconnection and pooling -----------------------------------------------------------------
def test_reconnects_after_backends_are_terminated(make_db: MakeDb,
                                                  pg_server: PostgresTestServer) -> None:
    db = make_db(pool_min_size=2)
    db.create(Record({"v": 1}, id="a"))
    app = db.options.connection.params["application_name"]
    assert pg_server.terminate_connections(app) >= 1
    # what a server restart does: every pooled connection is gone; the next calls succeed
    assert db.read("a") is not None
    db.create(Record({"v": 2}, id="b"))
    assert db.count() == 2
    assert pg_server.terminate_connections(app) >= 1
    db.create_batch([Record({"v": i}) for i in range(10)])
    assert db.count() == 12


def test_async_reconnects_after_backends_are_terminated(
        make_async_db: Callable[..., AsyncPostgresDatabase],
        pg_server: PostgresTestServer) -> None:
    async def scenario() -> None:
        db = make_async_db(pool_min_size=2)
        try:
            await db.create(Record({"v": 1}, id="a"))
            app = db.options.connection.params["application_name"]
            assert pg_server.terminate_connections(app) >= 1
            assert await db.read("a") is not None
            await db.create(Record({"v": 2}, id="b"))
            assert await db.count() == 2
        finally:
            await db.close()

    run(scenario())


def test_pool_is_sized_by_config(make_db: MakeDb, pg_server: PostgresTestServer) -> None:
    db = make_db(pool_max_size=2)
    db.create_batch([Record({"n": i}) for i in range(50)])
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(20):
                assert db.count(Query().filter("n", Operator.LT, 10)) == 10
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert db.pool.size <= 2
    assert pg_server.connections(db.options.connection.params["application_name"]) <= 2


def test_pool_exhaustion_times_out(make_db: MakeDb) -> None:
    db = make_db(pool_max_size=1, pool_timeout=0.2)
    db.create(Record({"v": 1}, id="a"))
    stream = db.stream_read(Query(), StreamConfig(batch_size=1))
    next(stream)  # the stream holds the only connection
    with pytest.raises(OperationalError, match="pool_max_size"):
        db.read("a")
    stream.close()
    assert db.read("a") is not None


# -- transactions -----------------------------------------------------------------------------
def test_transaction_commits_and_rolls_back(make_db: MakeDb) -> None:
    db = make_db()
    with db.transaction():
        db.create(Record({"v": 1}, id="a"))
        db.create(Record({"v": 2}, id="b"))
    assert db.count() == 2
    with pytest.raises(RuntimeError), db.transaction():
        db.create(Record({"v": 3}, id="c"))
        db.update("a", Record({"v": 10}))
        db.delete("b")
        raise RuntimeError("boom")
    assert sorted(r.id for r in db.all()) == ["a", "b"]
    assert db.read("a")["v"] == 1


def test_failed_operation_inside_transaction_leaves_it_usable(make_db: MakeDb) -> None:
    db = make_db()
    db.create(Record({"v": 0}, id="taken"))
    with db.transaction():
        db.create(Record({"v": 1}, id="a"))
        with pytest.raises(RecordExistsError):
            db.create(Record({"v": 2}, id="taken"))
        db.create(Record({"v": 3}, id="b"))
        with pytest.raises(ValueError), db.transaction():  # nested: a savepoint
            db.create(Record({"v": 4}, id="c"))
            raise ValueError("inner")
        assert db.count() == 3  # the transaction sees its own writes
    assert sorted(r.id for r in db.all()) == ["a", "b", "taken"]


def test_async_transaction(make_async_db: Callable[..., AsyncPostgresDatabase]) -> None:
    async def scenario() -> None:
        db = make_async_db()
        try:
            async with db.transaction():
                await db.create(Record({"v": 1}, id="a"))
            with pytest.raises(RuntimeError):
                async with db.transaction():
                    await db.create(Record({"v": 2}, id="b"))
                    assert await db.count() == 2
                    raise RuntimeError("boom")
            assert [r.id for r in await db.all()] == ["a"]
        finally:
            await db.close()

    run(scenario())


# -- bulk paths -------------------------------------------------------------------------------
def test_create_batch_of_200000_records(make_db: MakeDb) -> None:
    db = make_db()
    ids = db.create_batch([Record({"n": i}, id=f"r{i:06d}") for i in range(200_000)])
    assert len(ids) == 200_000
    assert db.count() == 200_000
    assert db.count(Query().filter("n", Operator.GTE, 199_990)) == 10


@pytest.mark.parametrize("copy_threshold", [1, 100_000])
def test_failed_batch_writes_nothing(make_db: MakeDb, copy_threshold: int) -> None:
    # COPY (threshold 1) and execute_values in pages of 1,000 (threshold 100,000): a taken
    # id at the end of 3,000 records leaves the table as it was
    db = make_db(copy_threshold=copy_threshold)
    db.create(Record({"n": -1}, id="r2999"))
    with pytest.raises(BatchOperationError) as info:
        db.create_batch([Record({"n": i}, id=f"r{i}") for i in range(3000)])
    assert set(info.value.failed) == {2999} and info.value.succeeded == {}
    assert db.count() == 1


def test_batches_of_many_pages(make_db: MakeDb) -> None:
    db = make_db(copy_threshold=100_000)
    db.create_batch([Record({"n": i}, id=f"r{i}") for i in range(2500)])
    assert db.update_batch([(f"r{i}", Record({"n": -i})) for i in range(2500)]) == [True] * 2500
    db.upsert_batch([Record({"n": 1}, id=f"u{i}") for i in range(1500)])
    assert db.count() == 4000
    assert db.count(Query().filter("n", Operator.LT, 0)) == 2499
    assert db.delete_batch([f"r{i}" for i in range(2500)] + ["r0"]) == [True] * 2500 + [False]


def test_async_copy_and_values_paths(make_async_db: Callable[..., AsyncPostgresDatabase]
                                     ) -> None:
    async def scenario() -> None:
        db = make_async_db(copy_threshold=1000)
        try:
            await db.create_batch([Record({"n": i}) for i in range(2500)])  # COPY
            await db.create_batch([Record({"n": i}) for i in range(999)])  # VALUES
            assert await db.count() == 3499
        finally:
            await db.close()

    run(scenario())


# -- storage layout, indexes, versions, streaming -----------------------------------------------
def test_table_layout_versions_and_timestamps(make_db: MakeDb, pg_server: PostgresTestServer,
                                              pg_table: str) -> None:
    db = make_db()
    db.create(Record({"v": 1}, id="a", metadata={"m": 1}))
    cols = pg_server.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "ORDER BY ordinal_position", (pg_table,))
    assert [c[0] for c in cols] == ["id", "data", "metadata", "version", "created_at",
                                    "updated_at"]
    v1 = db.get_version("a")
    (row1,) = pg_server.execute(f'SELECT version, created_at, updated_at FROM "{pg_table}"', ())
    assert str(row1[0]) == v1
    db.update("a", Record({"v": 2}))
    (row2,) = pg_server.execute(f'SELECT version, created_at, updated_at FROM "{pg_table}"', ())
    assert str(row2[0]) == db.get_version("a") != v1
    assert row2[1] == row1[1] and row2[2] >= row1[2]


def test_configured_indexes_are_created_and_used(make_db: MakeDb,
                                                 pg_server: PostgresTestServer,
                                                 pg_table: str) -> None:
    db = make_db(indexes=["team", {"field": "name", "type": "text"}, {"type": "gin"}])
    db.create_batch([Record({"team": f"t{i % 50}", "name": f"n{i}"}) for i in range(3000)])
    defs = [r[0] for r in pg_server.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s", (pg_table,))]
    assert any("'team'" in d and "btree" in d for d in defs)
    assert any('COLLATE "C"' in d for d in defs)
    assert any("gin" in d and "jsonb_path_ops" in d for d in defs)
    pg_server.execute(f'ANALYZE "{pg_table}"', ())
    st = db.statements
    for query in (Query().filter("team", Operator.EQ, "t7"),
                  Query().filter("name", Operator.GTE, "n29").filter("name", Operator.LT, "n3")):
        sql = st.search(query)
        import psycopg2

        conn = psycopg2.connect(pg_server.dsn)
        try:
            with conn.cursor() as cur:
                cur.execute("SET enable_seqscan = off")
                cur.execute("EXPLAIN " + sql.text, sql.params)
                plan = "\n".join(r[0] for r in cur.fetchall())
        finally:
            conn.close()
        assert "Index" in plan, plan
    assert len(db.search(Query().filter("team", Operator.EQ, "t7"))) == 60


def test_stream_read_uses_a_server_side_cursor(make_db: MakeDb,
                                               pg_server: PostgresTestServer) -> None:
    db = make_db()
    db.create_batch([Record({"n": i}) for i in range(500)])
    stream = db.stream_read(Query().sort("n"), StreamConfig(batch_size=100))
    first = [next(stream)["n"] for _ in range(150)]
    app = db.options.connection.params["application_name"]
    rows = pg_server.execute("SELECT query FROM pg_stat_activity WHERE application_name = %s "
                             "AND query LIKE 'FETCH FORWARD 100%%'", (app,))
    assert rows, "the stream pages a DECLAREd cursor with FETCH"
    rest = [r["n"] for r in stream]
    assert first + rest == list(range(500))


def test_missing_table(make_db: MakeDb, pg_server: PostgresTestServer, pg_table: str) -> None:
    strict = make_db(create_table=False)
    with pytest.raises(StorageError, match=pg_table):
        strict.read("x")
    db = make_db()
    db.create(Record({"v": 1}, id="a"))
    pg_server.drop_table(pg_table)  # dropped behind the adapter's back
    db.create(Record({"v": 2}, id="b"))  # created again, then written
    assert [r.id for r in db.all()] == ["b"]


def test_hostile_table_and_schema_names(make_db: MakeDb, pg_server: PostgresTestServer) -> None:
    table = 'x"; DROP TABLE y; -- %s'
    schema = "dk 'schema' %"
    db = make_db(table=table, table_schema=schema, indexes=["a"])
    try:
        db.create(Record({"a": 1}, id="k"))
        assert db.search(Query().filter("a", Operator.EQ, 1))[0].id == "k"
        found = pg_server.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                  "WHERE table_schema = %s", (schema,))
        assert found == [(schema, table)]
    finally:
        db.close()
        pg_server.execute(f'DROP SCHEMA "{schema}" CASCADE'.replace("%", "%%"), ())
