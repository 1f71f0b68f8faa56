"""A model added to a running worker is judged from its first results without rebuilding
the engine from 25 h of results (minutes of CPU at 1,000 models); on SQLite and
PostgreSQL."""

import pytest

from monitor.clock import FakeClock
from monitor.config import settings_from_dict
from monitor.store import Store
from monitor.worker.evaluator import Evaluator
from monitor.worker.roles import sync_targets
from tests.monitor.synthetic import START
from tests.monitor.worker.test_restarts import HAIKU, OPUS, SONNET
from tests.monitor.worker.test_restarts import probes as restart_probes

BEFORE, AFTER = (OPUS, SONNET), (OPUS, SONNET, HAIKU)


def settings_with(*models: str):
    return settings_from_dict(
        {
            "providers": [
                {"id": "anthropic", "kind": "anthropic", "base_url": "http://127.0.0.1:1"}
            ],
            "models": [{"provider": "anthropic", "model": m.split("/")[1]} for m in models],
            # Off: these tests count rebuilds, not what a start reads.
            "storage": {"engine_snapshot_interval": 0},
        }
    )


@pytest.fixture
def store(database_url):
    store = Store(database_url)
    store.upgrade()
    sync_targets(settings_with(*BEFORE), store, environ={})
    yield store
    store.dispose()


def haiku_fails(minute: int, region: str) -> bool:
    return (minute + len(region)) % 3 != 0  # 2 probes in 3


def probes(clock, models, fails=lambda minute, region: False):
    return restart_probes(clock, models, fails, failing=HAIKU)


def run(evaluator, store, clock, minutes, models, fails=lambda minute, region: False):
    for _ in range(minutes):
        store.record_results(probes(clock, models, fails))
        clock.advance(60)
        evaluator.tick()


def test_a_model_added_to_a_running_worker_is_judged_without_a_rebuild(store):
    clock = FakeClock(START)
    worker = Evaluator(settings_with(*AFTER), store, clock, "us-east")
    run(worker, store, clock, 90, BEFORE)
    sync_targets(settings_with(*AFTER), store, environ={})  # Haiku configured; it fails
    first_probe = clock.now()
    run(worker, store, clock, 15, AFTER, haiku_fails)

    assert worker.rebuilds == 1  # the first tick's, none for Haiku
    statuses = store.current_statuses()
    assert statuses[HAIKU].status != "operational"
    assert statuses[OPUS].status == statuses[SONNET].status == "operational"
    (incident,) = store.incidents()
    assert incident.models == (HAIKU,)
    # No status said for Haiku before it was probed.
    assert min(c.at for c in store.status_changes(subject=HAIKU)) > first_probe
    # As a worker that rebuilt from the stored results judges it.
    judged = {model: worker.engine.model_status(model) for model in AFTER}
    worker.release()
    rebuilt = Evaluator(settings_with(*AFTER), store, clock, "us-east")
    rebuilt.tick()
    assert rebuilt.rebuilds == 1
    assert {model: rebuilt.engine.model_status(model) for model in AFTER} == judged


def test_a_new_model_whose_first_results_came_late_is_rebuilt_for_their_minutes(store):
    clock = FakeClock(START)
    worker = Evaluator(settings_with(*AFTER), store, clock, "us-east")
    run(worker, store, clock, 90, BEFORE)
    sync_targets(settings_with(*AFTER), store, environ={})
    buffered = []  # Haiku's prober could not write for 10 minutes; the others' could
    for _ in range(10):
        batch = probes(clock, AFTER, haiku_fails)
        store.record_results([r for r in batch if r.target != HAIKU])
        buffered += [r for r in batch if r.target == HAIKU]
        clock.advance(60)
        worker.tick()
    store.record_results(buffered)
    run(worker, store, clock, 3, AFTER, haiku_fails)

    assert worker.rebuilds == 2  # its history older than the look-back: judged by a rebuild
    assert store.current_statuses()[HAIKU].status != "operational"
