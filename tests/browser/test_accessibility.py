"""axe-core on every page in both colour schemes: nothing serious or critical."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.pages import MODES, PAGES, path_of

pytestmark = pytest.mark.browser

AXE = Axe()
BLOCKING = {"serious", "critical"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_or_critical_violation(look, seeded, name, mode):
    results = AXE.run(look(path_of(name, seeded), dark=mode == "dark").page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, results.generate_report()
