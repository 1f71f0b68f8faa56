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
