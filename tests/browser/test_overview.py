"""The overview as a visitor sees it: one status per model, never leaked to a sibling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser

OUTAGE = re.compile(r"(Partial|Major) outage")


def model_card(page: Page, name: str) -> Locator:
    return page.locator("li.model").filter(has=page.get_by_role("link", name=name, exact=True))


def test_opus_shows_an_outage_while_sonnet_stays_operational(look):
    page = look("/").page
    expect(model_card(page, "Claude Opus 4.7").locator(".model__status")).to_have_text(OUTAGE)
    expect(model_card(page, "Claude Sonnet 4.6").locator(".model__status")).to_have_text(
        "Operational"
    )


def test_the_banner_counts_one_affected_model_of_three_probed(look):
    page = look("/").page
    expect(page.locator("#banner-text")).to_have_text("1 of 3 models affected")


def test_the_simulated_model_carries_the_simulated_tag(look):
    page = look("/").page
    expect(model_card(page, "GPT (simulated)").locator(".tag--simulated")).to_have_text("Simulated")
    expect(model_card(page, "Claude Opus 4.7").locator(".tag--simulated")).to_have_count(0)


def test_a_provider_without_a_key_says_which_variable_to_set(look):
    page = look("/").page
    expect(page.get_by_text("Not configured: set GEMINI_API_KEY")).to_be_visible()


def test_the_active_incident_is_listed_and_links_to_its_page(visit, seeded):
    page = visit("/").page
    link = page.get_by_role("link", name=seeded.active.title).first
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(rf"/incidents/{seeded.active.id}$"))


def test_tab_reaches_an_uptime_day_and_shows_its_details(visit):
    page = visit("/").page
    day = page.locator(".uptime__seg").first
    for _ in range(60):
        page.keyboard.press("Tab")
        if day.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("60 presses of Tab never reached a day of an uptime bar")
    tip = page.locator(f"#{day.get_attribute('aria-describedby')}")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("uptime")
