"""`aistatus notifications`: the queue, the failures and the subscriptions, no addresses."""

from __future__ import annotations

import json

from monitor.cli import main
from monitor.notify.report import notifications_document, notifications_text
from monitor.store import Store
from monitor.store.notifications import Notifications
from tests.monitor.notify.test_deliverer import (  # noqa: F401 (fixtures)
    clock,
    deliver,
    deliverer,
    notifications,
    opened,
    webhook,
)
from tests.monitor.test_cli import write_config


def test_the_report_counts_the_queue_and_names_each_failure(
    store,
    notifications,  # noqa: F811 (a fixture)
    deliverer,  # noqa: F811 (a fixture)
    receiver,
    clock,  # noqa: F811 (a fixture)
):
    webhook(notifications, receiver.url("/ok"), clock)
    webhook(notifications, receiver.url("/fail"), clock)
    store.record_engine_changes(opened())
    deliver(deliverer)
    document = notifications_document(notifications, 20, clock.now())
    assert document["deliveries"] == {"pending": 1, "sent": 1}
    assert document["subscriptions"] == {"webhook active": 2}
    [failure] = document["recent_failures"]
    assert failure["last_error"] == "HTTP 500" and failure["next_attempt_at"]
    text = notifications_text(document)
    assert "1 pending, 1 sent" in text and "HTTP 500" in text
    assert "127.0.0.1" not in text + json.dumps(document)  # no address is printed


def test_the_command_reads_the_configured_database(tmp_path, capsys):
    path = write_config(tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'status.db'}")
    store.upgrade()
    Notifications(store).add_subscription(
        {
            "kind": "email",
            "address": "a@example.org",
            "address_hash": "x",
            "providers": [],
            "models": [],
            "state": "pending",
            "salt": "s",
            "created_at": opened().incident_events[0].update.at,
            "confirmed_at": None,
            "permanent_failures": 0,
            "disabled_reason": None,
        }
    )
    store.dispose()
    assert main(["--config", str(path), "notifications"]) == 0
    out = capsys.readouterr().out
    assert "Queue: empty" in out and "1 email pending" in out and "a@example.org" not in out
