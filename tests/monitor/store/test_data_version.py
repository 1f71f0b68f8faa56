from datetime import timedelta

import pytest
from sqlalchemy.exc import StatementError

from monitor.judging.engine import EngineChanges
from monitor.judging.status import ComponentStatus, StatusChange, SubjectKind
from monitor.rollups import Resolution, rollup

from .engine_output import OPUS, two_outages_and_a_bad_key
from .factories import T0, make_result, results_every_minute


def engine_changes() -> EngineChanges:
    return next(c for c in two_outages_and_a_bad_key().changes if c.incident_events)


WRITES = {
    "results": lambda store: store.record_results(results_every_minute(3)),
    "rollups": lambda store: store.record_rollups(
        rollup(results_every_minute(3), Resolution.MINUTE)
    ),
    "engine changes": lambda store: store.record_engine_changes(engine_changes()),
    "a status change": lambda store: store.record_engine_changes(
        EngineChanges((StatusChange(OPUS, SubjectKind.MODEL, ComponentStatus.OPERATIONAL, T0, ""),))
    ),
    "retention": lambda store: store.apply_retention(T0 + timedelta(days=1), 30, 400),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES)
def test_every_write_changes_the_data_version(store, write):
    before = store.data_version()
    write(store)
    assert store.data_version() != before


def test_an_operator_override_changes_the_data_version(store):
    store.record_engine_changes(engine_changes())
    before = store.data_version()
    store.override_incident("1", title="Our words")
    assert store.data_version() != before


def test_reads_and_leases_leave_the_data_version_alone(store):
    store.record_results(results_every_minute(3))
    store.record_engine_changes(engine_changes())
    before = store.data_version()

    store.results_between(T0, T0 + timedelta(hours=1))
    store.latest_results()
    store.rollups_between(T0, T0 + timedelta(hours=1), resolution=Resolution.MINUTE)
    store.current_statuses()
    store.status_changes()
    store.incidents(include_private=True)
    store.incident("1")
    store.recent_updates()
    store.acquire_lease("status-engine", "worker-a", T0, 60)

    assert store.data_version() == before


def test_a_write_that_fails_leaves_the_data_version_alone(store):
    before = store.data_version()
    with pytest.raises(StatementError):
        store.record_results([make_result(at=T0.replace(tzinfo=None))])
    assert store.data_version() == before
