"""Binomial and beta-binomial tails, critical counts and Wilson bounds."""

from __future__ import annotations

import math

import pytest

from monitor.judging.significance import (
    beta_binomial_tail,
    binomial_tail,
    critical_count,
    is_plausible,
    wilson_bounds,
)


def exact_tail(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))


@pytest.mark.parametrize(
    ("k", "n", "p"),
    [(0, 10, 0.1), (3, 18, 0.004), (5, 18, 0.35), (12, 180, 0.015), (18, 18, 0.5), (19, 18, 0.5)],
)
def test_the_binomial_tail_matches_the_textbook_sum(k, n, p):
    assert binomial_tail(k, n, p) == pytest.approx(exact_tail(k, n, p), rel=1e-9, abs=1e-300)


def test_the_tail_is_accurate_far_out():
    assert binomial_tail(18, 18, 0.001) == pytest.approx(1e-54, rel=1e-6)


@pytest.mark.parametrize(
    ("n", "p0", "support", "expected"),
    [
        (18, 0.001, None, 3),  # a model that almost never fails: three failures alarm
        (18, 0.015, None, 6),  # a noisy model needs six of eighteen
        (18, 0.0036, None, 4),
        (18, 0.0036, 200, 6),  # the same share learnt from few probes: stricter
        (183, 0.015, None, 14),
    ],
)
def test_the_critical_count_needs_more_failures_from_noisier_or_younger_models(
    n, p0, support, expected
):
    assert critical_count(n, p0, 1e-6, support) == expected


def test_an_uncertain_baseline_has_a_fatter_tail_that_narrows_with_history():
    young = beta_binomial_tail(4, 18, 0.4, 199.6)
    old = beta_binomial_tail(4, 18, 8.0, 3992.0)
    plain = binomial_tail(4, 18, 0.002)
    assert young > old > plain * 0.9


def test_plausible_means_chance_explains_it_often_enough():
    assert is_plausible(1, 33, 0.003, 0.001)
    assert not is_plausible(5, 33, 0.003, 0.001)


@pytest.mark.parametrize(("k", "n"), [(0, 20), (6, 6), (16, 45), (1, 1000)])
def test_wilson_bounds_hold_the_observed_share(k, n):
    lower, upper = wilson_bounds(k, n, 1.64)
    assert 0.0 <= lower <= k / n <= upper <= 1.0


def test_wilson_bounds_narrow_as_probes_accumulate():
    few = wilson_bounds(6, 18, 1.64)
    many = wilson_bounds(60, 180, 1.64)
    assert many[1] - many[0] < few[1] - few[0]
