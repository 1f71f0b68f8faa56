"""Operator channels as subscription rows, so their messages go through the outbox too.

Each `[[notifications.channels]]` entry is one row of kind `operator`, keyed by its
name (the address column holds the name, never the Apprise URL: that carries
secrets and is read from the config when sending). `sync` makes the rows match the
config at start-up: new names are added, known ones take the config's filter, and
names no longer in the config are removed, so nothing more is claimed for them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from monitor.store.rows.outbox import ACTIVE, OPERATOR, REMOVED, add_subscription
from monitor.store.rows.schema import SUBSCRIPTIONS


def channel_hash(name: str) -> str:
    return hashlib.sha256(f"{OPERATOR}:{name}".encode()).hexdigest()


def sync(
    connection: Connection, channels: Sequence[Mapping[str, Any]], now: datetime, salt: str
) -> dict[str, int]:
    """Rows for `channels` (name, providers, models, events); returns name -> row id."""
    ids: dict[str, int] = {}
    columns = SUBSCRIPTIONS.c
    for channel in channels:
        wanted = {
            "providers": list(channel["providers"]),
            "models": list(channel["models"]),
            "events": list(channel["events"]),
        }
        row_id, new = add_subscription(
            connection,
            {
                "kind": OPERATOR,
                "address": channel["name"],
                "address_hash": channel_hash(channel["name"]),
                **wanted,
                "state": ACTIVE,
                "salt": salt,
                "created_at": now,
                "confirmed_at": now,
                "permanent_failures": 0,
                "disabled_reason": None,
            },
        )
        if not new:
            connection.execute(
                update(SUBSCRIPTIONS)
                .where(columns.id == row_id)
                .values(**wanted, state=ACTIVE, disabled_reason=None)
            )
        ids[channel["name"]] = row_id
    gone = select(columns.id).where(
        columns.kind == OPERATOR,
        columns.state != REMOVED,
        columns.id.not_in(list(ids.values()) or [-1]),
    )
    for row_id in connection.execute(gone).scalars().all():
        connection.execute(
            update(SUBSCRIPTIONS)
            .where(columns.id == row_id)
            .values(state=REMOVED, disabled_reason="no longer in the config")
        )
    return ids
