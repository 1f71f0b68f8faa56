"""The real site, served by waitress over loopback, visited by headless Chromium.

One seeded SQLite store, one server and one browser serve every test here
(launching Chromium and seeding cost seconds). Package scope, not session:
Playwright's sync API keeps an event loop running in the main thread, which
would break every later `asyncio.run()` in other packages. The seed, as a
visitor would see it at NOW (08:00 UTC):

  Anthropic            Claude Opus 4.7 failing since 07:20 (an active incident),
                       after a 02:00-02:30 outage (a resolved one); two bad days
                       in its 90-day bar. Claude Sonnet 4.6 operational, its answers
                       right, but in sentences since midnight: only its exact form misses.
  Simulated OpenAI     GPT (simulated), operational: the "Simulated" tag.
  Google Gemini        no key: "Not configured: set GEMINI_API_KEY".

    def test_something(look):
        seen = look("/", dark=True, width=390)    # loaded once per session, screenshot
        seen.page.locator(...)                     # `visit` instead: a fresh page to click on
        assert seen.problems() == []               # console errors, page errors, CSP
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import waitress.server
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)

from monitor.clock import FakeClock
from monitor.config import Settings
from monitor.judging.incidents import Incident
from monitor.store import Store
from tests.browser.seeding import Outage, Plan, seed_store
from tests.web import one_vantage
from web import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

NOW = datetime(2026, 6, 7, 8, 0, tzinfo=UTC)
OPUS = "anthropic/claude-opus-4-7"
SONNET = "anthropic/claude-sonnet-4-6"
SIMULATED = "sim-openai/gpt-demo"
GEMINI = "gemini/gemini-2.5-pro"
# Set for the seed only, to prove a key's value never reaches a page.
ANTHROPIC_KEY = "sk-ant-browser-test-not-a-real-key"

SETTINGS = Settings.model_validate(
    {
        "site": {"title": "aistatus", "public_url": "http://127.0.0.1:8080"},
        "providers": [
            {
                "id": "anthropic",
                "display_name": "Anthropic",
                "kind": "anthropic",
                "base_url": "https://api.anthropic.com",
                "api_key_env": "ANTHROPIC_API_KEY",
            },
            {
                "id": "sim-openai",
                "display_name": "Simulated OpenAI",
                "kind": "openai",
                "base_url": "http://127.0.0.1:9/openai/v1",
                "simulated": True,
            },
            {
                "id": "gemini",
                "display_name": "Google Gemini",
                "kind": "gemini",
                "base_url": "https://generativelanguage.googleapis.com",
                "api_key_env": "GEMINI_API_KEY",
            },
        ],
        "models": [
            {
                "provider": "anthropic",
                "model": "claude-opus-4-7",
                "display_name": "Claude Opus 4.7",
            },
            {
                "provider": "anthropic",
                "model": "claude-sonnet-4-6",
                "display_name": "Claude Sonnet 4.6",
            },
            {
                "provider": "sim-openai",
                "model": "gpt-demo",
                "display_name": "GPT (simulated)",
                "group": "Demo (simulated)",
            },
            {"provider": "gemini", "model": "gemini-2.5-pro", "display_name": "Gemini 2.5 Pro"},
        ],
    }
)

PLAN = Plan(
    now=NOW,
    outages=(
        Outage(frozenset({OPUS}), NOW - timedelta(hours=6), NOW - timedelta(hours=5, minutes=30)),
        Outage(frozenset({OPUS}), NOW - timedelta(minutes=40), NOW),
    ),
    bad_days={OPUS: {3: 300, 12: 40}},
    wordy=frozenset({SONNET}),  # right answers in sentences today: exact form only misses
)

# A long overview (more than web/queries/overview.py's LONG_PAGE_MODELS): 24 models of
# three keyless providers, one of them failing now (Beta 5, since 07:20).
LONG_PROVIDERS = ("alpha", "beta", "gamma")
LONG_FAILING = "beta/model-5"
LONG_SETTINGS = Settings.model_validate(
    {
        "site": {"title": "aistatus", "public_url": "http://127.0.0.1:8080"},
        "providers": [
            {
                "id": p,
                "display_name": p.capitalize(),
                "kind": "openai_compatible",
                "base_url": f"http://127.0.0.1:9/{p}/v1",
            }
            for p in LONG_PROVIDERS
        ],
        "models": [
            {"provider": p, "model": f"model-{n}", "display_name": f"{p.capitalize()} {n}"}
            for p in LONG_PROVIDERS
            for n in range(1, 9)
        ],
    }
)
LONG_PLAN = Plan(
    now=NOW,
    history_days=14,
    engine_hours=1,
    regions=("local",),
    outages=(Outage(frozenset({LONG_FAILING}), NOW - timedelta(minutes=40), NOW),),
    bad_days={"alpha/model-1": {3: 300}},
)

# Reported by the page itself: CSP refusals do not always reach the console.
_WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


@dataclass(frozen=True)
class Seeded:
    store: Store
    active: Incident  # Opus, since 07:20
    resolved: Incident  # Opus, 02:00-02:30


@dataclass
class Visit:
    page: Page
    name: str
    console: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Console errors, uncaught page errors and CSP violations seen so far."""
        # Violation events and console messages are queued tasks: let them run first.
        self.page.evaluate("() => new Promise((done) => setTimeout(done, 50))")
        return self.console + [f"CSP: {v}" for v in self.page.evaluate("window.__cspViolations")]

    def screenshot(self) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


class Tab:
    """Opens pages of the site, each in its own browser context (colour scheme, width)."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.contexts: list[BrowserContext] = []

    def open(
        self, path: str, *, dark: bool = False, width: int = 1280, script: bool = True
    ) -> Visit:
        context = self.browser.new_context(
            viewport={"width": width, "height": 900},
            color_scheme="dark" if dark else "light",
            base_url=self.base_url,
            java_script_enabled=script,
        )
        self.contexts.append(context)
        context.add_init_script(_WATCH_CSP)
        page = context.new_page()
        seen = Visit(page, _name_for(path, dark, width))
        page.on("console", lambda m: _keep_errors(seen, m))
        page.on("pageerror", lambda e: seen.console.append(f"page error: {e}"))
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        return seen

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="package")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('site') / 'aistatus.db'}")
    seed_store(store, SETTINGS, PLAN, {"ANTHROPIC_API_KEY": ANTHROPIC_KEY})
    open_ = store.incidents(open_only=True)
    resolved = [i for i in store.incidents() if i.resolved_at is not None]
    assert len(open_) == 1 and len(resolved) == 1, "the seed should hold one incident of each"
    yield Seeded(store, open_[0], resolved[0])
    store.dispose()


@pytest.fixture(scope="package")
def base_url(seeded: Seeded) -> Iterator[str]:
    """The site, served by waitress (the production server) from a thread."""
    yield from _serve(create_app(SETTINGS, seeded.store, clock=FakeClock(NOW)))


@pytest.fixture(scope="package")
def long_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second site: the long overview (LONG_SETTINGS)."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('long') / 'aistatus.db'}")
    seed_store(store, LONG_SETTINGS, LONG_PLAN, {})
    yield from _serve(create_app(LONG_SETTINGS, store, clock=FakeClock(NOW)))
    store.dispose()


@pytest.fixture
def visit_long(browser: Browser, long_url: str) -> Iterator[Callable[..., Visit]]:
    """`visit` on the long overview's site."""
    tab = Tab(browser, long_url)
    yield tab.open
    tab.close()


@pytest.fixture(scope="package")
def one_vantage_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second site: a fresh install at one vantage point while the engine still says
    `operational` beside a failing model (tests/web/one_vantage.py)."""
    store = one_vantage.seed(Store(f"sqlite:///{tmp_path_factory.mktemp('one') / 'a.db'}"))
    app = create_app(one_vantage.SETTINGS, store, clock=FakeClock(one_vantage.NOW))
    yield from _serve(app)
    store.dispose()


def _serve(app: Flask) -> Iterator[str]:
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="site", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.task_dispatcher.shutdown()
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def visit_one_vantage(browser: Browser, one_vantage_url: str) -> Iterator[Callable[..., Visit]]:
    """`visit` on the one-vantage-point site."""
    tab = Tab(browser, one_vantage_url)
    yield tab.open
    tab.close()


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        # Never downloaded: the tests use the distribution's Chromium (Debian: `chromium`).
        message = f"Chromium not found at {CHROMIUM} (Debian package `chromium`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def visit(browser: Browser, base_url: str) -> Iterator[Callable[..., Visit]]:
    """`visit(path, dark=False, width=1280)`: a fresh page, for tests that click or type."""
    tab = Tab(browser, base_url)
    yield tab.open
    tab.close()


@pytest.fixture(scope="package")
def look(browser: Browser, base_url: str) -> Iterator[Callable[..., Visit]]:
    """`look(path, dark=False, width=1280)`: the page loaded once and screenshot, shared by
    every test that only reads it (loading and screenshots are most of the run's time)."""
    tab, seen = Tab(browser, base_url), {}
    for old in SCREENSHOTS.glob("*.png"):  # this run's screenshots only
        old.unlink()

    def open_once(path: str, *, dark: bool = False, width: int = 1280) -> Visit:
        key = (path, dark, width)
        if key not in seen:
            seen[key] = tab.open(path, dark=dark, width=width)
            seen[key].screenshot()
        return seen[key]

    yield open_once
    tab.close()


def _keep_errors(seen: Visit, message: ConsoleMessage) -> None:
    if message.type == "error":
        seen.console.append(f"console: {message.text}")


def _name_for(path: str, dark: bool, width: int) -> str:
    slug = re.sub(r"[^a-z0-9.]+", "-", path.lower()).strip("-") or "overview"
    return f"{slug}-{'dark' if dark else 'light'}-{width}"
