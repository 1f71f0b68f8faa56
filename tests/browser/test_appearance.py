"""Every page as a phone and a dark-mode user get it, with nothing failing in the console."""

from __future__ import annotations

import pytest

from tests.browser.pages import MODES, PAGES, path_of

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390
# Relative luminance (0 black .. 1 white) below which a background reads as dark.
DARK_LUMINANCE = 0.2

_BODY_LUMINANCE = """() => {
  const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/[\\d.]+/g).map(Number);
  const lin = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}"""


@pytest.mark.parametrize("name", PAGES)
def test_dark_mode_paints_a_dark_background(look, seeded, name):
    page = look(path_of(name, seeded), dark=True).page
    assert page.evaluate(_BODY_LUMINANCE) < DARK_LUMINANCE


@pytest.mark.parametrize("name", PAGES)
def test_light_mode_paints_a_light_background(look, seeded, name):
    page = look(path_of(name, seeded)).page
    assert page.evaluate(_BODY_LUMINANCE) > 1 - DARK_LUMINANCE


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PAGES)
def test_a_phone_never_scrolls_sideways(look, seeded, name, mode):
    page = look(path_of(name, seeded), dark=mode == "dark", width=PHONE_WIDTH).page
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{name} is {width}px wide on a {PHONE_WIDTH}px screen"


@pytest.mark.parametrize("width", [PHONE_WIDTH, 1280])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PAGES)
def test_no_console_error_and_no_csp_violation(look, seeded, name, mode, width):
    assert look(path_of(name, seeded), dark=mode == "dark", width=width).problems() == []
