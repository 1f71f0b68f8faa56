"""The worker's evaluator: engine output lands in the store once, from one worker."""

from datetime import timedelta

import pytest

from monitor.clock import FakeClock
from monitor.config import settings_from_dict
from monitor.store import Store
from monitor.worker.evaluator import Evaluator
from monitor.worker.roles import sync_targets
from tests.monitor.synthetic import START, http, ok

REGIONS = ("us-east", "eu-west", "ap-southeast")
SETTINGS = settings_from_dict(
    {
        "providers": [{"id": "anthropic", "kind": "anthropic", "base_url": "http://127.0.0.1:1"}],
        "models": [
            {
                "provider": "anthropic",
                "model": "claude-opus-4-7",
                "display_name": "Claude Opus 4.7",
            },
            {
                "provider": "anthropic",
                "model": "claude-sonnet-4-6",
                "display_name": "Claude Sonnet",
            },
        ],
    }
)
OPUS, SONNET = "anthropic/claude-opus-4-7", "anthropic/claude-sonnet-4-6"
overloaded = http(529, "overloaded_error")


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'status.db'}")
    store.upgrade()
    sync_targets(SETTINGS, store, environ={})
    yield store
    store.dispose()


def probe_minutes(store, clock, minutes, opus_fails=lambda minute: False):
    """One probe per model and region each minute, written as the worker's writer would."""
    for _ in range(minutes):
        at = clock.now()
        minute = int((at - START).total_seconds() // 60)
        results = []
        for region in REGIONS:
            bad = opus_fails(minute) and (minute + len(region)) % 3 != 0  # ~2 of 3 fail
            results.append(overloaded(OPUS, region, at) if bad else ok(OPUS, region, at))
            results.append(ok(SONNET, region, at))
        store.record_results(results)
        clock.advance(60)


def run_worker(evaluator, store, clock, minutes, opus_fails=lambda minute: False):
    for _ in range(minutes):
        probe_minutes(store, clock, 1, opus_fails)
        evaluator.tick()


def test_a_failing_model_opens_one_incident_naming_only_it(store):
    clock = FakeClock(START)
    evaluator = Evaluator(SETTINGS, store, clock, region="us-east")
    run_worker(evaluator, store, clock, 120)
    run_worker(evaluator, store, clock, 30, opus_fails=lambda minute: minute >= 120)
    incidents = store.incidents()
    assert len(incidents) == 1
    assert incidents[0].models == (OPUS,)
    statuses = store.current_statuses()
    assert statuses[OPUS].status != "operational"
    assert statuses[SONNET].status == "operational"


def test_a_restarted_worker_stores_nothing_twice(store):
    clock = FakeClock(START)
    run_worker(Evaluator(SETTINGS, store, clock, "us-east"), store, clock, 120)
    run_worker(
        Evaluator(SETTINGS, store, clock, "us-east"),
        store,
        clock,
        30,
        opus_fails=lambda minute: minute >= 120,
    )
    before = (store.incidents(), store.status_changes())
    restarted = Evaluator(SETTINGS, store, clock, "us-east")  # same host and pid: same lease
    assert restarted.tick() == 0
    assert (store.incidents(), store.status_changes()) == before


def test_only_the_lease_holder_evaluates(store):
    clock = FakeClock(START)
    first = Evaluator(SETTINGS, store, clock, "us-east")
    second = Evaluator(SETTINGS, store, clock, "eu-west")
    second.holder = "other-host:1"
    probe_minutes(store, clock, 5)
    first.tick()
    assert second.tick() == 0 and second.engine is None
    clock.advance(timedelta(minutes=10).total_seconds())  # the first worker died
    second.tick()
    assert second.engine is not None


def test_an_incident_that_ended_while_no_worker_ran_is_resolved_on_restart(store):
    clock = FakeClock(START)
    evaluator = Evaluator(SETTINGS, store, clock, "us-east")
    run_worker(evaluator, store, clock, 120)
    run_worker(evaluator, store, clock, 30, opus_fails=lambda minute: minute >= 120)
    assert store.incidents(open_only=True)
    clock.advance(timedelta(hours=30).total_seconds())  # the worker was down 30 hours
    restarted = Evaluator(SETTINGS, store, clock, "us-east")
    run_worker(restarted, store, clock, 5)
    assert store.incidents(open_only=True) == []
    (incident,) = store.incidents()
    assert incident.state == "resolved"
    assert "after a restart" in incident.updates[-1].text


def test_a_model_never_probed_gets_no_status(store):
    clock = FakeClock(START)
    evaluator = Evaluator(SETTINGS, store, clock, "us-east")
    for _ in range(3):
        store.record_results([ok(OPUS, region, clock.now()) for region in REGIONS])
        clock.advance(60)
        evaluator.tick()
    statuses = store.current_statuses()
    assert statuses[OPUS].status == "operational"
    assert SONNET not in statuses  # "operational" would be a claim without evidence


def test_the_evaluator_publishes_the_engines_probe_plan_for_the_scheduler(store):
    clock = FakeClock(START)
    evaluator = Evaluator(SETTINGS, store, clock, "us-east")
    for minute in range(6):
        at = clock.now()
        opus = overloaded if minute == 5 else ok
        store.record_results([opus(OPUS, "us-east", at), ok(SONNET, "us-east", at)])
        clock.advance(60)
        evaluator.tick()
    plan = evaluator.board.current()
    assert plan.due(OPUS, clock.now()) is not None
    assert plan.due(SONNET, clock.now()) is None
    evaluator.release()
    assert not evaluator.board.current()
