"""The data version: one counter that every write transaction bumps, for the web's ETags.

Bumped as the transaction's last statement, so on PostgreSQL the row lock it
takes is held only from there to the commit. Readers see the counter move
exactly when what they would read has changed: same transaction, same commit.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from monitor.store.rows.schema import DATA_VERSION


def bump_data_version(connection: Connection) -> None:
    connection.execute(update(DATA_VERSION).values(version=DATA_VERSION.c.version + 1))


def read_data_version(connection: Connection) -> str:
    return str(connection.execute(select(DATA_VERSION.c.version)).scalar_one())
