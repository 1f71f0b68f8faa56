"""Runs the status and incident engines in the worker, incrementally.

Every minute, on the minute (the same instants replay and `rebuild` use, so a
restart reproduces the same change times), it reads the results of the last
few minutes from the store (the engine ignores ones it has seen), evaluates,
and stores what changed. Storing is idempotent and guarded (see the store), so
a restart that rebuilds the engine from the last day of results, or a second
worker, cannot open an incident twice or move one backwards.

A start reads the engine from its newest snapshot (monitor/worker/snapshots.py: saved
every `storage.engine_snapshot_interval` and at a clean stop) and judges only the
minutes since, as a rebuild would judge them; it rebuilds from 25 h of results, with
one log line saying why, when no snapshot can be trusted, or when results for minutes
the snapshot had judged reached the store after it (a storage gap). A model new to the
engine (added to the config, or a fresh install's staggered first probes) is judged
from its first results in the running or restored engine; only a model that comes back
with older results costs a rebuild.

When probers run in several regions against one database, each worker competes
for a lease; only the holder evaluates. The holder stores its probe plan, and every
other worker hands the stored plan to its own prober, so a suspicious model is
confirmed from every region, not only the evaluating one.

The holder is named by host and region, not process: a worker restarted on the
same host takes its lease back at once, and a clean shutdown gives the lease up, so
no restart leaves status unevaluated for the lease's ttl.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from monitor.clock import Clock
from monitor.config import Settings
from monitor.judging.engine import EngineChanges, StatusEngine, TargetInfo, rebuild
from monitor.judging.incidents import EventKind, IncidentEvent, IncidentState, Update
from monitor.judging.snapshot import catch_up
from monitor.plan import PlanBoard, ProbePlan
from monitor.results import ProbeResult
from monitor.store import Store
from monitor.worker.snapshots import EngineSnapshots

log = logging.getLogger(__name__)

REBUILD_SPAN = timedelta(hours=25)  # a full baseline day, plus the hour the windows look back
REBUILD_CHUNK = timedelta(hours=1)  # read at a time while rebuilding
LOOKBACK = timedelta(minutes=5)  # results land late: probes take time, the writer batches
# Results written later than LOOKBACK (the database was down, the writer buffered) are
# looked for this far back, and back to the last evaluation before a gap.
LATE_SPAN = timedelta(hours=1)
LATE_LIMIT = timedelta(hours=23)  # within the engine's memory of what it counted
LEASE = "status-engine"
UNOBSERVED = (
    "Resolved: after a restart of the monitor, the probes of the last 25 hours no longer "
    "show this problem."
)
LEASE_TTL_S = 180.0


def read_history(
    store: Store, since: datetime, until: datetime, heard: dict[str, int]
) -> Iterator[ProbeResult]:
    """The results that started in [since, until), oldest first as one read gives them,
    read an hour at a time: 25 h of 1,000 models read at once held gigabytes of result
    objects at start-up. Counts what it yields in `heard`, by region."""
    start = since
    while start < until:
        end = min(start + REBUILD_CHUNK, until)
        for result in store.results_between(start, end):
            heard[result.region] = heard.get(result.region, 0) + 1
            yield result
        start = end


def minute_floor(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


class Evaluator:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        region: str,
        board: PlanBoard | None = None,
    ) -> None:
        self.settings = settings
        self.region = region
        self.store = store
        self.clock = clock
        self.board = board or PlanBoard()  # the probe plan, for this process's scheduler
        self.holder = f"{socket.gethostname()}:{region}"
        self.engine: StatusEngine | None = None
        self._regions: tuple[str, ...] = ()
        self._judged: frozenset[str] = frozenset()
        self._evaluated: datetime | None = None  # the last minute evaluated and stored
        self.snapshots = EngineSnapshots(
            store, settings.status, settings.storage.engine_snapshot_interval
        )
        self.rebuilds = 0
        self.restores = 0  # starts from a snapshot

    def targets(self, seen: frozenset[str]) -> list[TargetInfo]:
        """The models to judge: only those with results. A model never probed (disabled,
        its key unset, or not yet due) has no status: "operational" would be a claim
        without evidence."""
        providers = {p.id: p.display_name for p in self.store.providers()}
        return [
            TargetInfo(t.id, t.provider, t.display_name, providers.get(t.provider))
            for t in self.store.targets()
            if t.id in seen
        ]

    def tick(self) -> int:
        """Evaluate at the current minute; returns how many changes were stored."""
        now = minute_floor(self.clock.now())
        if not self.store.acquire_lease(LEASE, self.holder, now, LEASE_TTL_S):
            self.engine = None  # another worker evaluates; rebuild if we take over later
            # Its plan names the models to confirm from every region, this one too.
            self.board.publish(self.store.probe_plan(self.clock.now()))
            return 0
        stored = self._evaluate(now)
        if self.engine is not None:
            plan = self.engine.probe_plan(now)
            self.store.publish_plan(plan)
            self.board.publish(plan)
            if self.snapshots.due(now):
                self.snapshots.save_in_background(self.engine, now)
        return stored

    def release(self) -> None:
        """Give the lease up (the worker is stopping): the next worker need not wait. The
        engine's state is saved first, so the next start catches up from it."""
        if self.engine is not None and self._evaluated is not None:
            try:
                self.snapshots.save_now(self.engine, self._evaluated)
            except Exception as error:  # a stop must not fail for it
                log.warning("could not save the status engine's snapshot: %s", error)
        try:
            self.store.release_lease(LEASE, self.holder)
        except Exception as error:  # the database may be the reason we stop
            log.warning("could not release the status-engine lease: %s", error)
        self.engine = None
        self.board.publish(ProbePlan())

    def _evaluate(self, now: datetime) -> int:
        recent = self.store.results_between(now - LOOKBACK, now)
        regions = self._regions_with(recent)
        judged = self._judged | {r.target for r in recent}
        if self.engine is None:
            stored = self._start(now, regions, frozenset(r.target for r in recent))
        elif regions != self._regions or not self._take_on(
            self.engine, judged - self._judged, now, now - LOOKBACK
        ):
            stored = self._rebuild(now, regions)
        elif (late := self._late_since(self.engine, now)) is not None:
            log.warning("results since %s were written late: judging them again", late)
            stored = self._rebuild(now, regions, late)
        else:
            self.engine.ingest(recent)
            changes = self.engine.evaluate(now)
            stored = self.store.record_engine_changes(changes) if changes else 0
        self._judged |= judged
        self._evaluated = now
        return stored

    def _start(self, now: datetime, regions: Sequence[str], recent: frozenset[str]) -> int:
        """The engine at a start (or on taking the lease over): from the newest snapshot
        that can be trusted, caught up minute by minute; else rebuilt, saying why. The
        models judged are the snapshot's and those probed lately, as if the engine had
        never stopped (a full rebuild takes those with results in 25 h)."""
        restored = self.snapshots.restore(now, self.targets, recent, regions, LATE_LIMIT)
        if isinstance(restored, str):
            log.info("status engine: rebuilding from %s of results: %s", _span(), restored)
            return self._rebuild(now, regions)
        taken_at, engine = restored.info.taken_at, restored.engine
        for why in restored.passed_over:
            log.warning("status engine: %s", why)
        # Results that reached the store after the snapshot for minutes it had judged (a
        # storage gap) belong to those minutes: judged again from the stored results.
        late = self._late_since(engine, now, last=taken_at, until=taken_at - LOOKBACK)
        if late is not None:
            log.warning(
                "status engine: rebuilding from %s of results: results since %s UTC were "
                "written after the snapshot of %s UTC",
                _span(),
                f"{late:%H:%M}",
                f"{taken_at:%H:%M}",
            )
            return self._rebuild(now, regions, late)
        added = frozenset(t.id for t in restored.added)
        if not self._take_on(engine, added, now, taken_at - LOOKBACK):
            log.info(
                "status engine: rebuilding from %s of results: model(s) new to the "
                "snapshot of %s UTC have results from before it: %s",
                _span(),
                f"{taken_at:%H:%M}",
                _named(sorted(added)),
            )
            return self._rebuild(now, regions)
        heard: dict[str, int] = {}
        changes = catch_up(engine, read_history(self.store, taken_at - LOOKBACK, now, heard), now)
        self.engine, self._regions = engine, engine.regions
        self._judged = frozenset(engine.targets) | recent
        self.restores += 1
        stored = sum(self.store.record_engine_changes(c) for c in changes)
        stored += self._close_unobserved(engine, now)
        log.info(
            "status engine restored from the snapshot of %s UTC and caught up on %d minute(s) "
            "from %d results; %d change(s) stored",
            f"{taken_at:%H:%M}",
            round((now - taken_at).total_seconds() / 60),
            sum(heard.values()),
            stored,
        )
        return stored

    def _take_on(
        self, engine: StatusEngine, new: frozenset[str], now: datetime, before: datetime
    ) -> bool:
        """Judge the `new` models in `engine` as it runs (or as restored), from their first
        results; False if one of them has results from `before` (a model that comes
        back): then only a rebuild judges it by its history. At 1,000 models a rebuild
        takes minutes of CPU, so a model added to the config must not cost one."""
        if not new:
            return True
        if self.store.result_counts(now - REBUILD_SPAN, before, targets=new):
            return False
        added = engine.add_targets(self.targets(frozenset(engine.targets) | new))
        if added:
            log.info(
                "status engine: judging %d new model(s) from their first results: %s",
                len(added),
                _named(added),
            )
        return True

    def _late_since(
        self,
        engine: StatusEngine,
        now: datetime,
        last: datetime | None = None,
        until: datetime | None = None,
    ) -> datetime | None:
        """The first minute of results stored after the engine judged their minute (a
        storage outage longer than LOOKBACK), if there are any. One count per target
        and tick; the results themselves are read only when the counts disagree.
        `last`: the engine's last evaluation (the last tick's by default); `until`: the
        end of the minutes it should hold every result of."""
        since = now - LATE_SPAN
        last = last or self._evaluated
        if last is not None:
            since = min(since, last - LOOKBACK)
        since, until = max(since, now - LATE_LIMIT), until or now - LOOKBACK
        if since >= until:
            return None
        stored = self.store.result_counts(since, until)
        if all(
            count <= engine.counted(target, since, until)
            for target, count in stored.items()
            if target in engine.targets
        ):
            return None
        late = engine.unseen(self.store.results_between(since, until))
        return minute_floor(min(r.started_at for r in late)) if late else None

    def _rebuild(
        self, now: datetime, regions: Sequence[str], late_since: datetime | None = None
    ) -> int:
        since = now - REBUILD_SPAN
        judged = frozenset(self.store.result_counts(since, now))
        heard: dict[str, int] = {}  # results read, by region

        def regions_heard() -> tuple[str, ...]:
            return self._regions_named(set(heard)) if heard else tuple(regions)

        engine, changes = rebuild(
            self.settings.status,
            self.targets(judged),
            regions_heard,
            read_history(self.store, since, now, heard),
            until=now,
            late_since=late_since,
        )
        self.engine, self._regions, self._judged = engine, engine.regions, judged
        self.rebuilds += 1
        stored = sum(self.store.record_engine_changes(c) for c in changes)
        stored += self._close_unobserved(engine, now)
        log.info(
            "status engine rebuilt from %d results in %d region(s); %d change(s) stored",
            sum(heard.values()),
            len(engine.regions),
            stored,
        )
        return stored

    def _close_unobserved(self, engine: StatusEngine, now: datetime) -> int:
        """Resolve stored incidents the rebuilt engine no longer sees. Without this, an
        incident that ended while no worker ran for longer than REBUILD_SPAN stays open
        for ever: no engine remembers it to resolve it."""
        still_open = {(i.provider, i.cause) for i in engine.open_incidents()}
        events = [
            IncidentEvent(
                kind=EventKind.RESOLVED,
                incident=replace(
                    incident, state=IncidentState.RESOLVED, resolved_at=now, active_models=()
                ),
                update=Update(now, IncidentState.RESOLVED, UNOBSERVED),
                previous_state=incident.state,
            )
            for incident in self.store.incidents(include_private=True, open_only=True)
            if (incident.provider, incident.cause) not in still_open
        ]
        return self.store.record_engine_changes(EngineChanges((), tuple(events))) if events else 0

    def _regions_with(self, results: Sequence[ProbeResult]) -> tuple[str, ...]:
        """The vantage points the quorum counts: every region heard from lately, and ours."""
        return self._regions_named({r.region for r in results})

    def _regions_named(self, heard: set[str]) -> tuple[str, ...]:
        return tuple(sorted(heard | set(self._regions) | {self.region}))


def _named(targets: Sequence[str], most: int = 5) -> str:
    more = len(targets) - most
    return ", ".join(targets[:most]) + (f" and {more} more" if more > 0 else "")


def _span() -> str:
    return f"{REBUILD_SPAN.total_seconds() / 3600:g} h"
