"""A model page tells one story in a real browser: pill, note, region table, today's bar
and the JSON API agree while the engine is still confirming a failure (issue 9)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.one_vantage import OPUS, SONNET
from web.public_paths import model_api, model_page

pytestmark = pytest.mark.browser


def test_a_failing_models_page_agrees_with_itself_and_with_the_api(visit_one_vantage):
    seen = visit_one_vantage(model_page(OPUS))
    page = seen.page
    shown = page.locator(".page-head .pill").first
    expect(shown).to_have_text("Degraded performance")
    expect(page.locator(".page-head__note")).to_contain_text("confirming")
    expect(page.locator("table.regions tbody tr .pill")).to_have_text(["Degraded performance"])
    today = page.locator(".uptime__seg").last
    expect(today).to_have_class("uptime__seg tone-minor")
    expect(page.locator(".stats")).to_contain_text("Uptime today")
    api = page.request.get(model_api(OPUS)).json()["model"]
    assert api["status"] == "degraded_performance" and api["recommendation"] == "avoid"
    assert seen.problems() == []


def test_its_healthy_sibling_says_operational_everywhere(visit_one_vantage):
    page = visit_one_vantage(model_page(SONNET)).page
    expect(page.locator(".page-head .pill").first).to_have_text("Operational")
    expect(page.locator("table.regions tbody tr .pill")).to_have_text(["Operational"])
    expect(page.locator(".page-head__note")).to_have_count(0)
    assert page.request.get(model_api(SONNET)).json()["model"]["recommendation"] == "use"


def test_the_overviews_strip_and_its_days_on_demand_agree_with_the_model_page(visit_one_vantage):
    seen = visit_one_vantage("/")
    page = seen.page
    name = page.get_by_role("link", name="Claude Opus (simulated)", exact=True)
    card = page.locator("li.model").filter(has=name)
    expect(card.locator(".model__status")).to_have_text("Degraded performance")
    # Today (the 90th day, 89 from 0) has the pill's colour in the strip before anything
    # is fetched...
    expect(card.locator('.strip path[d$="M89 .5h1"]')).to_have_class("tone-minor")
    card.locator(".daybar__link").click()
    # ...and so has today's day once the days are in, as on the model page.
    expect(card.locator(".uptime__seg").last).to_have_class("uptime__seg tone-minor")
    assert seen.problems() == []
