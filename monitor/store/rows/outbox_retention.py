"""Outbox retention: what was told (or given up on) long ago is deleted.

An outbox row older than the keep period goes with its deliveries. Deliveries are
given up a day after their event (monitor/notify/deliverer.py), so by then every
one has ended, except those nobody could try: no operator key to sign with for
that long, or a channel since removed from the config. Those go too, so the tables
stay bounded whatever is configured.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select

from monitor.store.rows.schema import DELIVERIES, OUTBOX


def prune(connection: Connection, before: datetime) -> int:
    """Delete outbox rows (and their deliveries) written before `before`; returns how
    many outbox rows went."""
    old = select(OUTBOX.c.id).where(OUTBOX.c.at < before)
    connection.execute(delete(DELIVERIES).where(DELIVERIES.c.outbox_id.in_(old)))
    return int(connection.execute(delete(OUTBOX).where(OUTBOX.c.id.in_(old))).rowcount or 0)
