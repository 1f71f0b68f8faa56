import threading

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from monitor.store import Store
from monitor.store.migrate import head_revision
from monitor.store.rows.schema import Base


def test_a_new_database_has_no_revision_until_upgraded(database_url):
    store = Store(database_url)
    try:
        assert store.current_revision() is None
        store.upgrade()
        assert store.current_revision() == head_revision() == "0009"
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
