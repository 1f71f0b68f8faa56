"""`Store`: everything aistatus keeps, behind methods named for what callers want.

One class for SQLite and PostgreSQL; the few dialect differences (locks and bulk
statements, in `dialects`) are decided inside this package and nowhere else.
Raw rows are written by `result_rows`, rollup rows kept by `rollup_tables`,
status changes by `status_tables`, incidents by `incident_tables` (read back by
`incident_queries`), leases by `leases`, the status engine's snapshots by
`snapshots`. Methods take and return plain objects;
no ORM row leaves this package.

Every write transaction goes through `_writing`, which bumps the data version
last: readers (the web's ETags) see it move whenever anything they show changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from monitor.config import Settings
from monitor.judging.incidents import Incident, IncidentEvent, Update
from monitor.judging.status import ComponentStatus, StatusChange
from monitor.plan import ProbePlan
from monitor.results import ProbeResult
from monitor.rollups import Resolution, Rollup, bucket_start, retention_cutoff
from monitor.store import incident_queries
from monitor.store.engine import (
    DEFAULT_BUSY_TIMEOUT_MS,
    create_store_engine,
    for_writing,
)
from monitor.store.incident_queries import Visible
from monitor.store.migrate import head_revision, revision_of, upgrade_to_head
from monitor.store.records import (
    ProviderInfo,
    RetentionReport,
    Target,
    row_to_provider,
    row_to_result,
    row_to_target,
)
from monitor.store.rows import outbox as outbox_rows
from monitor.store.rows import rollups as rollup_tables
from monitor.store.rows import snapshots as snapshot_rows
from monitor.store.rows.config import sync_config
from monitor.store.rows.data_version import bump_data_version, read_data_version
from monitor.store.rows.dialects import hold_advisory_lock
from monitor.store.rows.incidents import (
    record_incident_events,
    set_body_override,
    set_title_override,
)
from monitor.store.rows.leases import give_up_lease, take_lease
from monitor.store.rows.plans import read_plan, replace_plan
from monitor.store.rows.results import insert_new_results
from monitor.store.rows.rollups import add_rollups, rollups_of
from monitor.store.rows.schema import PROBE_RESULTS, PROVIDERS, TARGETS
from monitor.store.rows.snapshots import SnapshotInfo
from monitor.store.rows.statuses import (
    read_current_statuses,
    read_status_changes,
    record_status_changes,
)

if TYPE_CHECKING:  # the engine is pure code the web need not load with the store
    from monitor.judging.engine import EngineChanges

_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)
# Any constants shared by every aistatus process: "aist", "aise".
_MIGRATION_LOCK_KEY = 0x61697374
_ENGINE_WRITES_LOCK_KEY = 0x61697365
_LARGEST_ID = 2**31 - 1  # an Integer column's range on PostgreSQL


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
            # Web and worker processes may start together: one migrates, the others wait.
            hold_advisory_lock(connection, _MIGRATION_LOCK_KEY)
            upgrade_to_head(connection)

    def current_revision(self) -> str | None:
        with self._engine.connect() as connection:
            return revision_of(connection)

    def schema_is_current(self) -> bool:
        """Whether the database holds the schema this version of aistatus writes."""
        return self.current_revision() == head_revision()

    def sync_targets(self, settings: Settings, missing_keys: Mapping[str, str]) -> None:
        """Make providers and targets match the config; drop those it no longer lists.

        `missing_keys` maps a provider id to the variable an operator must set
        (`monitor.config.missing_key`). Only that name is stored, never a value.
        """
        with self._writing() as connection:
            sync_config(connection, settings, missing_keys)

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
        with self._writing() as connection:
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
        with self._writing() as connection:
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

    def result_counts(
        self, start: datetime, end: datetime, *, targets: Collection[str] | None = None
    ) -> dict[str, int]:
        """How many results of each target (of `targets`, if given) started in [start, end):
        the evaluator compares them with what its engine counted to find results that were
        written late, and asks whether a model new to it has any history."""
        columns = PROBE_RESULTS.c
        query = select(columns.target, func.count()).where(
            columns.started_at >= start, columns.started_at < end
        )
        if targets is not None:
            query = query.where(columns.target.in_(sorted(targets)))
        query = query.group_by(columns.target)
        with self._engine.connect() as connection:
            return {target: count for target, count in connection.execute(query)}

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
        hour_rollup_days: float | None = None,
    ) -> RetentionReport:
        """Delete raw results that started more than `raw_days` before `now`, and rollups
        whose bucket ended before the bucket holding `now - days` began: day rollups after
        `rollup_days`, hour rollups after `hour_rollup_days`, minute rollups after
        `minute_rollup_days`.

        Minute rollups default to the raw results' retention: at one probe a
        minute they are as many rows as the results, and nothing reads minutes
        further back than the raw results reach. Hour rollups default to
        `rollup_days`. Each table is trimmed in its own transaction, so the write
        lock is never held for the whole clean-up.
        """
        minute_days = raw_days if minute_rollup_days is None else minute_rollup_days
        hour_days = rollup_days if hour_rollup_days is None else hour_rollup_days
        return RetentionReport(
            results=self.delete_results_before(retention_cutoff(now, raw_days)),
            minute_rollups=self._trim_rollups(now, minute_days, Resolution.MINUTE),
            hour_rollups=self._trim_rollups(now, hour_days, Resolution.HOUR),
            day_rollups=self._trim_rollups(now, rollup_days, Resolution.DAY),
        )

    def delete_results_before(self, when: datetime) -> int:
        """Raw-result retention: delete results that started before `when`; returns how many."""
        with self._writing() as connection:
            deleted = connection.execute(
                delete(PROBE_RESULTS).where(PROBE_RESULTS.c.started_at < when)
            )
            return deleted.rowcount

    def _trim_rollups(self, now: datetime, days: float, resolution: Resolution) -> int:
        cutoff = retention_cutoff(now, days, resolution)
        with self._writing() as connection:
            return rollup_tables.delete_before(connection, resolution, cutoff)

    def record_engine_changes(self, changes: EngineChanges) -> int:
        """Store the status changes and incident events of one evaluation, in one
        transaction; returns rows written. Idempotent and guarded: repeating changes,
        or replaying older ones (a rebuild, a second engine), writes nothing and never
        moves a status or an incident backwards (see `status_tables`, `incident_tables`)."""
        with self._writing() as connection:
            # Both guards read before they write: one engine's changes at a time.
            hold_advisory_lock(connection, _ENGINE_WRITES_LOCK_KEY)
            stored: list[tuple[StatusChange, ComponentStatus | None]] = []
            applied: list[tuple[int, IncidentEvent]] = []
            statuses = record_status_changes(connection, changes.status_changes, stored)
            written = statuses + record_incident_events(
                connection, changes.incident_events, applied
            )
            # The outbox: what to tell subscribers commits, or fails, with the change itself.
            outbox_rows.enqueue(connection, stored, applied)
            return written

    def current_statuses(self) -> dict[str, StatusChange]:
        """The latest status change of every model and provider, by subject id."""
        with self._engine.connect() as connection:
            return read_current_statuses(connection)

    def status_changes(
        self,
        *,
        subject: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[StatusChange]:
        """Status changes with `since <= at < until`, oldest first."""
        with self._engine.connect() as connection:
            return read_status_changes(connection, subject, since, until)

    def incidents(
        self,
        *,
        include_private: bool = False,
        target: str | None = None,
        provider: str | None = None,
        since: datetime | None = None,
        open_only: bool = False,
        limit: int | None = None,
    ) -> list[Incident]:
        """Newest first (by started_at), with stored ids, overrides and every update;
        `since` keeps the incidents still open or resolved at or after it."""
        visible = Visible(include_private, target, provider)
        with self._engine.connect() as connection:
            return incident_queries.read_incidents(
                connection, visible, since=since, open_only=open_only, limit=limit
            )

    def incident(self, incident_id: str, *, include_private: bool = False) -> Incident | None:
        """The incident with this public id; None if unknown (or private, unless asked)."""
        number = _incident_number(incident_id)
        if number is None:
            return None
        with self._engine.connect() as connection:
            return incident_queries.read_incident(connection, number, Visible(include_private))

    def recent_updates(
        self,
        *,
        limit: int = 50,
        target: str | None = None,
        provider: str | None = None,
        include_private: bool = False,
    ) -> list[tuple[Incident, Update]]:
        """The newest incident updates first, each with its incident: the feeds."""
        visible = Visible(include_private, target, provider)
        with self._engine.connect() as connection:
            return incident_queries.read_recent_updates(connection, visible, limit)

    def override_incident(
        self,
        incident_id: str,
        *,
        title: str | None = None,
        update_position: int | None = None,
        body: str | None = None,
    ) -> None:
        """An operator's words, shown instead of the engine's and never written over by
        it: the incident's title, and/or the body of its update at `update_position`
        (the update's index in `Incident.updates`). An empty string clears an override.
        Raises KeyError for an unknown incident or update."""
        if (body is None) != (update_position is None):
            raise ValueError("override_incident: give update_position and body together")
        number = _incident_number(incident_id) or 0  # ids start at 1: 0 finds nothing
        with self._writing() as connection:
            if title is not None and not set_title_override(connection, number, title or None):
                raise KeyError(f"no incident {incident_id!r}")
            if update_position is not None and not set_body_override(
                connection, number, update_position, body or None
            ):
                raise KeyError(f"incident {incident_id!r} has no update {update_position}")

    def acquire_lease(self, name: str, holder: str, now: datetime, ttl_s: float) -> bool:
        """Whether `holder` holds the lease `name` (renewed, or just taken because it was
        free or expired) until `now + ttl_s`. Not a data change: the version stays."""
        with self._writes.begin() as connection:
            return take_lease(connection, name, holder, now, ttl_s)

    def release_lease(self, name: str, holder: str) -> bool:
        """Give up the lease `name` if `holder` holds it (a clean shutdown): another
        process may take it at once. Whether it was held."""
        with self._writes.begin() as connection:
            return give_up_lease(connection, name, holder)

    def publish_plan(self, plan: ProbePlan) -> None:
        """Replace the stored probe plan (the evaluating worker, every minute). Not a data
        change: the version stays."""
        with self._writes.begin() as connection:
            replace_plan(connection, plan)

    def probe_plan(self, now: datetime) -> ProbePlan:
        """The stored probe plan's confirmations still running at `now`: what a prober in a
        region that does not evaluate reads."""
        with self._engine.connect() as connection:
            return read_plan(connection, now)

    def save_engine_snapshot(
        self, info: SnapshotInfo, parts: Iterable[bytes], keep: int = 2
    ) -> int:
        """Store a snapshot of the status engine, a part per transaction (`parts` may be
        made as they are written), and mark it complete; older ones but the newest `keep`
        go. Its id. Not a data change: the version stays."""
        with self._writes.begin() as connection:
            snapshot_id = snapshot_rows.begin_snapshot(connection, info)
        try:
            for seq, data in enumerate(parts):
                with self._writes.begin() as connection:
                    snapshot_rows.add_part(connection, snapshot_id, seq, data)
            with self._writes.begin() as connection:
                snapshot_rows.finish_snapshot(connection, snapshot_id, keep)
        except BaseException:
            with suppress(SQLAlchemyError), self._writes.begin() as connection:
                snapshot_rows.drop_snapshot(connection, snapshot_id)
            raise
        return snapshot_id

    def engine_snapshots(self) -> list[SnapshotInfo]:
        """The complete snapshots of the status engine, newest first."""
        with self._engine.connect() as connection:
            return snapshot_rows.snapshot_infos(connection)

    def engine_snapshot_parts(self, snapshot_id: int) -> Iterator[bytes]:
        """A snapshot's compressed parts in order, read one at a time."""
        return snapshot_rows.snapshot_parts(self._engine, snapshot_id)

    def data_version(self) -> str:
        """A value that changes with every write transaction (results, rollups, statuses,
        incidents, overrides, the config, retention), never with reads or leases: one
        cheap query, for ETags."""
        with self._engine.connect() as connection:
            return read_data_version(connection)

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

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction that bumps the data version when its work succeeded."""
        with self._writes.begin() as connection:
            yield connection
            bump_data_version(connection)

    def _rows(self, query: Select[Any]) -> list[Mapping[str, Any]]:
        with self._engine.connect() as connection:
            return list(connection.execute(query).mappings())


def _incident_number(incident_id: str) -> int | None:
    """The row id behind a public incident id ("12"); None for anything else."""
    if not (incident_id.isascii() and incident_id.isdigit()):
        return None
    number = int(incident_id)
    return number if number <= _LARGEST_ID else None
