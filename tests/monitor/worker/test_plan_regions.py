"""Every region's prober confirms a suspicious model, not only the evaluating worker's:
the lease holder stores its probe plan and the other workers read it, on SQLite and
PostgreSQL."""

from datetime import timedelta

from monitor.clock import FakeClock
from monitor.plan import PlanBoard
from monitor.worker.evaluator import Evaluator
from tests.monitor.synthetic import START
from tests.monitor.worker.test_restarts import OPUS, SONNET, probes, settings_with, store  # noqa: F401

FAILING_FROM = 30  # minutes of good probes first: a new model's first close look is over


def opus_fails(minute: int, region: str) -> bool:
    return minute >= FAILING_FROM and region == "us-east" and minute % 2 == 0


def two_workers(store):  # noqa: F811
    clock = FakeClock(START)
    settings = settings_with(OPUS, SONNET)
    east = Evaluator(settings, store, clock, "us-east", PlanBoard())
    west = Evaluator(settings, store, clock, "eu-west", PlanBoard())
    west.holder = "other-host:eu-west"
    return clock, east, west


def run_both(store, clock, east, west, minutes):  # noqa: F811
    for _ in range(minutes):
        store.record_results(probes(clock, (OPUS, SONNET), opus_fails))
        clock.advance(60)
        east.tick()
        clock.advance(3)  # the other host's chore runs a few seconds later
        west.tick()
        clock.advance(-3)


def test_a_worker_without_the_lease_probes_the_models_the_evaluating_worker_confirms(store):  # noqa: F811
    clock, east, west = two_workers(store)
    run_both(store, clock, east, west, FAILING_FROM)
    assert west.engine is None and not west.board.current()  # healthy: nothing to confirm

    run_both(store, clock, east, west, 3)

    assert east.engine is not None  # the evaluating worker...
    confirming = west.board.current().due(OPUS, clock.now())
    assert confirming is not None  # ...and the other region's prober both confirm Opus
    assert confirming == east.board.current().due(OPUS, clock.now())
    assert west.board.current().due(SONNET, clock.now()) is None


def test_a_stored_plan_that_has_run_out_asks_for_nothing(store):  # noqa: F811
    clock, east, west = two_workers(store)
    run_both(store, clock, east, west, FAILING_FROM + 3)
    until = east.board.current().due(OPUS, clock.now()).until

    assert not store.probe_plan(until)
    assert store.probe_plan(until - timedelta(seconds=1)).due(OPUS, until - timedelta(seconds=1))


def test_a_worker_that_takes_the_lease_over_publishes_its_own_plan(store):  # noqa: F811
    clock, east, west = two_workers(store)
    run_both(store, clock, east, west, FAILING_FROM + 3)
    east.release()
    clock.advance(60)
    west.tick()
    assert west.engine is not None
    assert west.board.current().due(OPUS, clock.now()) is not None
    assert store.probe_plan(clock.now()) == west.board.current()
