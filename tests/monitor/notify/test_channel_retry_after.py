"""An operator channel's server that answers 429 or 503 with Retry-After is left alone
that long, as a webhook's is: a real HTTP receiver on loopback (through Apprise's
`json://`), the deliverer on a fake clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.utils import format_datetime

import pytest
import requests

from monitor.clock import FakeClock
from monitor.notify import replies
from monitor.notify.channels import OperatorChannels, channel_rows
from monitor.notify.deliverer import Deliverer
from monitor.store.notifications import Notifications
from monitor.store.rows.outbox import PENDING, SENT
from tests.monitor.notify.test_channels import POLICY, json_url, with_channels
from tests.monitor.notify.test_deliverer import KEY, opened, webhook
from tests.monitor.store.engine_output import two_outages_and_a_bad_key
from tests.monitor.synthetic import START
from tests.web.seed import SETTINGS

WEEK = 7 * 24 * 3600


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


class Channel:
    """One operator channel at `/${HOOK_PATH}` on the receiver, and our key's trouble
    (an operator-only incident) waiting in the outbox for it."""

    def __init__(self, store, receiver, clock: FakeClock) -> None:
        self.environ = {"HOOK_PATH": "busy"}
        settings = with_channels(
            {
                "name": "ops",
                "url": json_url(receiver, "/${HOOK_PATH}"),
                "events": ["operator_incidents"],
            }
        )
        self.notifications = Notifications(store)
        self.notifications.sync_channels(channel_rows(settings), clock.now(), "salt")
        self.operator = OperatorChannels(settings, POLICY, self.environ)
        self.deliverer = Deliverer(
            self.notifications, settings, KEY, clock, POLICY, operator=self.operator
        )
        private = next(
            c
            for c in two_outages_and_a_bad_key().changes
            if any(not e.incident.public for e in c.incident_events)
        )
        clock.set(max(e.update.at for e in private.incident_events))
        store.record_engine_changes(private)

    def run(self) -> int:
        started = self.deliverer.run_once()
        assert self.deliverer.wait_idle()
        return started

    def delivery(self) -> dict:
        [delivery] = self.notifications.deliveries()
        return delivery

    def close(self) -> None:
        self.deliverer.close()
        self.operator.close()


@pytest.fixture
def channel(store, receiver, clock):
    channel = Channel(store, receiver, clock)
    yield channel
    channel.close()


@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_channel_is_tried_again_no_sooner_than_its_retry_after_seconds(
    channel, receiver, clock, status
):
    receiver.busy_status, receiver.busy_retry_after = status, "900"
    assert channel.run() == 1
    first = channel.delivery()
    said = {429: "HTTP 429 Too Many Requests", 503: "HTTP 503 Service Unavailable"}[status]
    assert (first["state"], first["last_error"]) == (PENDING, f"json: {said}")
    # Our own first back-off is 15-30 s; the server asked for 15 minutes.
    assert first["next_attempt_at"] == clock.now() + timedelta(seconds=900)
    clock.advance(899)
    assert channel.run() == 0
    channel.environ["HOOK_PATH"] = "ok"  # the server has room again
    clock.advance(1)
    assert channel.run() == 1
    assert channel.delivery()["state"] == SENT
    assert len(receiver.at("/busy")) == 1  # asked once: no hidden retry inside the try
    assert len(receiver.at("/ok")) == 1


def test_a_retry_after_given_as_an_http_date_is_read_against_our_clock(channel, receiver, clock):
    receiver.busy_retry_after = format_datetime(clock.now() + timedelta(minutes=10), usegmt=True)
    channel.run()
    assert channel.delivery()["next_attempt_at"] == clock.now() + timedelta(minutes=10)


@pytest.mark.parametrize("asked", ["a week in seconds", "a date a year ahead"])
def test_a_retry_after_beyond_the_longest_back_off_waits_that_long_and_loses_nothing(
    channel, receiver, clock, asked
):
    receiver.busy_retry_after = (
        str(WEEK)
        if asked == "a week in seconds"
        else format_datetime(clock.now() + timedelta(days=365), usegmt=True)
    )
    channel.run()
    delivery = channel.delivery()
    assert delivery["state"] == PENDING  # not given up: the channel still hears of it
    assert delivery["next_attempt_at"] == clock.now() + timedelta(seconds=POLICY.max_retry_s)


@pytest.mark.parametrize("asked", ["0", "a date gone by"])
def test_a_retry_after_of_now_still_waits_the_back_off(channel, receiver, clock, asked):
    receiver.busy_retry_after = (
        "0" if asked == "0" else format_datetime(clock.now() - timedelta(hours=1), usegmt=True)
    )
    channel.run()
    wait = channel.delivery()["next_attempt_at"] - clock.now()
    assert timedelta(seconds=POLICY.first_retry_s / 2) <= wait
    assert channel.run() == 0  # not a tight loop: nothing is due until then


def test_a_webhook_asking_for_a_week_is_tried_again_within_the_longest_back_off(
    store, receiver, clock
):
    notifications = Notifications(store)
    webhook(notifications, receiver.url("/busy"), clock)
    receiver.busy_retry_after = str(WEEK)
    deliverer = Deliverer(notifications, SETTINGS, KEY, clock, POLICY)
    try:
        store.record_engine_changes(opened())
        deliverer.run_once()
        assert deliverer.wait_idle()
    finally:
        deliverer.close()
    [delivery] = notifications.deliveries()
    assert delivery["state"] == PENDING  # not given up
    assert delivery["next_attempt_at"] == clock.now() + timedelta(seconds=POLICY.max_retry_s)


def test_only_the_listening_threads_answers_are_heard(receiver):
    receiver.busy_retry_after = "60"
    elsewhere = threading.Thread(target=requests.post, args=(receiver.url("/busy"),))
    with replies.listening() as heard:
        elsewhere.start()
        elsewhere.join()
        requests.post(receiver.url("/ok"))
    requests.post(receiver.url("/busy"))
    assert heard == [replies.Reply(204, None)]
    assert len(receiver.at("/busy")) == 2


@pytest.mark.parametrize(
    ("heard", "wait"),
    [
        ([replies.Reply(429, "30")], "30"),
        ([replies.Reply(503, "30"), replies.Reply(429, "90")], "90"),  # the last refusal
        ([replies.Reply(429, "30"), replies.Reply(200, None)], "30"),
        ([replies.Reply(404, "30")], None),  # a refusal for good: no later to wait for
        ([replies.Reply(429, None)], None),
        ([], None),
    ],
)
def test_the_retry_after_that_counts_is_the_last_refusals_a_webhook_would_wait_on(heard, wait):
    assert replies.retry_after(heard) == wait
