"""`Notifications`: the outbox, its deliveries and the subscriptions, over a `Store`.

The outbox rows themselves are written by `Store.record_engine_changes`, in the
transaction of the changes that cause them; this class serves the deliverer
(monitor/notify/) and the subscription endpoints. Its writes do not move the data
version: nothing a page shows changes with a delivery.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from monitor.store.rows import channels as channel_rows
from monitor.store.rows import outbox as rows
from monitor.store.rows import outbox_retention
from monitor.store.rows.schema import DELIVERIES, OUTBOX, SUBSCRIPTIONS
from monitor.store.store import Store

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Ending:
    """How one delivery attempt ended, as the deliverer decided it."""

    delivery_id: int
    subscription_id: int
    state: str
    at: datetime
    next_attempt_at: datetime | None
    error: str | None
    answered: bool = False  # the receiver answered, whatever it said
    permanent_failure: bool = False  # counts toward disabling the subscription
    slow_until: datetime | None = None  # it timed out: the slow lane until then


class Notifications:
    def __init__(self, store: Store) -> None:
        self._engine = store._engine
        self._writes = store._writes

    def fan_out(self, now: datetime, limit: int = 100) -> int:
        with self._writes.begin() as connection:
            return rows.fan_out(connection, now, limit)

    def claim(
        self,
        now: datetime,
        until: datetime,
        limit: int,
        channel: str | None = None,
        *,
        slow: bool | None = None,
    ) -> list[Row]:
        with self._writes.begin() as connection:
            return rows.claim(connection, now, until, limit, channel, slow=slow)

    def finish_many(self, endings: Sequence[Ending], disable_after: int) -> list[int]:
        """Record many attempts in one transaction, in a few statements whatever their
        number; returns the subscriptions disabled."""
        disabled = []
        with self._writes.begin() as connection:
            rows.finish_many(
                connection,
                [
                    {
                        "delivery_id": end.delivery_id,
                        "state": end.state,
                        "at": end.at,
                        "next_attempt_at": end.next_attempt_at,
                        "error": end.error,
                    }
                    for end in endings
                ],
            )
            rows.receivers_answered(
                connection,
                (end.subscription_id for end in endings if end.state == rows.SENT),
                delivered=True,
            )
            rows.receivers_answered(
                connection,
                (end.subscription_id for end in endings if end.answered and end.state != rows.SENT),
                delivered=False,
            )
            rows.receivers_slowed(
                connection,
                {end.subscription_id: end.slow_until for end in endings if end.slow_until},
            )
            for end in endings:
                if end.permanent_failure and rows.subscription_answered(
                    connection,
                    end.subscription_id,
                    permanent_failure=True,
                    disable_after=disable_after,
                    reason=end.error,
                ):
                    disabled.append(end.subscription_id)
        return disabled

    def sync_channels(self, channels: Sequence[Row], now: datetime, salt: str) -> dict[str, int]:
        """Operator channels as subscription rows (monitor/store/rows/channels.py)."""
        with self._writes.begin() as connection:
            return channel_rows.sync(connection, channels, now, salt)

    def prune(self, before: datetime) -> int:
        """Outbox rows written before `before`, with their deliveries, deleted."""
        with self._writes.begin() as connection:
            return outbox_retention.prune(connection, before)

    def add_subscription(self, row: Row) -> tuple[int, bool]:
        with self._writes.begin() as connection:
            return rows.add_subscription(connection, row)

    def set_subscription_state(
        self, subscription_id: int, state: str, now: datetime, *, only_from: Sequence[str] = ()
    ) -> bool:
        with self._writes.begin() as connection:
            return rows.set_subscription_state(
                connection, subscription_id, state, now, only_from=only_from
            )

    def subscription(self, subscription_id: int) -> Row | None:
        with self._engine.connect() as connection:
            return (
                connection.execute(
                    select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == subscription_id)
                )
                .mappings()
                .first()
            )

    def pending(self, kind: str) -> list[Row]:
        """Subscriptions of `kind` (email, webhook) waiting to be confirmed."""
        query = select(SUBSCRIPTIONS).where(
            SUBSCRIPTIONS.c.kind == kind, SUBSCRIPTIONS.c.state == rows.PENDING
        )
        with self._engine.connect() as connection:
            return list(connection.execute(query.order_by(SUBSCRIPTIONS.c.id)).mappings())

    def count_verification_try(self, subscription_id: int) -> None:
        columns = SUBSCRIPTIONS.c
        with self._writes.begin() as connection:
            connection.execute(
                update(SUBSCRIPTIONS)
                .where(columns.id == subscription_id)
                .values(permanent_failures=columns.permanent_failures + 1)
            )

    def counts(self, now: datetime) -> dict[str, dict[str, int]]:
        with self._engine.connect() as connection:
            return rows.counts(connection, now)

    def recent_failures(self, limit: int = 20) -> list[Row]:
        with self._engine.connect() as connection:
            return rows.recent_failures(connection, limit)

    def deliveries(self) -> list[Row]:
        """Every delivery with its event id and subscription (tests, `aistatus notifications`)."""
        query = (
            select(DELIVERIES, OUTBOX.c.event_id)
            .join(OUTBOX, OUTBOX.c.id == DELIVERIES.c.outbox_id)
            .order_by(DELIVERIES.c.id)
        )
        with self._engine.connect() as connection:
            return list(connection.execute(query).mappings())

    def outbox(self) -> list[Row]:
        with self._engine.connect() as connection:
            return list(connection.execute(select(OUTBOX).order_by(OUTBOX.c.id)).mappings())
