"""A model's own normal: counts with a prior, latency percentiles, hourly forgetting."""

from __future__ import annotations

import pytest

from monitor.judging.baseline import Baseline, latency_slot


def test_without_history_the_prior_is_the_baseline():
    assert Baseline(2).rate(0, 1, prior_rate=0.02, prior_weight=20) == pytest.approx(0.02)


def test_history_outweighs_the_prior_as_it_grows():
    baseline = Baseline(2)
    baseline.add(0, [1, 1000], [])
    assert baseline.rate(0, 1, 0.02, 20) == pytest.approx(1.4 / 1020)
    assert baseline.observed(0, 1, at_least=100) == pytest.approx(0.001)
    assert Baseline(2).observed(0, 1, at_least=100) is None


def test_the_median_latency_is_read_from_the_histogram_within_five_percent():
    baseline = Baseline(1)
    baseline.add(0, [0], [latency_slot(ms) for ms in (900, 1000, 1100, 1200, 5000)])
    assert baseline.latency_quantile(0.5) == pytest.approx(1100, rel=0.05)
    assert baseline.share_above(2200) == pytest.approx(0.2)


def test_minutes_are_forgotten_an_hour_at_a_time():
    baseline = Baseline(1)
    for minute in range(120):
        baseline.add(minute, [1], [latency_slot(1000)])
    baseline.expire(before_minute=90)  # only the first hour has wholly passed
    assert baseline.counts == [60]
    assert baseline.latency_count == 60
    baseline.expire(before_minute=120)
    assert baseline.counts == [0]
