"""The 90-day bar's rules: each day's worst status, days without probes, incident links."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from monitor.rollups import Resolution, Rollup
from monitor.status import ComponentStatus, StatusChange, SubjectKind
from tests.web.snapshot_factories import incident
from web.uptime import day_statuses, uptime_bar

OK, DEGRADED, MAJOR = (ComponentStatus.OPERATIONAL, ComponentStatus.DEGRADED_PERFORMANCE,
                       ComponentStatus.MAJOR_OUTAGE)
FIRST = date(2026, 6, 1)
MODEL = "anthropic/opus"


def change(day: int, hour: int, status: ComponentStatus) -> StatusChange:
    at = datetime(2026, 6, day, hour, tzinfo=UTC)
    return StatusChange(MODEL, SubjectKind.MODEL, status, at, "test")


def day_rollup(day: int, ok: int = 1440, infrastructure: int = 0, **counts: int) -> Rollup:
    return Rollup(MODEL, "eu-west", Resolution.DAY, datetime(2026, 6, day, tzinfo=UTC), ok=ok,
                  infrastructure=infrastructure, **counts)


@pytest.mark.parametrize(("changes", "current", "expected"), [
    # nothing changed in the window: the current status held all along
    ([], change(1, 0, DEGRADED), [DEGRADED] * 4),
    # never judged: nothing is known
    ([], None, []),
    # a ten-minute outage colours its day; the next day carries what it ended in
    ([change(2, 9, MAJOR), change(2, 10, OK)], None, [OK, MAJOR, OK, OK]),
    ([change(2, 23, DEGRADED)], None, [OK, DEGRADED, DEGRADED, DEGRADED]),
    # operational before the window's first change
    ([change(3, 5, MAJOR)], None, [OK, OK, MAJOR, MAJOR]),
])
def test_a_day_shows_the_worst_status_the_model_held_that_day(changes, current, expected):
    statuses = day_statuses(changes, current, FIRST, 4)
    assert [statuses[d] for d in sorted(statuses)] == expected


def test_a_day_without_probes_has_no_data_whatever_the_status_said():
    bar, _ = uptime_bar([day_rollup(2)], [], change(1, 0, OK), [], FIRST, 3,
                        datetime(2026, 6, 3, 12, tzinfo=UTC))
    assert [d.status for d in bar] == ["no_data", "operational", "no_data"]
    assert bar[0].uptime_percent is None and bar[1].uptime_percent == 100.0


def test_uptime_counts_the_providers_failures_but_not_ours():
    days = [day_rollup(1, ok=90, infrastructure=10, configuration=50, vantage=50),
            replace(day_rollup(1, ok=100), region="us-east")]
    bar, overall = uptime_bar(days, [], change(1, 0, OK), [], FIRST, 1,
                              datetime(2026, 6, 1, 12, tzinfo=UTC))
    assert overall == pytest.approx(95.0)   # 190 up of 200 the provider answers for
    assert bar[0].probes == 300
    assert [(f.failure_class, f.count) for f in bar[0].failures] == [
        ("infrastructure", 10), ("configuration", 50), ("vantage", 50)]


def test_an_incident_is_linked_from_every_day_it_lasted():
    spanning = incident("7", start=datetime(2026, 6, 1, 22, tzinfo=UTC))
    spanning = replace(spanning, resolved_at=datetime(2026, 6, 2, 3, tzinfo=UTC))
    days = [day_rollup(d) for d in (1, 2, 3)]
    bar, _ = uptime_bar(days, [], change(1, 0, OK), [spanning], FIRST, 3,
                        datetime(2026, 6, 3, 12, tzinfo=UTC) + timedelta(hours=1))
    assert [[link.url for link in d.incidents] for d in bar] == [
        ["/incidents/7"], ["/incidents/7"], []]
