"""`SiteData`: one request's reads from the store, each made at most once.

Every query a page, feed or API document needs goes through here, so a page's
cost is a fixed handful of queries whatever the number of models (no query per
model or per day), and every part of one response reads the same data.
Builders in `queries_*.py` and `snapshot_queries.py` turn these reads into
view models and snapshots; views only pick a builder.

What is read, and why it stays cheap (never raw results older than minutes):

    targets, providers, current statuses     one small query each
    recent rollups (minute, last hour)       latency now, answers now, regions now
    day totals (90 days, all models)         uptime bars, answer baselines
    one model's hour or day rollups          the model page's charts and regions
    status changes, incidents (90 days)      day statuses, incident links

Rollups of every model come through the app's `RollupCaches` (web/queries/rollup_cache.py):
finished buckets stay in memory, so a request reads only the newest few.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import TypeVar

from monitor.config import Settings
from monitor.judging.incidents import Incident, Update
from monitor.judging.status import StatusChange
from monitor.rollups import Resolution, Rollup, bucket_start
from monitor.store import ProviderInfo, Store, Target
from web.queries.rollup_cache import RollupCaches

# The 90-day bars: today and the 89 UTC days before it.
HISTORY_DAYS = 90
# "Now" on every page: the last hour of minute rollups (latency, answers, regions).
RECENT_WINDOW = timedelta(hours=1)

T = TypeVar("T")


class SiteData:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        now: datetime,
        caches: RollupCaches | None = None,
        *,
        only: str | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.now = now
        # One model's reads (its days on demand): the fresh minutes, the one read no cache
        # holds, are read for it alone, and the rollups handed on are its own.
        self.only = only
        # Without the app's caches (a script, a test), every read goes to the store.
        self.caches = caches or RollupCaches()
        self._memo: dict[Hashable, object] = {}

    def _once(self, key: Hashable, read: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = read()
        return self._memo[key]  # type: ignore[return-value]

    def once(self, key: Hashable, build: Callable[[], T]) -> T:
        """`build()` at most once per request: what several builders derive from these reads
        (each model's story, web/queries/story.py) is derived once and shared."""
        return self._once(("derived", key), build)

    # -- configuration and current state -------------------------------------------------

    def providers(self) -> list[ProviderInfo]:
        return self._once("providers", self.store.providers)

    def targets(self) -> list[Target]:
        """Enabled targets, in config order: the models the site shows."""
        return self._once("targets", lambda: [t for t in self.store.targets() if t.enabled])

    def target(self, target_id: str) -> Target | None:
        # By id: every model's story asks for its own, and a scan each time is quadratic
        # (6,000 scans of 1,000 targets, 0.15 s of a 1,000-model overview).
        by_id = self._once("targets by id", lambda: {t.id: t for t in self.targets()})
        return by_id.get(target_id)

    def provider(self, provider_id: str) -> ProviderInfo | None:
        return next((p for p in self.providers() if p.id == provider_id), None)

    def statuses(self) -> dict[str, StatusChange]:
        return self._once("statuses", self.store.current_statuses)

    # -- rollups ---------------------------------------------------------------------------

    @property
    def history_start(self) -> datetime:
        """Start of the oldest day of the 90-day bars."""
        return bucket_start(self.now, Resolution.DAY) - timedelta(days=HISTORY_DAYS - 1)

    @property
    def recent_start(self) -> datetime:
        return bucket_start(self.now - RECENT_WINDOW, Resolution.MINUTE)

    def recent_rollups(self) -> list[Rollup]:
        """Every model's minute rollups of the last hour, per region (the current minute
        included)."""
        start, only = self.recent_start, self.only
        return self._once(
            "recent",
            lambda: [
                r
                for r in self.caches.recent(self.store, self.now, self._fresh_minutes())
                if r.bucket_start >= start and (only is None or r.target == only)
            ],
        )

    def day_totals(self) -> list[Rollup]:
        """Every model's day rollups of the 90-day window, summed over regions, counts
        only (no latency histograms)."""
        start, only = self.history_start, self.only
        return self._once(
            "days",
            lambda: [
                r
                for r in self.caches.day_totals(self.store, self.now, self._fresh_minutes())
                if r.bucket_start >= start and (only is None or r.target == only)
            ],
        )

    def _fresh_minutes(self) -> list[Rollup]:
        return self._once(
            "fresh", lambda: self.caches.fresh_minutes(self.store, self.now, target=self.only)
        )

    def day_rollups(self, target: str) -> list[Rollup]:
        """One model's day rollups of the 90-day window, per region."""
        return self.rollups(self.history_start, self._until, Resolution.DAY, target)

    def rollups(
        self, start: datetime, end: datetime, resolution: Resolution, target: str | None = None
    ) -> list[Rollup]:
        key = ("rollups", start, end, resolution, target)
        return self._once(
            key,
            lambda: self.store.rollups_between(start, end, resolution=resolution, target=target),
        )

    @property
    def _until(self) -> datetime:
        # Past the current bucket of any resolution: the newest partial bucket counts.
        return bucket_start(self.now, Resolution.DAY) + timedelta(days=1)

    # -- engine output -----------------------------------------------------------------------

    def status_changes(self, subject: str | None = None) -> list[StatusChange]:
        """Status changes of the 90-day window, oldest first."""
        key = ("changes", subject)
        return self._once(
            key, lambda: self.store.status_changes(subject=subject, since=self.history_start)
        )

    def incidents(
        self,
        *,
        target: str | None = None,
        since: datetime | None = None,
        open_only: bool = False,
        limit: int | None = None,
        include_private: bool = False,
    ) -> list[Incident]:
        """Newest first; public only unless asked (metrics count operator-only ones)."""
        key = ("incidents", target, since, open_only, limit, include_private)
        return self._once(
            key,
            lambda: self.store.incidents(
                target=target,
                since=since,
                open_only=open_only,
                limit=limit,
                include_private=include_private,
            ),
        )

    def incident(self, incident_id: str) -> Incident | None:
        return self._once(("incident", incident_id), lambda: self.store.incident(incident_id))

    def recent_updates(
        self, *, limit: int, target: str | None = None, provider: str | None = None
    ) -> list[tuple[Incident, Update]]:
        key = ("updates", limit, target, provider)
        return self._once(
            key, lambda: self.store.recent_updates(limit=limit, target=target, provider=provider)
        )
