"""The SQL the sync and async adapters send, built once per table.

Both drivers take ``%s`` placeholders, so every statement here serves both; identifiers are
validated and quoted (``settings``), values always travel as parameters. ``Statements``
also holds the record-level result handling both adapters share (rows to records, batch
outcomes, version checks), so the two adapters differ only in how they talk to the driver.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from ...domain.errors import ConcurrencyError, DataknobsError, RecordExistsError
from ...domain.query import Query
from ...domain.records import Record, assign_path, lookup
from ...domain.values import MISSING
from .serializer import loads_value, row_values, to_record
from .settings import IndexSpec, index_name, quote_identifier
from .translator import ICU_COLLATION, SQL, Translator, index_expression, literal

T = TypeVar("T")
PAGE_SIZE = 1000  # rows per multi-row statement (3 parameters each, far below 65,535)
ID_CHUNK = 10_000  # ids per ANY(...) array
COPY_CHUNK = 5_000  # rows encoded per write to a COPY stream


def ident(name: str) -> str:
    """A quoted identifier safe inside driver SQL (``%`` doubled)."""
    return quote_identifier(name).replace("%", "%%")


class Statements:
    """SQL for one table ``schema.table`` and the translator of its queries."""

    def __init__(self, table_schema: str, table: str, indexes: Sequence[IndexSpec],
                 ilike_collation: str | None = ICU_COLLATION) -> None:
        self.table_schema = table_schema
        self.table = table
        self.indexes = tuple(indexes)
        self.qualified = f"{ident(table_schema)}.{ident(table)}"
        seq_name = index_name(table, "version sequence").replace("dk_", "dkv_", 1)
        self.sequence = f"{ident(table_schema)}.{ident(seq_name)}"
        self._sequence_regclass = literal(f"{quote_identifier(table_schema)}."
                                          f"{quote_identifier(seq_name)}")
        self.translator = Translator(
            gin_whole_column=any(i.kind == "gin" and i.field is None for i in self.indexes),
            ilike_collation=ilike_collation)
        t, seq = self.qualified, self._sequence_regclass
        cols = "id, data, metadata"
        self.insert_one = f"INSERT INTO {t} ({cols}) VALUES (%s, %s::jsonb, %s::jsonb)"
        self.insert_values = f"INSERT INTO {t} ({cols}) VALUES %s"
        self.row_template = "(%s, %s::jsonb, %s::jsonb)"
        self.copy = f"COPY {t} ({cols}) FROM STDIN"
        self.read_one = f"SELECT data::text, metadata::text FROM {t} WHERE id = %s"
        self.read_many = (f"SELECT id, data::text, metadata::text FROM {t} "
                          f"WHERE id = ANY(%s::text[])")
        self.existing = f"SELECT id FROM {t} WHERE id = ANY(%s::text[])"
        set_new = f"version = nextval({seq}::regclass), updated_at = now()"
        self.update_one = (f"UPDATE {t} SET data = %s::jsonb, metadata = %s::jsonb, {set_new} "
                           "WHERE id = %s")
        self.update_one_versioned = self.update_one + " AND version = %s"
        self.update_values = (f"UPDATE {t} AS t SET data = v.data, metadata = v.metadata, "
                              f"{set_new} FROM (VALUES %s) AS v(id, data, metadata) "
                              "WHERE t.id = v.id RETURNING t.id")
        self.delete_one = f"DELETE FROM {t} WHERE id = %s"
        self.delete_one_versioned = self.delete_one + " AND version = %s"
        self.delete_many = f"DELETE FROM {t} WHERE id = ANY(%s::text[]) RETURNING id"
        self.upsert_values = (f"INSERT INTO {t} ({cols}) VALUES %s ON CONFLICT (id) DO UPDATE "
                              "SET data = EXCLUDED.data, metadata = EXCLUDED.metadata, "
                              f"{set_new}")
        self.upsert_one = self.upsert_values.replace("VALUES %s", f"VALUES {self.row_template}")
        self.version = f"SELECT version FROM {t} WHERE id = %s"
        self.exists = f"SELECT 1 FROM {t} WHERE id = %s"
        self.clear = f"DELETE FROM {t}"
        self.table_exists = "SELECT to_regclass(%s) IS NOT NULL"
        self.icu_available = ("SELECT EXISTS(SELECT 1 FROM pg_collation "
                              f"WHERE collname = {literal(ICU_COLLATION)})")
        self.regclass_name = f"{quote_identifier(table_schema)}.{quote_identifier(table)}"

    def without_icu(self) -> Statements:
        """The statements for a server without ICU collations (ILIKE folds case with the
        database's default collation)."""
        return Statements(self.table_schema, self.table, self.indexes, ilike_collation=None)

    # -- DDL -------------------------------------------------------------------------------
    def create_table(self) -> list[str]:
        """Statements creating the table, its version sequence and configured indexes (each
        idempotent; run them in one transaction under ``ddl_lock``)."""
        t = self.qualified
        return [
            f"CREATE SEQUENCE IF NOT EXISTS {self.sequence}",
            f"CREATE TABLE IF NOT EXISTS {t} ("
            'id text COLLATE "C" PRIMARY KEY, '
            "data jsonb NOT NULL, "
            "metadata jsonb NOT NULL DEFAULT '{}'::jsonb, "
            f"version bigint NOT NULL DEFAULT nextval({self._sequence_regclass}::regclass), "
            "created_at timestamptz NOT NULL DEFAULT now(), "
            "updated_at timestamptz NOT NULL DEFAULT now())",
            f"ALTER SEQUENCE {self.sequence} OWNED BY {t}.version",
            *self.create_indexes(),
        ]

    def create_schema(self) -> tuple[str, str, list[Any]]:
        """(existence query, statement to run when the schema is missing, parameters):
        ``CREATE SCHEMA IF NOT EXISTS`` needs the CREATE privilege even when it exists."""
        return ("SELECT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = %s)",
                f"CREATE SCHEMA IF NOT EXISTS {ident(self.table_schema)}", [self.table_schema])

    def create_indexes(self) -> list[str]:
        out = []
        for spec in self.indexes:
            expr = index_expression(spec.field, spec.kind)
            name = ident(index_name(self.table, expr))
            using = "gin" if spec.kind == "gin" else "btree"
            out.append(f"CREATE INDEX IF NOT EXISTS {name} ON {self.qualified} "
                       f"USING {using} {expr}")
        return out

    def ddl_lock(self) -> tuple[str, list[Any]]:
        """A transaction-scoped advisory lock serialising table creation across clients."""
        return "SELECT pg_advisory_xact_lock(hashtext(%s))", [self.regclass_name]

    # -- queries ---------------------------------------------------------------------------
    def search(self, query: Query) -> SQL:
        """SELECT for a query: filtered, sorted, paged and (when it selects fields)
        projected in SQL."""
        where = self.translator.where(query)
        if query.fields:
            columns = "id, " + Translator.projection(query.fields) + ", metadata::text"
        else:
            columns = "id, data::text, metadata::text"
        text = (f"SELECT {columns} FROM {self.qualified}{where.text}"
                f"{self.translator.order_by(query.sort_specs)}{Translator.paging(query)}")
        return SQL(text, where.params)

    def count(self, query: Query) -> SQL:
        where = self.translator.where(query)
        return SQL(f"SELECT count(*) FROM {self.qualified}{where.text}", where.params)

    # -- results ---------------------------------------------------------------------------
    @staticmethod
    def record_from_row(row: Sequence[Any], query: Query | None = None) -> Record:
        """A record from a search row (projected rows rebuilt as ``Record.project`` does)."""
        if query is None or not query.fields:
            return to_record(row[0], row[1], row[2])
        return project_row(row, query.fields)

    @staticmethod
    def version_token(value: Any) -> str | None:
        return None if value is None else str(value)

    @staticmethod
    def parse_version(expected: str) -> int | None:
        """The stored version an ``expected_version`` token names (None: matches nothing)."""
        text = str(expected)
        return int(text) if text.isdigit() and len(text) < 19 else None

    @staticmethod
    def missing_write(record_id: str, expected_version: str | None) -> bool:
        """The outcome of an update or delete of an id no row can have: False, or the
        ``ConcurrencyError`` of a conditional write."""
        if expected_version is not None:
            raise Statements.concurrency_error(record_id, expected_version, None)
        return False

    @staticmethod
    def concurrency_error(record_id: str, expected: str, actual: Any) -> ConcurrencyError:
        return ConcurrencyError(record_id, expected, None if actual is None else str(actual))


def project_row(row: Sequence[Any], fields: Sequence[str]) -> Record:
    """A projected record from ``(id, value text per field..., metadata text)``.

    The values found are placed at their paths and the result projected again, so overlapping
    paths (``o`` and ``o.x``) come out exactly as ``Record.project`` makes them."""
    partial: dict[str, Any] = {}
    found = [(path, text) for path, text in zip(fields, row[1:-1], strict=True)
             if text is not None]
    found.sort(key=lambda item: item[0].count("."))
    for path, text in found:
        if lookup(partial, path) is not MISSING:
            continue  # already inside a shorter path's value
        assign_path(partial, path, loads_value(text))
    full = to_record(row[0], "{}", row[-1])
    return Record.trusted(partial, full.metadata, full.id).project(fields)


def multi_row(sql: str, template: str, n: int) -> str:
    """``sql`` with its ``VALUES %s`` expanded to ``n`` row templates (the async driver's
    equivalent of ``execute_values``)."""
    return sql.replace("VALUES %s", "VALUES " + ",".join([template] * n), 1)


def create_rows(records: Sequence[Record]) -> tuple[list[tuple[str, str, str]],
                                                    dict[int, BaseException]]:
    """Encoded rows of a create batch, and the records that cannot be stored (by index)."""
    rows: list[tuple[str, str, str]] = []
    failures: dict[int, BaseException] = {}
    for i, rec in enumerate(records):
        try:
            rows.append(row_values(rec))
        except DataknobsError as err:
            failures[i] = err
    return rows, failures


def last_rows(records: Iterable[Record]) -> list[tuple[str, str, str]]:
    """Encoded rows with one row per id, the last one given (a batch that names an id twice
    ends with its last record, as one-by-one writes would)."""
    return list({row[0]: row for row in map(row_values, records)}.values())


def taken_failures(ids: Sequence[str], taken: set[str]) -> dict[int, BaseException]:
    """Per-index ``RecordExistsError`` for the ids already stored."""
    return {i: RecordExistsError(rid) for i, rid in enumerate(ids) if rid in taken}


def deleted_flags(record_ids: Sequence[str], deleted: set[str]) -> list[bool]:
    """Per id, whether it was deleted (a repeated id only at its first occurrence)."""
    out = []
    remaining = set(deleted)
    for rid in record_ids:
        out.append(rid in remaining)
        remaining.discard(rid)
    return out


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def unique_in_order(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))
