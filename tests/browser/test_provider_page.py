"""A provider's page in a real browser: its models, its status derived from theirs, its
incidents and its feeds; reached from the overview."""

from __future__ import annotations

import re

import feedparser
import pytest
from playwright.sync_api import expect

from web.public_paths import provider_page

pytestmark = pytest.mark.browser

OUTAGE = re.compile(r"(Partial|Major) outage")


def test_the_overview_heading_leads_to_the_providers_page(visit):
    page = visit("/").page
    page.get_by_role("heading", name="Anthropic").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/providers/anthropic$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Anthropic")


def test_the_provider_is_partly_out_while_one_of_its_two_models_fails(look, seeded):
    page = look(provider_page("anthropic")).page
    expect(page.locator(".page-head .pill").first).to_have_text("Partial outage")
    expect(page.locator(".page-head__meta")).to_contain_text("1 of 2 models affected")
    cards = page.locator("li.model")
    expect(cards).to_have_count(2)
    expect(cards.filter(has_text="Claude Opus 4.7").locator(".model__status")).to_have_text(OUTAGE)
    expect(cards.filter(has_text="Claude Sonnet 4.6").locator(".model__status")).to_have_text(
        "Operational"
    )
    expect(page.get_by_role("link", name=seeded.active.title).first).to_be_visible()
    expect(page.get_by_role("link", name=seeded.resolved.title).first).to_be_visible()


def test_the_provider_page_offers_its_feeds_and_they_parse(look):
    page = look(provider_page("anthropic")).page
    for name, kind in (("RSS", "rss"), ("Atom", "atom")):
        link = page.locator("footer").get_by_role("link", name=name, exact=True)
        href = link.get_attribute("href")
        assert href == f"/providers/anthropic/history.{kind}"
        feed = feedparser.parse(page.request.get(href).body())
        assert feed.bozo == 0 and feed.entries
    alternates = page.locator('link[rel="alternate"]')
    expect(alternates).to_have_count(2)
