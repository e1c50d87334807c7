"""Driver errors to domain errors, for psycopg2 and psycopg 3 alike.

Both drivers expose the SQLSTATE (``pgcode`` / ``sqlstate``) and PEP 249 class names, so one
function translates both. Messages go through ``ConnectionSettings.redact``: a password
never reaches an error message, and the driver's exception is not chained for connection
failures (its text could carry connection details).
"""

from __future__ import annotations

from ...domain.errors import DataknobsError, OperationalError, QueryError, StorageError
from .settings import ConnectionSettings

UNIQUE_VIOLATION = "23505"
UNDEFINED_TABLE = "42P01"
INVALID_REGEX = "2201B"
_CONNECTION_STATES = ("57P01", "57P02", "57P03", "53300")


def sqlstate(err: BaseException) -> str | None:
    """The SQLSTATE of a driver error, if the server sent one."""
    code = getattr(err, "pgcode", None) or getattr(err, "sqlstate", None)
    return code if isinstance(code, str) else None


def is_connection_error(err: BaseException) -> bool:
    """Whether the connection itself failed (lost, refused, terminated by the server)."""
    code = sqlstate(err)
    if code is not None:
        return code.startswith("08") or code in _CONNECTION_STATES
    names = {cls.__name__ for cls in type(err).__mro__}
    return bool(names & {"OperationalError", "InterfaceError"})


def translate(err: BaseException, settings: ConnectionSettings, table: str,
              action: str) -> DataknobsError:
    """The domain error for a driver error raised while doing ``action`` on ``table``."""
    code = sqlstate(err)
    text = settings.redact(str(err).strip().splitlines()[0] if str(err).strip() else
                           type(err).__name__)
    where = f"postgres {settings.describe()} table {table}"
    if code == UNDEFINED_TABLE:
        return StorageError(f"{where}: {action}: the table does not exist ({text})")
    if code == INVALID_REGEX:
        return QueryError(f"{action}: PostgreSQL rejects the regular expression: {text}")
    if code in ("28P01", "28000"):
        return OperationalError(f"{where}: {action}: authentication failed ({text})")
    if is_connection_error(err):
        return OperationalError(f"{where}: {action}: connection failed ({text})")
    if code is not None and code.startswith("22"):
        return StorageError(f"{where}: {action}: data rejected by the server ({text})")
    return StorageError(f"{where}: {action}: {text}")
