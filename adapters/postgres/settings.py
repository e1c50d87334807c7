"""Connection and table settings of the PostgreSQL adapter, shared by the sync and async sides.

``ConnectionSettings`` reads a DSN (URI or libpq ``key=value`` form) or separate
host/port/database/user/password options without importing a driver, keeps the password in
a ``Secret`` (never shown in a repr, a log line or an error) and hands the drivers the
keyword arguments they both accept. ``TableSettings`` validates and quotes the schema, table
and index names, and reads the ``indexes`` option.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ...domain.errors import ConfigurationError, QueryError
from ...domain.query import check_path
from ...domain.values import lone_surrogate
from ...domain.vectors import MAX_DIMENSIONS, DistanceMetric, read_index_entry
from ...ports.secrets import Secret

DEFAULT_DSN = "postgresql://postgres@localhost:5432/postgres"
MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1


def _parse_keyword_dsn(dsn: str) -> dict[str, str]:
    """libpq ``key=value key2='quoted \\' value'`` connection strings."""
    out: dict[str, str] = {}
    i, n = 0, len(dsn)
    while i < n:
        while i < n and dsn[i].isspace():
            i += 1
        if i >= n:
            break
        eq = dsn.find("=", i)
        if eq < 0:
            raise ConfigurationError("postgres dsn: expected key=value pairs")
        key = dsn[i:eq].strip()
        i = eq + 1
        while i < n and dsn[i].isspace():
            i += 1
        quoted = i < n and dsn[i] == "'"
        i += quoted
        value: list[str] = []
        while i < n and (dsn[i] != "'" if quoted else not dsn[i].isspace()):
            if dsn[i] == "\\" and i + 1 < n:
                i += 1
            value.append(dsn[i])
            i += 1
        if quoted:
            if i >= n:
                raise ConfigurationError("postgres dsn: unterminated quoted value")
            i += 1
        out[key] = "".join(value)
    return out


def _parse_uri(dsn: str) -> dict[str, str]:
    parts = urlsplit(dsn)
    out: dict[str, str] = {}
    if parts.hostname:
        out["host"] = unquote(parts.hostname)
    try:
        port = parts.port
    except ValueError as err:
        raise ConfigurationError("postgres dsn: the port is not a number") from err
    if port is not None:
        out["port"] = str(port)
    if parts.username:
        out["user"] = unquote(parts.username)
    if parts.password:
        out["password"] = unquote(parts.password)
    if parts.path and parts.path != "/":
        out["dbname"] = unquote(parts.path.lstrip("/"))
    out.update(parse_qsl(parts.query))
    return out


def parse_dsn(dsn: str) -> dict[str, str]:
    """The libpq parameters of a DSN (``postgresql://...`` or ``key=value ...``)."""
    if dsn.startswith(("postgresql://", "postgres://")):
        return _parse_uri(dsn)
    return _parse_keyword_dsn(dsn)


@dataclass
class ConnectionSettings:
    """Where to connect: libpq parameters plus the password kept apart as a ``Secret``."""

    params: dict[str, str]
    password: Secret = field(default_factory=lambda: Secret(None))

    @classmethod
    def build(
        cls,
        dsn: str | None,
        host: str | None,
        port: int | str | None,
        database: str | None,
        user: str | None,
        password: str | None,
        connect_timeout: float | None,
        application_name: str | None,
    ) -> ConnectionSettings:
        """Merge a DSN with explicit options (explicit options win)."""
        if dsn is not None and not isinstance(dsn, str):
            raise ConfigurationError("postgres option 'dsn' must be a string")
        params = parse_dsn(dsn or DEFAULT_DSN)
        if "\x00" in (dsn or ""):
            raise ConfigurationError("postgres dsn must not contain NUL")
        for key, value in (("host", host), ("port", port), ("dbname", database),
                           ("user", user)):
            if value is not None and value != "":
                params[key] = str(value)
        secret = params.pop("password", None)
        if password is not None and password != "":
            secret = str(password)
        if connect_timeout is not None:
            params["connect_timeout"] = str(max(1, int(connect_timeout)))
        params.setdefault("connect_timeout", "10")
        if application_name:
            params["application_name"] = application_name
        params.setdefault("application_name", "dataknobs-data")
        return cls(params, Secret(secret))

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``psycopg2.connect`` and ``psycopg.connect``."""
        kwargs: dict[str, Any] = dict(self.params)
        secret = self.password.reveal()
        if secret is not None:
            kwargs["password"] = secret
        # naive datetimes are read as UTC by every cast to timestamptz
        kwargs["options"] = (kwargs.get("options", "") + " -c TimeZone=UTC").strip()
        return kwargs

    def redact(self, text: str) -> str:
        """``text`` with the password masked wherever it occurs."""
        secret = self.password.reveal()
        if secret and secret in text:
            text = text.replace(secret, "***")
        return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text)

    def describe(self) -> str:
        """``postgresql://user:***@host:port/db`` (never the password)."""
        user = self.params.get("user", "")
        auth = f"{user}:***@" if self.password else (f"{user}@" if user else "")
        host = self.params.get("host", "")
        port = self.params.get("port")
        where = f"{host}:{port}" if port else host
        return f"postgresql://{auth}{where}/{self.params.get('dbname', '')}"


def check_identifier(kind: str, name: object) -> str:
    """A schema, table or index name: a non-empty string of at most 63 bytes without NUL.

    Names are always quoted in SQL, so any other character is safe (and kept exactly)."""
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"postgres {kind} name must be a non-empty string, got {name!r}")
    if "\x00" in name:
        raise ConfigurationError(f"postgres {kind} name {name!r} contains NUL")
    if lone_surrogate(name) is not None:
        raise ConfigurationError(f"postgres {kind} name {name!r} holds a lone surrogate, "
                                 "which UTF-8 cannot encode")
    if len(name.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
        raise ConfigurationError(
            f"postgres {kind} name {name!r} is longer than {MAX_IDENTIFIER_BYTES} bytes")
    return name


def quote_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (``"`` doubled)."""
    return '"' + name.replace('"', '""') + '"'


INDEX_KINDS = ("btree", "text", "gin")


@dataclass(frozen=True)
class IndexSpec:
    """One configured index: ``btree`` over the field's jsonb value (EQ, IN, number ranges),
    ``text`` over its text with ``COLLATE "C"`` (string ranges, LIKE prefixes) or ``gin``
    (``jsonb_path_ops`` containment; without a field it covers the whole ``data`` column)."""

    field: str | None
    kind: str = "btree"

    @classmethod
    def read(cls, entry: object) -> IndexSpec:
        if isinstance(entry, str):
            return cls._make(entry, "btree")
        if isinstance(entry, Mapping):
            unknown = set(entry) - {"field", "type"}
            if unknown:
                raise ConfigurationError(
                    f"postgres index {dict(entry)!r}: unknown keys {sorted(unknown)} "
                    "(valid: field, type)")
            return cls._make(entry.get("field"), entry.get("type", "btree"))
        raise ConfigurationError(
            f"postgres index {entry!r} must be a field path or {{field: ..., type: ...}}")

    @classmethod
    def _make(cls, path: object, kind: object) -> IndexSpec:
        if kind not in INDEX_KINDS:
            raise ConfigurationError(
                f"postgres index type {kind!r} is not one of {', '.join(INDEX_KINDS)}")
        if path is None:
            if kind != "gin":
                raise ConfigurationError(f"postgres {kind} index needs a field")
            return cls(None, "gin")
        try:
            check_path(path)
        except QueryError as err:
            raise ConfigurationError(f"postgres index: {err}") from err
        if "\x00" in str(path) or lone_surrogate(str(path)) is not None:
            raise ConfigurationError(
                f"postgres index field {path!r} holds text PostgreSQL cannot store "
                "(NUL or a lone surrogate)")
        return cls(str(path), str(kind))


def read_indexes(indexes: Sequence[object] | str | None) -> tuple[IndexSpec, ...]:
    """The ``indexes`` option: field paths or ``{field, type}`` mappings."""
    if indexes is None:
        return ()
    if isinstance(indexes, str):
        indexes = [indexes]
    return tuple(IndexSpec.read(entry) for entry in indexes)


def index_name(table: str, expression: str) -> str:
    """A stable index name for ``expression`` on ``table`` (within 63 bytes)."""
    digest = hashlib.sha1(f"{table}\x00{expression}".encode()).hexdigest()[:12]
    stem = table.encode("utf-8")[:40].decode("utf-8", "ignore")
    return f"dk_{stem}_{digest}"


#: pgvector's largest ``hnsw.ef_search`` and number of IVFFlat lists
MAX_EF_SEARCH = 1000
MAX_LISTS = 32768
#: pgvector indexes (HNSW and IVFFlat) a ``vector`` column of at most this many dimensions
MAX_INDEXED_DIMENSIONS = 2000
#: the settings that belong to each index method (``filtered`` to both)
METHOD_KEYS = {"hnsw": ("m", "ef_construction", "ef_search", "filtered"),
               "ivfflat": ("lists", "probes", "filtered")}
#: how an indexed field answers a filtered query: ``exact`` (the default: the filter's
#: matches ranked exactly) or ``index`` (the index's nearest rows that pass the filter,
#: approximate like an unfiltered query; the exact path when they are fewer than asked for)
FILTERED = ("exact", "index")
#: with ``filtered: index``, an IVFFlat query filters this many of the index's nearest rows
#: (the number HNSW's default ``ef_search`` gives it)
FILTER_CANDIDATES = 400


@dataclass(frozen=True)
class VectorIndexSpec:
    """One ``vector_indexes`` entry: stored generated columns holding a field's vectors of
    ``dimensions`` (``columns``), and with ``method`` ``hnsw`` an HNSW index on them for
    ``metric`` (``m`` and ``ef_construction`` as pgvector names them; ``ef_search`` is set
    per query, ``set_config('hnsw.ef_search', ..., true)`` in the query's own transaction),
    with ``ivfflat`` an IVFFlat index (``lists`` k-means lists, built from the rows the
    table holds when it is created; ``probes`` of them read per query, set the same way as
    ``ivfflat.probes``); ``method: none`` keeps only the columns. ``filtered`` (either
    method): whether a filtered query on the field stays exact or reads the index too."""

    field: str
    dimensions: int
    metric: DistanceMetric = DistanceMetric.COSINE
    m: int = 16
    ef_construction: int = 128
    #: recall@10 0.98 over 20,000 random 128-dimension vectors, 1.0 over 100,000 clustered
    #: 384-dimension ones, 0.37 over 100,000 i.i.d. random 384-dimension ones (the data,
    #: not the setting: docs/backends/postgres.md)
    ef_search: int = 400
    #: ``hnsw``, ``ivfflat`` or ``none`` (the columns only: exact queries, no index)
    method: str = "hnsw"
    #: pgvector's advice for up to a million rows is rows / 1000 lists, sqrt(lists) probes
    lists: int = 100
    probes: int = 10
    #: one of ``FILTERED``
    filtered: str = "exact"

    @property
    def indexed(self) -> bool:
        return self.method != "none"

    def setting(self, size: int) -> tuple[str, str] | None:
        """The server setting (name, value) the index scan of a window of ``size`` rows
        needs, or None when the index cannot return that many (HNSW returns at most
        ``hnsw.ef_search`` rows, at most ``MAX_EF_SEARCH``). HNSW: the configured
        ``ef_search`` raised to ``size``; IVFFlat: ``probes`` (the lists read hold as many
        rows as they hold, so a short answer takes the exact path instead)."""
        if self.method == "ivfflat":
            return "ivfflat.probes", str(self.probes)
        if size > MAX_EF_SEARCH:
            return None
        return "hnsw.ef_search", str(self.candidates(size))

    def candidates(self, size: int) -> int:
        """How many of the index's nearest rows a filtered query (``filtered: index``)
        applies its filter to, for a window of ``size``: HNSW, the rows its scan returns
        (``ef_search`` raised to the window: the value ``setting`` gives the server);
        IVFFlat, ``FILTER_CANDIDATES`` of the rows the lists it reads hold (or the window,
        if larger)."""
        if self.method == "ivfflat":
            return max(FILTER_CANDIDATES, size)
        return max(self.ef_search, size)

    def build(self) -> tuple[str, str]:
        """The index's access method and its ``WITH (...)`` parameters, as SQL text (from
        checked integers only)."""
        if self.method == "ivfflat":
            return "ivfflat", f"lists = {int(self.lists)}"
        return "hnsw", f"m = {int(self.m)}, ef_construction = {int(self.ef_construction)}"

    def columns(self) -> tuple[str, str]:
        """The names of the two stored generated columns: the field as ``vector(dimensions)``
        (NULL unless it is a plain vector of that dimension) and its shape (``integer``)."""
        digest = hashlib.sha1(f"{self.field}\x00{self.dimensions}".encode()).hexdigest()[:10]
        stem = self.field.encode("utf-8")[:30].decode("utf-8", "ignore")
        return f"dk_vec_{stem}_{digest}", f"dk_shape_{stem}_{digest}"

    @classmethod
    def read(cls, path: object, entry: object) -> VectorIndexSpec:
        where = f"postgres vector_indexes[{path!r}]"
        if not isinstance(path, str):
            raise ConfigurationError(f"{where}: the key must be a field path")
        try:
            check_path(path)
        except QueryError as err:
            raise ConfigurationError(f"{where}: {err}") from err
        read = read_index_entry(where, entry, {
            "hnsw": "an HNSW index", "ivfflat": "an IVFFlat index",
            "none": "the generated columns only"}, (
            ("dimensions", 1, MAX_DIMENSIONS, None), ("m", 2, 100, cls.m),
            ("ef_construction", 4, 1000, cls.ef_construction),
            ("ef_search", 1, MAX_EF_SEARCH, cls.ef_search),
            ("lists", 1, MAX_LISTS, cls.lists), ("probes", 1, MAX_LISTS, cls.probes)),
            METHOD_KEYS, (("filtered", FILTERED),))
        numbers, metric, method = read.numbers, read.metric, read.method
        if numbers["ef_construction"] < 2 * numbers["m"]:
            raise ConfigurationError(f"{where}: ef_construction must be at least 2 * m")
        if method != "none" and numbers["dimensions"] > MAX_INDEXED_DIMENSIONS:
            raise ConfigurationError(
                f"{where}: a {method} index takes at most {MAX_INDEXED_DIMENSIONS} dimensions, "
                f"got {numbers['dimensions']} (method: none keeps the column, exact)")
        if method == "ivfflat" and numbers["probes"] > numbers["lists"]:
            raise ConfigurationError(f"{where}: probes ({numbers['probes']}) must not exceed "
                                     f"lists ({numbers['lists']})")
        return cls(path, numbers["dimensions"], metric, numbers["m"],
                   numbers["ef_construction"], numbers["ef_search"], method,
                   numbers["lists"], numbers["probes"], read.words["filtered"])


@dataclass(frozen=True)
class VectorSettings:
    """``vector_extension`` (``"auto"``: use pgvector when the database has it; true:
    require it; false: never use it) and the ``vector_indexes``."""

    extension: bool | None = None  # None: auto
    indexes: tuple[VectorIndexSpec, ...] = ()

    @classmethod
    def build(cls, extension: object, indexes: object) -> VectorSettings:
        if extension == "auto" or extension is None:
            use: bool | None = None
        elif isinstance(extension, bool):
            use = extension
        else:
            raise ConfigurationError("postgres option 'vector_extension' must be 'auto', true "
                                     f"or false, got {extension!r}")
        if indexes is None:
            specs: tuple[VectorIndexSpec, ...] = ()
        elif isinstance(indexes, Mapping):
            specs = tuple(VectorIndexSpec.read(path, entry) for path, entry in indexes.items())
        else:
            raise ConfigurationError("postgres option 'vector_indexes' must map field paths to "
                                     "{dimensions, metric, method, m, ef_construction, "
                                     "ef_search, lists, probes, filtered}")
        if specs and use is False:
            raise ConfigurationError("postgres vector_indexes need pgvector: they cannot be "
                                     "combined with vector_extension: false")
        return cls(use, specs)

    @property
    def approximate(self) -> bool:
        """Whether an HNSW or IVFFlat index may answer (unfiltered) queries."""
        return any(spec.indexed for spec in self.indexes)

    def decide(self, installed: bool, where: str) -> bool:
        """Whether to use pgvector, given whether the database has the extension."""
        if self.extension is False:
            return False
        if not installed and (self.extension or self.indexes):
            why = "vector_extension is true" if self.extension else "vector_indexes are set"
            raise ConfigurationError(
                f"postgres {where}: {why} but the database has no pgvector extension "
                "(CREATE EXTENSION vector, as a superuser, or set vector_extension: auto)")
        return installed


@dataclass
class PostgresOptions:
    """Everything the constructor options of both adapters decide (no I/O, no driver)."""

    connection: ConnectionSettings
    table: str
    table_schema: str
    indexes: tuple[IndexSpec, ...]
    create_table: bool
    pool_min_size: int
    pool_max_size: int
    pool_timeout: float
    copy_threshold: int
    vectors: VectorSettings = field(default_factory=VectorSettings)

    @classmethod
    def build(cls, *, dsn: str | None, host: str | None, port: int | str | None,
              database: str | None, user: str | None, password: str | None, table: str,
              table_schema: str, indexes: Sequence[object] | str | None, create_table: bool,
              pool_min_size: int, pool_max_size: int, pool_timeout: float,
              connect_timeout: float | None, application_name: str | None,
              copy_threshold: int, vector_extension: object = "auto",
              vector_indexes: object = None) -> PostgresOptions:
        for name, value, low in (("pool_min_size", pool_min_size, 0),
                                 ("pool_max_size", pool_max_size, 1),
                                 ("copy_threshold", copy_threshold, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigurationError(
                    f"postgres option {name!r} must be an integer >= {low}, got {value!r}")
        if pool_min_size > pool_max_size:
            raise ConfigurationError(
                f"postgres pool_min_size ({pool_min_size}) exceeds pool_max_size "
                f"({pool_max_size})")
        if not isinstance(pool_timeout, int | float) or pool_timeout <= 0:
            raise ConfigurationError(
                f"postgres option 'pool_timeout' must be a positive number, got {pool_timeout!r}")
        return cls(
            connection=ConnectionSettings.build(dsn, host, port, database, user, password,
                                                connect_timeout, application_name),
            table=check_identifier("table", table),
            table_schema=check_identifier("schema", table_schema),
            indexes=read_indexes(indexes),
            create_table=bool(create_table),
            pool_min_size=pool_min_size,
            pool_max_size=pool_max_size,
            pool_timeout=float(pool_timeout),
            copy_threshold=copy_threshold,
            vectors=VectorSettings.build(vector_extension, vector_indexes),
        )

    def describe(self) -> str:
        """For reprs: where, which table, pool size; never the password."""
        return (f"{self.connection.describe()!r}, table={self.table_schema}.{self.table}, "
                f"pool={self.pool_min_size}..{self.pool_max_size}")
