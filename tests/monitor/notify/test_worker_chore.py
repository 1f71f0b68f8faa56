"""The worker's notification chore out of the box: no operator key set. Subscribers
hear nothing, operator channels still do, nothing is logged above INFO, and the
outbox is pruned."""

from __future__ import annotations

import logging
from datetime import timedelta

from monitor.clock import FakeClock
from monitor.config import settings_from_dict
from monitor.judging.incidents import IncidentState
from monitor.judging.status import Cause
from monitor.store.notifications import Notifications
from monitor.worker.notifications import notification_chore
from tests.monitor.notify.test_channels import json_url
from tests.monitor.notify.test_deliverer import opened, webhook
from tests.monitor.store.engine_output import GPT, at, incident_event, only
from tests.web.seed import RAW_SETTINGS


def test_without_a_key_operator_channels_are_told_subscribers_wait_and_nothing_warns(
    store, receiver, monkeypatch, caplog
):
    monkeypatch.delenv("AISTATUS_NOTIFY_KEY", raising=False)
    settings = settings_from_dict(
        {
            **RAW_SETTINGS,
            "notifications": {
                "allow_private_targets": True,
                "channels": [
                    {
                        "name": "ops",
                        "url": json_url(receiver, "/ops"),
                        "events": ["public_incidents", "operator_incidents"],
                    }
                ],
            },
        }
    )
    clock = FakeClock(at(30))
    notifications = Notifications(store)
    subscriber = webhook(notifications, receiver.url("/subscriber"), clock)
    store.record_engine_changes(opened(20))
    store.record_engine_changes(
        only(
            incident_event(
                IncidentState.INVESTIGATING,
                None,
                25,
                models=(GPT,),
                engine_id="2",
                cause=Cause.CONFIGURATION,
            )
        )
    )
    caplog.set_level(logging.INFO)

    chore = notification_chore(settings, store, clock)
    chore.run()

    titles = [r.json["title"] for r in receiver.at("/ops")]
    assert len(titles) == 2 and sum("operator only" in t for t in titles) == 1
    assert receiver.at("/subscriber") == []
    assert [
        d["state"] for d in notifications.deliveries() if d["subscription_id"] == subscriber
    ] == ["pending"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "subscriber notifications are off until AISTATUS_NOTIFY_KEY is set" in caplog.text


def test_the_outbox_keeps_notifications_for_keep_days(store, receiver, monkeypatch):
    monkeypatch.delenv("AISTATUS_NOTIFY_KEY", raising=False)
    settings = settings_from_dict({**RAW_SETTINGS, "notifications": {"keep_days": 7}})
    store.record_engine_changes(opened(10))
    clock = FakeClock(at(10) + timedelta(days=6))
    notification_chore(settings, store, clock).run()
    assert len(Notifications(store).outbox()) == 1
    later = FakeClock(at(10) + timedelta(days=7, minutes=1))
    notification_chore(settings, store, later).run()
    assert Notifications(store).outbox() == [] and Notifications(store).deliveries() == []
