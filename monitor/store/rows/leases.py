"""Leases: which process may run a job that must run once (the status engine) until when.

Taking one is a compare-and-set: the UPDATE matches only a lease the caller
already holds or one that has expired, and the INSERT only a lease nobody has
taken yet. Two processes racing for an expired or new lease cannot both win:
on PostgreSQL the second waits for the first's row and then sees it taken.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, or_, update

from monitor.store.rows.dialects import insert_for
from monitor.store.rows.schema import LEASES


def take_lease(connection: Connection, name: str, holder: str, now: datetime, ttl_s: float) -> bool:
    """Whether `holder` holds the lease `name` until `now + ttl_s` after this call."""
    if ttl_s <= 0:
        raise ValueError("a lease needs a positive ttl_s")
    expires_at = now + timedelta(seconds=ttl_s)
    columns = LEASES.c
    renewed = connection.execute(
        update(LEASES)
        .where(columns.name == name, or_(columns.holder == holder, columns.expires_at <= now))
        .values(holder=holder, expires_at=expires_at)
    )
    if renewed.rowcount == 1:
        return True
    taken = connection.execute(
        insert_for(connection.dialect.name)(LEASES)
        .values(name=name, holder=holder, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(columns.name)
    )
    return taken.first() is not None


def give_up_lease(connection: Connection, name: str, holder: str) -> bool:
    """Free the lease `name` if `holder` holds it, so the next taker need not wait out its
    ttl; whether it was held."""
    columns = LEASES.c
    freed = connection.execute(delete(LEASES).where(columns.name == name, columns.holder == holder))
    return freed.rowcount == 1
