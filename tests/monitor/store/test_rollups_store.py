import random
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.histogram import LatencyHistogram
from monitor.results import FailureClass, Outcome, ProbeResult
from monitor.rollups import Resolution, Rollup, combine_regions, rollup
from monitor.store import RetentionReport, Store
from monitor.store.rows.rollups import CHUNK_KEYS

from .factories import T0, make_result, results_every_minute

MINUTE, HOUR, DAY = Resolution.MINUTE, Resolution.HOUR, Resolution.DAY
OPUS, GPT = "anthropic/claude-opus-4-7", "openai/gpt-5.1"
REGIONS = ("us-east", "eu-west")
EVERYTHING = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
# 23:58 to 00:03 UTC across a month end: minute, hour and day buckets all roll over.
MONTH_END = datetime(2025, 1, 31, 23, 58, tzinfo=UTC)


def varied_results(start: datetime, minutes: int, count: int, seed: int) -> list[ProbeResult]:
    """Every failure class, missing latencies, scored and unscored answers, tokens or none."""
    rng = random.Random(seed)
    classes = list(FailureClass)
    return [
        make_result(
            target=rng.choice((OPUS, GPT)),
            region=rng.choice(REGIONS),
            at=start + timedelta(seconds=rng.uniform(0, minutes * 60)),
            outcome=Outcome.OK,
            failure_class=rng.choice(classes),
            ttft_ms=rng.choice((None, rng.lognormvariate(6, 0.5))),
            total_ms=rng.lognormvariate(7, 0.5),
            answer_correct=rng.choice((None, True, False)),
            output_tokens=rng.choice((None, 0, 7, 40)),
            # Answers of exact form only are summed apart (forms_checked, forms_correct).
            check="strict_format" if rng.random() < 0.25 else "arithmetic",
        )
        for _ in range(count)
    ]


def stored(store: Store, resolution: Resolution) -> list[Rollup]:
    return store.rollups_between(*EVERYTHING, resolution=resolution)


def test_stored_rollups_equal_the_rollups_of_the_distinct_raw_results_across_a_month_end(
    store,
):
    results = varied_results(MONTH_END, minutes=5, count=400, seed=7)
    batches = [results[i : i + 70] for i in range(0, len(results), 70)]
    for batch in batches[:3]:
        store.record_results(batch)
    store.record_results(batches[1])  # re-sent after a lost acknowledgement
    for batch in batches[3:]:
        store.record_results(batch)
    store.record_results(results[100:250])  # overlaps three batches already written

    distinct = store.results_between(*EVERYTHING)
    assert len(distinct) == 400
    for resolution in Resolution:
        assert stored(store, resolution) == rollup(distinct, resolution)
    days = stored(store, DAY)
    assert {day.bucket_start.date().isoformat() for day in days} == {"2025-01-31", "2025-02-01"}
    assert sum(day.probes for day in days) == 400


def test_a_resent_batch_counts_nothing_twice_and_says_how_many_were_new(store):
    batch = results_every_minute(3, ttft_ms=300.0, total_ms=800.0)
    assert store.record_results(batch) == 3
    assert store.record_results([*batch, batch[0]]) == 0
    assert store.record_results([*batch, make_result(at=T0, ttft_ms=310.0)]) == 1

    [hour] = stored(store, HOUR)
    assert (hour.ok, hour.probes, hour.ttft_hist.count) == (4, 4, 4)


def test_an_id_repeated_inside_one_batch_is_stored_and_counted_once(store):
    first = make_result(ttft_ms=100.0)
    twin = replace(first, failure_class=FailureClass.CAPACITY)
    assert store.record_results([first, twin]) == 1
    [minute] = stored(store, MINUTE)
    assert (minute.ok, minute.capacity) == (1, 0)


def test_a_result_the_rollups_refuse_is_not_stored_raw_either(store):
    # The raw row and its rollups commit together, so they can never disagree.
    good = make_result(at=T0)
    bad = make_result(at=T0, ttft_ms=-5.0)
    with pytest.raises(ValueError, match="non-negative"):
        store.record_results([good, bad])
    assert store.results_between(*EVERYTHING) == []
    assert stored(store, MINUTE) == []
    assert store.record_results([good]) == 1


def test_batches_wider_than_one_statement_chunk_are_rolled_up_whole(store):
    count = CHUNK_KEYS + 100  # one minute rollup each: more keys than one chunk holds
    first = results_every_minute(count, ttft_ms=200.0)
    second = results_every_minute(count, failure_class=FailureClass.CAPACITY)
    store.record_results(first)
    store.record_results(second)  # every key now stored: the update path, in chunks
    assert stored(store, MINUTE) == rollup([*first, *second], MINUTE)
    assert stored(store, DAY) == rollup([*first, *second], DAY)


def test_writers_adding_to_the_same_rollups_at_once_lose_nothing(store, database_url):
    stores = [Store(database_url) for _ in range(3)]
    batches = [varied_results(T0, minutes=2, count=30, seed=seed) for seed in range(18)]
    failures = []

    def write(writer: Store, mine: list[list[ProbeResult]]) -> None:
        try:
            for batch in mine:
                writer.record_results(batch)
        except Exception as error:  # any failure must reach the assert
            failures.append(error)

    threads = [
        threading.Thread(target=write, args=(writer, batches[i::3]))
        for i, writer in enumerate(stores)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for writer in stores:
        writer.dispose()

    assert failures == []
    everything = [result for batch in batches for result in batch]
    for resolution in Resolution:
        assert stored(store, resolution) == rollup(everything, resolution)


def seeded_day(target: str, region: str, day: datetime, ok: int, *latencies: float) -> Rollup:
    return Rollup(
        target,
        region,
        DAY,
        day,
        ok=ok,
        answers_checked=ok,
        answers_correct=ok,
        ttft_hist=LatencyHistogram(latencies),
    )


def test_record_rollups_adds_to_the_stored_rows_and_merges_their_histograms(store):
    store.record_results([make_result(at=T0, ttft_ms=100.0, answer_correct=True)])
    day = T0.replace(hour=0)
    store.record_rollups(
        [
            seeded_day(OPUS, "eu-west", day, 10, 200.0, 300.0),
            seeded_day(OPUS, "eu-west", day, 5, 300.0),  # same key twice in one call
            seeded_day(OPUS, "eu-west", day - timedelta(days=1), 7),  # a new row
        ]
    )
    before, today = stored(store, DAY)
    assert (before.bucket_start, before.ok) == (day - timedelta(days=1), 7)
    assert (today.ok, today.answers_checked, today.answers_correct) == (16, 16, 16)
    assert today.ttft_hist == LatencyHistogram([100.0, 200.0, 300.0, 300.0])
    [hour] = stored(store, HOUR)
    assert hour.ok == 1  # seeding days leaves the other resolutions alone


def test_daily_rollups_cover_every_region_from_the_utc_day_holding_since(store):
    start = datetime(2025, 3, 1, tzinfo=UTC)
    store.record_rollups(
        [
            seeded_day(target, region, start + timedelta(days=n), n + 1)
            for target in (OPUS, GPT)
            for region in REGIONS
            for n in range(90)
        ]
    )
    since = start + timedelta(days=60, hours=15)  # mid-day: that whole day is included
    days = store.daily_rollups(since)
    assert len(days) == 2 * 2 * 30
    opus = combine_regions(store.daily_rollups(since, target=OPUS))
    assert [day.ok for day in opus] == [2 * (n + 1) for n in range(60, 90)]
    assert opus[0].bucket_start == start + timedelta(days=60)


def test_rollups_between_filters_by_target_region_and_half_open_window(store):
    results = [
        make_result(OPUS, "eu-west", T0),
        make_result(OPUS, "us-east", T0 + timedelta(minutes=1)),
        make_result(GPT, "eu-west", T0 + timedelta(minutes=2)),
        make_result(OPUS, "eu-west", T0 + timedelta(minutes=3)),
    ]
    store.record_results(results)
    window = (T0, T0 + timedelta(minutes=3))

    def starts(**filters: str) -> list[tuple[str, str, int]]:
        found = store.rollups_between(*window, resolution=MINUTE, **filters)
        return [(r.target, r.region, r.bucket_start.minute) for r in found]

    assert starts() == [(OPUS, "eu-west", 0), (OPUS, "us-east", 1), (GPT, "eu-west", 2)]
    assert starts(target=OPUS) == [(OPUS, "eu-west", 0), (OPUS, "us-east", 1)]
    assert starts(region="eu-west") == [(OPUS, "eu-west", 0), (GPT, "eu-west", 2)]
    assert starts(target=OPUS, region="us-east") == [(OPUS, "us-east", 1)]


def test_latest_rollup_time_is_the_newest_bucket_start_or_none(store):
    assert store.latest_rollup_time() is None
    store.record_results(results_every_minute(3, start=T0 + timedelta(seconds=30)))
    assert store.latest_rollup_time() == T0 + timedelta(minutes=2)
    assert store.latest_rollup_time(HOUR) == T0
    assert store.latest_rollup_time().tzinfo is UTC


NOW = datetime(2025, 3, 20, 12, 30, tzinfo=UTC)


def test_retention_removes_exactly_the_rows_past_each_cutoff(store):
    # Raw results and minutes keep 7 days: cutoff 2025-03-13 12:30.
    # Hours and days keep 10 days: hours from 2025-03-10 12:00, days from 2025-03-10 00:00.
    raw_cutoff = NOW - timedelta(days=7)
    results = [
        make_result(at=raw_cutoff - timedelta(seconds=1)),
        make_result(at=raw_cutoff),
        make_result(at=NOW),
    ]
    store.record_results(results)
    hour_starts = [datetime(2025, 3, 10, h, tzinfo=UTC) for h in (0, 11, 12, 13)]
    day_starts = [datetime(2025, 3, d, tzinfo=UTC) for d in (8, 9, 10, 11)]
    store.record_rollups(
        [Rollup(OPUS, "eu-west", HOUR, start, ok=1) for start in hour_starts]
        + [Rollup(OPUS, "eu-west", DAY, start, ok=1) for start in day_starts]
    )

    report = store.apply_retention(NOW, raw_days=7, rollup_days=10)

    assert report == RetentionReport(results=1, minute_rollups=1, hour_rollups=2, day_rollups=2)
    assert store.results_between(*EVERYTHING) == results[1:]
    minutes = [r.bucket_start for r in stored(store, MINUTE)]
    assert minutes == [raw_cutoff, NOW]  # 12:29 went with its raw result
    hours = [r.bucket_start for r in stored(store, HOUR)]
    # From the 2 hours of the raw results: 12:00 on the 13th and 12:00 on the 20th.
    assert hours == [*hour_starts[2:], raw_cutoff.replace(minute=0), NOW.replace(minute=0)]
    days = [r.bucket_start for r in stored(store, DAY)]
    assert days == [
        *day_starts[2:],
        raw_cutoff.replace(hour=0, minute=0),
        NOW.replace(hour=0, minute=0),
    ]
    assert store.apply_retention(NOW, raw_days=7, rollup_days=10).deleted == 0


def test_minute_rollups_can_be_kept_longer_than_raw_results(store):
    store.record_results([make_result(at=NOW - timedelta(days=3))])
    report = store.apply_retention(NOW, raw_days=1, rollup_days=30, minute_rollup_days=7)
    assert (report.results, report.minute_rollups) == (1, 0)
    assert len(stored(store, MINUTE)) == 1


def test_hour_rollups_go_before_day_rollups_when_kept_shorter(store):
    old = NOW - timedelta(days=40)
    store.record_results([make_result(at=old)])
    report = store.apply_retention(NOW, raw_days=7, rollup_days=730, hour_rollup_days=30)
    assert (report.hour_rollups, report.day_rollups) == (1, 0)
    assert [r.bucket_start for r in stored(store, DAY)] == [old.replace(hour=0, minute=0)]
