"""`Store`: everything aistatus keeps, behind methods named for what callers want.

One class for SQLite and PostgreSQL; the few dialect differences (the migration
lock here, bulk statements in `dialects`) are decided inside this package and
nowhere else. Raw rows are written by `result_rows`, rollup rows kept by
`rollup_tables`. Methods take and return plain objects; no ORM row leaves
this package.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, Table, delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from monitor.config import Settings
from monitor.results import ProbeResult
from monitor.rollups import Resolution, Rollup, bucket_start, retention_cutoff
from monitor.store import rollup_tables
from monitor.store.dialects import insert_for
from monitor.store.engine import (
    DEFAULT_BUSY_TIMEOUT_MS,
    create_store_engine,
    for_writing,
)
from monitor.store.migrate import revision_of, upgrade_to_head
from monitor.store.records import (
    ProviderInfo,
    RetentionReport,
    Target,
    provider_to_row,
    row_to_provider,
    row_to_result,
    row_to_target,
    target_to_row,
)
from monitor.store.result_rows import insert_new_results
from monitor.store.rollup_tables import add_rollups, rollups_of
from monitor.store.schema import PROBE_RESULTS, PROVIDERS, TARGETS

_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)
_MIGRATION_LOCK_KEY = 0x61697374  # "aist": any constant shared by every aistatus process


class Store:
    def __init__(self, url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
        """`url` is a SQLAlchemy URL; `busy_timeout_ms` is how long SQLite waits for a lock."""
        self._engine = create_store_engine(url, busy_timeout_ms=busy_timeout_ms)
        self._writes = for_writing(self._engine)

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self._engine.dialect.name

    def upgrade(self) -> None:
        """Bring the schema to the newest migration; the only way tables are created."""
        with self._writes.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Web and worker processes may start together: one migrates, the others wait.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            upgrade_to_head(connection)

    def current_revision(self) -> str | None:
        with self._engine.connect() as connection:
            return revision_of(connection)

    def sync_targets(self, settings: Settings, missing_keys: Mapping[str, str]) -> None:
        """Make providers and targets match the config; drop those it no longer lists.

        `missing_keys` maps a provider id to the variable an operator must set
        (`monitor.config.missing_key`). Only that name is stored, never a value.
        """
        _check_missing_keys(settings, missing_keys)
        providers = [
            provider_to_row(provider, position, missing_keys.get(provider.id))
            for position, provider in enumerate(settings.providers)
        ]
        targets = [
            target_to_row(settings, model, position)
            for position, model in enumerate(settings.models)
        ]
        with self._writes.begin() as connection:
            _upsert(connection, PROVIDERS, providers)
            _upsert(connection, TARGETS, targets)
            # Targets first: they point at their provider.
            _keep_only(connection, TARGETS, [row["id"] for row in targets])
            _keep_only(connection, PROVIDERS, [row["id"] for row in providers])

    def providers(self) -> list[ProviderInfo]:
        """In config order."""
        query = select(PROVIDERS).order_by(PROVIDERS.c.position)
        return [row_to_provider(row) for row in self._rows(query)]

    def targets(self) -> list[Target]:
        """In config order."""
        query = select(TARGETS).order_by(TARGETS.c.position)
        return [row_to_target(row) for row in self._rows(query)]

    def record_results(self, results: Sequence[ProbeResult]) -> int:
        """Insert results whose id is not stored yet, and add exactly those to the
        minute, hour and day rollups in the same transaction; returns how many were new.

        Safe to repeat: a batch retried after a commit whose acknowledgement was
        lost inserts nothing twice and counts nothing twice.
        """
        if not results:
            return 0
        with self._writes.begin() as connection:
            new = insert_new_results(connection, results)
            add_rollups(connection, rollups_of(new))
            return len(new)

    def record_rollups(self, rollups: Sequence[Rollup]) -> None:
        """Add rollups to the stored ones with the same keys (creating missing rows).

        Each rollup is stored at its own resolution only: to seed history without
        raw results, pass the day (and hour) rollups themselves.
        """
        if not rollups:
            return
        with self._writes.begin() as connection:
            add_rollups(connection, rollups)

    def results_between(
        self,
        start: datetime,
        end: datetime,
        *,
        target: str | None = None,
        region: str | None = None,
    ) -> list[ProbeResult]:
        """Results that started in [start, end), oldest first."""
        columns = PROBE_RESULTS.c
        query = select(PROBE_RESULTS).where(columns.started_at >= start, columns.started_at < end)
        if target is not None:
            query = query.where(columns.target == target)
        if region is not None:
            query = query.where(columns.region == region)
        query = query.order_by(columns.started_at, columns.id)
        return [row_to_result(row) for row in self._rows(query)]

    def latest_results(self, *, since: datetime | None = None) -> list[ProbeResult]:
        """The newest result of each target in each region, by target then region.

        `since` bounds how far back to look, which keeps this cheap on a big table.
        """
        columns = PROBE_RESULTS.c
        newest_first = (columns.started_at.desc(), columns.id.desc())
        rank = func.row_number().over(
            partition_by=(columns.target, columns.region), order_by=newest_first
        )
        ranked = select(PROBE_RESULTS, rank.label("rank"))
        if since is not None:
            ranked = ranked.where(columns.started_at >= since)
        inner = ranked.subquery()
        query = (
            select(*(inner.c[column.name] for column in PROBE_RESULTS.c))
            .where(inner.c.rank == 1)
            .order_by(inner.c.target, inner.c.region)
        )
        return [row_to_result(row) for row in self._rows(query)]

    def rollups_between(
        self,
        start: datetime,
        end: datetime,
        *,
        resolution: Resolution,
        target: str | None = None,
        region: str | None = None,
    ) -> list[Rollup]:
        """Rollups of `resolution` whose bucket starts in [start, end), sorted by key
        (target, region, bucket_start). Regions come separately: see `combine_regions`."""
        query = rollup_tables.query_between(start, end, resolution, target, region)
        return [Rollup.from_row(row) for row in self._rows(query)]

    def daily_rollups(self, since: datetime, *, target: str | None = None) -> list[Rollup]:
        """Day rollups from the UTC day holding `since` on, every region, sorted by key:
        the 90-day uptime bars."""
        start = bucket_start(since, Resolution.DAY)
        return self.rollups_between(start, _END_OF_TIME, resolution=Resolution.DAY, target=target)

    def latest_rollup_time(self, resolution: Resolution = Resolution.MINUTE) -> datetime | None:
        """Start of the newest stored `resolution` bucket (of any target); None when empty."""
        with self._engine.connect() as connection:
            return connection.execute(rollup_tables.query_latest_start(resolution)).scalar()

    def apply_retention(
        self,
        now: datetime,
        raw_days: float,
        rollup_days: float,
        *,
        minute_rollup_days: float | None = None,
    ) -> RetentionReport:
        """Delete raw results that started more than `raw_days` before `now`, and rollups
        whose bucket ended before the bucket holding `now - days` began: hour and day
        rollups after `rollup_days`, minute rollups after `minute_rollup_days`.

        Minute rollups default to the raw results' retention: at one probe a
        minute they are as many rows as the results, and nothing reads minutes
        further back than the raw results reach. Each table is trimmed in its own
        transaction, so the write lock is never held for the whole clean-up.
        """
        minute_days = raw_days if minute_rollup_days is None else minute_rollup_days
        return RetentionReport(
            results=self.delete_results_before(retention_cutoff(now, raw_days)),
            minute_rollups=self._trim_rollups(now, minute_days, Resolution.MINUTE),
            hour_rollups=self._trim_rollups(now, rollup_days, Resolution.HOUR),
            day_rollups=self._trim_rollups(now, rollup_days, Resolution.DAY),
        )

    def delete_results_before(self, when: datetime) -> int:
        """Raw-result retention: delete results that started before `when`; returns how many."""
        with self._writes.begin() as connection:
            deleted = connection.execute(
                delete(PROBE_RESULTS).where(PROBE_RESULTS.c.started_at < when)
            )
            return deleted.rowcount

    def _trim_rollups(self, now: datetime, days: float, resolution: Resolution) -> int:
        cutoff = retention_cutoff(now, days, resolution)
        with self._writes.begin() as connection:
            return rollup_tables.delete_before(connection, resolution, cutoff)

    def ping(self) -> bool:
        """Whether the database answers right now."""
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def dispose(self) -> None:
        """Close pooled connections (at shutdown, or before the database file goes away)."""
        self._engine.dispose()

    def _rows(self, query: Select[Any]) -> list[Mapping[str, Any]]:
        with self._engine.connect() as connection:
            return list(connection.execute(query).mappings())


def _upsert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    statement = insert_for(connection.dialect.name)(table).values(rows)
    changes = {c.name: statement.excluded[c.name] for c in table.c if not c.primary_key}
    connection.execute(statement.on_conflict_do_update(index_elements=["id"], set_=changes))


def _keep_only(connection: Connection, table: Table, ids: list[str]) -> None:
    connection.execute(delete(table).where(table.c.id.not_in(ids)))


def _check_missing_keys(settings: Settings, missing_keys: Mapping[str, str]) -> None:
    # A caller that passed key values by mistake must fail here, not store a secret.
    # The message names the provider only, never the value it was given.
    for provider_id, variable in missing_keys.items():
        try:
            expected = settings.provider(provider_id).api_key_env
        except KeyError:
            raise ValueError(f"missing_keys: unknown provider {provider_id!r}") from None
        if variable != expected:
            raise ValueError(
                f"missing_keys[{provider_id!r}] must be the provider's api_key_env name"
            )
