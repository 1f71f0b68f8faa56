"""Rollups of finished buckets kept in memory, so a request reads only the newest ones.

The overview's 90-day bars need every model's day rollups, and "now" needs the
last hour of minute rollups: at 100 models and 3 regions that is 27,000 and
18,000 rows, seconds of reading and decoding histograms per request. But a
bucket that ended a while ago no longer changes, so each resolution keeps its
settled buckets here:

    days   ─────────── settled ───────────┤
    hours                      ├── settled ────────┤
    minutes                                ├── settled ──────┤── fresh ──►
                                                   now - SETTLE          now

A bucket is settled once it ended `SETTLE` ago (results land a little late:
probes take time, the writer batches). Only the fresh minutes are read per
request (`fresh_minutes`, once, for both uses below); a settled cache grows by
reading just the buckets that settled since (a minute's worth, an hour, a day).
Results later still, retention, or history imported by hand are picked up by a
full re-read every `refresh`. The first read after start-up pays for the whole
90 days once.

Day totals (every model's days, regions summed, counts only: the bars and the
answer baselines) are the settled days, plus today's settled hours, plus the
settled minutes of the current hour, summed once whenever a cache moves on,
plus the fresh minutes summed per request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import add, attrgetter

from monitor.results import FailureClass
from monitor.rollups import ALL_REGIONS, Resolution, Rollup, bucket_start
from monitor.store import Store
from web.queries.parts import KeptTotals
from web.queries.uptime import UptimeBars

ROLLUP_CACHES = "aistatus_rollups"  # the app.extensions key
SETTLE = timedelta(minutes=2)
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
_COUNTS = (
    *(f.value for f in FailureClass),
    "answers_checked",
    "answers_correct",
    "output_tokens",
    "forms_checked",
    "forms_correct",
)
_counts_of = attrgetter(*_COUNTS)
_where = attrgetter("target", "region", "bucket_start")


@dataclass(frozen=True, slots=True)
class _Held:
    start: datetime  # first bucket held
    until: datetime  # every settled bucket before this is held
    read_at: datetime  # last full read
    rollups: tuple[Rollup, ...]


class SettledRollups:
    """One resolution's settled buckets over `horizon`, per region or summed (`combine`:
    regions summed into "*", histograms left out)."""

    def __init__(
        self,
        resolution: Resolution,
        horizon: timedelta,
        refresh: timedelta,
        *,
        combine: bool = False,
    ) -> None:
        self.resolution = resolution
        self.horizon = horizon
        self.refresh = refresh
        self.combine = combine
        self._held: _Held | None = None
        self._lock = threading.Lock()
        self._full_read = threading.local()  # whether this thread's request read it all

    def settled(self, store: Store, now: datetime) -> _Held:
        start = bucket_start(now - self.horizon, self.resolution)
        until = max(start, bucket_start(now - SETTLE, self.resolution))
        with self._lock:  # one reader fills the cache; the others wait and share it
            held = self._held
            # A request whose `now` is a moment behind another's uses what is held: its
            # fresh read starts where the held buckets end, so nothing counts twice.
            if held is None or now - held.read_at >= self.refresh:
                held = _Held(start, until, now, self._between(store, start, until))
                self._full_read.happened = True
            elif until > held.until or start > held.start:
                kept = tuple(r for r in held.rollups if r.bucket_start >= start)
                held = _Held(
                    start, until, held.read_at, kept + self._between(store, held.until, until)
                )
            self._held = held
            return held

    def take_full_read(self) -> bool:
        """Whether this thread read the cache in full since it last asked."""
        happened = getattr(self._full_read, "happened", False)
        self._full_read.happened = False
        return happened

    def _between(self, store: Store, start: datetime, end: datetime) -> tuple[Rollup, ...]:
        if end <= start:
            return ()
        return tuple(self._shaped(store.rollups_between(start, end, resolution=self.resolution)))

    def _shaped(self, rollups: list[Rollup]) -> list[Rollup]:
        return day_counts(rollups, self.resolution) if self.combine else rollups


def day_counts(rollups: Iterable[Rollup], resolution: Resolution = Resolution.DAY) -> list[Rollup]:
    """Rollups summed over regions into "*" buckets of `resolution`, counts only."""
    sums: dict[tuple[str, datetime], tuple[int, ...]] = {}
    for rollup in rollups:
        start = rollup.bucket_start
        if rollup.resolution is not resolution:
            start = bucket_start(start, resolution)
        key, counts = (rollup.target, start), _counts_of(rollup)
        held = sums.get(key)
        sums[key] = counts if held is None else tuple(map(add, held, counts))
    return [
        Rollup(target, ALL_REGIONS, resolution, start, **dict(zip(_COUNTS, counts, strict=True)))
        for (target, start), counts in sorted(sums.items())
    ]


class RollupCaches:
    """The caches one app shares between its requests: settled rollups, and what the
    overview builds from them (the uptime bars' days, the latency window's sums)."""

    def __init__(self) -> None:
        self.bars = UptimeBars()
        self.recent_totals = KeptTotals()  # each model's, over the overview's latency window
        # Each model's counts of the last hour: its story's answer window (web/queries/story.py).
        self.hour_totals = KeptTotals(latency=False)
        self.minutes = SettledRollups(
            Resolution.MINUTE, timedelta(minutes=65), timedelta(minutes=10)
        )
        self.hours = SettledRollups(
            Resolution.HOUR, timedelta(hours=26), timedelta(hours=1), combine=True
        )
        self.days = SettledRollups(
            Resolution.DAY, timedelta(days=91), timedelta(hours=1), combine=True
        )
        self._totals: tuple[tuple[object, ...], _Indexed] | None = None
        self._lock = threading.Lock()

    def refilled(self) -> bool:
        """Whether this thread read a cache in full since it last asked: its request is
        the one to settle the heap after (monitor/worker/heap.py), as what the caches hold now
        lives until the next refill. Per thread, so a request served beside it on
        another thread neither takes the turn nor pays for it."""
        caches = (self.minutes, self.hours, self.days)
        return any([cache.take_full_read() for cache in caches])  # a list: ask every one

    def fresh_minutes(
        self,
        store: Store,
        now: datetime,
        *,
        target: str | None = None,
    ) -> list[Rollup]:
        """The minute rollups not settled yet (of `target` alone if given): the one read
        every request makes."""
        until = self.minutes.settled(store, now).until
        return store.rollups_between(
            until, _FAR_FUTURE, resolution=Resolution.MINUTE, target=target
        )

    def recent(self, store: Store, now: datetime, fresh: Sequence[Rollup]) -> list[Rollup]:
        """Minute rollups of the last 65 minutes, per region, with their histograms."""
        return [*self.minutes.settled(store, now).rollups, *fresh]

    def day_totals(self, store: Store, now: datetime, fresh: Sequence[Rollup]) -> list[Rollup]:
        """Every model's day rollups of the last 91 days, regions summed, counts only."""
        settled = self._settled_totals(store, now, self.minutes.settled(store, now))
        return settled.plus(day_counts(fresh)).rollups

    def _settled_totals(self, store: Store, now: datetime, minutes: _Held) -> _Indexed:
        days, hours = self.days.settled(store, now), self.hours.settled(store, now)
        key = (
            days.until,
            days.read_at,
            hours.until,
            hours.read_at,
            minutes.until,
            minutes.read_at,
            minutes.start,
        )
        with self._lock:
            if self._totals is None or self._totals[0] != key:
                today = [h for h in hours.rollups if h.bucket_start >= days.until]
                hour = [m for m in minutes.rollups if m.bucket_start >= hours.until]
                settled = _Indexed(list(days.rollups)).plus(day_counts([*today, *hour]))
                self._totals = (key, settled)
            return self._totals[1]


class _Indexed:
    """Rollups of one resolution with the position of each key: adding a few newer ones
    to 9,000 settled ones (every request does) touches only the keys they share."""

    def __init__(
        self, rollups: list[Rollup], at: dict[tuple[str, str, datetime], int] | None = None
    ) -> None:
        self.rollups = rollups
        self.at = at if at is not None else {_where(r): n for n, r in enumerate(rollups)}

    def plus(self, newer: Sequence[Rollup]) -> _Indexed:
        """These rollups with `newer` added into the rows of the same key (appended if new)."""
        merged, at = list(self.rollups), self.at
        for rollup in newer:
            where = _where(rollup)
            n = at.get(where)
            if n is None:
                at = at if at is not self.at else dict(at)  # ours is shared: copy to add
                at[where] = len(merged)
                merged.append(rollup)
            else:
                merged[n] = _summed(merged[n], rollup)
        return _Indexed(merged, at)


def _summed(one: Rollup, other: Rollup) -> Rollup:
    """Two rollups of one key added, counts only (`+` would merge histograms too)."""
    counts = map(add, _counts_of(one), _counts_of(other))
    return Rollup(*one.key, **dict(zip(_COUNTS, counts, strict=True)))
