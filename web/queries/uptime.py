"""The 90-day bar of one model, from its day rollups, status changes and incidents.

A day's colour is the worst status the model held at any moment of that UTC day
(the status it started the day in, and every change during it), so a ten-minute
major outage colours its day red. Statuses before the first change of the
window: the current status when nothing changed in the window, else
operational (the engine starts every model there). A day without probes is
`no_data`, whatever the status said. A day whose failed probes are significant
on their own (web/queries/story.py's test, against the engine's prior) is at
least `degraded_performance`, whatever was stored: a day of 67 % uptime is never
green because no status change was written for it.

The overview builds a bar for every model on every request: 9,000 days at 100
models. But a day before today no longer changes once its rollups have settled,
so `UptimeBars` keeps each model's days before today with what they were built
from (settled rollups, status changes, incidents), and a request that brings the
same again builds only today's day:

    days before today ── same inputs as last time? ── yes ──► the kept UptimeDays
                                                   └─ no ───► built, then kept
    today ───────────────────────────────────────────────────► built every time

The rollup cache hands back the very same settled rollup objects until it moves
on, so comparing them costs a pointer check each; and the kept days being the
same objects lets the markup (web/render/uptime_markup.py) be kept as well.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import compress
from operator import add, attrgetter, itemgetter, not_

from monitor.config import StatusSettings
from monitor.judging.advice import Errors, errors_level
from monitor.judging.incidents import Incident
from monitor.judging.status import ComponentStatus, StatusChange, worst
from monitor.results import FailureClass
from monitor.rollups import DOWN_CLASSES, UP_CLASSES, Rollup
from web import public_paths
from web.queries.snapshots import NO_DATA
from web.queries.viewmodels import FailureCount, Link, UptimeDay
from web.render.charts import FAILURE_ORDER

Counts = tuple[int, ...]  # probes by failure class, in _CLASSES order
_CLASSES = tuple(c.value for c in FailureClass)
_counts_of = attrgetter(*_CLASSES)
_up_of = itemgetter(*(_CLASSES.index(c.value) for c in UP_CLASSES))
_down_of = itemgetter(*(_CLASSES.index(c.value) for c in DOWN_CLASSES))
_FAILURES = tuple((name, _CLASSES.index(name)) for name in FAILURE_ORDER)


def uptime_bar(
    days: Sequence[Rollup],
    changes: Sequence[StatusChange],
    current: StatusChange | None,
    incidents: Sequence[Incident],
    first_day: date,
    count: int,
    now: datetime,
    settings: StatusSettings,
) -> tuple[tuple[UptimeDay, ...], float | None]:
    """`count` days from `first_day`, oldest first, and the uptime over all of them.

    `days` are one model's day rollups (per region or summed), `changes` its status
    changes in the window (oldest first), `incidents` the public ones touching it."""
    dates = _dates(first_day, count)
    statuses, _ = _worst_per_day(changes, _initial(changes, current), dates)
    built = _Built.of(dates, days, statuses, incidents, now, settings)
    return built.days, built.uptime_percent


def with_now(
    bar: tuple[UptimeDay, ...],
    now_status: ComponentStatus | None,
    today: date,
) -> tuple[UptimeDay, ...]:
    """The bar with today at least as bad as the model's word now (its story): today's
    segment covers now, so it never reads better than the pill beside it."""
    if not bar or now_status is None or not now_status.affected or bar[-1].day != today:
        return bar
    last = bar[-1]
    held = ComponentStatus(last.status) if last.status != NO_DATA else None
    if held is not None and held.severity >= now_status.severity:
        return bar
    return (*bar[:-1], replace(last, status=now_status.value))


def uptime_span(days: Sequence[UptimeDay], today: date) -> str:
    """Over how long the uptime runs: "over 90 days", "since 2 Dec", "today"; the
    first day with probes starts it."""
    first = next((d.day for d in days if d.probes), None)
    if first is None or first >= today:
        return "today"
    if first == days[0].day:
        return f"over {len(days)} days"
    return f"since {first.day} {first.strftime('%b')}"


def day_statuses(
    changes: Sequence[StatusChange], current: StatusChange | None, first_day: date, count: int
) -> dict[date, ComponentStatus]:
    """The worst status of each day; days before anything is known are left out."""
    return _worst_per_day(changes, _initial(changes, current), _dates(first_day, count))[0]


class UptimeBars:
    """Each model's days before today as last built (module docstring); one per app."""

    def __init__(self) -> None:
        self._kept: dict[str, _Kept] = {}

    def bar(
        self,
        target: str,
        days: Sequence[Rollup],
        changes: Sequence[StatusChange],
        current: StatusChange | None,
        incidents: Sequence[Incident],
        first_day: date,
        count: int,
        now: datetime,
        settings: StatusSettings,
    ) -> tuple[tuple[UptimeDay, ...], float | None]:
        """What `uptime_bar` returns for these arguments, reusing the days kept for
        `target` when what they were built from is unchanged."""
        dates = _dates(first_day, count)
        today = now.date()
        past = bisect_left(dates, today)
        midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
        before = [r.bucket_start < midnight for r in days]
        inputs = _Inputs(
            dates,
            today,
            tuple(compress(days, before)),
            tuple(changes),
            current,
            tuple(map(_incident_key, incidents)),
            settings,
        )
        kept = self._kept.get(target)
        if kept is None or kept.inputs != inputs:
            statuses, carry = _worst_per_day(changes, _initial(changes, current), dates[:past])
            built = _Built.of(dates[:past], inputs.settled, statuses, incidents, now, settings)
            kept = self._kept[target] = _Kept(inputs, built, carry)
        statuses, _ = _worst_per_day(changes, kept.carry, dates[past:])
        newest = _Built.of(
            dates[past:], compress(days, map(not_, before)), statuses, incidents, now, settings
        )
        whole = kept.built + newest
        return whole.days, whole.uptime_percent


@dataclass(frozen=True, slots=True)
class _Inputs:
    """What a model's days before today are built from."""

    dates: tuple[date, ...]
    today: date
    settled: tuple[Rollup, ...]  # day rollups before today
    changes: tuple[StatusChange, ...]
    current: StatusChange | None
    incidents: tuple[tuple[str, str, datetime, datetime | None], ...]
    settings: StatusSettings


@dataclass(frozen=True, slots=True)
class _Built:
    days: tuple[UptimeDay, ...]
    up: int
    down: int

    @classmethod
    def of(
        cls,
        dates: Sequence[date],
        rollups: Iterable[Rollup],
        statuses: dict[date, ComponentStatus],
        incidents: Sequence[Incident],
        now: datetime,
        settings: StatusSettings,
    ) -> _Built:
        counts = _daily_counts(rollups)
        links = _links_by_day(incidents, dates, now)
        up = down = 0
        for day in dates:
            held = counts.get(day)
            if held is not None:
                up += _up(held)
                down += _down(held)
        return cls(
            tuple(
                [_day(d, counts.get(d), statuses.get(d), links.get(d, ()), settings) for d in dates]
            ),
            up,
            down,
        )

    def __add__(self, other: _Built) -> _Built:
        return _Built(self.days + other.days, self.up + other.up, self.down + other.down)

    @property
    def uptime_percent(self) -> float | None:
        total = self.up + self.down
        return 100 * self.up / total if total else None


@dataclass(frozen=True, slots=True)
class _Kept:
    inputs: _Inputs
    built: _Built
    carry: ComponentStatus | None  # the status the last kept day ended in


@lru_cache(maxsize=64)
def _dates(first_day: date, count: int) -> tuple[date, ...]:
    return tuple(first_day + timedelta(days=n) for n in range(count))


def _initial(
    changes: Sequence[StatusChange], current: StatusChange | None
) -> ComponentStatus | None:
    if changes:
        return ComponentStatus.OPERATIONAL
    return current.status if current is not None else None


def _worst_per_day(
    changes: Sequence[StatusChange], carry: ComponentStatus | None, dates: Sequence[date]
) -> tuple[dict[date, ComponentStatus], ComponentStatus | None]:
    """Each day's worst status from `carry` on, and the status the last day ended in."""
    held: dict[date, list[ComponentStatus]] = defaultdict(list)
    for change in changes:
        held[change.at.date()].append(change.status)
    worst_of: dict[date, ComponentStatus] = {}
    for day in dates:
        during = held.get(day)
        if during:
            seen = [s for s in (carry, *during) if s is not None]
            worst_of[day], carry = worst(seen), seen[-1]
        elif carry is not None:
            worst_of[day] = carry
    return worst_of, carry


def _daily_counts(rollups: Iterable[Rollup]) -> dict[date, Counts]:
    per_day: dict[date, Counts] = {}
    for rollup in rollups:
        day, counts = rollup.bucket_start.date(), _counts_of(rollup)
        held = per_day.get(day)
        per_day[day] = counts if held is None else tuple(map(add, held, counts))
    return per_day


def _up(counts: Counts) -> int:
    return sum(_up_of(counts))


def _down(counts: Counts) -> int:
    return sum(_down_of(counts))


def _floor(up: int, down: int, settings: StatusSettings) -> ComponentStatus | None:
    """Degraded when the day's failures are significant against the engine's prior; the
    site never calls an outage the engine did not store."""
    level = errors_level(Errors(up + down, down, settings.prior_failure_rate), settings)
    return ComponentStatus.DEGRADED_PERFORMANCE if level is not None and level.affected else None


def _incident_key(incident: Incident) -> tuple[str, str, datetime, datetime | None]:
    return incident.id, incident.display_title, incident.started_at, incident.resolved_at


def _links_by_day(
    incidents: Sequence[Incident], dates: Sequence[date], now: datetime
) -> dict[date, tuple[Link, ...]]:
    if not incidents or not dates:
        return {}
    links: dict[date, list[Link]] = defaultdict(list)
    for incident in incidents:
        first = max(incident.started_at.date(), dates[0])
        last = min((incident.resolved_at or now).date(), dates[-1])
        link = Link(incident.display_title, public_paths.incident_page(incident.id))
        for n in range((last - first).days + 1):
            links[first + timedelta(days=n)].append(link)
    return {day: tuple(held) for day, held in links.items()}


def _day(
    day: date,
    counts: Counts | None,
    status: ComponentStatus | None,
    links: tuple[Link, ...],
    settings: StatusSettings,
) -> UptimeDay:
    probes = sum(counts) if counts is not None else 0
    if counts is None or not probes:
        return UptimeDay(day, NO_DATA, None, incidents=links)
    up, down = _up(counts), _down(counts)
    floor = _floor(up, down, settings)
    if floor is not None:
        status = floor if status is None else worst((status, floor))
    return UptimeDay(
        day=day,
        status=status.value if status is not None else NO_DATA,
        uptime_percent=100 * up / (up + down) if up + down else None,
        probes=probes,
        failures=tuple(FailureCount(name, counts[i]) for name, i in _FAILURES if counts[i]),
        incidents=links,
    )
