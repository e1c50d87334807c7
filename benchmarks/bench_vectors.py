"""Benchmark: exact k-nearest-neighbour queries beside hand-written numpy brute force.

Stores ``--records`` vectors of dimension ``--dim`` (default 100,000 x 384) with a ``team``
field that a 10 % filter selects, and measures k=10 queries per second through each
backend's ``vector_search``, unfiltered and filtered, beside numpy doing the same work on the
same float64 matrix in the same run (``argpartition`` + a sort of the top k by score, then
id). Every row first checks that both sides return the same ids in the same order. The
numpy filtered column selects the matching rows first (a boolean mask, as a caller holding
the team column beside the matrix would), then ranks them::

    python benchmarks/bench_vectors.py                          # memory, sqlite, duckdb, file
    python benchmarks/bench_vectors.py --records 20000 --dim 128
    python benchmarks/bench_vectors.py --backends memory duckdb
    python benchmarks/bench_vectors.py --backends sqlite-vec --records 20000
    python benchmarks/bench_vectors.py --backends postgres      # needs DATAKNOBS_TEST_POSTGRES_DSN
    python benchmarks/bench_vectors.py --backends pgvector pgvector-hnsw --probes 50
    python benchmarks/bench_vectors.py --backends pgvector-hnsw --data clustered
    python benchmarks/bench_vectors.py --backends pgvector-hnsw --ef-search 100 400 1000
    python benchmarks/bench_vectors.py --backends elasticsearch --records 20000  # noida-db

Backends: ``memory`` (cached float64 matrices; ``team`` hash-indexed), ``duckdb`` (its
native path), ``sqlite`` and ``file`` (the port's reference path over the adapter's own
records), ``postgres`` (pgvector when the server has it, else the reference path),
``pgvector`` (a PostgreSQL 16 + pgvector server the script starts from the ``pgserver``
package: the exact native path, reading each vector from jsonb), ``pgvector-column`` (the
same with ``vector_indexes: {embedding: {dimensions: dim, method: none}}``: the stored
generated vector column, computed on write, read by the exact path) and ``pgvector-hnsw``
(loaded without settings; then an adapter with an HNSW spec adds the generated columns, an
ALTER TABLE that rewrites the table, and builds the index on them, both counted in its load
time: unfiltered queries are approximate, so that row reports recall@10 against numpy over
every probe instead of asserting equal ids; filtered ones stay exact unless
``--filtered-index`` gives the spec ``filtered: index``, when their recall is reported too).
``--m`` and
``--ef-construction`` set that index's build, ``--ef-search 40 100 400 1000`` prints one
``pgvector-hnsw`` row per ``hnsw.ef_search`` on the same build (a recall curve).
``pgvector-ivfflat``: the same with ``method: ivfflat`` (its lists learnt from the loaded
rows); ``--lists`` sets its build, ``--ivf-probes 10 30 100`` one row per
``ivfflat.probes``.
``elasticsearch``: the adapter's ``vectors: {embedding: dim}`` on a noida-db server the
script starts from the ``noida-db`` package (or ``DATAKNOBS_TEST_ES_URL`` in
``elasticsearch`` mode), vectors ranked by the server's ``script_score``;
``elasticsearch-knn``: ``vectors: {embedding: {dimensions: dim, method: hnsw}}``, the server's
approximate ``knn`` search (filtered too), its recall@10 reported for both;
``elasticsearch-reference``: the same server without the option (the port's reference path).
After the ``elasticsearch-knn`` row comes its raw side: the same vectors written by hand with
the ``elasticsearch`` client to an index of their own (the same HNSW build) and the plain
``knn`` request (``k`` 10, ``num_candidates`` 400, the filter a ``term`` in the ``knn``
section), timed and scored the same way on the same server.
``--filter-index`` gives the sqlite-vec, duckdb and pgvector backends ``indexes: [team]`` (an
index on the filter field, for DuckDB the field's values kept in its vector cache: the filter
is then answered from it first).

``--data random`` (default) draws every vector from one standard normal distribution (no
structure: the hardest case for an HNSW graph); ``--data clustered`` draws ``--clusters``
(100) standard normal centres and each vector (and each probe) as a random centre plus
normal noise of standard deviation ``--spread`` (0.5) per component, closer to how real
embeddings are laid out.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from dataknobs_data import Query, Record

K = 10
TEAMS = 10  # team == "t0" selects 10 %


def draw(rng: np.random.Generator, n: int, dim: int, centres: np.ndarray | None,
         spread: float) -> np.ndarray:
    """``n`` vectors: standard normal, or a random centre plus noise of ``spread``."""
    if centres is None:
        return rng.standard_normal((n, dim))
    which = rng.integers(0, len(centres), n)
    return centres[which] + spread * rng.standard_normal((n, dim))


def make_data(n: int, dim: int, centres: np.ndarray | None = None, spread: float = 0.5,
              seed: int = 5) -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = [f"r{i:07d}" for i in range(n)]
    matrix = draw(rng, n, dim, centres, spread)
    teams = rng.integers(0, TEAMS, n)
    return ids, matrix, teams


def numpy_top(matrix: np.ndarray, norms: np.ndarray, ids: list[str], q: np.ndarray,
              k: int) -> list[str]:
    """Hand-written exact cosine top-k: scores, argpartition, sort the k by (-score, id)."""
    scores = matrix @ q / (norms * np.sqrt(q @ q))
    part = np.argpartition(-scores, k - 1)[:k]
    return [ids[i] for i in sorted(part, key=lambda i: (-scores[i], ids[i]))]


def rate(fn: Callable[[int], Any], min_seconds: float = 1.0, at_least: int = 3) -> float:
    """Calls per second of ``fn(i)``, repeated until ``min_seconds`` have passed."""
    fn(0)  # warm: caches, matrices
    count, start = 0, time.perf_counter()
    while True:
        fn(count)
        count += 1
        elapsed = time.perf_counter() - start
        if count >= at_least and elapsed >= min_seconds:
            return count / elapsed


@contextlib.contextmanager
def pgvector_server() -> Iterator[str]:
    """The DSN of a pgserver (PostgreSQL 16 + pgvector) started for this run."""
    from dataknobs_data.testing.servers.pgvector import start_pgvector

    server = start_pgvector()
    try:
        # room for the HNSW graph while it is built (pgvector warns and slows down otherwise)
        server.execute("ALTER SYSTEM SET maintenance_work_mem = '2GB'")
        server.execute("SELECT pg_reload_conf()")
        yield server.dsn
    finally:
        server.stop()


#: the approximate backends: the index method, its build settings and its query setting
APPROXIMATE = {"pgvector-hnsw": ("hnsw", ("m", "ef_construction"), "ef_search"),
               "pgvector-ivfflat": ("ivfflat", ("lists",), "probes")}
PGVECTOR = ("pgvector", "pgvector-column", *APPROXIMATE)


def index_spec(name: str, dim: int, build: dict[str, int], search: int | None,
               filtered: bool = False) -> dict[str, Any]:
    """``vector_indexes`` for backend ``name``'s index on ``embedding``: the adapter's
    defaults unless ``build`` (that method's build settings), ``search`` (its
    ``ef_search`` or ``probes``) or ``filtered`` (``filtered: index``) say otherwise."""
    method, build_keys, search_key = APPROXIMATE[name]
    spec: dict[str, Any] = {"dimensions": dim, "metric": "cosine", "method": method,
                            **{key: value for key, value in build.items() if key in build_keys}}
    if search is not None:
        spec[search_key] = search
    if filtered:
        spec["filtered"] = "index"
    return {"embedding": spec}


#: the Elasticsearch backends and their ``vectors`` entry for the embedding (None: none)
ELASTICSEARCH: dict[str, Callable[[int], Any] | None] = {
    "elasticsearch": lambda dim: dim,
    "elasticsearch-knn": lambda dim: {"dimensions": dim, "method": "hnsw"},
    "elasticsearch-reference": None,
}


def raw_knn(url: str, matrix: np.ndarray, teams: np.ndarray, ids: list[str]
            ) -> Callable[[np.ndarray, bool], list[str]]:
    """The raw side of ``elasticsearch-knn``: an index of the same vectors written with the
    ``elasticsearch`` client by hand (``team`` a keyword, the vector a ``dense_vector`` with
    the adapter's default HNSW build), and a function sending the plain ``knn`` request for
    the k nearest (with ``team == t0`` as the ``knn`` filter when asked)."""
    from elasticsearch import Elasticsearch
    from elasticsearch.helpers import bulk

    from dataknobs_data.adapters.elasticsearch.vectors import VectorPath  # the defaults

    client = Elasticsearch(url)
    index = "bench-vectors-raw"
    client.options(ignore_status=404).indices.delete(index=index)
    client.indices.create(index=index, mappings={"properties": {
        "team": {"type": "keyword"},
        "v": {"type": "dense_vector", "dims": matrix.shape[1], "index": True,
              "similarity": "cosine",
              "index_options": {"type": "hnsw", "m": VectorPath.m,
                                "ef_construction": VectorPath.ef_construction}}}})
    bulk(client, ({"_index": index, "_id": rid, "team": f"t{team}", "v": row.tolist()}
                  for rid, team, row in zip(ids, teams, matrix, strict=True)),
         chunk_size=2000, refresh=True)

    def search(q: np.ndarray, filtered: bool) -> list[str]:
        knn: dict[str, Any] = {"field": "v", "query_vector": q.tolist(), "k": K,
                               "num_candidates": VectorPath.num_candidates}
        if filtered:
            knn["filter"] = {"term": {"team": "t0"}}
        found = client.search(index=index, knn=knn, size=K, source=False)
        return [hit["_id"] for hit in found["hits"]["hits"]]

    return search


@contextlib.contextmanager
def open_backend(name: str, workdir: str, dim: int, filter_index: bool = False,
                 build: dict[str, int] | None = None, filtered: bool = False
                 ) -> Iterator[Any]:
    if name == "memory":
        from dataknobs_data.adapters.memory import MemoryDatabase
        yield MemoryDatabase(indexes=["team"])  # the filter field, hash-indexed
    elif name == "sqlite":
        from dataknobs_data.adapters.sqlite import SQLiteDatabase
        with SQLiteDatabase(path=os.path.join(workdir, "v.sqlite")) as db:
            yield db
    elif name == "sqlite-vec":  # the sqlite-vec extra; its own file (another SQLite copy)
        from dataknobs_data.adapters.sqlite import SQLiteDatabase
        with SQLiteDatabase(path=os.path.join(workdir, "v-vec.sqlite"), vectors="sqlite-vec",
                            indexes=["team"] if filter_index else ()) as db:
            yield db
    elif name == "duckdb":
        from dataknobs_data.adapters.duckdb import DuckDBDatabase
        with DuckDBDatabase(path=os.path.join(workdir, "v.duckdb"),
                            indexes=["team"] if filter_index else ()) as db:
            yield db
    elif name == "file":
        from dataknobs_data.adapters.file import FileDatabase
        with FileDatabase(path=os.path.join(workdir, "v.parquet")) as db:
            yield db
    elif name == "postgres":
        from dataknobs_data.adapters.postgres import PostgresDatabase
        dsn = os.environ.get("DATAKNOBS_TEST_POSTGRES_DSN",
                             "postgresql://postgres@127.0.0.1:5432/test")
        with PostgresDatabase(dsn=dsn, table="bench_vectors") as db:
            db.clear()
            yield db
            db.clear()
    elif name in PGVECTOR:
        from dataknobs_data.adapters.postgres import PostgresDatabase
        columns = {"vector_indexes": {"embedding": {"dimensions": dim, "method": "none"}}}
        indexes = ["team"] if filter_index else None
        with pgvector_server() as dsn, PostgresDatabase(
                dsn=dsn, table="bench_vectors", vector_extension=True, indexes=indexes,
                **(columns if name == "pgvector-column" else {})) as db:
            if name in APPROXIMATE:
                # loaded without the index; then a second adapter on the table builds it
                # (the index's name does not depend on ef_search or probes: one build
                # serves them all; IVFFlat learns its lists from the rows loaded)
                db.with_index = lambda ef: PostgresDatabase(  # type: ignore[attr-defined]
                    dsn=dsn, table="bench_vectors", indexes=indexes,
                    vector_indexes=index_spec(name, dim, build or {}, ef, filtered))
            yield db
    elif name in ELASTICSEARCH:  # noida-db from its package
        from dataknobs_data.adapters.elasticsearch import ElasticsearchDatabase
        from dataknobs_data.testing.servers.elasticsearch import start_vector_server
        server = start_vector_server()
        native = {"vectors": {"embedding": ELASTICSEARCH[name](dim)}} if ELASTICSEARCH[name] \
            else {}
        try:
            with ElasticsearchDatabase(**server.options("bench-vectors"), **native) as db:
                db.server_url = server.url  # type: ignore[attr-defined]  # the raw row's
                yield db
        finally:
            server.stop()
    else:
        raise SystemExit(f"unknown backend {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--backends", nargs="+",
                        default=["memory", "duckdb", "sqlite", "file"])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--probes", type=int, default=16,
                        help="query vectors (recall@10 of approximate rows is over all)")
    parser.add_argument("--data", choices=["random", "clustered"], default="random")
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--spread", type=float, default=0.5)
    parser.add_argument("--filter-index", action="store_true",
                        help="sqlite-vec, duckdb and postgres backends: an index on the "
                             "filter field (team; DuckDB: kept in its vector cache)")
    parser.add_argument("--filtered-index", action="store_true",
                        help="pgvector-hnsw and pgvector-ivfflat: filtered: index (filtered "
                             "queries may read the index too; their recall is reported)")
    parser.add_argument("--m", type=int, help="pgvector-hnsw: the index's m (default 16)")
    parser.add_argument("--ef-construction", type=int,
                        help="pgvector-hnsw: the index's ef_construction (default 128)")
    parser.add_argument("--ef-search", type=int, nargs="+",
                        help="pgvector-hnsw: one row per hnsw.ef_search, on one index build "
                             "(default: the adapter's, 400)")
    parser.add_argument("--lists", type=int,
                        help="pgvector-ivfflat: the index's lists (default 100)")
    parser.add_argument("--ivf-probes", type=int, nargs="+",
                        help="pgvector-ivfflat: one row per ivfflat.probes, on one index "
                             "build (default: the adapter's, 10)")
    args = parser.parse_args()

    centres = (np.random.default_rng(7).standard_normal((args.clusters, args.dim))
               if args.data == "clustered" else None)
    ids, matrix, teams = make_data(args.records, args.dim, centres, args.spread)
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    probes = draw(np.random.default_rng(9), args.probes, args.dim, centres, args.spread)
    mask = teams == 0
    sub, sub_norms = matrix[mask], norms[mask]
    sub_ids = [rid for rid, keep in zip(ids, mask, strict=True) if keep]

    def raw_all(i: int) -> list[str]:
        return numpy_top(matrix, norms, ids, probes[i % len(probes)], K)

    def raw_filtered(i: int) -> list[str]:
        m = teams == 0  # the filter is part of the work on both sides
        return numpy_top(matrix[m], norms[m], sub_ids, probes[i % len(probes)], K)

    raw_rates = (rate(raw_all, args.seconds), rate(raw_filtered, args.seconds))
    layout = (f"{args.clusters} clusters, spread {args.spread}" if centres is not None
              else "random normal")
    print(f"{args.records:,} vectors of dimension {args.dim} ({layout}), k={K}, cosine; "
          f"filter team == t0 selects {mask.mean():.0%}")
    print(f"numpy brute force: {raw_rates[0]:.1f} q/s unfiltered, {raw_rates[1]:.1f} q/s "
          "filtered\n")
    print("| backend | load s | unfiltered q/s | vs numpy | filtered q/s | vs numpy | "
          "filtered / unfiltered | recall@10 |")
    print("|---|---|---|---|---|---|---|---|")
    del sub, sub_norms
    team0 = Query().filter("team", "==", "t0")

    def run_row(label: str, approximate: bool, db: Any, load: str,
                filtered_exact: bool = True) -> None:
        """One table row: ``db``'s rates beside numpy's (equal answers checked first), or
        its recall@10 over every probe when ``approximate`` (filtered queries too unless
        ``filtered_exact``)."""

        def ours_all(i: int) -> list[str]:
            return [h.record.id for h in db.vector_search(probes[i % len(probes)], k=K)]

        def ours_filtered(i: int) -> list[str]:
            hits = db.vector_search(probes[i % len(probes)], k=K, filter=team0)
            return [h.record.id for h in hits]

        recall = "exact"
        if approximate:
            found = [len(set(ours_all(i)) & set(raw_all(i))) / K for i in range(len(probes))]
            recall = f"{np.mean(found):.3f} (min {min(found):.1f})"
            if not filtered_exact:
                found = [len(set(ours_filtered(i)) & set(raw_filtered(i))) / K
                         for i in range(len(probes))]
                recall += f"; filtered {np.mean(found):.3f} (min {min(found):.1f})"
        for i in range(3):  # equal work: the same ids in the same order
            if not approximate:
                assert ours_all(i) == raw_all(i), (label, "unfiltered", i)
            if filtered_exact:
                assert ours_filtered(i) == raw_filtered(i), (label, "filtered", i)
        print_row(label, load, rate(ours_all, args.seconds),
                  rate(ours_filtered, args.seconds), recall)

    def print_row(label: str, load: str, r_all: float, r_f: float, recall: str) -> None:
        print(f"| {label} | {load} | {r_all:.1f} | {raw_rates[0] / r_all:.2f}x | "
              f"{r_f:.1f} | {raw_rates[1] / r_f:.2f}x | {r_all / r_f:.2f}x | {recall} |",
              flush=True)

    def raw_row(label: str, load: str, search: Callable[[np.ndarray, bool], list[str]]
                ) -> None:
        """A row for a raw driver's kNN search: its rates and recall@10, no equality."""
        recalls = [[len(set(search(probes[i], f)) & set(exact(i))) / K
                    for i in range(len(probes))] for f, exact in ((False, raw_all),
                                                                  (True, raw_filtered))]
        print_row(label, load,
                  rate(lambda i: search(probes[i % len(probes)], False), args.seconds),
                  rate(lambda i: search(probes[i % len(probes)], True), args.seconds),
                  f"{np.mean(recalls[0]):.3f}; filtered {np.mean(recalls[1]):.3f}")

    build = {key: value for key, value in (("m", args.m),
                                            ("ef_construction", args.ef_construction),
                                            ("lists", args.lists))
             if value is not None}
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.backends:
            with open_backend(name, workdir, args.dim, args.filter_index, build,
                              args.filtered_index) as loaded:
                start = time.perf_counter()
                batch = 10_000
                for lo in range(0, args.records, batch):
                    loaded.create_batch([
                        Record({"team": f"t{teams[i]}", "embedding": matrix[i]}, id=ids[i])
                        for i in range(lo, min(args.records, lo + batch))])
                searches = args.ivf_probes if name == "pgvector-ivfflat" else args.ef_search
                efs: list[int | None] = list(searches or [None]) \
                    if name in APPROXIMATE else [None]
                for n, ef in enumerate(efs):
                    db = loaded
                    if name in APPROXIMATE:
                        db = loaded.with_index(ef)
                        db.connect()  # builds the index (the first time)
                    load = f"{time.perf_counter() - start:.1f}" if n == 0 else "(same)"
                    label = name if ef is None else f"{name}, {APPROXIMATE[name][2]} {ef}"
                    knn = name == "elasticsearch-knn"  # approximate, filtered too
                    through = knn or (name in APPROXIMATE and args.filtered_index)
                    run_row(label, name in APPROXIMATE or knn, db, load, not through)
                    if knn:  # the same request by hand, on the same server
                        start = time.perf_counter()
                        raw = raw_knn(db.server_url, matrix, teams, ids)
                        raw_row("elasticsearch client, plain `knn`",
                                f"{time.perf_counter() - start:.1f}", raw)
                    if db is not loaded:
                        db.close()
    print("\n'vs numpy': numpy's rate divided by the backend's (1.00x: as fast; lower is "
          "better); 'filtered / unfiltered': the backend's unfiltered rate divided by its "
          "filtered rate (at most 1.00x: a filter never slows a query).")


if __name__ == "__main__":
    main()
