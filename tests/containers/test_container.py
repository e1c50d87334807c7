"""DatabasesContainer: one provider per database, injection, overrides, shutdown, no I/O at
build, secrets kept out of reprs and errors, the seed's YAML example."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from dependency_injector import providers
from dependency_injector.wiring import Provide, inject

from dataknobs_data import (
    AsyncMemoryDatabase,
    BackendNotAvailableError,
    ConfigurationError,
    MemoryDatabase,
    Record,
)
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.containers import DatabasesContainer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_each_database_is_its_own_provider(tmp_path: Path):
    container = DatabasesContainer.from_dict({"databases": [
        {"name": "cache", "backend": "memory"},
        {"name": "people", "backend": "file", "path": str(tmp_path / "people.jsonl")},
    ]})
    assert container.names == ["cache", "people"]
    assert isinstance(container.cache(), MemoryDatabase)
    people = container.people()
    assert isinstance(people, FileDatabase)
    assert container.people() is people                  # one instance per container
    assert container.database() is container.cache()     # the default: the first
    container.shutdown_resources()


def test_building_does_no_io(tmp_path: Path, recording):
    target = tmp_path / "not-yet" / "people.jsonl"
    container = DatabasesContainer.from_dict({"databases": [
        {"name": "people", "backend": "file", "path": str(target)},
        {"name": "other", "backend": "recording", "label": "x"},
    ]})
    # nothing was constructed, no file or directory was created
    assert recording.Recording.built == []
    assert not target.parent.exists()
    container.other()
    assert len(recording.Recording.built) == 1
    assert not target.parent.exists()
    container.shutdown_resources()


def test_shutdown_closes_every_opened_database(recording):
    container = DatabasesContainer.from_dict({"databases": [
        {"name": "a", "backend": "recording", "label": "a"},
        {"name": "b", "backend": "recording", "label": "b"},
        {"name": "c", "backend": "recording", "label": "never-used"},
    ]})
    a, b = container.a(), container.b()
    assert (a.closed, b.closed) == (0, 0)
    container.shutdown_resources()
    assert (a.closed, b.closed) == (1, 1)
    assert [db.label for db in recording.Recording.built] == ["a", "b"]   # c never built


async def test_async_databases_are_async_resources(recording):
    container = DatabasesContainer.from_dict({"async": True, "databases": [
        {"name": "events", "backend": "recording"},
        {"name": "plain", "backend": "memory", "async": False},
    ]})
    events = await container.events()
    assert isinstance(events, recording.Async)
    await events.create(Record({"kind": "login"}, id="e1"))
    assert (await events.read("e1"))["kind"] == "login"
    assert isinstance(container.plain(), MemoryDatabase)
    await container.shutdown_resources()
    assert recording.Async.closes == 1


def test_inject_and_override_in_a_test():
    module = types.ModuleType("dk_test_handlers")
    exec(
        "from dependency_injector.wiring import Provide, inject\n"
        "@inject\n"
        "def count_people(db=Provide['people']):\n"
        "    return db.count()\n",
        module.__dict__,
    )
    sys.modules[module.__name__] = module
    container = DatabasesContainer.from_dict({"databases": [
        {"name": "people", "backend": "file", "path": "never-created/people.jsonl"}]})
    container.wire(modules=[module])
    try:
        fake = MemoryDatabase()
        fake.create(Record({"name": "Ada"}))
        with container.people.override(providers.Object(fake)):
            assert module.count_people() == 1
        with container.people.override(providers.Singleton(MemoryDatabase)):
            assert module.count_people() == 0
        assert not Path("never-created").exists()
    finally:
        container.unwire()
        sys.modules.pop(module.__name__, None)


def test_inject_decorated_function_here():
    container = DatabasesContainer.from_dict({"databases": {"people": {"backend": "memory"}}})

    @inject
    def add(name: str, db: MemoryDatabase = Provide["people"]) -> str:
        return db.create(Record({"name": name}))

    container.wire(modules=[sys.modules[__name__]])
    try:
        rid = add("Grace")
        assert container.people().read(rid)["name"] == "Grace"
    finally:
        container.unwire()
        container.shutdown_resources()


def test_selector_follows_config_default():
    container = DatabasesContainer.from_dict({"default": "b", "databases": {
        "a": {"backend": "memory"}, "b": {"backend": "memory", "indexes": ["x"]}}})
    assert container.database() is container.b()
    container.config.default.from_value("a")
    assert container.database() is container.a()


def test_config_provider_is_strict():
    container = DatabasesContainer.from_dict({"databases": {"a": {"backend": "memory"}}})
    with pytest.raises(Exception, match="Undefined configuration option"):
        container.config.databases.nope()


def test_secrets_never_in_repr_or_errors(recording):
    env = {"PG_PASSWORD": "hunter2-secret", "KEY": "k-987654"}
    data = {"databases": [{"name": "vault", "backend": "recording",
                           "password": "${PG_PASSWORD}", "api_key": "${KEY}",
                           "dsn": "postgresql://bob:${PG_PASSWORD}@db/x"}]}
    container = DatabasesContainer.from_dict(data, environ=env)
    texts = [repr(container), repr(container.databases),
             repr(container.databases.entries["vault"]), str(container.databases.entries)]
    for text in texts:
        assert "hunter2-secret" not in text and "k-987654" not in text
    assert "***" in repr(container)
    # the adapter still gets the real values
    assert container.vault().password == "hunter2-secret"
    # an error about an unknown option names the key, not any value
    bad = {"databases": [{"name": "vault", "backend": "strict",
                          "password": "${PG_PASSWORD}", "passwrd": "${KEY}"}]}
    with pytest.raises(ConfigurationError) as err:
        DatabasesContainer.from_dict(bad, environ=env)
    assert "'passwrd' is not an option of strict; did you mean 'password'?" in str(err.value)
    assert "hunter2-secret" not in str(err.value) and "k-987654" not in str(err.value)
    container.shutdown_resources()


def test_strict_options_validated_at_load(recording):
    DatabasesContainer.from_dict({"databases": [{"name": "s", "backend": "strict",
                                                 "port": "${PORT:5432}"}]}, environ={})
    assert recording.Strict.built == []
    with pytest.raises(ConfigurationError, match="'hots' is not an option of strict"):
        DatabasesContainer.from_dict({"databases": [{"name": "s", "backend": "strict",
                                                     "hots": "x"}]})


def test_from_yaml_with_environment(tmp_path: Path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("databases:\n  - name: people\n    backend: file\n"
                   "    path: ${PEOPLE_DIR}/people.jsonl\n    fsync: ${FSYNC:false}\n")
    container = DatabasesContainer.from_yaml(cfg, environ={"PEOPLE_DIR": str(tmp_path)})
    assert container.databases.entries["people"].options == {
        "path": f"{tmp_path}/people.jsonl", "fsync": False}
    with pytest.raises(ConfigurationError, match="'PEOPLE_DIR' is required"):
        DatabasesContainer.from_yaml(cfg, environ={})


def test_async_memory_through_config():
    container = DatabasesContainer.from_dict({"databases": {
        "m": {"backend": "memory", "async": True}}})
    assert container.databases.entries["m"].adapter is AsyncMemoryDatabase


def _s3_adapter_available() -> bool:
    try:
        from dataknobs_data.containers import resolve_backend

        resolve_backend("s3")
    except BackendNotAvailableError:
        return False
    return True


@pytest.mark.skipif(not _s3_adapter_available(), reason="the S3 adapter is not installed yet")
@pytest.mark.parametrize("use_class", [False, True])
def test_seed_yaml_example_loads_without_io(tmp_path: Path, use_class: bool):
    text = (EXAMPLES / "config" / "s3_storage.yaml").read_text()
    if use_class:
        # the seed's commented alternative, uncommented (its trailing note dropped)
        lines = []
        for line in text.splitlines():
            if line.strip().startswith("backend: s3"):
                continue
            if line.strip().startswith("# class: dataknobs_data.adapters.s3.S3Database"):
                line = "    class: dataknobs_data.adapters.s3.S3Database"
            lines.append(line)
        text = "\n".join(lines) + "\n"
        assert "\n    class: dataknobs_data.adapters.s3.S3Database\n" in text
    cfg = tmp_path / "seed.yaml"
    cfg.write_text(text)
    # an endpoint nothing listens on: building (and constructing) must not connect
    env = {"S3_ENDPOINT": "http://127.0.0.1:9"}
    container = DatabasesContainer.from_yaml(cfg, environ=env)
    options = container.databases.entries["s3_storage"].options
    assert options == {"bucket": "my-bucket", "prefix": "records/", "region": "us-west-2",
                       "endpoint_url": "http://127.0.0.1:9"}
    db = container.s3_storage()
    assert type(db).__name__ == "S3Database"
    unset = DatabasesContainer.from_yaml(cfg, environ={})
    assert unset.databases.entries["s3_storage"].options["endpoint_url"] is None


def test_seed_yaml_example_parses_even_without_the_adapter():
    # substitution and structure of the seed example, independent of the S3 adapter
    from dataknobs_data.containers import read_yaml, substitute

    data = read_yaml(EXAMPLES / "config" / "s3_storage.yaml")
    (entry,) = data["databases"]
    values = substitute(entry, {})
    assert values == {"name": "s3_storage", "backend": "s3", "bucket": "my-bucket",
                      "prefix": "records/", "region": "us-west-2", "endpoint_url": None}


async def test_async_inject_and_override():
    container = DatabasesContainer.from_dict({"databases": {
        "events": {"backend": "memory", "async": True}}})

    @inject
    async def record_login(user: str, db: AsyncMemoryDatabase = Provide["events"]) -> int:
        await db.create(Record({"user": user, "kind": "login"}))
        return await db.count()

    container.wire(modules=[sys.modules[__name__]])
    try:
        assert await record_login("ada") == 1
        assert await record_login("grace") == 2
        fresh = AsyncMemoryDatabase()
        with container.events.override(providers.Object(fresh)):
            assert await record_login("linus") == 1
        assert await (await container.events()).count() == 2
    finally:
        container.unwire()
        await container.shutdown_resources()


def test_building_opens_no_file_and_no_socket(tmp_path: Path, monkeypatch, recording):
    import builtins
    import os
    import socket

    data = {"databases": [
        {"name": "people", "backend": "file", "path": str(tmp_path / "p.jsonl")},
        {"name": "cache", "backend": "memory", "indexes": ["a"]},
        {"name": "vault", "backend": "strict", "host": "127.0.0.1", "port": 9},
    ]}
    DatabasesContainer.from_dict(data)     # adapters imported before the trap is set

    def no_io(*args, **kwargs):
        raise AssertionError(f"I/O while building the container: {args!r}")

    monkeypatch.setattr(builtins, "open", no_io)
    monkeypatch.setattr(os, "open", no_io)
    monkeypatch.setattr(os, "mkdir", no_io)
    monkeypatch.setattr(socket.socket, "connect", no_io)
    container = DatabasesContainer.from_dict(data)
    assert container.names == ["people", "cache", "vault"]
    assert recording.Strict.built == []


@pytest.mark.skipif(not _s3_adapter_available(), reason="the S3 adapter is not installed yet")
def test_s3_credentials_stay_out_of_reprs_and_errors():
    env = {"AWS_SECRET": "wJalrXUtnFEMI-very-secret", "AWS_TOKEN": "FwoGZXIvYXdzE-token"}
    entry = {"name": "store", "backend": "s3", "bucket": "b", "endpoint_url": "http://127.0.0.1:9",
             "aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "${AWS_SECRET}",
             "aws_session_token": "${AWS_TOKEN}"}
    container = DatabasesContainer.from_dict({"databases": [entry]}, environ=env)
    db = container.store()
    for text in (repr(container), repr(container.databases.entries), repr(db)):
        assert env["AWS_SECRET"] not in text and env["AWS_TOKEN"] not in text
    with pytest.raises(ConfigurationError) as err:
        DatabasesContainer.from_dict({"databases": [{**entry, "regoin": "x"}]}, environ=env)
    assert "did you mean 'region'" in str(err.value)
    assert env["AWS_SECRET"] not in str(err.value) and env["AWS_TOKEN"] not in str(err.value)
    container.shutdown_resources()


HANDLERS = '''
from dependency_injector.wiring import Provide, inject


@inject
def count_people(db=Provide["{name}"]):
    return db.count()


class Report:
    @inject
    def size(self, db=Provide["people"]):
        return db.count()
'''


@pytest.mark.parametrize(("name", "message"), [
    ("peopel", r"handlers_peopel.count_people: parameter 'db' asks for Provide\['peopel'\], "
               r"which this container does not provide; did you mean 'people'\?"),
    ("zzz", r"Provide\[.zzz.\].*; it provides config, database, people$"),
])
def test_wire_refuses_an_unknown_provider_name_naming_the_nearest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, message: str) -> None:
    (tmp_path / f"handlers_{name}.py").write_text(HANDLERS.replace("{name}", name))
    monkeypatch.syspath_prepend(str(tmp_path))
    container = DatabasesContainer.from_dict({"default": "people",
                                              "databases": {"people": {"backend": "memory"}}})
    try:
        with pytest.raises(ConfigurationError, match=message):
            container.wire(modules=[f"handlers_{name}"])
    finally:
        container.unwire()
        sys.modules.pop(f"handlers_{name}", None)


def test_wire_accepts_known_names_and_the_handlers_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "handlers_ok.py").write_text(HANDLERS.replace("{name}", "people"))
    monkeypatch.syspath_prepend(str(tmp_path))
    container = DatabasesContainer.from_dict({"databases": {"people": {"backend": "memory"}}})
    container.wire(packages=[], modules=["handlers_ok"])
    try:
        handlers = sys.modules["handlers_ok"]
        assert handlers.count_people() == 0
        assert handlers.Report().size() == 0
    finally:
        container.unwire()
        container.shutdown_resources()
        sys.modules.pop("handlers_ok", None)


def test_unknown_attribute_names_the_nearest_provider() -> None:
    container = DatabasesContainer.from_dict({"databases": {"people": {"backend": "memory"}}})
    with pytest.raises(ConfigurationError, match=r"no database or provider 'peple'; did you "
                       r"mean 'people'\?"):
        container.peple  # noqa: B018
    assert not hasattr(container, "peple")
    assert getattr(container, "peple", None) is None
