"""Which store errors mean "the database cannot be reached right now": retry later, and
meanwhile serve what you already have. Everything else is a bug or bad data.

    SQLAlchemyError
      ├── DBAPIError
      │     ├── OperationalError, InterfaceError   unreachable: refused, restarted, locked,
      │     │                                        unreadable file ... (PostgreSQL, SQLite)
      │     ├── InternalError, DatabaseError        unreachable too (sqlite: "file is not a
      │     │                                        database"; pg: a server in recovery)
      │     └── IntegrityError, DataError,          never: retrying cannot help
      │         ProgrammingError, NotSupportedError
      ├── TimeoutError (the pool had no free connection in time)   unreachable
      └── DisconnectionError                                       unreachable
Callers outside this package never import SQLAlchemy: they ask `is_unavailable`.
"""

from __future__ import annotations

from sqlalchemy import exc

_MAX_ERROR_CHARS = 200
_NEVER = (exc.IntegrityError, exc.DataError, exc.ProgrammingError, exc.NotSupportedError)


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database is down, restarting, locked or unreadable."""
    if isinstance(error, exc.TimeoutError | exc.DisconnectionError):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    return error.connection_invalidated or not isinstance(error, _NEVER)


def describe_error(error: BaseException) -> str:
    """A short, single-line reason: the driver's message, without SQL or parameters."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    text = f"{type(cause).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text[:_MAX_ERROR_CHARS]
