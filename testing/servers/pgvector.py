"""A PostgreSQL server with pgvector for tests and benchmarks, started from the ``pgserver``
package (PostgreSQL 16 with pgvector, in the ``dev`` extra) in a temporary directory.

``start_pgvector()`` starts one (under a second) and returns a ``PgvectorServer``: its DSN (a
unix socket), admin SQL, and ``stop()``. The extension is created in the ``postgres``
database, so adapters pointed at ``dsn`` find it. Tests use it through a session-scoped
fixture (tests/postgres/conftest.py) that follows ``require_server``'s rule: in CI a server
that cannot start is a failure, elsewhere a skip.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from typing import Any

from .postgres import PostgresTestServer


class PgvectorServer(PostgresTestServer):
    """A running pgserver with the ``vector`` extension created: the admin SQL of
    ``PostgresTestServer`` on its DSN, and ``stop()``."""

    def __init__(self, server: Any, workdir: str) -> None:
        super().__init__(server.get_uri())
        self._server = server
        self._workdir = workdir

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        with contextlib.suppress(Exception):
            self._server.cleanup()
        shutil.rmtree(self._workdir, ignore_errors=True)


def start_pgvector() -> PgvectorServer:
    """Start a pgserver in a new temporary directory with ``CREATE EXTENSION vector``;
    raises (ImportError, or the server's error) when it cannot."""
    import pgserver

    workdir = tempfile.mkdtemp(prefix="dk-pgvector-")
    try:
        server = pgserver.get_server(workdir, cleanup_mode="stop")
        out = PgvectorServer(server, workdir)
        out.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return out


def check_pgvector() -> tuple[PgvectorServer | None, str | None]:
    """A started server, or None and why it could not start."""
    try:
        return start_pgvector(), None
    except Exception as err:
        text = str(err).strip().splitlines()
        return None, f"{type(err).__name__}: {text[0] if text else ''}"


__all__ = ["PgvectorServer", "check_pgvector", "start_pgvector"]
