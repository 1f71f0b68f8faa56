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


def test_tab_and_enter_bring_a_models_days_and_show_the_first_ones_details(visit):
    """Details on demand, by keyboard: the strip is a link; Enter puts the days in its place
    and focuses the oldest, whose tip shows."""
    seen = visit("/")
    page = seen.page
    strip = model_card(page, "Claude Opus 4.7").locator(".daybar__link")
    expect(page.locator(".uptime__seg")).to_have_count(0)  # nothing fetched yet
    for _ in range(60):
        page.keyboard.press("Tab")
        if strip.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("60 presses of Tab never reached Opus's day strip")
    page.keyboard.press("Enter")
    days = model_card(page, "Claude Opus 4.7").locator(".uptime__seg")
    expect(days).to_have_count(90)
    expect(days.first).to_be_focused()
    tip = page.locator(f"#{days.first.get_attribute('aria-describedby')}")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("uptime")
    expect(page).to_have_url(re.compile(r"/$"))  # the page stayed; nothing navigated
    page.keyboard.press("Tab")
    expect(days.nth(1)).to_be_focused()
    assert seen.problems() == []


def test_pointing_at_a_strip_brings_its_days_and_a_day_shows_its_failures(visit):
    page = visit("/").page
    card = model_card(page, "Claude Opus 4.7")
    card.locator(".daybar__link").hover()
    days = card.locator(".uptime__day")
    expect(days).to_have_count(90)
    bad = days.filter(has=page.locator(".tone-major, .tone-partial")).first
    bad.hover()
    expect(bad.locator(".uptime__tip")).to_be_visible()
    expect(bad.locator(".uptime__tip")).to_contain_text("failures")


def test_without_javascript_a_strip_leads_to_the_model_pages_days(visit):
    page = visit("/", script=False).page
    card = model_card(page, "Claude Opus 4.7")
    expect(card.locator(".uptime__seg")).to_have_count(0)
    card.locator(".daybar__link").click()
    expect(page).to_have_url(re.compile(r"/models/anthropic/claude-opus-4-7#uptime-heading$"))
    expect(page.locator(".uptime__seg")).to_have_count(90)


def test_a_provider_page_brings_a_models_days_on_demand_too(visit):
    seen = visit("/providers/anthropic")
    card = model_card(seen.page, "Claude Opus 4.7")
    card.locator(".daybar__link").click()
    expect(card.locator(".uptime__seg")).to_have_count(90)
    expect(card.locator(".uptime__seg").first).to_be_focused()
    assert seen.problems() == []
