"""Subscribing from a model's page in Chromium, and a forged form from elsewhere refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OPUS
from web.public_paths import model_page

pytestmark = pytest.mark.browser


def test_a_visitor_subscribes_to_the_model_they_are_looking_at(visit):
    seen = visit(model_page(OPUS))
    page = seen.page
    page.get_by_role("link", name="Subscribe to this model").click()
    expect(page.get_by_role("heading", name="Subscribe")).to_be_visible()
    expect(page.get_by_label("Claude Opus 4.7")).to_be_checked()
    page.get_by_label("Email address or webhook URL").fill("reader@example.org")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator("#subscribe-result")).to_contain_text("a confirmation is on its way")
    assert seen.problems() == []


def test_a_form_posted_from_another_site_is_refused(visit, base_url):
    seen = visit("/subscribe")  # the visitor has the site's cookie
    page = seen.page
    page.set_content(
        f'<form method="post" action="{base_url}/subscribe">'
        '<input name="csrf" value="guessed"><input name="address" value="victim@example.org">'
        "<button>go</button></form>"
    )
    page.get_by_role("button", name="go").click()
    expect(page.locator("#subscribe-error")).to_contain_text("expired")
