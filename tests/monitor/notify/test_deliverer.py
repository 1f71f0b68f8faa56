"""Webhooks from the outbox to a real receiver on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
from datetime import timedelta

import pytest
from sqlalchemy import exc

from monitor.clock import FakeClock
from monitor.judging.incidents import IncidentState
from monitor.judging.status import Cause
from monitor.notify import signing
from monitor.notify.deliverer import Deliverer, DeliveryPolicy
from monitor.notify.subscriptions import Request, subscription_row
from monitor.store.notifications import Notifications
from monitor.store.rows.outbox import ACTIVE, DISABLED, FAILED, GAVE_UP, PENDING, SENT
from tests.monitor.store.engine_output import OPUS, SONNET, at, incident_event, only
from tests.web.seed import SETTINGS

KEY = b"operator key from the environment"
# The deadline is what a hanging receiver costs each test; long enough for a loaded CI
# machine to answer the healthy ones within it.
POLICY = DeliveryPolicy(timeout_s=2, concurrency=8, allow_private_targets=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(10))


@pytest.fixture
def notifications(store) -> Notifications:
    return Notifications(store)


@pytest.fixture
def deliverer(notifications, clock):
    sender = Deliverer(notifications, SETTINGS, KEY, clock, POLICY, rng=random.Random(7))
    yield sender
    sender.close()


def webhook(notifications: Notifications, url: str, clock: FakeClock, **scope) -> int:
    request = Request(
        "webhook", url, tuple(scope.get("providers", ())), tuple(scope.get("models", ()))
    )
    subscription_id, _ = notifications.add_subscription(subscription_row(request, clock.now()))
    notifications.set_subscription_state(subscription_id, ACTIVE, clock.now())
    return subscription_id


def deliver(deliverer: Deliverer) -> int:
    started = deliverer.run_once()
    assert deliverer.wait_idle()
    return started


def opened(minute: float = 10, **kwargs):
    return only(incident_event(IncidentState.INVESTIGATING, None, minute, **kwargs))


def story():
    """Opened, identified, monitoring, resolved: four updates of one incident."""
    steps = [
        IncidentState.INVESTIGATING,
        IncidentState.IDENTIFIED,
        IncidentState.MONITORING,
        IncidentState.RESOLVED,
    ]
    return [
        only(incident_event(state, steps[n - 1] if n else None, 10 + 10 * n))
        for n, state in enumerate(steps)
    ]


def states(notifications: Notifications) -> list[str]:
    return [d["state"] for d in notifications.deliveries()]


def test_an_opened_incident_reaches_a_webhook_signed_and_shaped_like_statuspage(
    store, notifications, deliverer, receiver, clock
):
    subscription_id = webhook(notifications, receiver.url("/ok"), clock)
    store.record_engine_changes(opened())
    assert deliver(deliverer) == 1
    [got] = receiver.at("/ok")
    body = got.json
    assert set(body) == {"meta", "page", "incident", "aistatus"}
    assert body["incident"]["status"] == "investigating"
    assert body["incident"]["shortlink"].startswith("https://status.example.org/incidents/")
    assert [u["status"] for u in body["incident"]["incident_updates"]] == ["investigating"]
    assert body["aistatus"]["cause"] == "infrastructure"
    assert body["aistatus"]["recommendation"] == {OPUS: "avoid"}
    assert got.headers[signing.EVENT_HEADER] == body["aistatus"]["event_id"]
    salt = notifications.subscription(subscription_id)["salt"]
    secret = signing.subscription_secret(KEY, subscription_id, salt)
    timestamp = got.headers[signing.TIMESTAMP_HEADER]
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + got.body, hashlib.sha256
    ).hexdigest()
    assert got.headers[signing.SIGNATURE_HEADER] == f"v1={expected}"
    assert states(notifications) == [SENT]


def test_no_secret_is_kept_in_the_database(store, notifications, receiver, clock):
    subscription_id = webhook(notifications, receiver.url("/ok"), clock)
    row = notifications.subscription(subscription_id)
    secret = signing.subscription_secret(KEY, subscription_id, row["salt"])
    assert secret not in repr(dict(row))


def test_operator_only_incidents_never_reach_subscribers(
    store, notifications, deliverer, receiver, clock
):
    webhook(notifications, receiver.url("/ok"), clock)
    store.record_engine_changes(opened(cause=Cause.CONFIGURATION))
    assert [row["public"] for row in notifications.outbox()] == [False]
    assert deliver(deliverer) == 0
    assert receiver.received == []


def test_a_subscriber_hears_only_of_the_models_it_chose(
    store, notifications, deliverer, receiver, clock
):
    webhook(notifications, receiver.url("/ok1"), clock, models=[SONNET])
    webhook(notifications, receiver.url("/ok2"), clock, models=[OPUS])
    webhook(notifications, receiver.url("/ok3"), clock, providers=["anthropic"])
    store.record_engine_changes(opened(models=(OPUS,)))
    deliver(deliverer)
    assert sorted(r.path for r in receiver.received) == ["/ok2", "/ok3"]


def test_a_repeated_engine_change_is_announced_once(
    store, notifications, deliverer, receiver, clock
):
    webhook(notifications, receiver.url("/ok"), clock)
    store.record_engine_changes(opened())
    store.record_engine_changes(opened())
    deliver(deliverer)
    deliver(deliverer)
    assert len(receiver.at("/ok")) == 1


def test_a_hanging_receiver_holds_no_one_else_up(store, notifications, deliverer, receiver, clock):
    webhook(notifications, receiver.url("/hang"), clock)
    for n in range(1, 7):
        webhook(notifications, receiver.url(f"/ok{n}"), clock)
    store.record_engine_changes(opened())
    assert deliver(deliverer) == 7
    assert len([r for r in receiver.received if r.path.startswith("/ok")]) == 6
    by_state = sorted(states(notifications))
    assert by_state == [PENDING] + [SENT] * 6
    [hung] = [d for d in notifications.deliveries() if d["state"] == PENDING]
    assert hung["last_error"] == "timed out" and hung["next_attempt_at"] > clock.now()


def test_a_500_is_tried_again_no_sooner_than_its_retry_after(
    store, notifications, deliverer, receiver, clock
):
    webhook(notifications, receiver.url("/fail"), clock)
    store.record_engine_changes(opened())
    deliver(deliverer)
    [delivery] = notifications.deliveries()
    assert delivery["state"] == PENDING and delivery["last_error"] == "HTTP 500"
    assert delivery["next_attempt_at"] >= clock.now() + timedelta(seconds=120)
    clock.advance(100)
    assert deliver(deliverer) == 0
    clock.advance(21)
    assert deliver(deliverer) == 1
    assert len(receiver.at("/fail")) == 2
    first, second = (r.json for r in receiver.at("/fail"))
    assert first.pop("meta")["generated_at"] != second.pop("meta")["generated_at"]
    assert first == second  # the same event, ids included


def test_back_off_doubles_with_jitter_up_to_its_ceiling(deliverer):
    for attempts in range(12):
        ceiling = min(POLICY.max_retry_s, POLICY.first_retry_s * 2**attempts)
        delays = {deliverer.delay(attempts, None) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered: receivers that failed together do not retry together


def test_a_failing_receiver_is_given_up_after_a_day(
    store, notifications, deliverer, receiver, clock
):
    webhook(notifications, receiver.url("/fail"), clock)
    store.record_engine_changes(opened())
    tries = 0
    while states(notifications) != [GAVE_UP]:
        tries += deliver(deliverer)
        [delivery] = notifications.deliveries()
        if delivery["state"] == PENDING:
            clock.set(delivery["next_attempt_at"])
        assert tries < 60
    assert clock.now() - at(10) <= timedelta(hours=24)
    assert tries > 10


def test_a_receiver_that_is_gone_is_disabled_after_three_tries(
    store, notifications, deliverer, receiver, clock
):
    subscription_id = webhook(notifications, receiver.url("/gone"), clock)
    for changes in story():
        store.record_engine_changes(changes)
        deliver(deliverer)
    assert len(receiver.at("/gone")) == 3
    assert states(notifications) == [FAILED] * 3  # the fourth was never fanned out to it
    assert notifications.subscription(subscription_id)["state"] == DISABLED


def test_a_database_outage_while_recording_neither_loses_nor_repeats(
    store, notifications, deliverer, receiver, clock, monkeypatch
):
    webhook(notifications, receiver.url("/ok"), clock)
    store.record_engine_changes(opened())
    real_finish = notifications.finish_many

    def unreachable(*args, **kwargs):
        raise exc.OperationalError("UPDATE deliveries", {}, ConnectionRefusedError())

    monkeypatch.setattr(notifications, "finish_many", unreachable)
    deliver(deliverer)
    assert states(notifications) == [PENDING]  # sent, but not written down yet
    assert deliver(deliverer) == 0  # the database is still down: nothing repeats
    monkeypatch.setattr(notifications, "finish_many", real_finish)
    clock.advance(POLICY.lease_s + 1)  # even once the lease has run out
    deliver(deliverer)
    assert states(notifications) == [SENT]
    assert len(receiver.at("/ok")) == 1


def test_a_database_outage_is_logged_once_and_its_end_once(
    store, notifications, deliverer, receiver, clock, monkeypatch, caplog
):
    webhook(notifications, receiver.url("/ok"), clock)
    store.record_engine_changes(opened())
    real_fan_out = notifications.fan_out

    def unreachable(*args, **kwargs):
        raise exc.OperationalError("SELECT outbox", {}, ConnectionRefusedError())

    monkeypatch.setattr(notifications, "fan_out", unreachable)
    caplog.set_level(logging.INFO, logger="monitor.notify.deliverer")
    for _ in range(5):  # the chore's ticks through the outage
        assert deliverer.run_once() == 0
    monkeypatch.setattr(notifications, "fan_out", real_fan_out)
    deliver(deliverer)
    lines = [r.getMessage() for r in caplog.records]
    assert lines.count("notifications wait for the database: OperationalError") == 1
    assert sum("notifications go on" in line for line in lines) == 1
    assert len(receiver.at("/ok")) == 1


def test_a_new_worker_sends_what_a_stopped_one_left(
    store, notifications, deliverer, receiver, clock
):
    webhook(notifications, receiver.url("/ok"), clock)
    store.record_engine_changes(opened())  # written; the old worker never ran again
    deliverer.close()
    fresh = Deliverer(notifications, SETTINGS, KEY, clock, POLICY)
    try:
        deliver(fresh)
        deliver(fresh)
    finally:
        fresh.close()
    assert len(receiver.at("/ok")) == 1


def test_a_fan_out_wider_than_the_slots_is_sent_in_one_run(store, notifications, receiver, clock):
    for n in range(20):
        webhook(notifications, receiver.url(f"/ok{n}"), clock)
    store.record_engine_changes(opened())
    narrow = Deliverer(
        notifications,
        SETTINGS,
        KEY,
        clock,
        DeliveryPolicy(timeout_s=10, concurrency=3, allow_private_targets=True),
    )
    try:
        assert narrow.run_for(30) == 20
        assert narrow.wait_idle()
    finally:
        narrow.close()
    assert len(receiver.received) == 20
