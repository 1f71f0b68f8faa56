"""Sums of rollups kept between requests must equal sums made afresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import settings_from_dict
from monitor.histogram import LatencyHistogram
from monitor.judging.quality import QualityVerdict
from monitor.rollups import Resolution, Rollup
from web.queries.parts import KeptTotals, Totals, judge_answers, judge_form

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


# -- exact form, apart from answers ------------------------------------------------------------

SETTINGS = settings_from_dict({}).status


def day(days_before: int, forms: int, kept: int) -> Rollup:
    """A day of 1,440 right answers, `forms` of them to the exact-form item."""
    return Rollup(
        "anthropic/opus",
        "eu-west",
        Resolution.DAY,
        START.replace(hour=0) - timedelta(days=days_before),
        ok=1440,
        answers_checked=1440 - forms,
        answers_correct=1440 - forms,
        forms_checked=forms,
        forms_correct=kept,
    )


def test_without_exact_form_answers_no_rate_is_claimed_and_no_prior_passes_for_a_baseline():
    form = judge_form(Totals.of([day(0, 0, 0)]), [day(0, 0, 0)], START.date(), SETTINGS)
    assert (form.pass_rate, form.observed_baseline, form.answers) == (None, None, 0)
    assert form.verdict is QualityVerdict.UNKNOWN


def test_answers_in_another_form_lower_the_form_and_leave_the_answers_alone():
    history = [day(n, 36, 36) for n in range(1, 8)]
    today = [day(0, 36, 0)]  # every answer right, none in the exact form
    window = Totals.of(today)
    form = judge_form(window, history, START.date(), SETTINGS)
    assert (form.pass_rate, form.answers, form.baseline_answers) == (0.0, 36, 252)
    assert form.verdict is QualityVerdict.DEGRADED and form.observed_baseline > 0.99
    answers = judge_answers(window, history, START.date(), SETTINGS, in_quality_incident=False)
    assert (answers.pass_rate, answers.answers) == (1.0, 1404)
    assert answers.verdict is QualityVerdict.CORRECT
