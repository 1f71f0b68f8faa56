"""Email end to end over a real SMTP server on loopback: double opt-in through the
site's link, a notification in text and HTML with one-click unsubscribe, and the
unsubscribe link ending it."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from monitor.clock import FakeClock
from monitor.config import settings_from_dict
from monitor.judging.engine import EngineChanges
from monitor.notify.deliverer import Deliverer, DeliveryPolicy
from monitor.notify.mail import Mailer
from monitor.notify.subscriptions import EmailConfirmations, Request, subscribe
from monitor.store.notifications import Notifications
from monitor.store.rows.outbox import ACTIVE, FAILED, PENDING, REMOVED
from tests.monitor.notify.test_deliverer import KEY, opened, story
from tests.monitor.store.engine_output import at
from tests.web.seed import RAW_SETTINGS
from web import create_app


@pytest.fixture
def settings(smtp):
    return settings_from_dict(
        {
            **RAW_SETTINGS,
            "notifications": {"smtp_url": smtp.url, "from": "Status <status@example.org>"},
        }
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(0))


@pytest.fixture
def parts(store, settings, clock, monkeypatch):
    monkeypatch.setenv("AISTATUS_NOTIFY_KEY", KEY.decode())
    notifications = Notifications(store)
    mailer = Mailer(settings.notifications)
    deliverer = Deliverer(notifications, settings, KEY, clock, DeliveryPolicy(), mailer=mailer)
    confirmations = EmailConfirmations(notifications, settings, KEY, clock, mailer)
    site = create_app(settings, store, clock=clock).test_client()
    yield notifications, deliverer, confirmations, site
    deliverer.close()


def deliver(deliverer: Deliverer) -> None:
    while deliverer.run_once():
        assert deliverer.wait_idle()


def link(message, pattern: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"https://status\.example\.org(/{pattern}/\S+)", text).group(1)


def test_an_address_hears_nothing_until_it_follows_its_confirmation_link(store, smtp, parts, clock):
    notifications, deliverer, confirmations, site = parts
    subscription_id, _ = subscribe(
        notifications, Request("email", "ops@example.org"), clock.now(), allow_private=False
    )
    assert confirmations.send_pending() == 1
    assert confirmations.send_pending() == 0  # one confirmation mail, not one per run
    [confirmation] = smtp.to("ops@example.org")
    store.record_engine_changes(opened())
    deliver(deliverer)
    assert len(smtp.to("ops@example.org")) == 1  # pending: the incident is not sent
    path = link(confirmation, "subscriptions/confirm")
    assert "Confirm" in site.get(path).text
    assert notifications.subscription(subscription_id)["state"] == PENDING  # a GET changes nothing
    assert site.post(path).status_code == 200
    assert notifications.subscription(subscription_id)["state"] == ACTIVE


def test_a_confirmation_link_expires_after_a_day(store, smtp, parts, clock):
    notifications, _, confirmations, site = parts
    subscription_id, _ = subscribe(
        notifications, Request("email", "late@example.org"), clock.now(), allow_private=False
    )
    confirmations.send_pending()
    path = link(smtp.to("late@example.org")[0], "subscriptions/confirm")
    clock.advance(25 * 3600)
    assert site.post(path).status_code == 404
    assert site.post(path.replace(path[-6:], "000000")).status_code == 404
    assert notifications.subscription(subscription_id)["state"] == PENDING


def test_a_notification_mail_says_the_same_in_text_and_html_and_unsubscribes_in_one_click(
    store, smtp, parts, clock
):
    notifications, deliverer, _, site = parts
    subscription_id, _ = subscribe(
        notifications, Request("email", "ops@example.org"), clock.now(), allow_private=False
    )
    notifications.set_subscription_state(subscription_id, ACTIVE, clock.now())
    first, *rest = story()
    evidence = {
        "probes": 40,
        "failure_shares": {"capacity": 0.75, "ok": 0.25},
        "quality": {"verdict": "correct", "checked": 10, "wrong": 0},
    }
    store.record_engine_changes(
        EngineChanges((), tuple(replace(e, evidence=evidence) for e in first.incident_events))
    )
    deliver(deliverer)
    [mail] = smtp.to("ops@example.org")
    assert mail["Subject"].strip().startswith("[AI status] Investigating:")
    assert mail["List-Unsubscribe-Post"].strip() == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "investigating at minute 10" in text and "investigating at minute 10" in html
    for said in (
        "Cause: infrastructure. Status: investigating.",
        "Of 40 probes since it began: 75 % capacity, 25 % ok.",
        "Quality: answers still pass (10 of 10 checked were right).",
        "Recommendation: avoid anthropic/claude-opus-4-7.",
    ):
        assert said in text and said in html
    unsubscribe = mail["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.removeprefix("https://status.example.org") == link(mail, "unsubscribe")
    # What a mail client's unsubscribe button does (RFC 8058): a POST, no cookie.
    assert (
        site.post(
            unsubscribe.removeprefix("https://status.example.org"),
            data="List-Unsubscribe=One-Click",
        ).status_code
        == 200
    )
    assert notifications.subscription(subscription_id)["state"] == REMOVED
    for changes in rest:
        store.record_engine_changes(changes)
    deliver(deliverer)
    assert len(smtp.to("ops@example.org")) == 1


def test_a_forged_unsubscribe_link_changes_nothing(store, parts, clock):
    notifications, _, _, site = parts
    subscription_id, _ = subscribe(
        notifications, Request("email", "ops@example.org"), clock.now(), allow_private=False
    )
    notifications.set_subscription_state(subscription_id, ACTIVE, clock.now())
    assert site.post(f"/unsubscribe/{subscription_id}/{'0' * 32}").status_code == 404
    assert notifications.subscription(subscription_id)["state"] == ACTIVE


def test_a_mailbox_that_does_not_exist_fails_for_good(store, smtp, parts, clock):
    notifications, deliverer, _, _ = parts
    subscription_id, _ = subscribe(
        notifications, Request("email", "gone@example.org"), clock.now(), allow_private=False
    )
    notifications.set_subscription_state(subscription_id, ACTIVE, clock.now())
    store.record_engine_changes(opened())
    deliver(deliverer)
    [delivery] = notifications.deliveries()
    assert delivery["state"] == FAILED and "550" in delivery["last_error"]


def test_mail_waits_while_our_smtp_server_is_down(store, smtp, parts, clock):
    notifications, deliverer, _, _ = parts
    subscription_id, _ = subscribe(
        notifications, Request("email", "ops@example.org"), clock.now(), allow_private=False
    )
    notifications.set_subscription_state(subscription_id, ACTIVE, clock.now())
    smtp.close()
    store.record_engine_changes(opened())
    deliver(deliverer)
    [delivery] = notifications.deliveries()
    assert delivery["state"] == PENDING and delivery["last_error"].startswith("SMTP")
    assert notifications.subscription(subscription_id)["state"] == ACTIVE
