"""A `store` for every test, on SQLite and on PostgreSQL, each in a space of its own.

PostgreSQL tests need the server at 127.0.0.1:5432 (trust auth, database `test`).
Without it they are skipped, except under CI, where a missing database is a failure.
"""

import functools
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from monitor.store import Store

PG_HOST = "127.0.0.1"
PG_PORT = 5432


def pg_url(schema: str, port: int = PG_PORT) -> str:
    """A URL whose connections see only `schema` (through the search_path) and are named
    after it, so the test's teardown can find any it left open."""
    return (
        f"postgresql+psycopg://postgres@{PG_HOST}:{port}/test"
        f"?options=-csearch_path%3D{schema}&application_name={schema}"
    )


@functools.cache
def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", dbname="test", connect_timeout=3
        ):
            return None
    except psycopg.Error as error:
        reason = str(error).splitlines()[0]
        return f"PostgreSQL at {PG_HOST}:{PG_PORT}/test is unreachable: {reason}"


def _admin(sql: str) -> None:
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user="postgres", dbname="test", autocommit=True
    ) as connection:
        connection.execute(sql)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema, dropped after the test."""
    problem = _postgres_problem()
    if problem and os.environ.get("CI"):
        pytest.fail(f"{problem} (CI is set, so PostgreSQL tests must run)")
    if problem:
        pytest.skip(problem)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE SCHEMA "{schema}"')
    yield schema
    # A worker's background thread (an engine snapshot being written) may still hold locks
    # the DROP needs in another order: a deadlock. Its connections go first.
    # A pool may open a new connection between the two: then the deadlock is retried.
    for attempt in range(5):
        _admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE application_name = '{schema}' AND pid <> pg_backend_pid()"
        )
        try:
            _admin(f'DROP SCHEMA "{schema}" CASCADE')
            return
        except psycopg.errors.DeadlockDetected:
            if attempt == 4:
                raise


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'aistatus.db'}"
    return pg_url(request.getfixturevalue("pg_schema"))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    store.upgrade()
    yield store
    store.dispose()
