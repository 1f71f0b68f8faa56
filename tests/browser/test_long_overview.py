"""A long overview (24 models, tests/browser/conftest.py's LONG_SETTINGS) in Chromium:
groups fold, except the one whose model is failing; a filter box finds a model; a
model's days still come on demand; nothing of it needs JavaScript to be reached."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser


def group(page: Page, name: str) -> Locator:
    return page.locator("section.group").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )


def card(page: Page, name: str) -> Locator:
    return page.locator("li.model").filter(has=page.get_by_role("link", name=name, exact=True))


def test_groups_fold_but_the_one_with_a_failing_model_stays_open(visit_long):
    seen = visit_long("/")
    page = seen.page
    expect(group(page, "Beta").locator("details")).to_have_attribute("open", "")
    expect(card(page, "Beta 5").locator(".model__status")).to_have_text(
        re.compile(r"(Partial|Major) outage")
    )
    for folded in ("Alpha", "Gamma"):
        expect(group(page, folded).locator("details")).not_to_have_attribute("open", "")
        expect(group(page, folded).locator("li.model").first).to_be_hidden()
        # Folded, a group still says how it is and how many models it holds.
        expect(group(page, folded).locator("summary")).to_contain_text("Operational")
        expect(group(page, folded).locator("summary")).to_contain_text("8 models")
    assert seen.problems() == []


def test_a_folded_group_opens_by_keyboard(visit_long):
    page = visit_long("/").page
    summary = group(page, "Gamma").locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(card(page, "Gamma 3")).to_be_visible()


def test_the_filter_shows_only_matching_models_and_unfolds_their_group(visit_long):
    seen = visit_long("/")
    page = seen.page
    box = page.get_by_role("searchbox", name="Find a model")
    expect(box).to_be_visible()
    box.fill("gamma 3")
    expect(card(page, "Gamma 3")).to_be_visible()
    expect(page.locator("li.model:visible")).to_have_count(1)
    expect(group(page, "Alpha")).to_be_hidden()
    expect(group(page, "Beta")).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text("1 of 24 models shown")
    box.fill("alpha")  # a group's name shows all of its models
    expect(page.locator("li.model:visible")).to_have_count(8)
    box.fill("")  # each group back as it was: the failing one open, the others folded
    expect(group(page, "Beta").locator("details")).to_have_attribute("open", "")
    expect(group(page, "Alpha").locator("details")).not_to_have_attribute("open", "")
    expect(card(page, "Alpha 1")).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text("")
    assert seen.problems() == []


def test_a_filtered_models_days_come_on_demand_by_keyboard(visit_long):
    page = visit_long("/").page
    page.get_by_role("searchbox", name="Find a model").fill("alpha 1")
    page.keyboard.press("Tab")  # from the box to the model's first link, then on
    strip = card(page, "Alpha 1").locator(".daybar__link")
    for _ in range(10):
        if strip.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached Alpha 1's day strip")
    page.keyboard.press("Enter")
    day = card(page, "Alpha 1").locator(".uptime__seg").first
    expect(day).to_be_focused()
    expect(page.locator(f"#{day.get_attribute('aria-describedby')}")).to_be_visible()


def test_without_javascript_every_group_still_opens_and_no_dead_filter_shows(visit_long):
    page = visit_long("/", script=False).page
    expect(page.get_by_role("searchbox")).to_have_count(0)  # hidden: it could not filter
    group(page, "Alpha").locator("summary").click()
    expect(card(page, "Alpha 2")).to_be_visible()


def test_axe_finds_nothing_serious_folded_filtered_or_with_days_open(visit_long):
    page = visit_long("/").page
    axe = Axe()
    page.get_by_role("searchbox", name="Find a model").fill("beta")
    card(page, "Beta 5").locator(".daybar__link").click()
    expect(card(page, "Beta 5").locator(".uptime__seg")).to_have_count(90)
    page.get_by_role("searchbox", name="Find a model").fill("")
    results = axe.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not blocking, results.generate_report()


def test_a_phone_never_scrolls_sideways_with_the_filter_and_a_models_days(visit_long):
    page = visit_long("/", width=390, dark=True).page
    card(page, "Beta 5").locator(".daybar__link").click()
    expect(card(page, "Beta 5").locator(".uptime__seg")).to_have_count(90)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the long overview is {width}px wide on a 390px screen"
