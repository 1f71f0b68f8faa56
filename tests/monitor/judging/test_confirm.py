"""A young model, one vantage point, and the engine asking for more probes to be sure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.config import StatusSettings
from monitor.judging.engine import StatusEngine, rebuild
from monitor.judging.status import ComponentStatus
from monitor.judging.tally import ALL, FAIL, WIDTH, N
from tests.monitor.synthetic import START, at, http, ok, targets

GPT = "openai/gpt-5-1"
MINI = "openai/gpt-5-mini"
REGION = ("us-east",)
unavailable = http(503)


def one_region_engine(settings: StatusSettings | None = None) -> StatusEngine:
    engine = StatusEngine(settings or StatusSettings(), targets(GPT, MINI), REGION)
    engine.evaluate(START)
    return engine


def probe(engine: StatusEngine, minute: int, fails: bool, second: int = 10) -> None:
    when = at(minute) + timedelta(seconds=second)
    engine.ingest([(unavailable if fails else ok)(GPT, "us-east", when), ok(MINI, "us-east", when)])


def test_one_failure_of_a_young_model_asks_for_more_probes_of_it_only():
    engine = one_region_engine()
    for minute in range(5):
        probe(engine, minute, fails=minute == 4)
        engine.evaluate(at(minute + 1))
    plan = engine.probe_plan(at(5))
    (wanted,) = plan.confirmations
    assert wanted.target == GPT and wanted.reason == "a failure"
    assert wanted.until == at(5) + timedelta(minutes=5)  # bounded by confirm_for
    assert wanted.interval_s == 10.0
    assert plan.due(MINI, at(5)) is None
    assert engine.model_status(GPT) is ComponentStatus.OPERATIONAL  # one failure says little


def test_a_model_failing_at_its_usual_rate_asks_for_nothing():
    engine = one_region_engine()
    # Two days of a model whose normal is 4 % errors: one failure is its usual.
    for minute in range(2 * 24 * 60):
        probe(engine, minute, fails=minute % 25 == 0)
        engine.evaluate(at(minute + 1))
    probe(engine, 2 * 24 * 60, fails=True)
    now = at(2 * 24 * 60 + 1)
    engine.evaluate(now)
    assert engine.probe_plan(now).due(GPT, now) is None
    assert engine.incidents() == []


def test_two_failures_a_few_minutes_apart_ask_for_a_closer_look():
    # One vantage point at 60 s: a 25 % fault shows as lone failures minutes apart. Each
    # alone is 1 in 5 probes of the 5-minute window, about its chance at a ~1 % normal;
    # two in a quarter hour are not, and more probes tell which it is within minutes.
    engine = one_region_engine()
    for minute in range(120):  # two hours with two failures: its normal is about 1 %
        probe(engine, minute, fails=minute in (30, 90))
        engine.evaluate(at(minute + 1))
    for minute in range(120, 128):
        probe(engine, minute, fails=minute == 120)
        engine.evaluate(at(minute + 1))
        assert engine.probe_plan(at(minute + 1)).due(GPT, at(minute + 1)) is None
    probe(engine, 128, fails=True)
    engine.evaluate(at(129))
    (wanted,) = engine.probe_plan(at(129)).confirmations
    assert wanted.target == GPT and wanted.reason == "a failure"


def test_confirmation_probes_of_a_young_model_find_forty_percent_errors_in_minutes():
    engine = one_region_engine()
    # No history: the first probe after start fails, then the plan's 10 s probes come in.
    probe(engine, 0, fails=True)
    engine.evaluate(at(1))
    assert engine.probe_plan(at(1)).due(GPT, at(1)) is not None
    shown = None
    for minute in range(1, 8):
        for second in range(0, 60, 10):
            probe(engine, minute, fails=(minute * 6 + second // 10) % 5 in (0, 2), second=second)
        engine.evaluate(at(minute + 1))
        if shown is None and engine.model_status(GPT).affected:
            shown = minute + 1
    assert shown is not None and shown <= 4
    (incident,) = engine.incidents()
    assert incident.models == (GPT,)
    assert (
        "Single vantage point" in incident.updates[0].body
        or "single vantage point" in incident.updates[0].body
    )


def test_a_failure_share_no_api_has_is_an_outage_whatever_the_baseline_learnt():
    # A baseline that (wrongly) learnt 40 % errors from a thousand probes: against it,
    # the statistics alone would not call 6 failures of 6 surprising.
    engine = one_region_engine()
    learnt = [0] * WIDTH
    learnt[ALL], learnt[N], learnt[FAIL] = 1000, 1000, 400
    engine.health(GPT).book.baseline.add(0, learnt, [])
    for minute in range(6):
        probe(engine, minute, fails=True)
        engine.evaluate(at(minute + 1))
    assert engine.model_status(GPT).affected
    (incident,) = engine.incidents()
    assert incident.models == (GPT,)


def test_a_model_that_stays_clean_after_failing_is_probed_more_to_clear_it():
    engine = one_region_engine()
    for minute in range(30):
        for second in range(0, 60, 10):
            probe(engine, minute, fails=second in (10, 30, 40), second=second)
        engine.evaluate(at(minute + 1))
    assert engine.model_status(GPT).affected
    for minute in range(30, 60):
        probe(engine, minute, fails=False)
        engine.evaluate(at(minute + 1))
        wanted = engine.probe_plan(at(minute + 1)).due(GPT, at(minute + 1))
        if wanted is not None and wanted.reason == "recovering":
            break
    assert wanted is not None and wanted.reason == "recovering"
    assert minute <= 35  # five clean probes in a row: one time in 32 at 50 % errors


def test_the_status_change_says_the_engine_is_still_confirming():
    engine = one_region_engine()
    probe(engine, 0, fails=True)
    engine.evaluate(at(1))
    for minute in range(1, 6):
        for second in range(0, 60, 10):
            probe(engine, minute, fails=True, second=second)
        engine.evaluate(at(minute + 1))
    change = next(c for c in engine.history()[GPT] if c.status.affected)
    assert change.reason.endswith(", confirming")
    assert "elevated errors" in change.reason


def test_a_rebuilt_engine_never_dates_an_incident_after_its_detection():
    results = []
    for minute in range(120):
        for second in (5, 35):
            fails = minute >= 100 and second == 35
            when = at(minute) + timedelta(seconds=second)
            results.append((unavailable if fails else ok)(GPT, "us-east", when))
    engine, _ = rebuild(StatusSettings(), targets(GPT), REGION, results, until=at(120))
    (incident,) = engine.incidents()
    assert incident.started_at <= incident.detected_at


def test_results_stamped_ahead_of_the_engines_clock_do_not_break_it():
    engine = StatusEngine(StatusSettings(), targets(GPT), REGION)
    engine.ingest([ok(GPT, "us-east", at(10)), unavailable(GPT, "us-east", at(12))])
    engine.evaluate(at(5))  # a prober whose clock runs minutes ahead of ours
    engine.evaluate(at(13))
    assert engine.model_status(GPT) is ComponentStatus.OPERATIONAL


def history(engine: StatusEngine, minutes: int, every: int = 10, one_in: int = 0) -> None:
    """`minutes` of a model probed every `every` s, failing one probe in `one_in` (0: none)."""
    for minute in range(minutes):
        for second in range(0, 60, every):
            nth = (minute * 60 + second) // every
            probe(engine, minute, fails=one_in > 0 and nth % one_in == 0, second=second)
        engine.evaluate(at(minute + 1))


def test_confirmation_probes_turn_faster_once_they_make_the_suspicion_stronger():
    engine = one_region_engine()
    history(engine, 120, every=60)
    probe(engine, 120, fails=True)
    engine.evaluate(at(121))
    first = engine.probe_plan(at(121)).due(GPT, at(121))
    assert first is not None and first.interval_s == 10.0  # a first look: every 10 s
    for second in range(0, 60, 10):  # half of its probes fail too
        probe(engine, 121, fails=second in (0, 20, 40), second=second)
    engine.evaluate(at(122))
    faster = engine.probe_plan(at(122)).due(GPT, at(122))
    assert faster is not None and faster.interval_s == 5.0
    assert faster.until == at(122) + timedelta(minutes=5)  # and for longer, once


def test_a_passing_suspicion_of_a_noisy_model_stays_at_the_first_pace():
    engine = one_region_engine()
    history(engine, 120, every=60)
    probe(engine, 120, fails=True)
    engine.evaluate(at(121))
    for minute in range(121, 125):
        for second in range(0, 60, 10):
            probe(engine, minute, fails=False, second=second)
        engine.evaluate(at(minute + 1))
        assert engine.probe_plan(at(minute + 1)).due(GPT, at(minute + 1)).interval_s == 10.0


@pytest.mark.parametrize(("confirm_for", "incidents"), [("5m", 0), ("0s", 1)])
def test_the_failures_that_raised_a_suspicion_do_not_confirm_it(confirm_for, incidents):
    # A day at 1 % errors, then four failures in one minute raise a suspicion; one failure
    # a minute follows. Counted with the trigger the 5-minute window holds 7 of 30 (chance
    # 2e-8 at 1 %: an incident without confirmation probing); after it, 3 of 18 (8e-4).
    engine = one_region_engine(StatusSettings(confirm_for=confirm_for))
    day = 24 * 60
    history(engine, day, one_in=100)
    for second in range(0, 60, 10):
        probe(engine, day, fails=second < 40, second=second)
    engine.evaluate(at(day + 1))
    for minute in range(day + 1, day + 4):
        for second in range(0, 60, 10):
            probe(engine, minute, fails=second == 20, second=second)
        engine.evaluate(at(minute + 1))
    assert len(engine.incidents()) == incidents
