"""The overview as Chromium gets it, for bench/overview.py: bytes, DOM nodes, load times,
one model's days on demand and the filter box.

The app is served by waitress from a thread (as the browser tests serve it) and visited
by Debian's Chromium (/usr/bin/chromium) through Playwright, each visit in a fresh
browser context (no browser cache). Figures:

  - HTML and gzipped bytes of `/` as sent (Resource Timing's decoded and encoded sizes);
  - DOM nodes: `document.getElementsByTagName('*').length` once loaded;
  - load: navigation start to the load event's end, desktop (1280 px) and a phone-like
    visit (390 px, CPU slowed 4x through the DevTools protocol); the first visit builds
    the page (response cache empty), later ones are served from the cache;
  - days on demand: a click on a model's strip (as Enter gives it) to its 90 days
    in place, timed by the page, and the fragment's size;
  - filter: typing a model's name to the rows being hidden and laid out again.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import waitress.server
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_WIDTH = 390
PHONE_CPU_SLOWDOWN = 4

_NAVIGATION = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  return {load: n.loadEventEnd - n.startTime, html: n.decodedBodySize, sent: n.encodedBodySize,
          nodes: document.getElementsByTagName("*").length};
}"""
_UNFOLD = """(name) => {
  const link = [...document.querySelectorAll(".model__name a")].find((a) => a.textContent === name);
  const row = link.closest("li");
  row.id = "bench-row";
  const fold = row.closest("details");
  if (fold) fold.open = true;
}"""
# From the click (as Enter on the focused strip gives it, no pointer before it) to the
# days in the row: the fetch, the parse and the insertion, as the page itself times them.
_OPEN_DAYS = """() => new Promise((done) => {
  const row = document.getElementById("bench-row");
  const link = row.querySelector(".daybar__link");
  let started = 0;
  link.addEventListener("click", () => { started = performance.now(); }, {capture: true});
  new MutationObserver((_, watch) => {
    if (row.querySelectorAll(".uptime__seg").length === 90) {
      watch.disconnect();
      done(performance.now() - started);
    }
  }).observe(row, {childList: true, subtree: true});
  link.focus();
  link.click();
})"""
_FILTER = """async (words) => {
  const box = document.getElementById("model-filter");
  const started = performance.now();
  box.value = words;
  box.dispatchEvent(new Event("input"));
  document.body.offsetHeight;  // the layout of what is left
  await new Promise((done) => requestAnimationFrame(() => setTimeout(done)));
  return {ms: performance.now() - started,
          status: document.getElementById("filter-status").textContent};
}"""


@dataclass(frozen=True)
class Figures:
    html_bytes: int
    sent_bytes: int
    dom_nodes: int
    first_load_ms: float  # the response cache empty: the view runs
    load_ms: list[float]  # served from the response cache
    phone_load_ms: list[float]  # 390 px, CPU slowed 4x, cached
    days_ms: float | None  # click to 90 days in place; None: no days on demand
    days_bytes: int
    days_sent: int
    filter_ms: float | None  # None: no filter box (a short page)
    filter_status: str


@contextmanager
def served(app: Flask) -> Iterator[str]:
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(timeout=5)


def measure(app: Flask, loads: int, model_name: str) -> Figures:
    """`loads` cached visits of each kind; `model_name`: a row to open and to filter for."""
    if not CHROMIUM.exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM} (Debian package `chromium`)")
    with served(app) as base, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            first = _visit(browser, base)
            desktop = [_visit(browser, base) for _ in range(loads)]
            phone = [_visit(browser, base, phone=True) for _ in range(loads)]
            days = _days_on_demand(browser, base, model_name)
            filtered = _filter(browser, base, model_name)
        finally:
            browser.close()
    return Figures(
        html_bytes=first["html"],
        sent_bytes=first["sent"],
        dom_nodes=first["nodes"],
        first_load_ms=first["load"],
        load_ms=[v["load"] for v in desktop],
        phone_load_ms=[v["load"] for v in phone],
        days_ms=days[0],
        days_bytes=days[1],
        days_sent=days[2],
        filter_ms=filtered[0],
        filter_status=filtered[1],
    )


def _page(browser: Browser, base: str, *, phone: bool = False) -> Page:
    width = PHONE_WIDTH if phone else 1280
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=base)
    page = context.new_page()
    if phone:
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": PHONE_CPU_SLOWDOWN})
    return page


def _visit(browser: Browser, base: str, *, phone: bool = False) -> dict[str, float]:
    page = _page(browser, base, phone=phone)
    try:
        response = page.goto("/", wait_until="load")
        assert response is not None and response.ok, response and response.status
        page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
        figures: dict[str, float] = page.evaluate(_NAVIGATION)
        return figures
    finally:
        page.context.close()


def _days_on_demand(browser: Browser, base: str, name: str) -> tuple[float | None, int, int]:
    page = _page(browser, base)
    try:
        page.goto("/", wait_until="load")
        # Its group may be folded: unfold it as a reader would.
        page.evaluate(_UNFOLD, name)
        row = page.locator("#bench-row")
        if not row.locator(".daybar__link").count():  # every day written out (before issue 13)
            return None, 0, 0
        ms = page.evaluate(_OPEN_DAYS)
        sizes = page.evaluate("""() => { const r = performance.getEntriesByType("resource")
            .filter((e) => e.name.includes("/days/")).pop();
            return [r.decodedBodySize, r.encodedBodySize]; }""")
        return float(ms), int(sizes[0]), int(sizes[1])
    finally:
        page.context.close()


def _filter(browser: Browser, base: str, name: str) -> tuple[float | None, str]:
    page = _page(browser, base)
    try:
        page.goto("/", wait_until="load")
        if not page.locator("#model-filter").count():
            return None, ""
        outcome = page.evaluate(_FILTER, name.lower())
        return float(outcome["ms"]), str(outcome["status"])
    finally:
        page.context.close()


def summary(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples):7.1f} ms   max {max(samples):7.1f} ms"
