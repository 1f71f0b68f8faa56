from monitor.config import StatusSettings
from monitor.judging.engine import EngineChanges, rebuild
from monitor.judging.status import ComponentStatus, StatusChange, SubjectKind
from tests.monitor.synthetic import REGIONS

from .engine_output import GPT, MODELS, OPUS, SONNET, at, two_outages_and_a_bad_key

OPERATIONAL, DEGRADED, PARTIAL, MAJOR, MAINTENANCE = ComponentStatus


def change(status: ComponentStatus, minute: float, subject: str = OPUS) -> StatusChange:
    kind = SubjectKind.MODEL if "/" in subject else SubjectKind.PROVIDER
    return StatusChange(subject, kind, status, at(minute), f"{status.value} at {minute}")


def record(store, *changes: StatusChange) -> int:
    return store.record_engine_changes(EngineChanges(status_changes=changes))


def statuses(store, subject: str = OPUS) -> list[tuple[ComponentStatus, float]]:
    return [
        (c.status, (c.at - at(0)).total_seconds() / 60)
        for c in store.status_changes(subject=subject)
    ]


def test_the_stored_history_and_current_statuses_are_the_engines(store):
    story = two_outages_and_a_bad_key()
    for changes in story.changes:
        store.record_engine_changes(changes)

    history = story.engine.history()
    for subject, changes in history.items():
        assert store.status_changes(subject=subject) == changes
    current = store.current_statuses()
    assert set(current) == {OPUS, SONNET, GPT, "anthropic", "openai"}
    assert {s: c.status for s, c in current.items()} == {
        s: changes[-1].status for s, changes in history.items()
    }
    assert current[OPUS] == history[OPUS][-1]


def test_recording_the_same_status_changes_twice_stores_each_once(store):
    story = two_outages_and_a_bad_key()
    for changes in story.changes:
        store.record_engine_changes(changes)
    stored = store.status_changes()

    assert sum(store.record_engine_changes(c) for c in story.changes) == 0
    assert store.status_changes() == stored
    assert len(stored) == sum(len(c.status_changes) for c in story.changes)


def test_a_rebuilt_engine_replaying_history_appends_no_stale_status(store):
    story = two_outages_and_a_bad_key()
    for changes in story.changes:
        store.record_engine_changes(changes)
    stored = store.status_changes()

    _, replayed = rebuild(StatusSettings(), MODELS, REGIONS, story.results, story.now)
    for changes in replayed:
        store.record_engine_changes(changes)

    assert sum(len(c.status_changes) for c in replayed) == len(stored)
    assert store.status_changes() == stored


def test_an_older_change_never_becomes_the_latest(store):
    record(store, change(OPERATIONAL, 0), change(PARTIAL, 30))

    assert record(store, change(MAJOR, 20)) == 0
    assert store.current_statuses()[OPUS].status is PARTIAL
    assert statuses(store) == [(OPERATIONAL, 0), (PARTIAL, 30)]


def test_the_same_status_again_later_is_not_a_change(store):
    record(store, change(OPERATIONAL, 0), change(OPERATIONAL, 5), change(DEGRADED, 9))
    record(store, change(DEGRADED, 12))

    assert statuses(store) == [(OPERATIONAL, 0), (DEGRADED, 9)]


def test_changes_given_out_of_order_are_stored_in_order(store):
    record(store, change(DEGRADED, 9), change(OPERATIONAL, 0), change(OPERATIONAL, 20))

    assert statuses(store) == [(OPERATIONAL, 0), (DEGRADED, 9), (OPERATIONAL, 20)]


def test_one_model_changing_leaves_its_siblings_current_status_alone(store):
    record(store, change(OPERATIONAL, 0), change(OPERATIONAL, 0, SONNET))
    record(store, change(MAJOR, 30), change(PARTIAL, 30, "anthropic"))

    current = store.current_statuses()
    assert (current[OPUS].status, current[SONNET].status) == (MAJOR, OPERATIONAL)
    assert current["anthropic"].kind is SubjectKind.PROVIDER
    assert current["anthropic"].reason == "partial_outage at 30"


def test_status_changes_filter_by_subject_and_half_open_window(store):
    record(store, change(OPERATIONAL, 0), change(DEGRADED, 10), change(OPERATIONAL, 20))
    record(store, change(OPERATIONAL, 0, SONNET), change(MAINTENANCE, 10, SONNET))

    between = store.status_changes(since=at(10), until=at(20))
    assert [(c.subject, c.status) for c in between] == [(OPUS, DEGRADED), (SONNET, MAINTENANCE)]
    assert [c.status for c in store.status_changes(subject=OPUS, since=at(5))] == [
        DEGRADED,
        OPERATIONAL,
    ]
    assert [c.at for c in store.status_changes(until=at(10))] == [at(0), at(0)]
