"""The 90-day bar of one model, from its day rollups, status changes and incidents.

A day's colour is the worst status the model held at any moment of that UTC day
(the status it started the day in, and every change during it), so a ten-minute
major outage colours its day red. Statuses before the first change of the
window: the current status when nothing changed in the window, else
operational (the engine starts every model there). A day without probes is
`no_data`, whatever the status said.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from monitor.incidents import Incident
from monitor.rollups import DOWN_CLASSES, UP_CLASSES, Rollup
from monitor.status import ComponentStatus, StatusChange, worst
from web import public_paths
from web.charts import FAILURE_ORDER
from web.rollup_cache import day_counts
from web.snapshots import NO_DATA
from web.viewmodels import FailureCount, Link, UptimeDay


def uptime_bar(
    days: Sequence[Rollup],
    changes: Sequence[StatusChange],
    current: StatusChange | None,
    incidents: Sequence[Incident],
    first_day: date,
    count: int,
    now: datetime,
) -> tuple[tuple[UptimeDay, ...], float | None]:
    """`count` days from `first_day`, oldest first, and the uptime over all of them.

    `days` are one model's day rollups (per region or summed), `changes` its status
    changes in the window (oldest first), `incidents` the public ones touching it."""
    per_day: dict[date, Rollup] = {}
    for rollup in days:
        day = rollup.bucket_start.date()
        held = per_day.get(day)
        per_day[day] = rollup if held is None else day_counts([held, rollup])[0]
    statuses = day_statuses(changes, current, first_day, count)
    bar = tuple(
        _day(day, per_day.get(day), statuses, incidents, now)
        for day in (first_day + timedelta(days=n) for n in range(count))
    )
    up = sum(_up(r) for r in per_day.values())
    down = sum(_down(r) for r in per_day.values())
    return bar, 100 * up / (up + down) if up + down else None


def day_statuses(
    changes: Sequence[StatusChange], current: StatusChange | None, first_day: date, count: int
) -> dict[date, ComponentStatus]:
    """The worst status of each day; days before anything is known are left out."""
    carry: ComponentStatus | None
    if changes:
        carry = ComponentStatus.OPERATIONAL
    else:
        carry = current.status if current is not None else None
    held: dict[date, list[ComponentStatus]] = defaultdict(list)
    for change in changes:
        held[change.at.date()].append(change.status)
    worst_of: dict[date, ComponentStatus] = {}
    for n in range(count):
        day = first_day + timedelta(days=n)
        seen = [s for s in (carry, *held.get(day, ())) if s is not None]
        if seen:
            worst_of[day] = worst(seen)
            carry = seen[-1]
    return worst_of


def _day(
    day: date, rollup: Rollup | None, statuses: dict[date, ComponentStatus],
    incidents: Sequence[Incident], now: datetime,
) -> UptimeDay:
    links = tuple(
        Link(i.display_title, public_paths.incident_page(i.id))
        for i in incidents if _overlaps(i, day, now)
    ) if incidents else ()
    up, down = (_up(rollup), _down(rollup)) if rollup is not None else (0, 0)
    probes = up + down + (rollup.configuration + rollup.vantage if rollup is not None else 0)
    if rollup is None or not probes:
        return UptimeDay(day, NO_DATA, None, incidents=links)
    status = statuses.get(day)
    return UptimeDay(
        day=day,
        status=status.value if status is not None else NO_DATA,
        uptime_percent=100 * up / (up + down) if up + down else None,
        probes=probes,
        failures=tuple(FailureCount(name, n) for name in FAILURE_ORDER
                       if (n := getattr(rollup, name))),
        incidents=links,
    )


# Plain names, not FailureClass members: this runs for every day of every model.
_UP = tuple(c.value for c in UP_CLASSES)
_DOWN = tuple(c.value for c in DOWN_CLASSES)


def _up(rollup: Rollup) -> int:
    return sum(getattr(rollup, name) for name in _UP)


def _down(rollup: Rollup) -> int:
    return sum(getattr(rollup, name) for name in _DOWN)


def _overlaps(incident: Incident, day: date, now: datetime) -> bool:
    end = incident.resolved_at or now
    return incident.started_at.date() <= day <= end.date()
