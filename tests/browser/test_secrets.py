"""The API key the prober holds never reaches a page a visitor can load."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ANTHROPIC_KEY
from tests.browser.pages import PAGES, path_of

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("name", PAGES)
def test_no_page_shows_the_api_key(look, seeded, name):
    assert ANTHROPIC_KEY not in look(path_of(name, seeded)).page.content()
