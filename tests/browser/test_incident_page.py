"""An incident's page tells its story: every update, newest first, with its state."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from web.public_paths import incident_page
from web.render.formatting import label

pytestmark = pytest.mark.browser


def test_the_active_incident_shows_every_update_newest_first(look, seeded):
    incident = seeded.active
    page = look(incident_page(incident.id)).page
    expect(page.get_by_role("heading", level=1)).to_have_text(incident.title)
    items = page.locator(".timeline__item")
    newest_first = list(reversed(incident.updates))  # the store keeps them in posting order
    expect(items).to_have_count(len(newest_first))
    for item, update in zip(items.all(), newest_first, strict=True):
        expect(item.locator(".pill")).to_have_text(label(update.status))
        expect(item.locator(".timeline__body")).to_contain_text(update.body.split(".")[0])


def test_the_active_incident_links_to_the_model_it_affects(look, seeded):
    page = look(incident_page(seeded.active.id)).page
    expect(page.locator(".facts").get_by_role("link", name="Claude Opus 4.7")).to_be_visible()


def test_the_resolved_incident_says_when_it_ended(look, seeded):
    page = look(incident_page(seeded.resolved.id)).page
    expect(page.locator(".page-head .pill").first).to_have_text("Resolved")
    expect(page.locator(".facts")).to_contain_text("Resolved")


def test_an_unknown_incident_is_a_friendly_404(browser, base_url):
    page = browser.new_page()
    try:
        response = page.goto(f"{base_url}{incident_page('999999')}")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("No such incident")
        expect(page.get_by_role("link", name="Back to the status overview")).to_be_visible()
    finally:
        page.close()
