"""Fan-out at scale: batches claimed in one statement, hanging receivers kept to a slow
lane, mails sent many to a connection. SQLite and PostgreSQL, real receivers."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from monitor.clock import FakeClock
from monitor.config import settings_from_dict
from monitor.notify.deliverer import Deliverer, DeliveryPolicy
from monitor.notify.mail import Mailer
from monitor.notify.report import notifications_document, notifications_text
from monitor.notify.subscriptions import Request, subscription_row
from monitor.store.notifications import Ending, Notifications
from monitor.store.rows.outbox import ACTIVE, PENDING, SENT
from tests.monitor.notify.test_deliverer import KEY, deliver, opened, story, webhook
from tests.monitor.store.engine_output import at
from tests.web.seed import RAW_SETTINGS, SETTINGS

LEASE = timedelta(minutes=5)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(10))


@pytest.fixture
def notifications(store) -> Notifications:
    return Notifications(store)


def test_a_claim_takes_one_batch_no_larger_than_asked_and_never_a_leased_one(
    store, notifications, receiver, clock
):
    for n in range(10):
        webhook(notifications, receiver.url(f"/ok{n}"), clock)
    store.record_engine_changes(opened())
    notifications.fan_out(clock.now())
    now = clock.now()
    first = notifications.claim(now, now + LEASE, 4, "webhook")
    second = notifications.claim(now, now + LEASE, 4, "webhook")
    third = notifications.claim(now, now + LEASE, 4, "webhook")
    ids = [d["id"] for d in first + second + third]
    assert [len(first), len(second), len(third)] == [4, 4, 2]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 10
    assert notifications.claim(now, now + LEASE, 4, "webhook") == []
    assert notifications.claim(now, now + LEASE, 4, "email") == []
    later = now + LEASE  # a worker that died: its leases run out
    assert len(notifications.claim(later, later + LEASE, 100, "webhook")) == 10


def test_a_receiver_that_times_out_is_served_in_the_slow_lane_until_it_answers(
    store, notifications, receiver, clock
):
    hanging = webhook(notifications, receiver.url("/hang"), clock)
    healthy = webhook(notifications, receiver.url("/ok"), clock)
    store.record_engine_changes(opened())
    policy = DeliveryPolicy(timeout_s=0.5, allow_private_targets=True)
    sender = Deliverer(notifications, SETTINGS, KEY, clock, policy, rng=random.Random(7))
    try:
        deliver(sender)
    finally:
        sender.close()
    assert notifications.subscription(hanging)["slow_until"] == clock.now() + policy.slow_for
    assert notifications.subscription(healthy)["slow_until"] is None
    report = notifications_text(notifications_document(notifications, 10, clock.now()))
    assert "1 webhook receiver(s) in the slow lane" in report  # what an operator reads
    clock.advance(policy.first_retry_s)  # its retry is due, in the slow lane only
    now = clock.now()
    assert notifications.claim(now, now + LEASE, 10, "webhook", slow=False) == []
    [retry] = notifications.claim(now, now + LEASE, 10, "webhook", slow=True)
    assert retry["subscription_id"] == hanging
    notifications.finish_many(
        [Ending(retry["id"], hanging, SENT, now, None, None, answered=True)], disable_after=3
    )
    assert notifications.subscription(hanging)["slow_until"] is None
    assert notifications.counts(clock.now())["slow_lane"] == {"webhook receivers": 0}


def test_receivers_hanging_in_the_slow_lane_leave_the_others_theirs(
    store, notifications, receiver, clock
):
    hangs = [webhook(notifications, receiver.url(f"/hang{n}"), clock) for n in range(3)]
    for n in range(5):
        webhook(notifications, receiver.url(f"/ok{n}"), clock)
    opened_, identified = story()[:2]
    store.record_engine_changes(opened_)
    quick = Deliverer(
        notifications,
        SETTINGS,
        KEY,
        clock,
        DeliveryPolicy(timeout_s=0.5, allow_private_targets=True),
    )
    try:
        deliver(quick)  # the hanging ones time out: the slow lane
    finally:
        quick.close()
    assert all(notifications.subscription(s)["slow_until"] for s in hangs)
    clock.advance(60)  # their retries are due with the next update
    store.record_engine_changes(identified)

    # One slot per lane, and a deadline far beyond the test: a healthy receiver could
    # only be served if the hanging ones stay out of its lane. They are let go once
    # every healthy receiver has the update, and not before.
    def identified_everywhere(got) -> bool:
        return (
            sum(
                r.path.startswith("/ok") and r.json["incident"]["status"] == "identified"
                for r in got
            )
            == 5
        )

    in_flight_when_released = []
    receiver.when(
        identified_everywhere,
        lambda: (
            in_flight_when_released.append(
                sum(r.path.startswith("/hang") for r in receiver.received)
            ),
            receiver.release.set(),
        ),
    )
    patient = Deliverer(
        notifications,
        SETTINGS,
        KEY,
        clock,
        DeliveryPolicy(
            timeout_s=120, concurrency=1, slow_concurrency=1, allow_private_targets=True
        ),
    )
    try:
        patient.run_for(120)
        assert patient.wait_idle()
    finally:
        patient.close()
    assert in_flight_when_released == [3 + 1]  # the first round's, and one slow slot's
    by_subscription = {
        d["subscription_id"]: d for d in notifications.deliveries() if d["state"] == SENT
    }
    assert len(by_subscription) == 5 and not set(hangs) & set(by_subscription)


def test_a_fan_out_of_mails_shares_a_few_connections_each_mail_its_own_unsubscribe(
    store, notifications, smtp, clock
):
    settings = settings_from_dict(
        {
            **RAW_SETTINGS,
            "notifications": {"smtp_url": smtp.url, "from": "Status <status@example.org>"},
        }
    )
    addresses = [f"reader{n}@example.org" for n in range(12)]
    for address in addresses:
        subscription_id, _ = notifications.add_subscription(
            subscription_row(Request("email", address), clock.now())
        )
        notifications.set_subscription_state(subscription_id, ACTIVE, clock.now())
    store.record_engine_changes(opened())
    policy = DeliveryPolicy(mail_connections=2, mail_batch=3)
    sender = Deliverer(
        notifications, settings, KEY, clock, policy, mailer=Mailer(settings.notifications)
    )
    try:
        assert sender.run_for(60) == 12
        assert sender.wait_idle()
    finally:
        sender.close()
    assert sorted(rcpt for rcpts, _ in smtp.handler.mails for rcpt in rcpts) == sorted(addresses)
    assert len(set(smtp.handler.peers)) <= policy.mail_connections
    links = {m["List-Unsubscribe"] for _, m in smtp.handler.mails}
    assert len(links) == 12  # one per subscriber, never shared
    assert all(f"To: {rcpts[0]}" in m.as_string() for rcpts, m in smtp.handler.mails)
    assert {d["state"] for d in notifications.deliveries()} == {SENT}


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_deadline(
    store, notifications, receiver, clock
):
    trickling = webhook(notifications, receiver.url("/trickle"), clock)
    store.record_engine_changes(opened())
    policy = DeliveryPolicy(timeout_s=1, allow_private_targets=True)
    sender = Deliverer(notifications, SETTINGS, KEY, clock, policy)
    try:
        assert sender.run_once() == 1
        assert sender.wait_idle()  # before the receiver is let go: the deadline ended it
    finally:
        sender.close()
    [delivery] = notifications.deliveries()
    assert (delivery["state"], delivery["last_error"]) == (PENDING, "timed out")
    assert notifications.subscription(trickling)["slow_until"] is not None
