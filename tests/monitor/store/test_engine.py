import sqlite3

import pytest
from sqlalchemy import text

from monitor.store.engine import create_store_engine, for_writing


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'aistatus.db'}", busy_timeout_ms=4321)
    yield engine
    engine.dispose()


def pragma(engine, name: str):
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_foreign_keys(sqlite_engine):
    assert pragma(sqlite_engine, "journal_mode") == "wal"
    assert pragma(sqlite_engine, "busy_timeout") == 4321
    assert pragma(sqlite_engine, "foreign_keys") == 1


def test_a_sqlite_write_transaction_holds_the_write_lock_from_the_start(sqlite_engine, tmp_path):
    other = sqlite3.connect(tmp_path / "aistatus.db", timeout=0, isolation_level=None)
    try:
        with (
            for_writing(sqlite_engine).begin(),
            pytest.raises(sqlite3.OperationalError, match="locked"),
        ):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released at commit
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_sqlite_read_does_not_block_another_writer(sqlite_engine, tmp_path):
    other = sqlite3.connect(tmp_path / "aistatus.db", timeout=0, isolation_level=None)
    try:
        with sqlite_engine.connect() as reader:
            reader.execute(text("SELECT 1"))
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:5432/test",
        "postgres://postgres@127.0.0.1:5432/test",
    ],
)
def test_a_plain_postgresql_url_uses_psycopg_3(url):
    engine = create_store_engine(url)
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_an_unsupported_database_is_refused_by_name():
    with pytest.raises(ValueError, match="'mysql'"):
        create_store_engine("mysql://root@localhost/aistatus")
