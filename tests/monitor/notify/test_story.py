"""A real engine's story, told to every subscriber: Opus fails twice (two incidents,
each opened, updated and resolved) while our own key for GPT is refused (operator-only).
Each minute's changes are stored as the worker stores them, and the deliverer runs."""

from __future__ import annotations

import pytest

from monitor.clock import FakeClock
from monitor.notify.deliverer import Deliverer, DeliveryPolicy
from monitor.store.notifications import Notifications
from tests.monitor.notify.test_deliverer import KEY, webhook
from tests.monitor.store.engine_output import GPT, OPUS, SONNET, two_outages_and_a_bad_key
from tests.monitor.synthetic import START
from tests.web.seed import SETTINGS


def play_story(store, deliverer: Deliverer, clock: FakeClock) -> None:
    """Each minute's engine changes stored as the worker stores them, at their own time,
    and the deliverer run until it has sent all it may."""
    for changes in two_outages_and_a_bad_key().changes:
        clock.set(
            max(
                clock.now(),
                *(e.update.at for e in changes.incident_events),
                *(c.at for c in changes.status_changes),
            )
        )
        store.record_engine_changes(changes)
        while deliverer.run_once():  # one event per subscriber per run, in order
            assert deliverer.wait_idle()


@pytest.fixture
def told(store, receiver):
    clock = FakeClock(START)
    notifications = Notifications(store)
    for path, scope in (
        ("/ok1", {}),
        ("/ok2", {"models": [OPUS]}),
        ("/ok3", {"models": [SONNET]}),
        ("/ok4", {"models": [GPT]}),
    ):
        webhook(notifications, receiver.url(path), clock, **scope)
    deliverer = Deliverer(
        notifications, SETTINGS, KEY, clock, DeliveryPolicy(timeout_s=2, allow_private_targets=True)
    )
    try:
        play_story(store, deliverer, clock)
    finally:
        deliverer.close()
    return {path: [r.json for r in receiver.at(path)] for path in ("/ok1", "/ok2", "/ok3", "/ok4")}


def incident_story(bodies: list[dict]) -> list[tuple[str, str]]:
    return [(b["incident"]["id"], b["incident"]["status"]) for b in bodies if "incident" in b]


def test_a_subscriber_to_opus_hears_each_incident_open_move_and_resolve(told):
    story = incident_story(told["/ok2"])
    first, second = dict.fromkeys(i for i, _ in story)
    for incident in (first, second):
        steps = [s for i, s in story if i == incident]
        assert steps[0] == "investigating" and steps[-1] == "resolved"
        assert len(steps) >= 3, steps  # opened, at least one update, resolved
    last = [b for b in told["/ok2"] if "incident" in b][-1]["incident"]
    statuses = [u["status"] for u in last["incident_updates"]]
    assert statuses[0] == "resolved" and statuses[-1] == "investigating"  # newest first


def test_the_whole_site_subscriber_hears_what_the_opus_subscriber_hears_and_more(told):
    assert incident_story(told["/ok1"]) == incident_story(told["/ok2"])
    components = {b["component"]["description"] for b in told["/ok1"] if "component" in b}
    assert OPUS in components


def test_nobody_hears_of_our_own_key_trouble(told):
    every = [b for bodies in told.values() for b in bodies]
    assert all(b["aistatus"].get("cause") != "configuration" for b in every)
    assert told["/ok3"] == []  # Sonnet was fine all along
    assert incident_story(told["/ok4"]) == []


def test_every_event_reaches_each_receiver_once(told):
    for bodies in told.values():
        ids = [b["aistatus"]["event_id"] for b in bodies]
        assert len(ids) == len(set(ids))


def test_each_update_carries_the_evidence_the_engine_had_then(told):
    bodies = [b for b in told["/ok2"] if "incident" in b]
    opened, resolved = bodies[0]["aistatus"], bodies[-1]["aistatus"]
    # Opened on failures alone: every probe since it began failed, no answer to judge.
    assert opened["cause"] == "infrastructure"
    assert opened["failure_shares"] == {"infrastructure": 1.0} and opened["probes"] > 0
    assert opened["quality"]["verdict"] == "unknown"
    # Opened while its first few failures are confirmed (the model degraded, not yet in an
    # outage): the advice waits, as the routing signal does; once the outage is shown,
    # every update says avoid.
    assert opened["recommendation"] == {OPUS: "use"}
    first = [b for b in bodies if b["incident"]["status"] != "resolved"]
    in_outage = [
        b
        for b in first
        if b["incident"]["components"][0]["status"] in ("partial_outage", "major_outage")
    ]
    assert in_outage and all(b["aistatus"]["recommendation"] == {OPUS: "avoid"} for b in in_outage)
    # Resolved: answers came back right, and the advice is to use it again.
    assert resolved["quality"] == {
        "verdict": "correct",
        "checked": 42,
        "wrong": 0,
        "text": "answers still pass",
    }
    assert set(resolved["failure_shares"]) == {"infrastructure", "ok"}
    assert sum(resolved["failure_shares"].values()) == pytest.approx(1, abs=0.001)
    assert resolved["recommendation"] == {OPUS: "use"}
