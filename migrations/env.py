"""Alembic environment for aistatus.

At run time `Store.upgrade()` hands in a connection already inside a write
transaction, so the whole upgrade commits or rolls back as one (SQLite included:
the engine takes over BEGIN from pysqlite, which makes SQLite DDL transactional).
From the command line (`alembic -x url=sqlite:///aistatus.db upgrade head`, with
the repository's alembic.ini) an engine is built from the URL with the same
settings the store uses.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from monitor.store.engine import create_store_engine, for_writing
from monitor.store.rows.schema import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url", "sqlite:///aistatus.db"
    )


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        transactional_ddl=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_store_engine(_url())
    try:
        with for_writing(engine).begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
