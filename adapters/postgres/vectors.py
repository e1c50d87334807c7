"""Nearest-neighbour search with pgvector, for both PostgreSQL adapters (SQL and re-ranking,
no I/O: ``core.PostgresCore._vector_hits`` runs it as a flow).

Records keep their vectors in the jsonb ``data`` column like any other list of numbers, so
the SQL reads a field as a pgvector ``vector`` through one guarded expression:

- ``shape_sql``: NULL unless the value is a non-empty array of numbers only (exactly
  ``domain.vectors.stored_vector``'s rule: strings, booleans, nulls, nested arrays and
  objects make it no vector), read from its jsonb text with a regular expression (cheaper
  than a jsonpath test); then its length, negated when a number's integer part has 16
  digits or more (``|x| >= 1e15``: float4 would overflow or lose the value, so such an
  "odd" vector is ranked from its record, in Python);
- ``vector_sql``: the value cast to ``vector(dim)`` only where the shape is exactly
  ``dim``, so the cast can never fail whatever a record holds.

pgvector computes in float4; the reference (``domain.vectors.rank``) in float64. The exact
path orders the matches by a float4 *lower bound* of each record's ranking key, fetches a
window of ``2 * (skip + take) + 32`` candidates (plus every odd, zero-norm or wrong-dimension
match), ranks the window exactly with ``TopK`` and accepts it only when the exact boundary key
is below the bound of the window's last candidate (``bound_of``); otherwise it doubles the
window. The bounds (u = 2**-24, n the dimension, ``TOLERANCE = 2 * (n + 8) * u``, twice the
classic error bound of an n-term float4 dot product of rounded inputs, gamma_{n+4}):

- cosine: ``|sim32 - sim| <= 2 * TOLERANCE`` for any two vectors (the norms' errors
  cancel in the quotient), so the order of ``<=>`` itself is the order of the bounds;
- dot product: ``|dot32 - dot| <= TOLERANCE * |x| * |q|``, the bound ordered by
  ``(x <#> q) - TOLERANCE * |q| * vector_norm(x)``;
- euclidean: ``|d32 - d| <= TOLERANCE * (|x| + |q|)``, ordered by
  ``(x <-> q) - TOLERANCE * vector_norm(x)``.

Vectors whose float4 norm is below ``MIN_NORM`` (zero vectors, underflowed tiny ones) are
ranked from their records, and a query vector outside float4's comfortable range goes to
the port's reference path, so the bounds above hold for every candidate.

Each field in ``vector_indexes`` gets two stored generated columns (``add_columns``,
``VectorIndexSpec.columns``): ``vector_sql`` as ``vector(dim)`` and ``shape_sql`` as an
integer, so the guard runs once per write; an exact query on that field at that dimension
reads the columns (no parse per row). Other fields and dimensions read the jsonb.

With a configured HNSW or IVFFlat index (``vector_indexes``, method ``hnsw`` or
``ivfflat``, built on the vector column) an unfiltered query on that field, metric and
dimension orders by the column itself and re-ranks the window the index returns:
approximate (``capabilities.approximate_vectors``). When the index returns fewer rows than
the query asks for (IVFFlat's probed lists may hold fewer), the exact path answers. A
filtered query takes the exact path unless the entry says ``filtered: index``: then the
filter is applied to the index's nearest rows (``VectorIndexSpec.candidates``), those that
pass it are re-ranked, and when they are fewer than asked for the exact path answers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...domain.errors import QueryError
from ...domain.query import Query
from ...domain.records import Record
from ...domain.vectors import DistanceMetric, TopK, VectorQuery, numpy, vectors_of
from .serializer import to_record
from .settings import VectorIndexSpec, VectorSettings, index_name
from .statements import Statements
from .translator import SQL, json_path, literal

#: pgvector's largest ``vector`` dimension
MAX_VECTOR_DIMENSIONS = 16_000
#: one float4 rounding
FLOAT4_UNIT = 2.0 ** -24
#: a vector whose float4 norm is smaller is ranked from its record (zero and tiny vectors)
MIN_NORM = 1e-15
#: a query vector with a component this large (or a norm below MIN_NORM) goes to the
#: reference path; stored ones are "odd" (their integer part has 16 digits or more)
MAX_COMPONENT = 1e15
#: at most this many odd, tiny or wrong-dimension matches are handled natively; more go to
#: the port's reference path (which streams)
RARE_CAP = 1000
#: a screened window (``VectorStatements.exact_window``) larger than this reads the filter's
#: matches instead (the filter keeps few of the nearest rows)
PUSHDOWN_AFTER = 4096

# jsonb prints an array of numbers as ``[1, -2.5, 0.001]``: plain decimals (never 1e15),
# ", " between elements; anything else in it (a string, a boolean, null, an array, an
# object) fails both patterns. SAFE also bounds every integer part to 15 digits.
_NUMBERS = r"^\[-?[0-9]+(\.[0-9]+)?(, -?[0-9]+(\.[0-9]+)?)*\]$"
_SAFE_NUMBERS = r"^\[-?[0-9]{1,15}(\.[0-9]+)?(, -?[0-9]{1,15}(\.[0-9]+)?)*\]$"
_OPERATORS = {DistanceMetric.COSINE: "<=>", DistanceMetric.DOT_PRODUCT: "<#>",
              DistanceMetric.EUCLIDEAN: "<->"}
_OPCLASSES = {DistanceMetric.COSINE: "vector_cosine_ops",
              DistanceMetric.DOT_PRODUCT: "vector_ip_ops",
              DistanceMetric.EUCLIDEAN: "vector_l2_ops"}

EXTENSION_QUERY = "SELECT extversion FROM pg_extension WHERE extname = 'vector'"


def tolerance(dim: int) -> float:
    """The relative float4 error bound of the module docstring for ``dim`` dimensions."""
    return 2.0 * (dim + 8) * FLOAT4_UNIT


def shape_sql(v: str, text: str | None = None) -> str:
    """The shape of the jsonb value ``v`` (``text``: its text, when already computed): NULL
    for no vector, its length, or minus its length for an odd vector (module docstring).
    Immutable, never fails: it serves in index expressions."""
    s = text or f"({v})::text"
    return (f"(CASE WHEN {s} ~ {literal(_SAFE_NUMBERS)} THEN jsonb_array_length({v}) "
            f"WHEN {s} ~ {literal(_NUMBERS)} THEN -jsonb_array_length({v}) END)")


def vector_sql(path: str, dim: int) -> str:
    """The field at ``path`` as ``vector(dim)``, NULL where it is not a plain vector of
    ``dim`` dimensions (the expression an HNSW index is built on)."""
    v = json_path(path)
    n = int(dim)  # the typmod of both branches: an HNSW index needs it
    return (f"(CASE WHEN {shape_sql(v)} = {n} THEN (({v})::text)::vector({n}) "
            f"ELSE NULL::vector({n}) END)")


def vector_text(vector: Sequence[float]) -> str:
    """pgvector's text form of a vector (a parameter, cast with ``::vector``)."""
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


def query_in_range(vector: Sequence[float]) -> bool:
    """Whether float4 holds the query vector well enough for the error bounds."""
    if not 0 < len(vector) <= MAX_VECTOR_DIMENSIONS:
        return False
    if any(abs(x) >= MAX_COMPONENT for x in vector):
        return False
    return math.sqrt(math.fsum(x * x for x in vector)) >= MIN_NORM


@dataclass(frozen=True)
class Window:
    """One attempt: the SQL and its parameters, how many candidates it asks (besides the
    rare rows), whether it is exact, and what turns the last candidate's ordering value into
    a key bound."""

    sql: SQL
    size: int
    exact: bool
    shift: float


def sql_ident(*names: str) -> str:
    """A (qualified) identifier quoted by psycopg's ``sql`` module, safe inside driver SQL
    (``%`` doubled for the ``%s`` placeholders)."""
    from psycopg import sql

    return sql.Identifier(*names).as_string(None).replace("%", "%%")


class VectorStatements:
    """The pgvector SQL of one table (``Statements``), its vector settings and the fields
    whose generated columns the table has (``columns``: the setup looks them up)."""

    def __init__(self, statements: Statements, settings: VectorSettings,
                 columns: frozenset[str] = frozenset()) -> None:
        self.st = statements
        self.settings = settings
        self.columns = columns
        self.table = sql_ident(statements.table_schema, statements.table)

    # -- DDL -------------------------------------------------------------------------------
    def existing_columns(self) -> SQL:
        """The table's column names (one row each; none when the table is missing)."""
        return SQL("SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass(%s) "
                   "AND attnum > 0 AND NOT attisdropped", [self.st.regclass_name])

    def add_columns(self, spec: VectorIndexSpec) -> str:
        """``ALTER TABLE`` adding a spec's two stored generated columns (it rewrites the
        table, computing them for every row): the guarded ``vector_sql`` and ``shape_sql``
        of the field. PostgreSQL accepts only an immutable generation expression, and
        neither can fail, so no record's insert ever fails because of them."""
        vec, shape = spec.columns()
        n = int(spec.dimensions)
        return (f"ALTER TABLE {self.table} "
                f"ADD COLUMN IF NOT EXISTS {sql_ident(vec)} vector({n}) GENERATED ALWAYS AS "
                f"({vector_sql(spec.field, n)}) STORED, "
                f"ADD COLUMN IF NOT EXISTS {sql_ident(shape)} integer GENERATED ALWAYS AS "
                f"({shape_sql(json_path(spec.field))}) STORED")

    def create_indexes(self) -> list[str]:
        """The configured HNSW and IVFFlat indexes on the vector columns, each with a
        partial index of the odd and wrong-dimension records (so an approximate query finds
        them without a scan). Only for specs whose columns the table has."""
        out = []
        for spec in self.settings.indexes:
            if not spec.indexed or spec.field not in self.columns:
                continue
            vec = spec.columns()[0]
            # (an HNSW index keeps the name it had before IVFFlat was an option)
            name = sql_ident(index_name(self.st.table,
                                        f"{spec.method} {spec.metric.value} {vec}"))
            using, build = spec.build()
            out.append(f"CREATE INDEX IF NOT EXISTS {name} ON {self.table} USING {using} "
                       f"({sql_ident(vec)} {_OPCLASSES[spec.metric]}) WITH ({build})")
            rare = self.rare_condition(spec)
            name = sql_ident(index_name(self.st.table, f"rare {rare}"))
            out.append(f"CREATE INDEX IF NOT EXISTS {name} ON {self.table} (id) WHERE {rare}")
        return out

    @staticmethod
    def rare_condition(spec: VectorIndexSpec) -> str:
        return f"({sql_ident(spec.columns()[1])} <> {int(spec.dimensions)})"

    # -- queries ---------------------------------------------------------------------------
    def column_for(self, vq: VectorQuery) -> VectorIndexSpec | None:
        """The spec whose generated columns hold the query's field at its dimension."""
        for spec in self.settings.indexes:
            if spec.field == vq.field and spec.dimensions == len(vq.vector) and \
                    spec.field in self.columns:
                return spec
        return None

    def index_for(self, query: Query, vq: VectorQuery, metric: DistanceMetric
                  ) -> VectorIndexSpec | None:
        """The HNSW or IVFFlat index the query may use (a filtered one only with
        ``filtered: index``), or None."""
        spec = self.column_for(vq)
        if spec is None or not spec.indexed or spec.metric is not metric:
            return None
        if query.filters and spec.filtered != "index":
            return None
        return spec

    def exact_window(self, query: Query, vq: VectorQuery, metric: DistanceMetric,
                     size: int, screened: bool = False) -> Window:
        """The ``size`` matches with the smallest key bounds, after the rare matches (odd,
        tiny, wrong dimension: ``lb`` NULL; at most ``RARE_CAP + 1`` of them), each row
        ``(id, shape, lb, data, metadata)``. The vector and its shape come from the
        generated columns when the field has them, else from the jsonb (parsed per row).

        ``screened`` (a field with generated columns only): the window is taken over every
        row, and the filter is applied to the window's rows alone, each with its record or,
        when the filter rules it out, ``data`` NULL (``rerank`` counts it in the window and
        ranks only the others). A filter no index answers reads every row's jsonb (a wide
        value, TOASTed, where vectors are stored): this reads only the window's."""
        spec = self.column_for(vq)
        screened = screened and spec is not None and bool(query.filters)
        where = self.st.translator.where(query)
        scan_where = "" if screened else where.text
        dim = len(vq.vector)
        q_norm = math.sqrt(math.fsum(x * x for x in vq.vector))
        tol = tolerance(dim)
        op = _OPERATORS[metric]
        params: list[Any] = [vector_text(vq.vector)]
        if metric is DistanceMetric.COSINE:
            bound = f"(vec {op} %s::vector)"
            shift = -1.0 - 2.0 * tol - 1e-12  # the key is the distance minus 1
        elif metric is DistanceMetric.DOT_PRODUCT:
            bound = f"((vec {op} %s::vector) - %s * vector_norm(vec))"
            params.append(tol * q_norm)
            shift = -1e-30
        else:
            bound = f"((vec {op} %s::vector) - %s * vector_norm(vec))"
            params.append(tol)
            shift = -tol * q_norm - 1e-18
        t = self.st.qualified
        # each level is fenced (OFFSET 0) so its expressions run once per row; the scan's
        # (id, shape, lb) are kept once and read twice: the rare rows, then the window
        head = (f"SELECT id, shape, CASE WHEN vector_norm(vec) >= {MIN_NORM!r} THEN {bound} "
                "END AS lb FROM (")
        if spec is not None:
            vec, shape = spec.columns()
            scan = (head + f"SELECT id, shape, vec FROM (SELECT id, {sql_ident(shape)} AS "
                    f"shape, {sql_ident(vec)} AS vec FROM {t}{scan_where} OFFSET 0) l1 "
                    "WHERE shape IS NOT NULL OFFSET 0) l2")
        else:
            scan = (
                head +
                f"SELECT id, shape, CASE WHEN shape = {dim} THEN s::vector({dim}) END AS vec "
                f"FROM (SELECT id, {shape_sql('v', 's')} AS shape, s FROM ("
                "SELECT id, v, v::text AS s FROM ("
                f"SELECT id, {json_path(vq.field)} AS v FROM {t}{where.text} OFFSET 0"
                ") l1 OFFSET 0) l2 OFFSET 0) l3 WHERE shape IS NOT NULL OFFSET 0) l4")
        # screened: the filter over the window's rows only (a LEFT JOIN keeps the others)
        rows, join = ((f"(SELECT id, data, metadata FROM {t}{where.text})", "LEFT JOIN")
                      if screened else (t, "JOIN"))
        sql = (f"WITH s AS MATERIALIZED ({scan}), c AS ("
               "SELECT * FROM (SELECT id, shape, lb FROM s WHERE lb IS NULL ORDER BY id "
               "LIMIT %s) a UNION ALL SELECT * FROM (SELECT id, shape, lb FROM s "
               "WHERE lb IS NOT NULL ORDER BY lb, id LIMIT %s) b) "
               "SELECT c.id, c.shape, c.lb, r.data::text, r.metadata::text "
               f"FROM c {join} {rows} r ON r.id = c.id ORDER BY c.lb NULLS FIRST, c.id")
        window = [RARE_CAP + 1, size]
        ordered = [*params, *window, *where.params] if screened else \
            [*params, *where.params, *window]
        return Window(SQL(sql, ordered), size, True, shift)

    def filter_plan(self, query: Query) -> SQL:
        """``EXPLAIN (FORMAT JSON)`` of the filter's matches: ``scans`` reads from it whether
        the server would read every row to find them (no index answers the filter)."""
        where = self.st.translator.where(query)
        return SQL(f"EXPLAIN (FORMAT JSON) SELECT id FROM {self.st.qualified}{where.text}",
                   where.params)

    def index_window(self, spec: VectorIndexSpec, vq: VectorQuery, size: int,
                     query: Query | None = None) -> Window:
        """The ``size`` nearest by the index on the vector column (rows as
        ``exact_window``'s), after the odd and wrong-dimension records (the partial index
        finds them). With a filtered ``query`` (``filtered: index``) both are the filter's
        matches: the window is the first ``size`` of them in the order of an ordered scan of
        the index's ``spec.candidates(size)`` nearest rows (whatever the planner thinks of
        the filter; the filter, which reads each row's record, stops once it has them), so
        it may be short."""
        t = self.st.qualified
        vec, shape = (sql_ident(name) for name in spec.columns())
        op = _OPERATORS[spec.metric]
        rare = self.rare_condition(spec)
        q = vector_text(vq.vector)
        cond = query.condition if query is not None else None
        fparams: list[Any] = []
        match = self.st.translator.condition(cond, fparams) if cond is not None else ""
        keep = "data, " if match else ""  # the filter reads only ``id`` and ``data``
        nearest = (f"SELECT id, {keep}NULL::int AS shape, ({vec} {op} %s::vector) AS lb "
                   f"FROM {t} ORDER BY {vec} {op} %s::vector LIMIT %s")
        odd = (f"SELECT id, {keep}{shape} AS shape, NULL::float8 AS lb FROM {t} WHERE {rare} "
               "ORDER BY id LIMIT %s")
        data = "r.data::text"
        params = [q, q, size, RARE_CAP + 1]
        if match:
            # the index's candidates, then the filter: the first ``size`` matches the
            # ordered scan streams (SQL does not promise which: any of them would still be
            # a window of the candidates, re-ranked exactly), and no record read past them.
            # The odd rows are read as unfiltered (the first RARE_CAP + 1 by id, through
            # the partial index, whatever the planner thinks of the filter) and the filter
            # marks them: one it rules out comes back with ``data`` NULL, so ``rerank``
            # counts it against the cap (more: the port's reference path), never ranks it
            nearest = f"SELECT id, shape, lb, TRUE AS ok FROM ({nearest}) n WHERE {match} LIMIT %s"
            odd = f"SELECT id, shape, lb, ({match}) IS TRUE AS ok FROM ({odd}) o"
            data = "CASE WHEN c.ok THEN r.data::text END"
            params = [q, q, spec.candidates(size), *fparams, size, *fparams, RARE_CAP + 1]
        sql = (f"WITH w AS MATERIALIZED ({nearest}), rare AS MATERIALIZED ({odd}) "
               f"SELECT c.id, c.shape, c.lb, {data}, r.metadata::text "
               "FROM (SELECT * FROM rare UNION ALL SELECT * FROM w) c "
               f"JOIN {t} r ON r.id = c.id ORDER BY c.lb NULLS FIRST, c.id")
        return Window(SQL(sql, params), size, False, 0.0)


def scans(plan: Any) -> bool:
    """Whether an ``EXPLAIN (FORMAT JSON)`` result (its JSON, or its text) holds a
    sequential scan."""
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    nodes = [node["Plan"] for node in plan] if isinstance(plan, list) else [plan]
    while nodes:
        node = nodes.pop()
        if node.get("Node Type") == "Seq Scan":
            return True
        nodes.extend(node.get("Plans", ()))
    return False


def rerank(rows: Sequence[Sequence[Any]], window: Window, vq: VectorQuery,
           metric: DistanceMetric, skip: int, take: int
           ) -> tuple[bool, list[tuple[Record, float]] | None]:
    """``(True, hits)``: the ``take`` hits after the first ``skip`` of a window's rows
    ``(id, shape, lb, data, metadata)``, exactly ranked (hits None: the port's reference
    path is to answer, there are too many rare rows); ``(False, None)``: the window must
    grow. ``QueryError`` for a vector of another dimension (the first in id order)."""
    dim = len(vq.vector)
    need = skip + take
    # (a sequential scan instead of the HNSW index also returns non-vectors: shape NULL)
    rare = [row for row in rows if row[2] is None and row[1] is not None]
    main = sum(1 for row in rows if row[2] is not None)
    if len(rare) > RARE_CAP:
        return True, None
    for row in rare:  # in id order
        if row[3] is None:
            continue  # the filter rules it out
        if abs(row[1]) != dim:
            raise QueryError(f"record {row[0]!r}: field {vq.field!r} holds a vector of "
                             f"{abs(row[1])} dimensions, the query vector has {dim}")
    np = numpy()
    top = TopK(vq, metric, need)
    last = float(rows[-1][2]) if main else 0.0  # the window's last bound (sorted by lb)
    rows = [row for row in rows if row[3] is not None]  # a screened window's matches
    ids, matrix, kept = vectors_of([to_record(row[0], row[3], row[4]) for row in rows], vq)
    if ids:
        top.add(ids, np.asarray(matrix, dtype=np.float64), kept)
    # rows beyond a full exact window have a key of at least its last bound
    if window.exact and main >= window.size \
            and not top.cut() < last + window.shift:
        return False, None
    return True, top.hits(skip)[:take]
