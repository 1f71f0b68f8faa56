"""Engines for the two supported databases, set up so concurrent processes get along.

SQLite: WAL (readers never wait for the writer), a busy timeout (a writer waits
for another instead of failing at once), foreign keys on, and write transactions
opened with BEGIN IMMEDIATE. pysqlite's own transaction handling is switched off
and SQLAlchemy emits BEGIN itself, as SQLAlchemy's pysqlite docs describe under
"Serializable isolation / Savepoints / Transactional DDL": a deferred transaction
that reads and then writes can fail with "database is locked" without ever
waiting, because SQLite cannot upgrade its read snapshot; IMMEDIATE takes the
write lock up front, where the busy timeout applies.

PostgreSQL: psycopg 3, the same code; connections are checked before use so the
pool recovers after the server restarts.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

DEFAULT_BUSY_TIMEOUT_MS = 5000
PG_CONNECT_TIMEOUT_S = 5
_WRITE_OPTION = "aistatus_write"
_WAL_RETRY_S = 0.01


def create_store_engine(url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Engine:
    """An engine for `url`; `busy_timeout_ms` applies to SQLite only."""
    parsed = _with_driver(make_url(url))
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, busy_timeout_ms)
    if parsed.get_backend_name() == "postgresql":
        return _postgresql_engine(parsed)
    backend = parsed.get_backend_name()
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def for_writing(engine: Engine) -> Engine:
    """The same engine and pool, whose transactions take the write lock when they begin."""
    return engine.execution_options(**{_WRITE_OPTION: True})


def _with_driver(url: URL) -> URL:
    # Plain postgresql:// would pick psycopg2, which aistatus does not depend on.
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _postgresql_engine(url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_engine(url: URL, busy_timeout_ms: int) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.database in (None, "", ":memory:"):
        # One shared connection, or every checkout would see its own empty database.
        kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        _use_wal(cursor, busy_timeout_ms)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, much faster
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writing = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine


def _use_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """Switch the database file to WAL, once: every later connection inherits it.

    The switch needs an exclusive lock, and SQLite refuses it at once
    ("database is locked") rather than waiting out the busy timeout, which
    happens when several processes open a new database together. So wait here,
    the way the busy timeout would: until another connection has switched it,
    or this one can.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            cursor.execute("PRAGMA journal_mode = WAL")  # in-memory databases stay "memory"
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(_WAL_RETRY_S)
