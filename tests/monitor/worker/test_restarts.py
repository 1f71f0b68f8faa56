"""Restarts, a changed model list and results written late: status stays evaluated and
honest, on SQLite and PostgreSQL."""

import pytest

from monitor.clock import FakeClock
from monitor.config import settings_from_dict
from monitor.store import Store
from monitor.worker.evaluator import LEASE, Evaluator
from monitor.worker.roles import sync_targets
from tests.monitor.synthetic import START, http, ok

REGIONS = ("us-east", "eu-west", "ap-southeast")
OPUS, SONNET, HAIKU = (
    "anthropic/claude-opus-4-7",
    "anthropic/claude-sonnet-4-6",
    "anthropic/claude-haiku-4-5",
)
unavailable = http(503)


def settings_with(*models: str):
    return settings_from_dict(
        {
            "providers": [
                {"id": "anthropic", "kind": "anthropic", "base_url": "http://127.0.0.1:1"}
            ],
            "models": [{"provider": "anthropic", "model": m.split("/")[1]} for m in models],
        }
    )


@pytest.fixture
def store(database_url):
    store = Store(database_url)
    store.upgrade()
    sync_targets(settings_with(OPUS, SONNET), store, environ={})
    yield store
    store.dispose()


def probes(clock, models, fails=lambda minute, region: False, failing=OPUS):
    """A minute's probes of `models` from every region; `failing` fails where `fails`."""
    at = clock.now()
    minute = int((at - START).total_seconds() // 60)
    return [
        (unavailable if model == failing and fails(minute, region) else ok)(model, region, at)
        for model in models
        for region in REGIONS
    ]


def run(evaluator, store, clock, minutes, models=(OPUS, SONNET)):
    for _ in range(minutes):
        store.record_results(probes(clock, models))
        clock.advance(60)
        evaluator.tick()


def test_a_worker_restarted_on_the_same_host_evaluates_at_its_first_tick(store):
    clock = FakeClock(START)
    settings = settings_with(OPUS, SONNET)
    crashed = Evaluator(settings, store, clock, "us-east")
    run(crashed, store, clock, 10)  # then it crashed
    crashed.snapshots.wait()
    store.record_results(probes(clock, (OPUS, SONNET)))
    clock.advance(60)
    restarted = Evaluator(settings, store, clock, "us-east")
    restarted.tick()
    assert restarted.engine is not None  # no wait for the old lease to expire
    restarted.snapshots.wait()  # its background save, before the test's data goes


def test_a_clean_shutdown_gives_the_lease_to_another_host_at_once(store):
    clock = FakeClock(START)
    settings = settings_with(OPUS, SONNET)
    first = Evaluator(settings, store, clock, "us-east")
    run(first, store, clock, 10)
    first.release()
    other = Evaluator(settings, store, clock, "eu-west")
    other.holder = "other-host:eu-west"
    clock.advance(5)
    other.tick()
    assert other.engine is not None
    assert not store.acquire_lease(LEASE, first.holder, clock.now(), 60)


def test_a_changed_model_list_never_breaks_the_engine(store):
    clock = FakeClock(START)
    run(Evaluator(settings_with(OPUS, SONNET), store, clock, "us-east"), store, clock, 90)
    changed = settings_with(OPUS, HAIKU)  # Sonnet removed, Haiku added, same database
    sync_targets(changed, store, environ={})
    restarted = Evaluator(changed, store, clock, "us-east")
    run(restarted, store, clock, 30, models=(OPUS, HAIKU))
    statuses = store.current_statuses()
    assert statuses[OPUS].status == "operational"
    assert statuses[HAIKU].status == "operational"
    assert store.incidents(include_private=True) == []


def test_results_written_after_a_storage_outage_are_judged_for_their_own_minutes(store):
    clock = FakeClock(START)
    evaluator = Evaluator(settings_with(OPUS, SONNET), store, clock, "us-east")
    run(evaluator, store, clock, 120)
    # The database is down for 9 minutes: Opus fails ~2 of 3 probes, the writer buffers
    # every result and the evaluator cannot run.
    outage_start = clock.now()
    buffered = []
    for _ in range(9):
        buffered += probes(
            clock, (OPUS, SONNET), fails=lambda minute, region: (minute + len(region)) % 3 != 0
        )
        clock.advance(60)
    # Back: the evaluator runs once before the writer has flushed its buffer.
    evaluator.tick()
    store.record_results(buffered)
    caught_up = clock.now()
    run(evaluator, store, clock, 3)

    (incident,) = store.incidents()
    assert outage_start <= incident.started_at <= incident.detected_at < caught_up
    assert "detected late, after a gap in our own storage" in incident.updates[0].text.lower()
    changes = [c for c in store.status_changes(subject=OPUS) if c.status != "operational"]
    assert changes and outage_start <= changes[0].at < caught_up
    assert "detected late" in changes[0].reason
    assert store.current_statuses()[OPUS].status != "operational"


def test_results_that_arrive_on_time_are_not_judged_twice(store):
    clock = FakeClock(START)
    evaluator = Evaluator(settings_with(OPUS, SONNET), store, clock, "us-east")
    run(evaluator, store, clock, 30)
    assert evaluator.rebuilds == 1
