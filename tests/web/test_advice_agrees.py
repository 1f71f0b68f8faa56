"""A gateway that acts on webhooks and one that polls the routing signal act alike: at the
moment of each incident event, the event's advice for a model is the site's.

The fresh install of issue 9 at one vantage point (tests/web/one_vantage.py): the real
status engine judges each minute's probes as the worker does, its changes are stored
with the probes, and the outbox's facts are read back as the deliverer reads them."""

from __future__ import annotations

from datetime import timedelta

from monitor.clock import FakeClock
from monitor.judging.engine import StatusEngine, TargetInfo
from monitor.notify.evidence import recommendation
from monitor.store import Store
from monitor.store.notifications import Notifications
from tests.web.one_vantage import GPT, MINUTES, OPUS, REGION, SETTINGS, SONNET, START, results
from web import create_app


def test_each_incident_event_advises_what_the_routing_signal_says_then(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'aistatus.db'}")
    store.upgrade()
    store.sync_targets(SETTINGS, {})
    names = {m.id: m.name for m in SETTINGS.models}
    engine = StatusEngine(
        SETTINGS.status,
        [TargetInfo(t, t.split("/")[0], names[t], t.split("/")[0]) for t in (OPUS, SONNET, GPT)],
        (REGION,),
    )
    notifications = Notifications(store)
    probes = sorted(results(MINUTES), key=lambda r: r.started_at)
    seen_events, advice = 0, []
    for minute in range(MINUTES):
        now = START + timedelta(minutes=minute + 1)
        batch = [r for r in probes if now - timedelta(minutes=1) <= r.started_at < now]
        store.record_results(batch)
        engine.ingest(batch)
        changes = engine.evaluate(now)
        store.record_engine_changes(changes)
        if not changes.incident_events:
            continue
        site = create_app(SETTINGS, store, clock=FakeClock(now)).test_client()
        routing = {m["id"]: m for m in site.get("/api/v1/routing").json["models"]}
        for row in notifications.outbox()[seen_events:]:
            if row["kind"] != "incident":
                continue
            # The engine sends each model's last 15 minutes along, as the site weighs them.
            assert set(row["event"]["evidence"]["errors"]) == set(row["event"]["models"])
            told = recommendation(row["event"])
            for model, word in told.items():
                assert word == routing[model]["recommendation"], (minute, model, routing[model])
                advice.append(word)
        seen_events = len(notifications.outbox())
    store.dispose()
    assert advice and seen_events >= 2  # opened, then updated
