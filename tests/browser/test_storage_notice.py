"""A visitor while the site's database is unreachable: the kept page, and a notice they see.

The outage here is a store whose reads raise the error a stopped database gives
(tests/web/test_outage*.py stop real ones); this file is about what the page looks like.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import waitress.server
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser
from sqlalchemy.exc import OperationalError

from monitor.clock import FakeClock
from monitor.store import Store
from tests.browser.conftest import NOW, SETTINGS, Seeded, Tab
from web import create_app

pytestmark = pytest.mark.browser


class Unplugged:
    """The seeded store, until `down` is set: then every read fails as if it were stopped."""

    def __init__(self, store: Store) -> None:
        self.store, self.down = store, False

    def __getattr__(self, name: str) -> Any:
        if self.down:
            refused = ConnectionRefusedError("connection to server at 127.0.0.1 refused")
            raise OperationalError("SELECT ...", {}, refused)
        return getattr(self.store, name)


@pytest.fixture
def unplugged_site(browser: Browser, seeded: Seeded) -> Iterator[tuple[Tab, Unplugged, FakeClock]]:
    store, clock = Unplugged(seeded.store), FakeClock(NOW)
    app = create_app(SETTINGS, store, clock=clock)  # type: ignore[arg-type]
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, name="unplugged-site", daemon=True)
    thread.start()
    tab = Tab(browser, f"http://127.0.0.1:{server.effective_port}")
    yield tab, store, clock
    tab.close()
    server.task_dispatcher.shutdown()
    server.close()
    thread.join(timeout=5)


@pytest.mark.parametrize("dark", [False, True])
def test_the_kept_overview_says_how_old_it_is_in_a_notice_a_visitor_sees(unplugged_site, dark):
    tab, store, clock = unplugged_site
    tab.open("/")
    store.down = True
    clock.advance(600)
    seen = tab.open("/", dark=dark)
    notice = seen.page.get_by_role("status").filter(has_text="Data as of 08:00 UTC")
    assert notice.is_visible()
    assert "our storage is unreachable" in notice.inner_text()
    assert seen.page.get_by_text("Claude Opus 4.7").first.is_visible()  # the kept page
    seen.name = f"storage-notice-{'dark' if dark else 'light'}"
    seen.screenshot()
    assert seen.problems() == []
    violations = Axe().run(seen.page).response["violations"]
    assert not [v for v in violations if v["impact"] in {"serious", "critical"}]
