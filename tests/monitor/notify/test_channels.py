"""Operator channels through Apprise, to a real HTTP receiver on loopback (Apprise's
`json://` posts `{"title", "message", "type"}`), on SQLite and PostgreSQL.

The story is the engine's own (tests/monitor/store/engine_output.py): Opus fails
twice in public while our key for GPT is refused, an operator-only incident."""

from __future__ import annotations

import logging

import pytest

from monitor.clock import FakeClock
from monitor.config import settings_from_dict
from monitor.notify.channels import OperatorChannels, channel_rows
from monitor.notify.deliverer import Deliverer, DeliveryPolicy
from monitor.notify.report import notifications_document, notifications_text
from monitor.store.notifications import Notifications
from monitor.store.rows.outbox import ACTIVE, PENDING, REMOVED, SENT
from tests.monitor.notify.test_deliverer import KEY, webhook
from tests.monitor.notify.test_story import play_story
from tests.monitor.store.engine_output import OPUS, two_outages_and_a_bad_key
from tests.monitor.synthetic import START
from tests.web.seed import RAW_SETTINGS

POLICY = DeliveryPolicy(timeout_s=2, concurrency=4, allow_private_targets=True)
SECRET = "s3cr3t-path-token-0f9a"


def with_channels(*channels: dict) -> object:
    return settings_from_dict({**RAW_SETTINGS, "notifications": {"channels": list(channels)}})


def json_url(receiver, path: str) -> str:
    return "json://" + receiver.url(path).removeprefix("http://")


def tell(store, settings, clock, environ=None, *, subscribers=()):
    """Run the story through the store and a deliverer with these channels; returns
    the notifications (to read deliveries from)."""
    notifications = Notifications(store)
    for url in subscribers:
        webhook(notifications, url, clock)
    notifications.sync_channels(channel_rows(settings), clock.now(), "salt")
    operator = OperatorChannels(settings, POLICY, environ or {})
    deliverer = Deliverer(notifications, settings, KEY, clock, POLICY, operator=operator)
    try:
        play_story(store, deliverer, clock)
    finally:
        deliverer.close()
        operator.close()
    return notifications


def titles(receiver, path: str) -> list[str]:
    return [r.json["title"] for r in receiver.at(path)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def test_our_key_trouble_reaches_the_operator_channel_and_no_subscriber(store, receiver, clock):
    settings = with_channels(
        {"name": "ops", "url": json_url(receiver, "/ops"), "events": ["operator_incidents"]},
        {
            "name": "all",
            "url": json_url(receiver, "/all"),
            "events": ["public_incidents", "operator_incidents", "component_changes"],
        },
    )
    tell(store, settings, clock, subscribers=[receiver.url("/ok")])

    ops = titles(receiver, "/ops")
    assert ops and all("(operator only, not public)" in t for t in ops)
    assert any(t.startswith("[AI status] Investigating:") for t in ops)
    assert any(t.startswith("[AI status] Resolved:") for t in ops)
    [message] = [r.json["message"] for r in receiver.at("/ops")][:1]
    assert "Cause: configuration." in message and "Recommendation:" in message
    assert "/incidents/" not in message  # no public page to link to

    subscriber = [r.json for r in receiver.at("/ok")]
    assert subscriber, "the public incidents reach the subscriber"
    assert all(b["aistatus"].get("cause") != "configuration" for b in subscriber)
    assert all(b["aistatus"].get("public", True) for b in subscriber)

    every = titles(receiver, "/all")
    assert set(ops) < set(every)  # operator-only ones, and more
    assert any(" is " in t and "Investigating" not in t for t in every)  # component changes
    public = [
        t
        for t in every
        if t.startswith("[AI status]")
        and "not public" not in t
        and ":" in t.removeprefix("[AI status]")
    ]
    assert public, "public incidents reach the channel that asked for them"


def test_a_channel_filtered_to_public_incidents_of_one_model_hears_only_those(
    store, receiver, clock
):
    settings = with_channels(
        {
            "name": "opus",
            "url": json_url(receiver, "/opus"),
            "events": ["public_incidents"],
            "models": [OPUS],
        }
    )
    tell(store, settings, clock)
    bodies = [r.json for r in receiver.at("/opus")]
    assert bodies
    assert all("not public" not in b["title"] for b in bodies)
    assert all("Claude Opus 4.7" in b["title"] or OPUS in b["message"] for b in bodies)
    resolved = [b for b in bodies if b["title"].startswith("[AI status] Resolved")]
    assert len(resolved) == 2 and all(b["type"] == "success" for b in resolved)


def test_a_failing_channel_is_tried_again_later_and_its_secret_is_never_logged(
    store, receiver, clock, caplog
):
    settings = with_channels(
        {
            "name": "ops",
            "url": json_url(receiver, "/${HOOK_PATH}"),
            "events": ["operator_incidents"],
        }
    )
    environ = {"HOOK_PATH": "fail"}
    notifications = Notifications(store)
    notifications.sync_channels(channel_rows(settings), clock.now(), "salt")
    operator = OperatorChannels(settings, POLICY, environ)
    deliverer = Deliverer(notifications, settings, KEY, clock, POLICY, operator=operator)
    caplog.set_level(logging.DEBUG)
    try:
        story = two_outages_and_a_bad_key()
        private = next(
            c for c in story.changes if any(not e.incident.public for e in c.incident_events)
        )
        clock.set(max(e.update.at for e in private.incident_events))
        store.record_engine_changes(private)
        assert deliverer.run_once() == 1 and deliverer.wait_idle()
        [first] = notifications.deliveries()
        assert (first["state"], first["attempts"]) == (PENDING, 1)
        assert first["last_error"] == "json: HTTP 500 Internal Server Error"
        assert first["next_attempt_at"] > clock.now()  # back-off, not a hot loop
        assert receiver.at("/fail")
        failing = notifications_text(notifications_document(notifications, 10, clock.now()))
        assert "pending  channel ops incident." in failing
        assert "json: HTTP 500 Internal Server Error" in failing

        environ["HOOK_PATH"] = SECRET  # the receiver is back, at a secret path
        assert deliverer.run_once() == 0  # not before its time
        clock.advance(2 * 3600)
        assert deliverer.run_once() == 1 and deliverer.wait_idle()
        [again] = notifications.deliveries()
        assert again["state"] == SENT
        assert receiver.at("/" + SECRET)
    finally:
        deliverer.close()
        operator.close()
    report = notifications_text(notifications_document(notifications, 10, clock.now()))
    assert "1 operator active" in report
    assert SECRET not in caplog.text and SECRET not in report
    assert "JSON POST URL" in caplog.text  # Apprise did log the URL, blanked


def test_channel_rows_follow_the_config(store, clock):
    notifications = Notifications(store)
    first = with_channels(
        {"name": "a", "url": "json://127.0.0.1/a"},
        {"name": "b", "url": "json://127.0.0.1/b", "providers": ["openai"]},
    )
    ids = notifications.sync_channels(channel_rows(first), clock.now(), "salt")
    later = with_channels(
        {"name": "b", "url": "json://127.0.0.1/b", "events": ["component_changes"]}
    )
    assert notifications.sync_channels(channel_rows(later), clock.now(), "salt") == {"b": ids["b"]}
    a, b = (notifications.subscription(ids[name]) for name in "ab")
    assert a["state"] == REMOVED
    assert (b["state"], b["providers"], b["events"]) == (ACTIVE, [], ["component_changes"])
    assert b["address"] == "b"  # the name; the URL is never stored


def test_an_operator_mailbox_gets_our_key_trouble_by_mail(store, smtp, clock):
    url = f"mailto://127.0.0.1:{smtp.port}?from=status@example.org&to=ops@example.org&mode=insecure"
    settings = with_channels({"name": "ops-mail", "url": url, "events": ["operator_incidents"]})
    tell(store, settings, clock)
    mails = smtp.to("ops@example.org")
    assert mails and all("operator only" in m["Subject"] for m in mails)
    text = mails[0].get_body(("plain", "html")).get_content()
    assert "Cause: configuration." in text and "Quality:" in text
