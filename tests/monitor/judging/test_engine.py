"""The status and incident engines end to end, on synthetic probes and a fake clock."""

from __future__ import annotations

import pickle
import random
import time
from datetime import timedelta

from monitor.config import StatusSettings
from monitor.judging.engine import StatusEngine, rebuild
from monitor.judging.incidents import Impact, IncidentState
from monitor.judging.status import Cause, ComponentStatus
from tests.monitor.synthetic import (
    OVERLOADED,
    RATE_LIMITED,
    REGIONS,
    START,
    STREAM_ERROR,
    UNAUTHORIZED,
    UNAVAILABLE,
    World,
    at,
    fault,
    http,
    ok,
    targets,
    wrong_answer,
)

OPUS = ["anthropic/claude-opus-4-7", "anthropic/claude-opus-4-8"]
SIBLINGS = ["anthropic/claude-sonnet-4-6", "anthropic/claude-haiku-4-5"]
OTHERS = ["openai/gpt-5-1", "gemini/gemini-2-5"]
EVERYONE = targets(*OPUS, *SIBLINGS, *OTHERS)


def test_june_2026_two_overloaded_opus_models_make_one_incident_and_nothing_else():
    world = World(EVERYONE, faults=[fault(OPUS, 120, 840, OVERLOADED, rate=0.35)])
    world.run(870)

    [incident] = world.incidents()
    assert incident.models == tuple(OPUS)
    assert incident.cause is Cause.INFRASTRUCTURE
    assert incident.public
    assert incident.impact is Impact.MAJOR
    assert incident.regions == tuple(sorted(REGIONS))
    assert incident.title == "Elevated errors on Claude Opus 4.7 and Claude Opus 4.8"
    assert at(120) <= incident.started_at <= at(123)
    assert incident.detected_at - at(120) <= timedelta(minutes=5)
    assert incident.resolved_at is not None
    assert incident.resolved_at - at(840) <= timedelta(minutes=15)
    final = incident.updates[-1].body
    assert "of failed probes were HTTP 529 overloaded" in final
    assert "not a change in model quality" in final
    for target in SIBLINGS + OTHERS:
        assert world.statuses(target) == [ComponentStatus.OPERATIONAL]
    for target in OPUS:
        # Up to partial_outage (maybe through degraded while evidence builds), then back down
        # once: a 35 % fault never flaps the page.
        statuses = world.statuses(target)
        assert statuses[-2:] == [ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.OPERATIONAL]
        severities = [status.severity for status in statuses[:-1]]
        assert severities == sorted(severities)


def test_a_whole_provider_down_is_one_major_outage_listing_every_model():
    anthropic = OPUS + SIBLINGS
    world = World(EVERYONE, faults=[fault(anthropic, 120, 150, UNAVAILABLE)]).run(190)

    [incident] = world.incidents()
    assert incident.models == tuple(sorted(anthropic))
    assert incident.impact is Impact.CRITICAL
    assert incident.title == "All Anthropic models unavailable"
    assert ComponentStatus.MAJOR_OUTAGE in world.statuses("anthropic")
    for target in anthropic:
        assert ComponentStatus.MAJOR_OUTAGE in world.statuses(target)
    for target in OTHERS:
        assert world.statuses(target) == [ComponentStatus.OPERATIONAL]
    assert world.statuses("openai") == [ComponentStatus.OPERATIONAL]


def test_a_week_of_one_to_two_percent_errors_everywhere_raises_nothing_and_is_fast():
    models = targets(*(f"p{p}/model-{m}" for p in range(4) for m in range(3)))[:10]
    rng = random.Random(2026)
    noise = {info.id: rng.uniform(0.01, 0.02) for info in models}
    engine = StatusEngine(StatusSettings(), models, REGIONS)
    error = http(500, "api_error")
    spent = 0.0
    for minute in range(7 * 24 * 60):
        round_start = START + timedelta(minutes=minute)
        batch = [
            error(info.id, region, round_start)
            if rng.random() < noise[info.id]
            else ok(info.id, region, round_start)
            for region in REGIONS
            for info in models
        ]
        began = time.process_time()
        engine.ingest(batch)
        engine.evaluate(round_start + timedelta(seconds=50))
        spent += time.process_time() - began

    assert engine.incidents() == []
    assert all(len(changes) == 1 for changes in engine.history().values())
    # ~300k results and ~100k model evaluations; a rescan of history would take minutes.
    assert spent < 30


def test_a_model_flapping_two_minutes_down_two_up_for_an_hour_is_one_incident():
    flapping = fault(OPUS[:1], 120, 180, UNAVAILABLE, up_down=(2, 2))
    world = World(EVERYONE, faults=[flapping]).run(220)

    [incident] = world.incidents()
    assert incident.models == (OPUS[0],)
    assert incident.resolved_at is not None
    statuses = world.statuses(OPUS[0])
    assert statuses[0] is ComponentStatus.OPERATIONAL
    assert statuses[-1] is ComponentStatus.OPERATIONAL
    assert statuses.count(ComponentStatus.OPERATIONAL) == 2  # entered once, left once


def test_wrong_answers_on_thirty_percent_of_probes_open_a_quality_incident_only():
    world = World(EVERYONE, faults=[fault(OPUS[:1], 120, 300, wrong_answer, rate=0.3)])
    world.run(330)

    [incident] = world.incidents()
    assert incident.cause is Cause.QUALITY
    assert incident.public
    assert incident.title == "Wrong answers from Claude Opus 4.7"
    assert world.statuses(OPUS[0]) == [ComponentStatus.OPERATIONAL]


def test_failures_from_one_region_open_an_operator_only_vantage_incident():
    world = World(EVERYONE, faults=[fault(OPUS, 120, 180, UNAVAILABLE, regions=["us-east"])])
    world.run(210)

    [incident] = world.incidents()
    assert incident.cause is Cause.VANTAGE
    assert not incident.public
    assert incident.regions == ("us-east",)
    for target in OPUS:
        assert world.statuses(target) == [ComponentStatus.OPERATIONAL]


def test_a_401_on_one_model_is_an_operator_only_configuration_incident():
    world = World(EVERYONE, faults=[fault(OPUS[:1], 120, 180, UNAUTHORIZED)]).run(200)

    [incident] = world.incidents()
    assert incident.cause is Cause.CONFIGURATION
    assert not incident.public
    assert incident.impact is Impact.NONE
    assert world.statuses(OPUS[0]) == [ComponentStatus.OPERATIONAL]


def test_errors_after_http_200_count_as_infrastructure_failures():
    world = World(EVERYONE, faults=[fault(OPUS[:1], 120, 180, STREAM_ERROR, rate=0.5)])
    world.run(200)

    [incident] = world.incidents()
    assert incident.cause is Cause.INFRASTRUCTURE
    assert "errors mid-stream after HTTP 200" in incident.updates[0].body
    assert ComponentStatus.PARTIAL_OUTAGE in world.statuses(OPUS[0])


def test_rate_limits_with_a_retry_time_are_a_capacity_incident():
    world = World(EVERYONE, faults=[fault(OTHERS[:1], 120, 180, RATE_LIMITED, rate=0.5)])
    world.run(200)

    [incident] = world.incidents()
    assert incident.cause is Cause.CAPACITY
    assert incident.title.startswith("Rate limiting on")
    assert "retry after 30 s" in incident.updates[0].body


def test_feeding_the_same_results_twice_changes_nothing():
    world = World(EVERYONE, faults=[fault(OPUS, 120, 150, UNAVAILABLE)]).run(125)
    engine = world.engine
    replayed = [ok(OPUS[0], "us-east", at(124))]
    assert engine.ingest(replayed) == 1
    assert engine.ingest(replayed) == 0
    now = world.clock.now()
    assert not engine.evaluate(now)
    assert not engine.evaluate(now - timedelta(minutes=1))
    assert len(engine.incidents()) == 1


def test_status_history_starts_at_the_first_evaluation():
    world = World(EVERYONE).run(3)
    for info in EVERYONE:
        [first] = world.engine.history()[info.id]
        assert first.at == at(0) + timedelta(seconds=50)
        assert first.status is ComponentStatus.OPERATIONAL


def test_an_engine_survives_pickling_and_carries_on_identically():
    faults = [fault(OPUS, 120, 160, UNAVAILABLE)]
    straight = World(EVERYONE, faults=faults).run(200)
    halted = World(EVERYONE, faults=faults).run(130)
    halted.engine = pickle.loads(pickle.dumps(halted.engine))
    halted.run(70, start=130)

    assert straight.engine.history() == halted.engine.history()
    assert straight.incidents() == halted.incidents()


def test_rebuild_from_stored_results_reaches_the_same_state():
    collected = []
    world = World(EVERYONE, faults=[fault(OPUS, 120, 170, UNAVAILABLE)])
    original_ingest = world.engine.ingest

    def keep(results):
        batch = list(results)
        collected.extend(batch)
        return original_ingest(batch)

    world.engine.ingest = keep
    world.run(150)
    engine, changes = rebuild(StatusSettings(), EVERYONE, REGIONS, collected, world.clock.now())

    assert changes
    for info in EVERYONE:
        assert engine.model_status(info.id) is world.engine.model_status(info.id)
    [incident] = engine.open_incidents()
    assert incident.models == tuple(OPUS)
    assert incident.state is world.incidents()[0].state


def test_an_operator_can_put_a_model_under_maintenance():
    world = World(EVERYONE).run(5)
    world.engine.set_maintenance(OPUS[0], True)
    world.run(1, start=5)
    assert world.engine.model_status(OPUS[0]) is ComponentStatus.UNDER_MAINTENANCE
    assert world.statuses("anthropic") == [ComponentStatus.OPERATIONAL]
    assert world.engine.history()[OPUS[0]][-1].reason == "set by an operator"


def test_an_incident_is_identified_after_a_few_rounds_and_walks_to_resolved():
    world = World(EVERYONE, faults=[fault(OPUS[:1], 120, 150, UNAVAILABLE)]).run(190)

    [incident] = world.incidents()
    walked = [update.status for update in incident.updates]
    assert walked[0] is IncidentState.INVESTIGATING
    assert IncidentState.IDENTIFIED in walked
    assert walked[-2:] == [IncidentState.MONITORING, IncidentState.RESOLVED]


def test_an_incident_never_calls_a_sibling_operational_while_its_failures_are_being_confirmed():
    # June 2026 in miniature: Opus 4.7 fails outright, Opus 4.8 fails 30 % from the same
    # minute. The first words on 4.7 must not tell readers 4.8 is fine.
    world = World(
        EVERYONE,
        faults=[
            fault(OPUS[:1], 120, 200, UNAVAILABLE),
            fault(OPUS[1:], 120, 200, OVERLOADED, rate=0.3),
        ],
    ).run(125)

    first = next(i for i in world.incidents() if OPUS[0] in i.models).updates[0].body
    assert "Other Anthropic models are operational" not in first


def test_an_incident_says_its_siblings_are_operational_when_they_have_been_all_along():
    world = World(EVERYONE, faults=[fault(OPUS[:1], 120, 200, UNAVAILABLE)]).run(125)

    [incident] = world.incidents()
    assert "Other Anthropic models are operational." in incident.updates[0].body


def test_a_rebuild_in_the_first_minutes_ends_saying_the_status_its_engine_is_in():
    """A restart in a fresh install's first minutes: while warming up a rebuild lets each
    model's first status through only. Where its engine then moved on (every probe of Opus
    failing: to a worse level), that status is said too, or the store would keep the first
    one until the engine changes again."""
    results = [
        (UNAVAILABLE if info.id in OPUS else ok)(info.id, region, at(minute + 0.1))
        for minute in range(8)
        for info in EVERYONE
        for region in REGIONS
    ]
    engine, changes = rebuild(StatusSettings(), EVERYONE, REGIONS, results, at(8))

    said = {}
    for change in sorted((c for e in changes for c in e.status_changes), key=lambda c: c.at):
        said[change.subject] = change.status
    for info in EVERYONE:
        assert said[info.id] is engine.model_status(info.id)
    assert engine.model_status(OPUS[0]) is ComponentStatus.MAJOR_OUTAGE
