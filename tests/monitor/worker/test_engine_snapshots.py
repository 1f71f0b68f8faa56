"""A start reads the status engine from its snapshot and catches up, or rebuilds saying why;
on SQLite and PostgreSQL."""

import logging

import pytest
from sqlalchemy import create_engine, text

from monitor.clock import FakeClock
from monitor.config import settings_from_dict
from monitor.store import Store
from monitor.worker import snapshots
from monitor.worker.evaluator import Evaluator
from monitor.worker.roles import sync_targets
from tests.monitor.synthetic import START, ok
from tests.monitor.worker.test_restarts import HAIKU, OPUS, REGIONS, SONNET
from tests.monitor.worker.test_restarts import probes as restart_probes


def settings_with(*models: str, snapshots: str | int = "10m", **status):
    return settings_from_dict(
        {
            "providers": [
                {"id": "anthropic", "kind": "anthropic", "base_url": "http://127.0.0.1:1"}
            ],
            "models": [{"provider": "anthropic", "model": m.split("/")[1]} for m in models],
            "storage": {"engine_snapshot_interval": snapshots},
            "status": status,
        }
    )


SETTINGS = settings_with(OPUS, SONNET)


@pytest.fixture
def store(database_url):
    store = Store(database_url)
    store.upgrade()
    sync_targets(SETTINGS, store, environ={})
    yield store
    store.dispose()


def failing_from(first: int):
    """Opus fails 2 probes in 3 from minute `first` on (a provider outage)."""
    return lambda minute, region: minute >= first and (minute + len(region)) % 3 != 0


def probes(clock, models=(OPUS, SONNET), fails=lambda minute, region: False):
    return restart_probes(clock, models, fails)


def run(evaluator, store, clock, minutes, models=(OPUS, SONNET), fails=lambda m, r: False):
    for _ in range(minutes):
        store.record_results(probes(clock, models, fails))
        clock.advance(60)
        evaluator.tick()
    evaluator.snapshots.wait()  # a save written in the background is stored


def stopped_while_opus_fails(store, clock, settings=SETTINGS):
    """A worker ran 2 h, Opus failing for the last 40 min, and stopped cleanly."""
    worker = Evaluator(settings, store, clock, "us-east")
    run(worker, store, clock, 120, fails=failing_from(80))
    assert worker.engine is not None
    before = (
        {t: worker.engine.model_status(t) for t in (OPUS, SONNET)},
        worker.engine.open_incidents(),
    )
    worker.release()
    return before


def restart(store, clock, settings=SETTINGS, models=(OPUS, SONNET)):
    """A new worker's first minute: the probes kept failing meanwhile."""
    store.record_results(probes(clock, models, failing_from(80)))
    clock.advance(60)
    worker = Evaluator(settings, store, clock, "us-east")
    worker.tick()
    worker.snapshots.wait()  # its first save, as a running worker would finish it
    return worker


def test_a_restart_after_a_clean_stop_resumes_from_the_snapshot(store, caplog, monkeypatch):
    monkeypatch.setattr(snapshots, "PART_BYTES", 4096)  # many parts, as at 1,000 models
    clock = FakeClock(START)
    statuses, incidents = stopped_while_opus_fails(store, clock)
    assert statuses[OPUS].affected and incidents
    stored = store.incidents(include_private=True)
    caplog.set_level(logging.INFO, "monitor.worker.evaluator")

    worker = restart(store, clock)

    assert (worker.restores, worker.rebuilds) == (1, 0)
    assert "restored from the snapshot" in caplog.text
    assert {t: worker.engine.model_status(t) for t in (OPUS, SONNET)} == statuses
    assert worker.engine.open_incidents() == incidents
    assert store.incidents(include_private=True) == stored  # nothing resolved or opened again
    (info, *_) = store.engine_snapshots()
    assert len(list(store.engine_snapshot_parts(info.id))) > 1


def test_catching_up_after_a_crash_judges_as_a_full_rebuild_would(store):
    clock = FakeClock(START)
    crashed = Evaluator(SETTINGS, store, clock, "us-east")
    run(crashed, store, clock, 95, fails=failing_from(80))  # last saved at minute ~90
    for _ in range(12):  # down 12 minutes; the other regions' probers kept storing
        store.record_results(probes(clock, fails=failing_from(80)))
        clock.advance(60)

    resumed = Evaluator(SETTINGS, store, clock, "us-east")
    resumed.tick()
    rebuilt = Evaluator(settings_with(OPUS, SONNET, snapshots=0), store, clock, "us-east")
    rebuilt.tick()

    assert (resumed.restores, rebuilt.rebuilds) == (1, 1)
    for target in (OPUS, SONNET):
        assert resumed.engine.model_status(target) == rebuilt.engine.model_status(target)
    opened = [(i.provider, i.cause, i.started_at) for i in rebuilt.engine.open_incidents()]
    assert opened
    assert [(i.provider, i.cause, i.started_at) for i in resumed.engine.open_incidents()] == opened


def test_a_restart_with_a_model_added_resumes_from_the_snapshot_and_judges_it(store, caplog):
    clock = FakeClock(START)
    stopped_while_opus_fails(store, clock)
    settings = settings_with(OPUS, SONNET, HAIKU)  # Haiku added to the config
    sync_targets(settings, store, environ={})
    models = (OPUS, SONNET, HAIKU)

    worker = restart(store, clock, settings, models)
    run(worker, store, clock, 3, models, failing_from(80))

    assert (worker.restores, worker.rebuilds) == (1, 0)  # not minutes of CPU at 1,000 models
    statuses = store.current_statuses()
    assert statuses[HAIKU].status == "operational"
    assert statuses[HAIKU].reason == "monitoring started"
    assert statuses[OPUS].status != "operational"


def test_a_model_added_back_with_older_results_is_judged_by_a_rebuild(store, caplog):
    clock = FakeClock(START)
    store.record_results([ok(HAIKU, region, START) for region in REGIONS])  # probed once
    stopped_while_opus_fails(store, clock)  # ...and then removed from the config
    settings = settings_with(OPUS, SONNET, HAIKU)  # and added back
    sync_targets(settings, store, environ={})
    caplog.set_level(logging.INFO, "monitor.worker.evaluator")

    worker = restart(store, clock, settings, (OPUS, SONNET, HAIKU))

    assert (worker.restores, worker.rebuilds) == (0, 1)
    assert "have results from before it: anthropic/claude-haiku-4-5" in caplog.text
    assert HAIKU in worker.engine.targets


def corrupt_snapshots(database_url, newest_only=False):
    engine = create_engine(database_url)
    with engine.begin() as connection:
        newest = connection.execute(text("SELECT max(id) FROM engine_snapshots")).scalar_one()
        where = f" WHERE snapshot_id = {newest}" if newest_only else ""
        connection.execute(text(f"UPDATE engine_snapshot_parts SET data = :junk{where}"), {
            "junk": b"not a snapshot"
        })  # fmt: skip
    engine.dispose()


def test_a_corrupt_snapshot_falls_back_to_the_full_rebuild_and_still_judges(
    store, database_url, caplog
):
    clock = FakeClock(START)
    statuses, _ = stopped_while_opus_fails(store, clock)
    corrupt_snapshots(database_url)
    caplog.set_level(logging.INFO, "monitor.worker.evaluator")

    worker = restart(store, clock)

    assert (worker.restores, worker.rebuilds) == (0, 1)
    assert "rebuilding from 25 h of results" in caplog.text and "is corrupt" in caplog.text
    assert worker.engine.model_status(OPUS) == statuses[OPUS]
    assert len(store.incidents(include_private=True)) == 1  # the same one, not a second


def test_a_corrupt_newest_snapshot_gives_way_to_the_one_before(store, database_url, caplog):
    clock = FakeClock(START)
    stopped_while_opus_fails(store, clock)
    corrupt_snapshots(database_url, newest_only=True)
    caplog.set_level(logging.INFO, "monitor.worker.evaluator")

    worker = restart(store, clock)

    assert (worker.restores, worker.rebuilds) == (1, 0)
    assert "is corrupt" in caplog.text  # said, though an older one served


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        (settings_with(OPUS, HAIKU), "judged another list of models"),
        (settings_with(OPUS, SONNET, min_failures=5), "other [status] settings"),
        (settings_with(OPUS, SONNET, snapshots=0), "engine snapshots are off"),
    ],
    ids=["changed-model-list", "changed-status-settings", "snapshots-off"],
)
def test_a_snapshot_of_another_configuration_is_not_used(store, caplog, settings, why):
    clock = FakeClock(START)
    stopped_while_opus_fails(store, clock)
    sync_targets(settings, store, environ={})
    caplog.set_level(logging.INFO, "monitor.worker.evaluator")

    models = tuple(m.id for m in settings.models)
    worker = restart(store, clock, settings, models)
    run(worker, store, clock, 3, models, failing_from(80))

    assert (worker.restores, worker.rebuilds) == (0, 1)
    assert why in caplog.text
    statuses = store.current_statuses()
    assert statuses[OPUS].status != "operational"  # still judged
    assert all(statuses[m].status == "operational" for m in models if m != OPUS)


def test_a_snapshot_written_by_another_version_is_not_used(store, database_url, caplog):
    clock = FakeClock(START)
    stopped_while_opus_fails(store, clock)
    engine = create_engine(database_url)
    with engine.begin() as connection:  # as the previous release would have left them
        connection.execute(text("UPDATE engine_snapshots SET code_version = 'older'"))
    engine.dispose()
    caplog.set_level(logging.INFO, "monitor.worker.evaluator")

    worker = restart(store, clock)

    assert (worker.restores, worker.rebuilds) == (0, 1)
    assert "was written by another version of aistatus" in caplog.text
    assert worker.engine.model_status(OPUS).affected


def test_a_snapshot_judged_without_a_region_heard_now_is_not_used(store, caplog):
    clock = FakeClock(START)
    stopped_while_opus_fails(store, clock)
    store.record_results([ok(SONNET, "sa-east", clock.now())])  # a new vantage point
    caplog.set_level(logging.INFO, "monitor.worker.evaluator")

    worker = restart(store, clock)

    assert (worker.restores, worker.rebuilds) == (0, 1)
    assert "was judged without region(s) sa-east" in caplog.text
    assert "sa-east" in worker.engine.regions


def test_a_snapshot_older_than_the_look_back_is_not_used(store, caplog):
    clock = FakeClock(START)
    worker = Evaluator(SETTINGS, store, clock, "us-east")
    run(worker, store, clock, 30)
    worker.release()
    clock.advance(24 * 3600)
    caplog.set_level(logging.INFO, "monitor.worker.evaluator")

    restarted = Evaluator(SETTINGS, store, clock, "us-east")
    run(restarted, store, clock, 2)

    assert (restarted.restores, restarted.rebuilds) == (0, 1)
    assert "is older than 23 h" in caplog.text


def test_late_results_older_than_the_snapshot_are_judged_for_their_own_minutes(store, caplog):
    clock = FakeClock(START)
    worker = Evaluator(SETTINGS, store, clock, "us-east")
    run(worker, store, clock, 120)
    # The probers' writes fail for 9 minutes (Opus fails meanwhile) and are buffered; the
    # evaluator sees nothing new, saves its state and stops.
    outage_start = clock.now()
    buffered = []
    for _ in range(9):
        buffered += probes(clock, fails=lambda minute, region: (minute + len(region)) % 3 != 0)
        clock.advance(60)
        worker.tick()
    worker.release()
    store.record_results(buffered)  # the writers get through after the snapshot
    caught_up = clock.now()
    caplog.set_level(logging.INFO, "monitor.worker.evaluator")

    restarted = Evaluator(SETTINGS, store, clock, "us-east")
    run(restarted, store, clock, 3)

    assert (restarted.restores, restarted.rebuilds) == (0, 1)
    assert "written after the snapshot" in caplog.text
    (incident,) = store.incidents()
    assert outage_start <= incident.started_at <= incident.detected_at < caught_up
    assert "detected late, after a gap in our own storage" in incident.updates[0].text.lower()


def test_an_old_database_without_snapshots_never_stops_the_engine(store, database_url, caplog):
    engine = create_engine(database_url)
    with engine.begin() as connection:  # as at schema 0008, before snapshots
        connection.execute(text("DROP TABLE engine_snapshot_parts"))
        connection.execute(text("DROP TABLE engine_snapshots"))
    engine.dispose()
    clock = FakeClock(START)
    caplog.set_level(logging.INFO, "monitor.worker")

    worker = Evaluator(SETTINGS, store, clock, "us-east")
    run(worker, store, clock, 100, fails=failing_from(80))
    worker.release()  # saving fails: said, not raised

    assert worker.rebuilds == 1
    assert "cannot read the stored snapshots" in caplog.text
    assert "could not save the status engine's snapshot" in caplog.text
    assert store.current_statuses()[OPUS].status != "operational"
