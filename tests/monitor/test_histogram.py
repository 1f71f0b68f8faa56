import math
import random

import pytest

from monitor.histogram import (
    HIGHEST_MS,
    MAX_RELATIVE_ERROR,
    OVERFLOW,
    SLOTS,
    LatencyHistogram,
    slot_bounds,
    slot_of,
)

QUANTILES = [0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0]


def exact_quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default method)."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def latencies(kind: str, n: int, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    draw = {
        "lognormal": lambda: rng.lognormvariate(6.5, 0.8),
        "narrow": lambda: rng.gauss(800, 20),
        "bimodal": lambda: rng.choice([rng.gauss(300, 30), rng.gauss(9000, 900)]),
        "wide_uniform": lambda: rng.uniform(1, 600_000),
    }[kind]
    return [draw() for _ in range(n)]


def test_the_documented_error_bound_is_about_six_percent():
    assert 0.05 < MAX_RELATIVE_ERROR < 0.06


@pytest.mark.parametrize("kind", ["lognormal", "narrow", "bimodal", "wide_uniform"])
@pytest.mark.parametrize("n", [1, 2, 17, 5000])
def test_quantiles_stay_within_the_documented_relative_error(kind, n):
    values = latencies(kind, n)
    histogram = LatencyHistogram(values)
    ordered = sorted(values)
    for q in QUANTILES:
        exact = exact_quantile(ordered, q)
        estimate = histogram.quantile(q)
        assert abs(estimate - exact) / exact < MAX_RELATIVE_ERROR, (q, exact, estimate)


def test_every_value_lands_in_the_slot_whose_bounds_hold_it():
    rng = random.Random(3)
    for value in [0.0, 0.5, 1.0, 2.0, 1000.0, HIGHEST_MS - 1, HIGHEST_MS, 1e9] + [
        rng.lognormvariate(5, 3) for _ in range(2000)
    ]:
        lower, upper = slot_bounds(slot_of(value))
        assert lower <= value < upper or value == lower == HIGHEST_MS


def test_merging_parts_gives_exactly_the_histogram_of_the_whole():
    values = latencies("bimodal", 10_000)
    parts = [LatencyHistogram(values[i::7]) for i in range(7)]
    whole = LatencyHistogram(values)

    assert LatencyHistogram.merged(parts) == whole
    assert LatencyHistogram.merged(reversed(parts)).counts == whole.counts
    assert sum(parts[1:], parts[0]) == whole
    assert LatencyHistogram.merged(parts).count == 10_000


def test_adding_one_by_one_equals_adding_many():
    values = latencies("wide_uniform", 3000)
    one_by_one = LatencyHistogram()
    for value in values:
        one_by_one.add(value)
    assert one_by_one == LatencyHistogram(values)


def test_plus_leaves_both_operands_unchanged():
    left, right = LatencyHistogram([100.0]), LatencyHistogram([200.0, 300.0])
    both = left + right
    assert (left.count, right.count, both.count) == (1, 2, 3)


def test_encoding_is_sparse_slot_count_pairs_after_a_version():
    histogram = LatencyHistogram([0.5, 1.0, 2.0, 2.0, 2_000_000.0])
    assert histogram.encode() == f"v1;0:1,1:1,13:2,{OVERFLOW}:1"
    assert LatencyHistogram().encode() == "v1;"


@pytest.mark.parametrize("kind", ["lognormal", "bimodal", "wide_uniform"])
def test_encode_then_decode_gives_the_same_histogram(kind):
    histogram = LatencyHistogram(latencies(kind, 5000))
    decoded = LatencyHistogram.decode(histogram.encode())
    assert decoded == histogram
    assert decoded.count == 5000
    assert decoded.quantile(0.95) == histogram.quantile(0.95)


def test_a_day_of_minutely_probes_encodes_in_a_few_hundred_characters():
    rng = random.Random(5)
    day = LatencyHistogram(rng.lognormvariate(7, 0.25) for _ in range(1440))
    assert len(day.encode()) < 300


def test_even_a_histogram_with_every_slot_filled_stays_under_three_kilobytes():
    full = LatencyHistogram.decode("v1;" + ",".join(f"{slot}:99999" for slot in range(SLOTS)))
    assert len(full.encode()) < 3000


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1:1",
        "v2;1:1",
        "v1;1:0",
        "v1;3:1,2:1",
        "v1;1:1,1:1",
        f"v1;{SLOTS}:1",
        "v1;a:b",
        "v1;1",
        "v1;-1:2",
    ],
)
def test_decoding_rejects_text_that_is_not_a_histogram(text):
    with pytest.raises(ValueError):
        LatencyHistogram.decode(text)


def test_an_empty_histogram_has_no_quantiles():
    assert LatencyHistogram().quantile(0.5) is None
    assert LatencyHistogram().count == 0


@pytest.mark.parametrize("bad", [-1.0, math.nan])
def test_negative_or_nan_latencies_are_refused(bad):
    with pytest.raises(ValueError):
        LatencyHistogram().add(bad)
    with pytest.raises(ValueError):
        LatencyHistogram([10.0, bad])


@pytest.mark.parametrize("q", [-0.1, 1.5])
def test_quantiles_outside_zero_to_one_are_refused(q):
    with pytest.raises(ValueError):
        LatencyHistogram([1.0]).quantile(q)


def test_overflowed_latencies_report_the_top_of_the_range():
    histogram = LatencyHistogram([5e6, 6e6])
    assert histogram.quantile(0.5) == HIGHEST_MS


def test_sub_millisecond_latencies_stay_under_one_millisecond():
    assert 0 <= LatencyHistogram([0.2, 0.4, 0.9]).quantile(0.5) < 1.0


def test_nonzero_buckets_list_bounds_and_counts_for_charts():
    buckets = LatencyHistogram([2.0, 2.0, 1000.0]).nonzero_buckets()
    assert [n for _, _, n in buckets] == [2, 1]
    assert buckets[0][0] == 2.0
    assert buckets[1][0] <= 1000.0 < buckets[1][1]


def test_adding_after_a_merge_leaves_the_merged_histogram_unchanged():
    source = LatencyHistogram([100.0])
    target = LatencyHistogram()
    target.merge(source)
    target.add(100.0)
    assert (source.count, source.counts[slot_of(100.0)]) == (1, 1)
