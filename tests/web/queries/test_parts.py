"""Sums of rollups kept between requests must equal sums made afresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.histogram import LatencyHistogram
from monitor.rollups import Resolution, Rollup
from web.queries.parts import KeptTotals, Totals

START = datetime(2026, 6, 7, 12, tzinfo=UTC)


def minute(n: int, region: str = "eu-west", ok: int = 1, failed: int = 0) -> Rollup:
    return Rollup(
        "anthropic/opus",
        region,
        Resolution.MINUTE,
        START + timedelta(minutes=n),
        ok=ok,
        capacity=failed,
        answers_checked=ok,
        answers_correct=ok,
        ttft_hist=LatencyHistogram([300.0 + 10 * n] * ok),
        total_hist=LatencyHistogram([900.0 + 10 * n] * ok),
    )


SETTLED = [minute(n) for n in range(10)]
# Lists a model's latency window may hold on later requests, after `SETTLED` + a fresh one.
LATER = {
    "fresh minutes read again": [*SETTLED, minute(10, ok=2)],
    "a minute settled": [*SETTLED, minute(10), minute(11, failed=3)],
    "the window moved on": [*SETTLED[1:], minute(10), minute(11)],
    "the cache was read again": [minute(n) for n in range(10)] + [minute(10)],
    "nothing yet": [],
}


@pytest.mark.parametrize("later", LATER.values(), ids=LATER.keys())
def test_kept_totals_equal_totals_summed_afresh(later):
    kept = KeptTotals()
    for rollups in ([*SETTLED, minute(10, failed=1)], [*SETTLED, minute(10)], later, later):
        assert kept.of("anthropic/opus", rollups) == Totals.of(rollups)


def test_kept_totals_never_change_a_sum_already_handed_out():
    kept = KeptTotals()
    first = kept.of("anthropic/opus", [*SETTLED, minute(10)])
    before = first.copy()
    kept.of("anthropic/opus", [*SETTLED, minute(10), minute(11, ok=5)])
    assert first == before
