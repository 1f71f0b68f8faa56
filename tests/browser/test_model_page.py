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
