"""A model's page draws its charts on the server; the range tabs redraw them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OPUS, SONNET
from web.public_paths import model_page
from web.queries.viewmodels import RANGES

pytestmark = pytest.mark.browser

OUTAGE = re.compile(r"(Partial|Major) outage")


def test_opus_page_draws_latency_lines_and_failure_bars(look):
    page = look(model_page(OPUS)).page
    for chart in ("#chart-ttft", "#chart-total"):
        expect(page.locator(f"svg{chart} path.line").first).to_be_visible()
    # The outage since 07:20 stands as failure bars (the .hit columns only carry tooltips).
    expect(page.locator("svg#chart-failures rect:not(.hit)").first).to_be_visible()


def test_range_tabs_redraw_the_charts_over_their_own_span(visit):
    page = visit(model_page(SONNET)).page
    tabs = page.get_by_role("navigation", name="Chart range")
    spans = set()
    for key, label in RANGES:
        tabs.get_by_role("link", name=label).click()
        expect(page).to_have_url(re.compile(rf"\?range={key}$"))
        expect(tabs.locator("[aria-current=page]")).to_have_text(label)
        expect(page.locator("svg#chart-ttft path.line").first).to_be_visible()
        spans.add(page.locator("#chart-ttft-desc").text_content())
    assert len(spans) == len(RANGES), spans


def test_opus_page_says_it_is_down_and_lists_its_incident(look, seeded):
    page = look(model_page(OPUS)).page
    expect(page.locator(".page-head .pill").first).to_have_text(OUTAGE)
    expect(page.get_by_role("link", name=seeded.active.title).first).to_be_visible()


def test_sonnet_page_stays_operational_while_opus_fails(look):
    page = look(model_page(SONNET)).page
    expect(page.locator(".page-head .pill").first).to_have_text("Operational")


def test_a_model_that_words_its_answers_differently_shows_only_its_exact_form_falling(
    look, base_url
):
    # Sonnet has answered in sentences since midnight: every value right, the form missed.
    page = look(model_page(SONNET)).page
    expect(page.locator(".page-head .pill").first).to_have_text("Operational")
    card = page.locator(".quality")
    expect(card.locator(".quality__figure strong")).to_have_text("100%")  # still correct
    form = card.locator(".quality__form")
    expect(form.get_by_role("heading", name="Exact form")).to_be_visible()
    # Kept in yesterday's 15 hours of the range (one an hour, 3 regions: 45), missed in
    # today's 8 (one probe in 40: 36).
    expect(form).to_contain_text("55.5% in the exact form asked for, of 81 answers")
    expect(form).to_contain_text("Usual for this model: 99.9%")
    expect(form.locator(".pill")).to_have_text("Below its usual in this range")
    # The model's own JSON says the same, and moves neither status nor advice for it.
    document = page.request.get(f"{base_url}/api/v1/models/{SONNET}").json()
    model = document["model"]
    assert model["recommendation"] == "use" and model["quality"]["pass_rate"] == 1.0
    assert model["form"]["verdict"] == "degraded" and model["form"]["pass_rate"] == 0.0
    assert model["form"]["baseline_pass_rate"] > 0.99  # seven days in form (and the prior)


def test_a_model_keeping_its_form_shows_it_within_its_usual(look):
    form = look(model_page(OPUS)).page.locator(".quality__form")
    expect(form).to_contain_text("100% in the exact form asked for")
    expect(form.locator(".pill")).to_have_text("Within its usual in this range")
