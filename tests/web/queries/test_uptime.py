"""The 90-day bar's rules: each day's worst status, days without probes, incident links."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from monitor.config import StatusSettings
from monitor.judging.status import ComponentStatus, StatusChange, SubjectKind
from monitor.rollups import Resolution, Rollup
from tests.web.snapshot_factories import incident
from web.queries.uptime import UptimeBars, day_statuses, uptime_bar, uptime_span, with_now
from web.queries.viewmodels import UptimeDay

OK, DEGRADED, MAJOR = (
    ComponentStatus.OPERATIONAL,
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.MAJOR_OUTAGE,
)
FIRST = date(2026, 6, 1)
MODEL = "anthropic/opus"
S = StatusSettings()


def change(day: int, hour: int, status: ComponentStatus) -> StatusChange:
    at = datetime(2026, 6, day, hour, tzinfo=UTC)
    return StatusChange(MODEL, SubjectKind.MODEL, status, at, "test")


def day_rollup(day: int, ok: int = 1440, infrastructure: int = 0, **counts: int) -> Rollup:
    return Rollup(
        MODEL,
        "eu-west",
        Resolution.DAY,
        datetime(2026, 6, day, tzinfo=UTC),
        ok=ok,
        infrastructure=infrastructure,
        **counts,
    )


@pytest.mark.parametrize(
    ("changes", "current", "expected"),
    [
        # nothing changed in the window: the current status held all along
        ([], change(1, 0, DEGRADED), [DEGRADED] * 4),
        # never judged: nothing is known
        ([], None, []),
        # a ten-minute outage colours its day; the next day carries what it ended in
        ([change(2, 9, MAJOR), change(2, 10, OK)], None, [OK, MAJOR, OK, OK]),
        ([change(2, 23, DEGRADED)], None, [OK, DEGRADED, DEGRADED, DEGRADED]),
        # operational before the window's first change
        ([change(3, 5, MAJOR)], None, [OK, OK, MAJOR, MAJOR]),
    ],
)
def test_a_day_shows_the_worst_status_the_model_held_that_day(changes, current, expected):
    statuses = day_statuses(changes, current, FIRST, 4)
    assert [statuses[d] for d in sorted(statuses)] == expected


def test_a_day_without_probes_has_no_data_whatever_the_status_said():
    bar, _ = uptime_bar(
        [day_rollup(2)], [], change(1, 0, OK), [], FIRST, 3, datetime(2026, 6, 3, 12, tzinfo=UTC), S
    )
    assert [d.status for d in bar] == ["no_data", "operational", "no_data"]
    assert bar[0].uptime_percent is None and bar[1].uptime_percent == 100.0


def test_uptime_counts_the_providers_failures_but_not_ours():
    days = [
        day_rollup(1, ok=90, infrastructure=10, configuration=50, vantage=50),
        replace(day_rollup(1, ok=100), region="us-east"),
    ]
    bar, overall = uptime_bar(
        days, [], change(1, 0, OK), [], FIRST, 1, datetime(2026, 6, 1, 12, tzinfo=UTC), S
    )
    assert overall == pytest.approx(95.0)  # 190 up of 200 the provider answers for
    assert bar[0].probes == 300
    assert [(f.failure_class, f.count) for f in bar[0].failures] == [
        ("infrastructure", 10),
        ("configuration", 50),
        ("vantage", 50),
    ]


def test_an_incident_is_linked_from_every_day_it_lasted():
    spanning = incident("7", start=datetime(2026, 6, 1, 22, tzinfo=UTC))
    spanning = replace(spanning, resolved_at=datetime(2026, 6, 2, 3, tzinfo=UTC))
    days = [day_rollup(d) for d in (1, 2, 3)]
    bar, _ = uptime_bar(
        days,
        [],
        change(1, 0, OK),
        [spanning],
        FIRST,
        3,
        datetime(2026, 6, 3, 12, tzinfo=UTC) + timedelta(hours=1),
        S,
    )
    assert [[link.url for link in d.incidents] for d in bar] == [
        ["/incidents/7"],
        ["/incidents/7"],
        [],
    ]


# --- UptimeBars: each model's days before today kept between requests ---------------------

TODAY = datetime(2026, 6, 4, 15, tzinfo=UTC)


def four_days() -> list[Rollup]:
    return [
        day_rollup(1),
        day_rollup(2, ok=1400, infrastructure=40),
        day_rollup(3),
        day_rollup(4, ok=600),
    ]


def with_late_result(days: list[Rollup]) -> list[Rollup]:
    return [*days[:1], replace(days[1], infrastructure=41), *days[2:]]


def with_today_moved_on(days: list[Rollup]) -> list[Rollup]:
    return [*days[:3], replace(days[3], ok=700, capacity=3)]


BASE = {
    "days": four_days(),
    "changes": [change(2, 9, MAJOR), change(2, 10, OK)],
    "incidents": [incident("7", start=datetime(2026, 6, 2, 9, tzinfo=UTC))],
}
# What a later request may bring; a kept bar must show it as a fresh one would.
LATER = {
    "today's rollup moved on": {"days": with_today_moved_on(four_days())},
    "a late result for yesterday": {"days": with_late_result(four_days())},
    "a status change today": {"changes": [*BASE["changes"], change(4, 12, DEGRADED)]},
    "the incident was renamed": {"incidents": [replace(BASE["incidents"][0], title="Renamed")]},
    "the incident was resolved": {
        "incidents": [
            replace(BASE["incidents"][0], resolved_at=datetime(2026, 6, 3, 1, tzinfo=UTC))
        ]
    },
}


def bar_of(bars: UptimeBars | None, **given: object) -> tuple[tuple[UptimeDay, ...], float | None]:
    args = {**BASE, **given}
    if bars is None:
        return uptime_bar(
            args["days"], args["changes"], None, args["incidents"], FIRST, 4, TODAY, S
        )
    return bars.bar(
        MODEL, args["days"], args["changes"], None, args["incidents"], FIRST, 4, TODAY, S
    )


@pytest.mark.parametrize("later", LATER.values(), ids=LATER.keys())
def test_a_kept_bar_shows_exactly_what_a_fresh_one_would(later):
    bars = UptimeBars()
    bar_of(bars)
    assert bar_of(bars, **later) == bar_of(None, **later)


def test_when_only_today_moved_on_the_days_before_are_the_same_objects():
    bars = UptimeBars()
    first, _ = bar_of(bars)
    again, _ = bar_of(bars, days=with_today_moved_on(four_days()))
    # The same objects: the page's markup for them is kept too (web/render/uptime_markup.py).
    assert all(a is b for a, b in zip(first[:3], again[:3], strict=True))
    assert again[3] != first[3]


def test_kept_bars_belong_to_their_model():
    bars = UptimeBars()
    opus, _ = bars.bar(MODEL, four_days(), [], change(1, 0, OK), [], FIRST, 4, TODAY, S)
    sonnet, _ = bars.bar("anthropic/sonnet", [], [], None, [], FIRST, 4, TODAY, S)
    assert [d.status for d in opus] == ["operational"] * 4
    assert [d.status for d in sonnet] == ["no_data"] * 4


def test_a_new_day_moves_the_whole_bar_on():
    bars = UptimeBars()
    bars.bar(MODEL, four_days(), [], change(1, 0, OK), [], FIRST, 4, TODAY, S)
    tomorrow = TODAY + timedelta(days=1)
    moved, _ = bars.bar(
        MODEL, four_days(), [], change(1, 0, OK), [], FIRST + timedelta(days=1), 4, tomorrow, S
    )
    assert [d.day.day for d in moved] == [2, 3, 4, 5]
    assert moved[-1].status == "no_data"


def test_a_day_of_many_failures_is_never_green_when_no_status_change_was_stored():
    bar, overall = uptime_bar(
        [day_rollup(1, ok=21, infrastructure=10)],
        [],
        change(1, 0, OK),
        [],
        FIRST,
        1,
        datetime(2026, 6, 1, 12, tzinfo=UTC),
        S,
    )
    assert overall == pytest.approx(67.74, abs=0.01)
    assert bar[0].status == "degraded_performance"


def test_a_day_of_background_noise_stays_operational():
    bar, _ = uptime_bar(
        [day_rollup(1, ok=1410, infrastructure=30)],
        [],
        change(1, 0, OK),
        [],
        FIRST,
        1,
        datetime(2026, 6, 1, 12, tzinfo=UTC),
        S,
    )
    assert bar[0].status == "operational"


def test_a_stored_outage_keeps_its_colour_over_the_days_own_level():
    bar, _ = uptime_bar(
        [day_rollup(2, ok=21, infrastructure=10)],
        [change(2, 9, MAJOR)],
        None,
        [],
        date(2026, 6, 2),
        1,
        datetime(2026, 6, 2, 12, tzinfo=UTC),
        S,
    )
    assert bar[0].status == "major_outage"


@pytest.mark.parametrize(
    ("first_probed", "expected"),
    [(None, "today"), (0, "over 4 days"), (2, "since 3 Jun"), (3, "today")],
)
def test_the_uptime_says_over_how_long_it_runs(first_probed, expected):
    days = tuple(
        UptimeDay(
            FIRST + timedelta(days=n),
            "operational",
            100.0,
            probes=0 if first_probed is None or n < first_probed else 10,
        )
        for n in range(4)
    )
    assert uptime_span(days, date(2026, 6, 4)) == expected


def test_today_never_reads_better_than_the_models_word_now():
    bar, _ = uptime_bar(
        [day_rollup(1, ok=40, infrastructure=6)],
        [],
        change(1, 0, OK),
        [],
        FIRST,
        1,
        datetime(2026, 6, 1, 12, tzinfo=UTC),
        S,
    )
    assert bar[0].status == "operational"  # 6 of 46 is not significant over the day
    shown = with_now(bar, DEGRADED, FIRST)
    assert shown[0].status == "degraded_performance"
    assert with_now(bar, OK, FIRST) == bar
    assert with_now(shown, DEGRADED, FIRST + timedelta(days=1)) == shown  # not today's bar
