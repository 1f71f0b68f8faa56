"""`aistatus notifications`: what waits, what failed, who is subscribed (counts only).

No address or secret is printed: subscriptions are named by id and kind, operator
channels by their name in the config.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.clock import utc_iso
from monitor.store.notifications import Notifications
from monitor.store.rows.outbox import OPERATOR
from monitor.text import for_terminal


def notifications_document(
    notifications: Notifications, failures: int, now: datetime
) -> dict[str, Any]:
    counts = notifications.counts(now)
    return {
        **counts,
        "recent_failures": [
            {
                "delivery": row["id"],
                "event_id": row["event_id"],
                "kind": row["kind"],
                "subscription": row["subscription_id"],
                "channel": _channel_name(notifications, row),
                "state": row["state"],
                "attempts": row["attempts"],
                "last_error": row["last_error"],
                "next_attempt_at": utc_iso(row["next_attempt_at"])
                if row["state"] == "pending"
                else None,
            }
            for row in notifications.recent_failures(failures)
        ],
    }


def _channel_name(notifications: Notifications, row: Any) -> str | None:
    """An operator channel's name (from the config, never its URL); None for subscribers."""
    if row["kind"] != OPERATOR:
        return None
    found = notifications.subscription(row["subscription_id"])
    return str(found["address"]) if found else None


def _slow(receivers: int) -> str:
    # Receivers that timed out lately get a few slots of their own (monitor/notify/
    # deliverer.py): their events may wait behind each other, the others' do not.
    return (
        f"; {receivers} webhook receiver(s) in the slow lane (timed out lately)"
        if receivers
        else ""
    )


def notifications_text(document: dict[str, Any]) -> str:
    deliveries = document["deliveries"]
    lines = [
        "Queue: "
        + (", ".join(f"{n} {state}" for state, n in sorted(deliveries.items())) or "empty")
        + f"; {document['outbox']['not fanned out']} event(s) not fanned out yet",
        "Subscriptions: "
        + (
            ", ".join(f"{n} {name}" for name, n in sorted(document["subscriptions"].items()))
            or "none"
        )
        + _slow(document["slow_lane"]["webhook receivers"]),
    ]
    failures = document["recent_failures"]
    lines.append("Recent failures:" if failures else "Recent failures: none")
    for row in failures:
        retry = f", next try {row['next_attempt_at']}" if row["next_attempt_at"] else ""
        who = (
            f"channel {for_terminal(row['channel'])}"
            if row.get("channel")
            else f"{row['kind']} #{row['subscription']}"
        )
        lines.append(
            f"  {row['state']:<8} {who} "
            f"{for_terminal(row['event_id'])}: {for_terminal(row['last_error'] or '')} "
            f"after {row['attempts']} attempt(s){retry}"
        )
    return "\n".join(lines)
