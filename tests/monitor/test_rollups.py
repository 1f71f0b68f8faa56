import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.histogram import LatencyHistogram
from monitor.results import FailureClass, Outcome, ProbeResult
from monitor.rollups import (
    ALL_REGIONS,
    Resolution,
    Rollup,
    RollupAccumulator,
    answer_accuracy,
    bucket_start,
    coarsen,
    combine_regions,
    merge,
    retention_cutoff,
    rollup,
    uptime,
    uptime_over,
)

MINUTE, HOUR, DAY = Resolution.MINUTE, Resolution.HOUR, Resolution.DAY
TARGETS = ["anthropic/claude-opus-4-7", "openai/gpt-5"]
REGIONS = ["us-east", "eu-west", "ap-southeast"]
# Mostly fine, with every class present so each count is exercised.
CLASS_WEIGHTS = {
    FailureClass.OK: 70,
    FailureClass.INFRASTRUCTURE: 6,
    FailureClass.CAPACITY: 6,
    FailureClass.CONFIGURATION: 3,
    FailureClass.VANTAGE: 3,
    FailureClass.QUALITY: 6,
    FailureClass.AMBIGUOUS: 6,
}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def probe(
    when: datetime,
    failure: FailureClass = FailureClass.OK,
    *,
    target: str = TARGETS[0],
    region: str = REGIONS[0],
    ttft_ms: float | None = 400.0,
    total_ms: float | None = 900.0,
    answer_correct: bool | None = None,
    output_tokens: int | None = None,
) -> ProbeResult:
    outcome = Outcome.OK if failure is FailureClass.OK else Outcome.HTTP_ERROR
    return ProbeResult(
        target=target,
        region=region,
        started_at=when,
        outcome=outcome,
        failure_class=failure,
        ttft_ms=ttft_ms,
        total_ms=total_ms,
        answer_correct=answer_correct,
        output_tokens=output_tokens,
    )


def random_results(start: datetime, end: datetime, n: int, seed: int = 11) -> list[ProbeResult]:
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    classes, weights = list(CLASS_WEIGHTS), list(CLASS_WEIGHTS.values())
    results = []
    for _ in range(n):
        failure = rng.choices(classes, weights)[0]
        results.append(
            probe(
                start + timedelta(seconds=rng.uniform(0, span)),
                failure,
                target=rng.choice(TARGETS),
                region=rng.choice(REGIONS),
                ttft_ms=rng.lognormvariate(6, 0.5) if rng.random() < 0.95 else None,
                total_ms=rng.lognormvariate(7, 0.5) if rng.random() < 0.95 else None,
                answer_correct=rng.choice([True, True, False, None]),
                output_tokens=rng.choice([None, 3, 12]),
            )
        )
    return results


SPANS = {
    "midnight": (utc("2026-06-07T23:58:00"), utc("2026-06-08T00:03:00")),
    "month_end": (utc("2026-01-31T23:58:00"), utc("2026-02-01T00:03:00")),
    "year_end": (utc("2025-12-31T23:58:00"), utc("2026-01-01T00:03:00")),
    "leap_day": (utc("2028-02-29T23:58:00"), utc("2028-03-01T00:03:00")),
    "three_days": (utc("2026-03-30T22:00:00"), utc("2026-04-02T02:00:00")),
}


@pytest.fixture(scope="module", params=list(SPANS), ids=list(SPANS))
def results(request):
    return random_results(*SPANS[request.param], n=2000)


def test_rollup_counts_match_the_raw_results_in_each_utc_day(results):
    days = rollup(results, DAY)
    for day in days:
        raw = [
            r
            for r in results
            if r.started_at.date() == day.bucket_start.date()
            and (r.target, r.region) == (day.target, day.region)
        ]
        by_class = Counter(r.failure_class for r in raw)
        assert {f: day.count(f) for f in FailureClass} == {f: by_class[f] for f in FailureClass}
        assert day.probes == len(raw)
        assert day.answers_checked == sum(r.answer_correct is not None for r in raw)
        assert day.answers_correct == sum(r.answer_correct is True for r in raw)
        assert day.output_tokens == sum(r.output_tokens or 0 for r in raw)
    assert sum(d.probes for d in days) == len(results)


def test_probes_either_side_of_midnight_land_in_different_days():
    before, after = utc("2026-01-31T23:59:59.999"), utc("2026-02-01T00:00:00")
    days = rollup([probe(before), probe(after), probe(after)], DAY)
    assert [(d.bucket_start, d.probes) for d in days] == [
        (utc("2026-01-31T00:00:00"), 1),
        (utc("2026-02-01T00:00:00"), 2),
    ]


def test_a_day_is_a_utc_day_whatever_the_zone_of_the_timestamp():
    paris_summer = timezone(timedelta(hours=2))
    when = datetime(2026, 6, 8, 1, 30, tzinfo=paris_summer)  # 2026-06-07 23:30 UTC
    assert bucket_start(when, DAY) == utc("2026-06-07T00:00:00")
    assert bucket_start(when, DAY).tzinfo is UTC
    assert bucket_start(when, HOUR) == utc("2026-06-07T23:00:00")


@pytest.mark.parametrize("to", [HOUR, DAY])
def test_minute_rollups_coarsened_equal_rollups_straight_from_the_results(results, to):
    assert coarsen(rollup(results, MINUTE), to) == rollup(results, to)


def test_minutes_to_hours_to_days_equals_days_from_the_results(results):
    hours = coarsen(rollup(results, MINUTE), HOUR)
    assert coarsen(hours, DAY) == rollup(results, DAY)


def test_coarsening_to_a_finer_resolution_is_refused(results):
    with pytest.raises(ValueError, match="cannot coarsen"):
        coarsen(rollup(results, DAY), MINUTE)


@pytest.mark.parametrize("resolution", list(Resolution))
def test_combining_regions_equals_a_rollup_that_ignores_regions(results, resolution):
    pooled = [replace(r, region=ALL_REGIONS) for r in results]
    assert combine_regions(rollup(results, resolution)) == rollup(pooled, resolution)


def test_combining_already_combined_rollups_is_refused(results):
    pooled = combine_regions(rollup(results, HOUR))
    with pytest.raises(ValueError, match="counted twice"):
        combine_regions(pooled)


def test_an_accumulator_fed_in_shuffled_batches_equals_a_one_shot_rollup(results):
    shuffled = list(results)
    random.Random(5).shuffle(shuffled)
    accumulator = RollupAccumulator()
    deltas = []
    for i in range(0, len(shuffled), 300):
        deltas += accumulator.add(shuffled[i : i + 300])
    for resolution in Resolution:
        expected = rollup(results, resolution)
        assert accumulator.totals(resolution) == expected
        stored = {}  # what a store does: add each delta to the row with its key
        for delta in (d for d in deltas if d.resolution is resolution):
            stored[delta.key] = stored[delta.key] + delta if delta.key in stored else delta
        assert sorted(stored.values(), key=lambda r: r.key) == expected


def test_an_accumulator_forgets_buckets_that_ended_before_a_cutoff():
    accumulator = RollupAccumulator([MINUTE])
    accumulator.add([probe(utc("2026-06-07T10:00:30")), probe(utc("2026-06-07T10:01:30"))])
    accumulator.forget_before(utc("2026-06-07T10:01:00"))
    assert [r.bucket_start for r in accumulator.totals()] == [utc("2026-06-07T10:01:00")]


def test_merge_adds_a_stored_row_and_a_delta_of_the_same_key():
    start = utc("2026-06-07T10:00:00")
    stored = rollup([probe(start, total_ms=100.0)], HOUR)[0]
    delta = rollup([probe(start, FailureClass.CAPACITY), probe(start, total_ms=300.0)], HOUR)[0]
    merged = merge([stored, delta])
    assert (merged.ok, merged.capacity, merged.probes) == (2, 1, 3)
    assert merged.total_hist == LatencyHistogram([100.0, 300.0])
    assert merged == stored + delta


def test_rollups_of_different_keys_do_not_add():
    start = utc("2026-06-07T10:00:00")
    opus = rollup([probe(start)], HOUR)[0]
    gpt = rollup([probe(start, target=TARGETS[1])], HOUR)[0]
    with pytest.raises(ValueError, match="different keys"):
        opus + gpt
    with pytest.raises(ValueError, match="exactly one key"):
        merge([opus, gpt])


def test_latency_histograms_hold_only_probes_whose_call_completed():
    start = utc("2026-06-07T10:00:00")
    hour = rollup(
        [
            probe(start, FailureClass.OK, total_ms=900.0),
            probe(start, FailureClass.QUALITY, total_ms=1100.0),
            probe(start, FailureClass.CAPACITY, ttft_ms=None, total_ms=40.0),
            probe(start, FailureClass.AMBIGUOUS, ttft_ms=None, total_ms=None),
        ],
        HOUR,
    )[0]
    assert hour.total_hist == LatencyHistogram([900.0, 1100.0])
    assert hour.ttft_hist.count == 2


@pytest.mark.parametrize("start", [utc("2026-06-07T10:00:30"), datetime(2026, 6, 7, 10)])
def test_a_rollup_must_start_on_a_utc_bucket_boundary(start):
    with pytest.raises(ValueError):
        Rollup(TARGETS[0], REGIONS[0], MINUTE, start)


def test_a_rollup_round_trips_through_a_row_of_plain_scalars(results):
    for day in rollup(results, DAY):
        row = day.to_row()
        assert all(isinstance(v, str | int | datetime) for v in row.values())
        assert row["probes"] == day.probes
        assert Rollup.from_row(row) == day
        naive = {**row, "bucket_start": row["bucket_start"].replace(tzinfo=None)}
        assert Rollup.from_row(naive) == day


def counts(**by_class: int) -> Rollup:
    return Rollup(TARGETS[0], REGIONS[0], DAY, utc("2026-06-07T00:00:00"), **by_class)


@pytest.mark.parametrize(
    ("by_class", "expected"),
    [
        ({"ok": 100}, 1.0),
        ({"ok": 90, "infrastructure": 10}, 0.9),
        ({"ok": 90, "capacity": 10}, 0.9),
        ({"ok": 90, "ambiguous": 10}, 0.9),
        ({"ok": 90, "configuration": 10}, 1.0),  # our configuration, not their outage
        ({"ok": 90, "vantage": 10}, 1.0),  # our network, not their outage
        ({"ok": 50, "quality": 50}, 1.0),  # wrong answers are up; accuracy says the rest
        ({"ok": 1, "infrastructure": 1, "capacity": 1, "ambiguous": 1}, 0.25),
        ({"infrastructure": 5}, 0.0),
        ({"configuration": 5, "vantage": 5}, None),  # nothing the provider can be judged on
        ({}, None),
    ],
)
def test_uptime_counts_only_what_the_provider_is_responsible_for(by_class, expected):
    assert uptime(counts(**by_class)) == (pytest.approx(expected) if expected else expected)


def test_uptime_over_a_window_weights_each_bucket_by_its_probes():
    busy, quiet = counts(ok=99, capacity=1), counts(ok=0, capacity=1)
    assert uptime_over([busy, quiet]) == pytest.approx(99 / 101)
    assert uptime_over([]) is None


@pytest.mark.parametrize(
    ("checked", "correct", "expected"), [(10, 9, 0.9), (4, 0, 0.0), (0, 0, None)]
)
def test_answer_accuracy_is_correct_over_checked(checked, correct, expected):
    assert answer_accuracy(counts(answers_checked=checked, answers_correct=correct)) == expected


@pytest.mark.parametrize(
    ("days", "resolution", "expected"),
    [
        (2, None, utc("2026-06-05T13:45:10")),
        (2, MINUTE, utc("2026-06-05T13:45:00")),
        (30, HOUR, utc("2026-05-08T13:00:00")),
        (90, DAY, utc("2026-03-09T00:00:00")),
    ],
)
def test_retention_cutoff_keeps_the_bucket_holding_the_cutoff_whole(days, resolution, expected):
    assert retention_cutoff(utc("2026-06-07T13:45:10"), days, resolution) == expected
