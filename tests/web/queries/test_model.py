"""The model page's charts end now, never in the future, with one point per bucket."""

from __future__ import annotations

import pytest

from tests.web.seed import NOW, OPUS, SETTINGS
from web.queries.model import model_page
from web.queries.site_data import SiteData


@pytest.mark.parametrize(("key", "points"), [("24h", 24), ("7d", 168), ("30d", 30), ("90d", 90)])
def test_every_chart_ends_now_with_the_current_bucket_last(store, key, points):
    page = model_page(SiteData(SETTINGS, store, NOW), OPUS, key)
    assert page is not None
    for series in (page.ttft, page.total):
        assert series.end == NOW and len(series.points) == points
        assert (
            series.points[-1].at
            <= NOW
            < series.points[-1].at + (series.points[1].at - series.points[0].at)
        )
    assert page.failures.end == NOW and len(page.failures.buckets) == points


def test_a_model_never_asked_for_exact_form_claims_no_form_rate_and_no_usual(store):
    page = model_page(SiteData(SETTINGS, store, NOW), OPUS, "24h")
    assert page is not None and page.form is not None
    assert (page.form.pass_percent, page.form.baseline_percent) == (None, None)
    assert (page.form.answers, page.form.verdict) == (0, "no_data")
