"""Which store errors mean "unreachable, serve what you have" and which are bugs or bad data."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import exc

from monitor.store import Store, describe_error, is_unavailable


def dbapi(kind: type[exc.DBAPIError], cause: Exception) -> exc.DBAPIError:
    return kind("SELECT version FROM data_version", {}, cause)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (dbapi(exc.OperationalError, ConnectionRefusedError("connection refused")), True),
        (dbapi(exc.OperationalError, sqlite3.OperationalError("database is locked")), True),
        (dbapi(exc.InterfaceError, Exception("connection already closed")), True),
        (dbapi(exc.DatabaseError, sqlite3.DatabaseError("file is not a database")), True),
        (exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"), True),
        (dbapi(exc.IntegrityError, Exception("duplicate key")), False),
        (dbapi(exc.DataError, Exception("value too long")), False),
        (dbapi(exc.ProgrammingError, Exception("syntax error")), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_only_errors_of_reaching_the_database_count_as_unavailable(error, unavailable):
    assert is_unavailable(error) is unavailable


def test_a_file_that_is_not_a_database_is_unavailable_and_described_in_one_line(tmp_path):
    path = tmp_path / "aistatus.db"
    path.write_bytes(b"this is not a database file, it was overwritten " * 100)
    store = Store(f"sqlite:///{path}")
    with pytest.raises(exc.SQLAlchemyError) as raised:
        store.data_version()
    store.dispose()
    assert is_unavailable(raised.value)
    assert describe_error(raised.value) == "DatabaseError: file is not a database"
