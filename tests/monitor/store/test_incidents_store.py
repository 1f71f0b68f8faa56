from dataclasses import replace

import pytest
from sqlalchemy.exc import StatementError

from monitor.config import StatusSettings
from monitor.judging.engine import EngineChanges, rebuild
from monitor.judging.incidents import IncidentState
from monitor.judging.status import Cause
from tests.monitor.synthetic import REGIONS, UNAVAILABLE, World, fault

from .engine_output import (
    GPT,
    MODELS,
    OPUS,
    SONNET,
    at,
    incident_event,
    only,
    run_world,
    two_outages_and_a_bad_key,
)

INVESTIGATING, IDENTIFIED, MONITORING, RESOLVED = IncidentState


def record_all(store, changes) -> int:
    return sum(store.record_engine_changes(c) for c in changes)


def test_an_incident_reads_back_as_the_engine_recorded_it_under_the_stored_id(store):
    story = two_outages_and_a_bad_key()
    record_all(store, story.changes)

    stored = store.incidents(include_private=True)
    engine = sorted(story.engine.incidents(), key=lambda i: i.started_at, reverse=True)
    assert [i.id for i in stored] == ["3", "2", "1"]
    assert [replace(i, id="engine") for i in stored] == [replace(i, id="engine") for i in engine]


def test_recording_the_same_engine_changes_twice_stores_everything_once(store):
    story = two_outages_and_a_bad_key()
    assert record_all(store, story.changes) > 0
    before = store.incidents(include_private=True)

    assert record_all(store, story.changes) == 0
    assert store.incidents(include_private=True) == before
    assert len(before) == 3
    events = sum(len(c.incident_events) for c in story.changes)
    assert sum(len(i.updates) for i in before) == events


def test_a_rebuilt_engine_replaying_the_stored_history_changes_no_incident(store):
    story = two_outages_and_a_bad_key()
    record_all(store, story.changes)
    before = store.incidents(include_private=True)

    _, replayed = rebuild(StatusSettings(), MODELS, REGIONS, story.results, story.now)

    events = sum(len(c.incident_events) for c in story.changes)
    assert sum(len(c.incident_events) for c in replayed) == events
    assert record_all(store, replayed) == 0
    assert store.incidents(include_private=True) == before


def test_an_engine_rebuilt_mid_incident_continues_the_stored_incident(store):
    story = run_world(World(MODELS, faults=[fault([OPUS], 120, 170, UNAVAILABLE)]), 150)
    record_all(store, story.changes)
    later_half = [r for r in story.results if r.started_at >= at(125)]

    _, replayed = rebuild(StatusSettings(), MODELS, REGIONS, later_half, story.now)

    assert replayed[0].incident_events[0].incident.started_at == at(125)
    # Nothing new about the incident. (Its model's status may say "partial" again first:
    # from five minutes of probes the rebuilt engine cannot yet tell partial from major.)
    incident_events = [replace(c, status_changes=()) for c in replayed]
    assert record_all(store, incident_events) == 0
    [incident] = store.incidents()
    assert (incident.started_at, incident.state) == (at(120), IDENTIFIED)


def test_the_stored_id_stays_when_the_engine_numbers_the_incident_differently(store):
    store.record_engine_changes(only(incident_event(INVESTIGATING, None, 2, engine_id="41")))
    store.record_engine_changes(only(incident_event(RESOLVED, INVESTIGATING, 40, engine_id="9")))
    # The engine restarted: it numbers from 1 again.
    later = incident_event(INVESTIGATING, None, 62, started_minute=60, engine_id="1")
    store.record_engine_changes(only(later))

    assert [(i.id, i.state) for i in store.incidents()] == [
        ("2", INVESTIGATING),
        ("1", RESOLVED),
    ]
    assert store.incident("1").updates[-1].status is RESOLVED
    for not_ours in ("41", "0", "-1", "1.0", "²", "99999999999999999999", ""):
        assert store.incident(not_ours) is None


# Each case: the events the store saw, in order, as (previous, state, minute); then one
# more event; the state a reader sees afterwards, and how many updates the incident shows.
CASES = {
    "the engine's next step moves it": (
        [(None, INVESTIGATING, 2)],
        (INVESTIGATING, IDENTIFIED, 7),
        IDENTIFIED,
        2,
    ),
    "a relapse from monitoring goes back to identified": (
        [(None, INVESTIGATING, 2), (INVESTIGATING, IDENTIFIED, 7), (IDENTIFIED, MONITORING, 30)],
        (MONITORING, IDENTIFIED, 32),
        IDENTIFIED,
        4,
    ),
    "an old relapse replayed after resolution changes nothing": (
        [(None, INVESTIGATING, 2), (IDENTIFIED, MONITORING, 30), (MONITORING, RESOLVED, 33)],
        (MONITORING, IDENTIFIED, 32),
        RESOLVED,
        3,
    ),
    "an old relapse replayed while monitoring again changes nothing": (
        [
            (None, INVESTIGATING, 2),
            (IDENTIFIED, MONITORING, 30),
            (MONITORING, IDENTIFIED, 32),
            (IDENTIFIED, MONITORING, 40),
        ],
        (MONITORING, IDENTIFIED, 32),
        MONITORING,
        4,
    ),
    "a later relapse from a state it is not in changes nothing": (
        [(None, INVESTIGATING, 2), (IDENTIFIED, MONITORING, 30), (MONITORING, RESOLVED, 33)],
        (MONITORING, IDENTIFIED, 40),
        RESOLVED,
        3,
    ),
    "the engine reopening a resolved incident reopens it": (
        [(None, INVESTIGATING, 2), (IDENTIFIED, MONITORING, 30), (MONITORING, RESOLVED, 33)],
        (RESOLVED, INVESTIGATING, 40),
        INVESTIGATING,
        4,
    ),
    "a step already taken, replayed by a second engine, changes nothing": (
        [(None, INVESTIGATING, 2), (INVESTIGATING, IDENTIFIED, 7)],
        (INVESTIGATING, IDENTIFIED, 8),
        IDENTIFIED,
        2,
    ),
    "an opening replayed after the incident moved on changes nothing": (
        [(None, INVESTIGATING, 2), (INVESTIGATING, IDENTIFIED, 7)],
        (None, INVESTIGATING, 9),
        IDENTIFIED,
        2,
    ),
    "a lost step is caught up by the next one": (
        [(None, INVESTIGATING, 2)],
        (IDENTIFIED, MONITORING, 30),
        MONITORING,
        2,
    ),
}


@pytest.mark.parametrize(("seen", "event", "state", "updates"), CASES.values(), ids=CASES)
def test_an_incident_moves_only_by_the_engines_own_steps(store, seen, event, state, updates):
    for previous, new, minute in [*seen, event]:
        store.record_engine_changes(only(incident_event(new, previous, minute)))

    [incident] = store.incidents()
    assert incident.state is state
    assert len(incident.updates) == updates
    assert incident.updates[-1].status is state


def test_operator_words_survive_a_later_engine_update(store):
    story = two_outages_and_a_bad_key()
    record_all(store, story.changes_until(at(125)))
    store.override_incident("1", title="Opus errors", update_position=0, body="Looking into it.")

    record_all(store, story.changes)

    incident = store.incident("1")
    assert incident.display_title == "Opus errors"
    assert incident.title == story.incident(Cause.INFRASTRUCTURE, 120).title
    assert incident.updates[0].text == "Looking into it."
    assert incident.updates[-1].status is RESOLVED
    assert incident.updates[-1].text == incident.updates[-1].body


def test_an_override_can_be_cleared_and_an_unknown_incident_is_refused(store):
    store.record_engine_changes(only(incident_event(INVESTIGATING, None, 2)))
    store.override_incident("1", title="Ours", update_position=0, body="Ours too.")
    store.override_incident("1", title="", update_position=0, body="")

    incident = store.incident("1")
    assert (incident.title_override, incident.updates[0].body_override) == (None, None)
    with pytest.raises(KeyError):
        store.override_incident("2", title="Nothing here")
    with pytest.raises(KeyError):
        store.override_incident("1", update_position=5, body="No such update")


def test_a_model_joining_with_an_earlier_start_stays_in_the_same_incident(store):
    store.record_engine_changes(only(incident_event(INVESTIGATING, None, 7, started_minute=5)))
    joined = incident_event(INVESTIGATING, INVESTIGATING, 9, models=(OPUS, SONNET))
    store.record_engine_changes(only(joined))
    store.record_engine_changes(only(incident_event(INVESTIGATING, None, 7, started_minute=5)))

    [incident] = store.incidents(target=SONNET)
    assert incident.models == (OPUS, SONNET)
    assert incident.started_at == at(0)
    assert len(store.incidents()) == 1


def test_an_engine_that_saw_less_of_an_incident_does_not_shrink_it(store):
    opened = incident_event(INVESTIGATING, None, 7, models=(OPUS, SONNET))
    store.record_engine_changes(only(opened))
    # Rebuilt from a window that began after the incident did, it knows Opus only.
    rebuilt = incident_event(MONITORING, INVESTIGATING, 30, started_minute=20, models=(OPUS,))
    store.record_engine_changes(only(rebuilt))

    [incident] = store.incidents(target=SONNET)
    assert incident.state is MONITORING
    assert (incident.started_at, incident.detected_at) == (at(0), at(2))
    assert incident.models == (OPUS, SONNET)


def test_configuration_and_vantage_incidents_are_never_shown_unless_asked_for(store):
    record_all(store, two_outages_and_a_bad_key().changes)
    vantage = incident_event(INVESTIGATING, None, 300, started_minute=298, cause=Cause.VANTAGE)
    # Even a record that calls itself public: our network's trouble is never shown.
    mislabelled = replace(vantage, incident=replace(vantage.incident, public=True))
    store.record_engine_changes(only(mislabelled))

    assert {i.cause for i in store.incidents()} == {Cause.INFRASTRUCTURE}
    assert store.incidents(target=GPT) == []
    assert store.incident("2") is None
    assert store.incident("4") is None
    assert all(i.public for i, _ in store.recent_updates(limit=100))
    private = store.incidents(include_private=True)
    assert {i.cause for i in private} == {Cause.INFRASTRUCTURE, Cause.CONFIGURATION, Cause.VANTAGE}
    assert store.incident("2", include_private=True).models == (GPT,)


def test_incidents_filter_by_model_provider_time_and_openness(store):
    story = two_outages_and_a_bad_key()
    record_all(store, story.changes_until(at(205)))

    def ids(**filters):
        return [i.id for i in store.incidents(include_private=True, **filters)]

    assert ids() == ["3", "2", "1"]
    assert ids(target=OPUS) == ["3", "1"]
    assert ids(target=SONNET) == []
    assert ids(provider="openai") == ["2"]
    assert ids(open_only=True) == ["3"]
    assert ids(since=at(170)) == ["3", "2"]  # 1 was resolved at 02:43, 2 at 02:53
    assert ids(since=at(180)) == ["3"]
    assert ids(limit=2) == ["3", "2"]


def test_recent_updates_come_newest_first_with_their_incident(store):
    story = two_outages_and_a_bad_key()
    record_all(store, story.changes)

    recent = store.recent_updates(limit=4)
    assert [(i.id, u.status) for i, u in recent] == [
        ("3", RESOLVED),
        ("3", MONITORING),
        ("3", IDENTIFIED),
        ("3", INVESTIGATING),
    ]
    assert recent[0][0].updates[-1] == recent[0][1]
    every = store.recent_updates(limit=100, include_private=True)
    assert len(every) == sum(len(c.incident_events) for c in story.changes)
    assert [u.at for _, u in every] == sorted((u.at for _, u in every), reverse=True)
    assert {i.id for i, _ in store.recent_updates(provider="openai", include_private=True)} == {"2"}
    assert {i.id for i, _ in store.recent_updates(target=SONNET)} == set()
    assert store.recent_updates(target=OPUS, limit=100) == [
        pair for pair in every if pair[0].id != "2"
    ]


def test_status_changes_and_incident_events_are_stored_together_or_not_at_all(store):
    story = two_outages_and_a_bad_key()
    first = next(c for c in story.changes if c.incident_events)
    event = first.incident_events[0]
    naive = replace(event.update, at=event.update.at.replace(tzinfo=None))
    broken = EngineChanges(first.status_changes, (replace(event, update=naive),))

    with pytest.raises(StatementError, match="timezone-aware"):
        store.record_engine_changes(broken)
    assert store.current_statuses() == {}
    assert store.incidents() == []
