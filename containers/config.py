"""Configuration: the YAML format, ``${VAR}`` / ``${VAR:default}`` substitution, validation.

The format (see docs/configuration.md)::

    default: people                  # optional; the first database otherwise
    databases:
      - name: people
        backend: file                # a registry name, or
        # class: mypackage.adapters.MyDatabase   (any importable dotted path)
        path: ${PEOPLE_PATH:data/people.jsonl}
      - name: s3_storage
        backend: s3
        bucket: ${S3_BUCKET:my-bucket}
        endpoint_url: ${S3_ENDPOINT:}   # optional: null when unset

``${VAR}`` without a default is required: a missing variable fails at load with an error
naming it. ``${VAR:}`` is optional and empty (null). A value that is exactly one placeholder
is typed (``${PORT:5432}`` -> ``5432``; ``true``/``false``, ``null``, decimal numbers; ``0123``
stays text), except secret keys (passwords, tokens, keys), which always stay strings.
``$${`` writes a literal ``${``.

Loading validates everything it can without I/O: database names, the backend or class, and
every option name against the adapter's constructor (the same ``check_options`` that
``from_config`` uses). Secret values never appear in an error or a repr.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..domain.errors import ConfigurationError
from ..ports.options import ROUTING_KEYS, check_options, option_defaults, suggest
from .registry import get_spec, resolve_backend, resolve_class

_PLACEHOLDER = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")

# option names whose values are secrets: never printed, never typed
_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api_?key|access_?key|private_?key|credential|"
    r"auth|session_key)",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@",
                           re.IGNORECASE)

#: what DatabasesContainer adds to dependency-injector's container (a test checks the list)
CONTAINER_NAMES = frozenset({"config", "database", "databases", "names", "from_config",
                             "from_dict", "from_yaml", "check_markers"})


@functools.cache
def reserved_names() -> frozenset[str]:
    """Attributes of the container itself, which a database cannot be named after (asked of
    dependency-injector, imported only here: validating a configuration does not need it)."""
    from dependency_injector import containers

    return CONTAINER_NAMES | frozenset(
        name for name in dir(containers.DynamicContainer()) if not name.startswith("_"))


def is_secret_key(key: str) -> bool:
    """Whether an option of this name holds a secret (password, token, key, ...)."""
    return bool(_SECRET_KEY.search(key))


def redact_value(key: str, value: Any) -> Any:
    """``value`` safe to show: secrets become ``'***'``, URL passwords are masked."""
    if value is None:
        return None
    if is_secret_key(key):
        return "***"
    if isinstance(value, str):
        return _URL_USERINFO.sub(r"\g<scheme>\g<user>:***@", value)
    if isinstance(value, Mapping):
        return redact(value)
    if isinstance(value, list | tuple):
        return [redact_value(key, v) for v in value]
    return value


def redact(options: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``options`` with every secret masked (for reprs, logs and ``info``)."""
    return {k: redact_value(str(k), v) for k, v in options.items()}


def substitute(
    value: Any,
    environ: Mapping[str, str] | None = None,
    *,
    where: str = "config",
    secret: bool = False,
) -> Any:
    """``value`` with every ``${VAR}`` / ``${VAR:default}`` replaced, recursively.

    ``where`` names the place for error messages (``databases.people.path``)."""
    env = os.environ if environ is None else environ
    if isinstance(value, Mapping):
        return {
            k: substitute(v, env, where=f"{where}.{k}", secret=secret or is_secret_key(str(k)))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [substitute(v, env, where=f"{where}[{i}]", secret=secret)
                for i, v in enumerate(value)]
    if not isinstance(value, str) or "$" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is None:
            raise ConfigurationError(
                f"environment variable {name!r} is required by {where} but is not set "
                f"(write ${{{name}:default}} to give a default, ${{{name}:}} to make it optional)"
            )
        return default

    whole = _PLACEHOLDER.fullmatch(value)
    result = _PLACEHOLDER.sub(replace, value)
    if whole is None or whole.group(0) == "$${":
        return result
    if result == "":
        return None
    if secret:
        return result
    return type_scalar(result)


_INT = re.compile(r"^[+-]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[+-]?(([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)$")


def type_scalar(text: str) -> Any:
    """A substituted value typed: ``true``/``false``, ``null``, decimal ints and floats;
    anything else (``0123``, ``1e``, ``yes``) stays the text it is."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "~"):
        return None
    if _INT.match(text.strip()):
        return int(text)
    if _FLOAT.match(text.strip()):
        return float(text)
    return text


@dataclass(frozen=True)
class DatabaseEntry:
    """One validated database of a configuration.

    ``adapter``: the adapter class (resolved now: unknown names fail at load);
    ``options``: the constructor options, substituted and checked (not yet used)."""

    name: str
    backend: str
    adapter: type
    options: dict[str, Any]
    is_async: bool = False

    def __repr__(self) -> str:
        return (f"DatabaseEntry(name={self.name!r}, backend={self.backend!r}, "
                f"adapter={self.adapter.__name__}, options={redact(self.options)!r}, "
                f"is_async={self.is_async!r})")

    def create(self) -> Any:
        """Build the adapter through its ``from_config`` (no I/O: connections open lazily).

        A null option (``${VAR:}`` unset) is left out, so the adapter's default applies."""
        options = {k: v for k, v in self.options.items() if v is not None}
        factory = getattr(self.adapter, "from_config", None)
        if callable(factory):
            return factory(options)
        return self.adapter(**options)


def _options_target(adapter: type) -> Any:
    """What to check option names against (an async bridge takes its sync class's options)."""
    return getattr(adapter, "sync_class", None) or adapter


def build_entry(raw: Mapping[str, Any], *, name: str | None = None,
                default_async: bool = False) -> DatabaseEntry:
    """Validate one (already substituted) database entry: backend/class and option names."""
    name = str(raw.get("name") or name or "")
    backend: str
    label = f"database {name!r}" if name else "database"
    if "backend" in raw and "class" in raw:
        raise ConfigurationError(f"{label}: give either 'backend' or 'class', not both")
    is_async = raw.get("async", default_async)
    if not isinstance(is_async, bool):
        raise ConfigurationError(f"{label}: 'async' must be true or false")
    if "class" in raw:
        path = raw["class"]
        if not isinstance(path, str):
            raise ConfigurationError(f"{label}: 'class' must be a dotted path string")
        try:
            adapter = resolve_class(path)
        except ConfigurationError as err:
            raise ConfigurationError(f"{label}: {err}") from None
        backend = str(getattr(adapter, "backend_name", "") or path)
    else:
        named = raw.get("backend")
        if not isinstance(named, str) or not named:
            raise ConfigurationError(f"{label}: needs 'backend' (a registry name) or 'class'")
        backend = named
        try:
            get_spec(backend)
            adapter = resolve_backend(backend, use_async=is_async)
        except ConfigurationError as err:
            raise type(err)(f"{label}: {err}") from None
    options = {k: v for k, v in raw.items() if k not in ROUTING_KEYS}
    try:
        target = _options_target(adapter)
        extra = {"max_workers"} if target is not adapter else set()
        check_options(backend, target, {k: v for k, v in options.items() if k not in extra})
        missing = [key for key, default in option_defaults(target).items()
                   if default == "required" and options.get(key) is None]
        if missing:
            raise ConfigurationError(
                f"{backend} needs {' and '.join(repr(key) for key in missing)}")
    except ConfigurationError as err:
        raise ConfigurationError(f"{label}: {err}") from None
    return DatabaseEntry(name, backend, adapter, options, is_async)


@dataclass(frozen=True)
class DatabasesConfig:
    """A validated configuration: named database entries and the default one's name."""

    entries: dict[str, DatabaseEntry]
    default: str | None
    source: str = "<dict>"

    def __repr__(self) -> str:
        return (f"DatabasesConfig(source={self.source!r}, default={self.default!r}, "
                f"databases={list(self.entries)!r})")


def _check_name(name: Any, seen: Mapping[str, Any]) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ConfigurationError(
            f"database name {name!r} must be a Python identifier (it becomes a provider name)"
        )
    if name.startswith("_") or name in reserved_names():
        raise ConfigurationError(f"database name {name!r} is reserved; choose another name")
    if name in seen:
        raise ConfigurationError(f"database name {name!r} is configured twice")
    return name


def parse_config(
    data: Any,
    environ: Mapping[str, str] | None = None,
    *,
    source: str = "<dict>",
) -> DatabasesConfig:
    """Validate a configuration mapping (the parsed YAML): substitute, resolve, check."""
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{source}: the configuration must be a mapping with "
                                 f"'databases', not {type(data).__name__}")
    unknown = [k for k in data if k not in ("databases", "default", "async")]
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown top-level key {unknown[0]!r}"
            f"{suggest(str(unknown[0]), ['databases', 'default', 'async'])} "
            f"(valid: async, databases, default)"
        )
    raw_dbs = data.get("databases")
    if raw_dbs is None:
        raise ConfigurationError(f"{source}: no 'databases' configured")
    items: list[tuple[Any, Any]]
    if isinstance(raw_dbs, Mapping):
        items = list(raw_dbs.items())
    elif isinstance(raw_dbs, list):
        items = [(entry.get("name") if isinstance(entry, Mapping) else None, entry)
                 for entry in raw_dbs]
    else:
        raise ConfigurationError(f"{source}: 'databases' must be a list or a mapping")
    default_async = data.get("async", False)
    entries: dict[str, DatabaseEntry] = {}
    for index, (name, raw) in enumerate(items):
        if not isinstance(raw, Mapping):
            raise ConfigurationError(f"{source}: databases[{index}] must be a mapping")
        if name is None:
            raise ConfigurationError(f"{source}: databases[{index}] has no 'name'")
        name = _check_name(name, entries)
        values = substitute(dict(raw), environ, where=f"databases.{name}")
        try:
            entries[name] = build_entry(values, name=name, default_async=bool(default_async))
        except ConfigurationError as err:
            raise type(err)(f"{source}: {err}") from None
    default = data.get("default")
    if default is not None and default not in entries:
        raise ConfigurationError(
            f"{source}: default database {default!r} is not configured"
            f"{suggest(str(default), entries)} (configured: {', '.join(entries)})"
        )
    if default is None and entries:
        default = next(iter(entries))
    return DatabasesConfig(entries, default, source)


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """Parse a YAML file; a missing or malformed file raises naming it (and the line)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"configuration file {str(p)!r} not found") from None
    except OSError as err:
        raise ConfigurationError(
            f"cannot read configuration file {str(p)!r}: {err.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise ConfigurationError(f"{str(p)!r}{at}: {problem}") from None


def load_config(path: str | os.PathLike[str],
                environ: Mapping[str, str] | None = None) -> DatabasesConfig:
    """Read and validate a YAML configuration file (no I/O beyond reading it)."""
    return parse_config(read_yaml(path), environ, source=str(path))


__all__ = [
    "DatabaseEntry",
    "DatabasesConfig",
    "build_entry",
    "is_secret_key",
    "load_config",
    "parse_config",
    "read_yaml",
    "redact",
    "redact_value",
    "substitute",
]
