"""Configuration: ${VAR} substitution, load-time validation, messages that name the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataknobs_data import ConfigurationError
from dataknobs_data.containers import load_config, parse_config, redact, substitute


def test_substitution_required_default_and_optional():
    env = {"HOST": "db.local", "PORT": "6543"}
    assert substitute("${HOST}", env) == "db.local"
    assert substitute("${PORT}", env) == 6543                     # typed like YAML
    assert substitute("${MISSING:5432}", env) == 5432
    assert substitute("${MISSING:}", env) is None                  # optional, empty
    assert substitute("http://${HOST}:${PORT}/x", env) == "http://db.local:6543/x"
    assert substitute("${MISSING:on-default}", env) == "on-default"
    assert substitute("$${HOST}", env) == "${HOST}"                # escaped
    assert substitute({"a": ["${HOST}", 3]}, env) == {"a": ["db.local", 3]}
    assert substitute("${FLAG:true}", env) is True


def test_required_variable_missing_names_it():
    with pytest.raises(ConfigurationError) as err:
        parse_config({"databases": [{"name": "people", "backend": "file",
                                     "path": "${PEOPLE_FILE}"}]}, environ={})
    message = str(err.value)
    assert "'PEOPLE_FILE'" in message
    assert "databases.people.path" in message


def test_secret_values_stay_strings():
    env = {"PG_PASSWORD": "0123", "API_KEY": "true"}
    out = substitute({"password": "${PG_PASSWORD}", "api_key": "${API_KEY}",
                      "port": "${PG_PASSWORD}"}, env)
    assert out == {"password": "0123", "api_key": "true", "port": "0123"}  # no octal
    assert substitute("${X:1.5}", {}) == 1.5 and substitute("${X:1e}", {}) == "1e"


def test_redact_masks_secrets_and_url_passwords():
    shown = redact({"password": "hunter2", "api_key": "k-123", "aws_secret_access_key": "s",
                    "token": "t", "dsn": "postgresql://bob:hunter2@db/x", "host": "db"})
    text = repr(shown)
    for secret in ("hunter2", "k-123", "'s'", "'t'"):
        assert secret not in text
    assert shown["host"] == "db"
    assert shown["dsn"] == "postgresql://bob:***@db/x"


def test_unknown_backend_fails_at_load():
    with pytest.raises(ConfigurationError) as err:
        parse_config({"databases": [{"name": "people", "backend": "memroy"}]})
    message = str(err.value)
    assert "'memroy'" in message and "did you mean 'memory'?" in message
    assert "file" in message and "postgres" in message       # the valid choices


def test_unknown_option_fails_at_load():
    with pytest.raises(ConfigurationError) as err:
        parse_config({"databases": [{"name": "people", "backend": "file", "pth": "x.json"}]})
    assert "'pth' is not an option of file; did you mean 'path'?" in str(err.value)
    assert "database 'people'" in str(err.value)


def test_class_path_entry():
    config = parse_config({"databases": [
        {"name": "mem", "class": "dataknobs_data.adapters.memory.MemoryDatabase"}]})
    assert config.entries["mem"].adapter.__name__ == "MemoryDatabase"
    with pytest.raises(ConfigurationError, match="no attribute 'Nope'"):
        parse_config({"databases": [{"name": "x", "class": "dataknobs_data.adapters.memory.Nope"}]})
    with pytest.raises(ConfigurationError, match="either 'backend' or 'class'"):
        parse_config({"databases": [{"name": "x", "backend": "memory",
                                     "class": "dataknobs_data.adapters.memory.MemoryDatabase"}]})


@pytest.mark.parametrize(("databases", "fragment"), [
    ([{"name": "has space", "backend": "memory"}], "must be a Python identifier"),
    ([{"name": "config", "backend": "memory"}], "reserved"),
    ([{"name": "a", "backend": "memory"}, {"name": "a", "backend": "memory"}], "twice"),
    ([{"backend": "memory"}], "has no 'name'"),
    ([{"name": "a"}], "needs 'backend'"),
    ("memory", "must be a list or a mapping"),
])
def test_bad_entries(databases, fragment):
    with pytest.raises(ConfigurationError, match=fragment):
        parse_config({"databases": databases})


def test_mapping_form_default_and_top_level_keys():
    config = parse_config({"default": "b", "databases": {"a": {"backend": "memory"},
                                                         "b": {"backend": "memory"}}})
    assert list(config.entries) == ["a", "b"] and config.default == "b"
    assert parse_config({"databases": {"a": {"backend": "memory"}}}).default == "a"
    with pytest.raises(ConfigurationError, match="default database 'c' is not configured"):
        parse_config({"default": "c", "databases": {"a": {"backend": "memory"}}})
    with pytest.raises(ConfigurationError, match="did you mean 'databases'"):
        parse_config({"databse": []})


def test_yaml_file_errors_name_the_file(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("databases:\n  - name: a\n    backend: [memory\n")
    with pytest.raises(ConfigurationError) as err:
        load_config(bad)
    assert "bad.yaml" in str(err.value) and "line" in str(err.value)


def test_reserved_names_are_every_attribute_of_a_built_container():
    """A database named after any attribute of the container would shadow it: the reserved
    names come from dependency-injector's container class plus what ours adds."""
    from dataknobs_data.containers.config import reserved_names
    from dataknobs_data.containers.container import DatabasesContainer

    built = DatabasesContainer.from_dict({"default": "a",
                                          "databases": {"a": {"backend": "memory"}}})
    public = {n for n in dir(type(built)) if not n.startswith("_")}
    public |= {n for n in vars(built) if not n.startswith("_") and n != "a"}
    assert public <= reserved_names(), sorted(public - reserved_names())
    for name in sorted(reserved_names()):
        with pytest.raises(ConfigurationError, match="reserved"):
            parse_config({"databases": [{"name": name, "backend": "memory"}]})
