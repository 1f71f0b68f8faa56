"""The worker's tests on SQLite and on PostgreSQL, as the store's are."""

from tests.monitor.store.conftest import database_url, pg_schema  # noqa: F401
