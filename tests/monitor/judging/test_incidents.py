"""The incident book: grouping, guarded transitions, idempotence, impact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from monitor.config import IncidentSettings
from monitor.judging.incidents import (
    Change,
    EventKind,
    Impact,
    Incident,
    IncidentBook,
    IncidentState,
    Problem,
    TransitionError,
    impact_of,
)
from monitor.judging.status import Cause, ComponentStatus
from tests.monitor.synthetic import at

OPUS, SONNET, GPT = "anthropic/claude-opus-4-7", "anthropic/claude-sonnet-4-6", "openai/gpt-5-1"
PART = ComponentStatus.PARTIAL_OUTAGE


class Narrator:
    """Plain words that show what the book asked for."""

    def title(self, incident: Incident) -> str:
        return f"{incident.cause.value}: {', '.join(incident.models)}"

    def body(self, incident: Incident, change: Change, models: Sequence[str], now: datetime) -> str:
        return f"{change.value} {','.join(models)}"


def problem(
    target: str,
    cause: Cause = Cause.INFRASTRUCTURE,
    level: ComponentStatus = PART,
    started: int = 0,
    signal: str = "availability",
) -> Problem:
    return Problem(target, target.split("/")[0], signal, cause, level, at(started), ("us-east",))


def book() -> IncidentBook:
    return IncidentBook(IncidentSettings(identify_after=300, resolve_after=180), Narrator())


def test_a_bad_model_opens_one_incident_and_feeding_it_again_opens_nothing():
    incidents = book()
    [opened] = incidents.apply([problem(OPUS)], at(5))
    assert opened.kind is EventKind.OPENED
    assert opened.previous_state is None
    assert opened.incident.state is IncidentState.INVESTIGATING
    assert opened.incident.started_at == at(0)
    assert opened.incident.detected_at == at(5)
    assert incidents.apply([problem(OPUS)], at(5)) == []
    assert incidents.apply([problem(OPUS)], at(6)) == []
    assert len(incidents.all()) == 1


def test_siblings_failing_for_the_same_cause_join_one_incident():
    incidents = book()
    incidents.apply([problem(OPUS)], at(5))
    [joined] = incidents.apply([problem(OPUS), problem(SONNET, started=4)], at(6))
    assert joined.update.body == f"joined {SONNET}"
    assert joined.incident.models == (OPUS, SONNET)
    assert joined.incident.title == f"infrastructure: {OPUS}, {SONNET}"
    assert len(incidents.all()) == 1


@pytest.mark.parametrize(
    ("second", "incidents_expected"),
    [
        (problem(GPT), 2),  # another provider
        (problem(SONNET, cause=Cause.CAPACITY), 2),  # another cause
        (problem(SONNET, signal="latency"), 1),  # same cause, another signal
    ],
)
def test_an_incident_groups_one_providers_models_with_one_cause(second, incidents_expected):
    incidents = book()
    incidents.apply([problem(OPUS), second], at(5))
    assert len(incidents.all()) == incidents_expected


def test_an_incident_walks_through_its_states_on_time():
    incidents = book()
    incidents.apply([problem(OPUS)], at(5))
    [identified] = incidents.apply([problem(OPUS)], at(10))
    assert identified.incident.state is IncidentState.IDENTIFIED
    [monitoring] = incidents.apply([], at(30))
    assert monitoring.incident.state is IncidentState.MONITORING
    assert monitoring.incident.active_models == ()
    assert incidents.apply([], at(32)) == []
    [resolved] = incidents.apply([], at(33))
    assert resolved.kind is EventKind.RESOLVED
    assert resolved.incident.resolved_at == at(33)
    assert [u.status for u in resolved.incident.updates] == [
        IncidentState.INVESTIGATING,
        IncidentState.IDENTIFIED,
        IncidentState.MONITORING,
        IncidentState.RESOLVED,
    ]
    assert incidents.open_incidents() == []


def test_a_model_that_relapses_while_monitored_keeps_its_incident():
    incidents = book()
    incidents.apply([problem(OPUS)], at(5))
    incidents.apply([problem(OPUS)], at(10))
    incidents.apply([], at(20))
    [relapsed] = incidents.apply([problem(OPUS)], at(21))
    assert relapsed.incident.state is IncidentState.IDENTIFIED
    assert relapsed.update.body == f"relapsed {OPUS}"
    assert len(incidents.all()) == 1


def test_after_resolution_a_new_episode_is_a_new_incident():
    incidents = book()
    incidents.apply([problem(OPUS)], at(5))
    incidents.apply([], at(20))
    incidents.apply([], at(24))
    [reopened] = incidents.apply([problem(OPUS, started=40)], at(41))
    assert reopened.kind is EventKind.OPENED
    assert reopened.incident.id == "2"


def test_an_incident_with_an_unknown_cause_is_never_called_identified():
    incidents = book()
    incidents.apply([problem(OPUS, cause=Cause.UNKNOWN)], at(5))
    assert incidents.apply([problem(OPUS, cause=Cause.UNKNOWN)], at(60)) == []


def test_one_model_recovering_while_a_sibling_is_still_bad_is_an_update():
    incidents = book()
    incidents.apply([problem(OPUS), problem(SONNET)], at(5))
    [left] = incidents.apply([problem(SONNET)], at(8))
    assert left.update.body == f"left {OPUS}"
    assert left.incident.active_models == (SONNET,)
    assert left.incident.models == (OPUS, SONNET)


def test_a_transition_from_an_unexpected_state_is_refused():
    incidents = book()
    [opened] = incidents.apply([problem(OPUS)], at(5))
    incidents.records[opened.incident.id] = replace(opened.incident, state=IncidentState.RESOLVED)
    with pytest.raises(TransitionError):
        incidents.apply([problem(OPUS)], at(10))


@pytest.mark.parametrize(
    ("cause", "worst", "impact"),
    [
        (Cause.INFRASTRUCTURE, ComponentStatus.DEGRADED_PERFORMANCE, Impact.MINOR),
        (Cause.INFRASTRUCTURE, ComponentStatus.PARTIAL_OUTAGE, Impact.MAJOR),
        (Cause.CAPACITY, ComponentStatus.MAJOR_OUTAGE, Impact.CRITICAL),
        (Cause.QUALITY, ComponentStatus.OPERATIONAL, Impact.MINOR),
        (Cause.CONFIGURATION, ComponentStatus.OPERATIONAL, Impact.NONE),
        (Cause.VANTAGE, ComponentStatus.OPERATIONAL, Impact.NONE),
    ],
)
def test_impact_follows_the_worst_status_involved(cause, worst, impact):
    assert impact_of(cause, worst) is impact


def test_a_growing_outage_raises_the_impact_with_an_update():
    incidents = book()
    incidents.apply([problem(OPUS)], at(5))
    [worse] = incidents.apply([problem(OPUS, level=ComponentStatus.MAJOR_OUTAGE)], at(6))
    assert worse.incident.impact is Impact.CRITICAL
    assert worse.update.body == f"worse {OPUS}"


def test_operator_overrides_are_carried_not_computed():
    incidents = book()
    [opened] = incidents.apply([problem(OPUS)], at(5))
    edited = replace(opened.incident, title_override="Opus overloaded")
    assert edited.display_title == "Opus overloaded"
    assert opened.update.text == opened.update.body


def test_configuration_and_vantage_incidents_are_not_public():
    incidents = book()
    incidents.apply(
        [problem(OPUS, cause=Cause.CONFIGURATION), problem(GPT, cause=Cause.VANTAGE)],
        at(5) + timedelta(seconds=1),
    )
    assert [i.public for i in incidents.all()] == [False, False]
