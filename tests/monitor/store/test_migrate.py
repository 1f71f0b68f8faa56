import threading
from datetime import timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from monitor.rollups import Resolution
from monitor.store import Store
from monitor.store.migrate import alembic_config, head_revision
from monitor.store.rows.schema import ROLLUPS, Base

from .factories import T0

MINUTE = Resolution.MINUTE
OLD_ROLLUP = {
    "target": "a/b",
    "resolution": "minute",
    "region": "us",
    **dict.fromkeys(("infrastructure", "capacity", "configuration", "vantage"), 0),
    **{"quality": 0, "ambiguous": 0, "ok": 3, "probes": 3, "output_tokens": 12},
    **{"answers_checked": 3, "answers_correct": 3, "ttft_hist": "", "total_hist": ""},
}


def test_a_new_database_has_no_revision_until_upgraded(database_url):
    store = Store(database_url)
    try:
        assert store.current_revision() is None
        store.upgrade()
        assert store.current_revision() == head_revision() == "0010"
    finally:
        store.dispose()


def test_upgrade_creates_the_tables_and_running_it_again_changes_nothing(store, database_url):
    store.upgrade()
    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"providers", "targets", "probe_results", "rollups", "alembic_version"} <= tables
    assert store.current_revision() == head_revision()


def test_the_migrations_build_exactly_the_schema_the_models_describe(store, database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_processes_starting_together_can_all_upgrade(database_url):
    stores = [Store(database_url) for _ in range(3)]
    failures = []

    def upgrade(store):
        try:
            store.upgrade()
        except Exception as error:  # any failure must reach the assert
            failures.append(error)

    threads = [threading.Thread(target=upgrade, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert {store.current_revision() for store in stores} == {head_revision()}
    for store in stores:
        store.dispose()


def test_rollups_stored_before_exact_form_was_counted_apart_read_back_with_none(database_url):
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            config = alembic_config(connection)
            command.upgrade(config, "0008")
            # Only the columns of 0008: the statement names no others.
            row = {**OLD_ROLLUP, "bucket_start": T0}
            connection.execute(ROLLUPS.insert().values(row))
    finally:
        engine.dispose()
    store = Store(database_url)
    try:
        store.upgrade()
        [row] = store.rollups_between(T0, T0 + timedelta(minutes=1), resolution=MINUTE)
        assert (row.answers_checked, row.answers_correct) == (3, 3)
        assert (row.forms_checked, row.forms_correct) == (0, 0)
    finally:
        store.dispose()
