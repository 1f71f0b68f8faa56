"""The public pages, rendered from hand-made view models: what a visitor would notice."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask, render_template

import templates
from tests.web import factories as f
from tests.web.html import Page, parse
from web.queries.viewmodels import (
    Banner,
    DaysFragment,
    IncidentUpdateView,
    Link,
    ProviderGroup,
    RegionRow,
    range_tabs,
)
from web.render.filters import register_filters

TEMPLATES = Path(templates.__file__).parent
SITE = {
    "title": "aistatus",
    "description": "Independent health of AI model APIs",
    "public_url": "https://status.example.org",
}


@pytest.fixture(scope="module")
def app() -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=str(TEMPLATES / "static"))
    register_filters(app)
    return app


@pytest.fixture
def render(app: Flask):
    def render(template: str, page: object | None = None) -> Page:
        context = {"site": SITE}
        if page is not None:
            context["page"] = page
        with app.test_request_context("/"):
            return parse(render_template(template, **context))

    return render


ALL_PAGES = [
    ("index.html", f.overview),
    ("model.html", f.model_page),
    ("incident.html", f.incident_page),
    ("incidents.html", f.incidents_page),
    ("404.html", lambda: None),
    ("500.html", lambda: None),
]


@pytest.fixture(scope="module")
def sample(app: Flask) -> dict[str, Page]:
    """Each template rendered once from the factories' sample view model (parsing is slow)."""
    pages = {}
    with app.test_request_context("/"):
        for template, build in ALL_PAGES:
            page = build()
            context = {"site": SITE} | ({"page": page} if page else {})
            pages[template] = parse(render_template(template, **context))
    return pages


# --- overview ----------------------------------------------------------------


def test_overview_banner_counts_the_affected_models(sample):
    page = sample["index.html"]
    assert "2 of 5 models affected" in page.text


def test_overview_banner_says_all_operational_when_nothing_is_affected(render):
    page = render(
        "index.html", f.overview(banner=Banner("operational", 4, 0, 4), active_incidents=())
    )
    assert "All models operational Operational · 4 models probed" in page.text
    assert "Active incidents" not in page.text


def test_each_model_shows_its_own_status_not_its_providers(render):
    group = ProviderGroup(
        "Anthropic",
        "partial_outage",
        (
            f.model_row(name="Opus", status="major_outage"),
            f.model_row(name="Sonnet", id="anthropic/sonnet", status="operational"),
        ),
    )
    page = render("index.html", f.overview(groups=(group,)))
    assert re.search(r"Opus .*?Major outage.*?Sonnet .*?Operational", page.text)


def test_overview_row_shows_latency_and_answers(render):
    row = f.model_row(ttft_ms=612.0, total_ms=2140.0, answers_ok=False, answers_pass_percent=71.5)
    page = render("index.html", f.overview(groups=(ProviderGroup("A", "operational", (row,)),)))
    assert "Time to first token 612 ms" in page.text
    assert "Total latency 2.14 s" in page.text
    assert "Wrong (71.5% correct)" in page.text


def test_active_incidents_come_before_the_model_list(sample):
    page = sample["index.html"]
    assert page.text.index("Active incidents") < page.text.index("Claude Sonnet 4.6")
    assert "Elevated errors on Claude Opus 4.7" in page.text


def test_provider_without_a_key_says_which_variable_to_set(render):
    group = ProviderGroup(
        "Anthropic",
        "not_configured",
        (f.model_row(status="not_configured", uptime_days=()),),
        missing_key="ANTHROPIC_API_KEY",
    )
    page = render("index.html", f.overview(groups=(group,)))
    assert "Not configured: set ANTHROPIC_API_KEY" in page.text


def test_simulated_models_are_labelled_and_real_ones_are_not(render):
    real = ProviderGroup("OpenAI", "operational", (f.model_row(name="GPT-5.1"),))
    page = render(
        "index.html", f.overview(groups=(real,), active_incidents=(), recent_incidents=())
    )
    assert "Simulated" not in page.text
    sim = ProviderGroup(
        "Demo", "operational", (f.model_row(name="Sim", simulated=True),), simulated=True
    )
    assert "Simulated" in render("index.html", f.overview(groups=(sim,))).text


def test_the_overview_draws_each_bar_as_one_svg_named_by_its_days(sample):
    page = sample["index.html"]
    assert not [e for e in page.all("span") if "uptime__seg" in (e.attrs.get("class") or "")]
    strips = [e for e in page.all("svg") if e.attrs.get("class") == "strip"]
    assert len(strips) == 5  # five probed models; the unconfigured one has none
    links = [e for e in page.all("a") if e.attrs.get("class") == "daybar__link"]
    assert links[0].attrs["href"] == "/models/anthropic/claude-opus-4-7#uptime-heading"
    assert links[0].attrs["aria-label"] == (
        "Daily status of Claude Opus 4.7: 1 day Major outage, 1 day Partial outage, "
        "1 day Degraded performance, 87 days Operational. Show each day"
    )


def test_the_days_fragment_has_one_focusable_segment_per_day_each_described_by_its_tip(app):
    fragment = DaysFragment("Claude Opus 4.7", "d1a2b3c4", f.uptime_days(2, {0: "major_outage"}))
    with app.test_request_context("/"):
        page = parse(render_template("_days.html", fragment=fragment))
    segments = [e for e in page.all("span") if "uptime__seg" in (e.attrs.get("class") or "")]
    assert len(segments) == 90
    assert all(e.attrs.get("tabindex") == "0" for e in segments)
    tips = page.ids()
    assert all(e.attrs["aria-describedby"] in tips for e in segments)
    assert page.all("ol")[0].attrs["aria-label"] == "Daily status of Claude Opus 4.7, oldest first"


def test_a_bad_day_tells_its_uptime_failures_and_incident(app):
    incident = Link("Elevated errors", "/incidents/inc-42")
    days = f.uptime_days(bad_days={0: "major_outage"}, incident=incident)
    with app.test_request_context("/"):
        page = parse(render_template("_days.html", fragment=DaysFragment("A", "d1", days)))
    assert "14 Mar 2026 · Major outage 68.75% uptime · 2,880 probes" in page.text
    assert "Infrastructure: 600 failures" in page.text
    assert '<a href="/incidents/inc-42">Elevated errors</a>' in page.html


def test_a_hostile_name_stays_text_in_the_strip_and_the_days(render, app):
    row = f.model_row(name=f.HOSTILE)
    page = render("index.html", f.overview(groups=(ProviderGroup("A", "operational", (row,)),)))
    link = next(e for e in page.all("a") if e.attrs.get("class") == "daybar__link")
    assert f.HOSTILE in link.attrs["aria-label"]
    with app.test_request_context("/"):
        fragment = DaysFragment(f.HOSTILE, "d1", row.uptime_days)
        html = render_template("_days.html", fragment=fragment)
    assert "<script>" not in html
    assert parse(html).all("ol")[0].attrs["aria-label"].startswith(f"Daily status of {f.HOSTILE}")


def test_a_long_overview_folds_operational_groups_and_keeps_failing_ones_open(render):
    fine = ProviderGroup("OpenAI", "operational", (f.model_row(),), open=False)
    failing = ProviderGroup("Anthropic", "partial_outage", (f.model_row(),), open=True)
    page = render("index.html", f.overview(groups=(fine, failing), long=True))
    assert [("open" in e.attrs) for e in page.all("details")] == [False, True]
    assert [e.attrs.get("id") for e in page.all("input")] == ["model-filter"]


def test_a_short_overview_neither_folds_nor_offers_a_filter(sample):
    assert not sample["index.html"].all("details")
    assert not sample["index.html"].all("input")


# --- model page --------------------------------------------------------------


def test_model_page_shows_latency_and_failure_charts_for_screen_readers(sample):
    page = sample["model.html"]
    charts = [e for e in page.all("svg") if e.attrs.get("role") == "img"]
    assert {e.attrs["id"] for e in charts} == {"chart-ttft", "chart-total", "chart-failures"}
    for chart in charts:
        for ref in (chart.attrs["aria-labelledby"] or "").split():
            assert ref in page.ids()


def test_range_tabs_link_with_a_query_and_mark_the_current_one(render):
    page = render("model.html", f.model_page(tabs=range_tabs("7d")))
    links = {
        e.attrs["href"]: e.attrs.get("aria-current")
        for e in page.all("a")
        if (e.attrs.get("href") or "").startswith("?range=")
    }
    assert links == {
        "?range=24h": None,
        "?range=7d": "page",
        "?range=30d": None,
        "?range=90d": None,
    }


def test_model_page_compares_answers_with_the_baseline(render):
    quality = replace(
        f.model_page().quality, verdict="degraded", pass_percent=81.25, baseline_percent=99.5
    )
    page = render("model.html", f.model_page(quality=quality))
    assert "81.2% correct" in page.text
    assert "Usual for this model: 99.5% Now below its usual" in page.text


def test_region_table_lists_each_vantage_point(render):
    regions = (
        RegionRow("eu-west", "major_outage", 720, 12.5, None, None, f.NOW),
        RegionRow("us-east", "operational", 720, 100.0, 420.0, 1500.0, f.NOW),
    )
    page = render("model.html", f.model_page(regions=regions))
    assert "eu-west Major outage 720 12.5%" in page.text
    assert "us-east Operational 720 100% 420 ms 1.50 s" in page.text


def test_unconfigured_model_page_says_which_variable_to_set(render):
    page = render("model.html", f.model_page(missing_key="OPENAI_API_KEY"))
    assert "Not configured: set OPENAI_API_KEY" in page.text


# --- incidents ---------------------------------------------------------------


def test_incident_page_lists_updates_in_the_order_given_newest_first(render):
    updates = (
        IncidentUpdateView(f.NOW, "resolved", "All clear."),
        IncidentUpdateView(f.NOW - timedelta(hours=1), "investigating", "Looking."),
    )
    page = render("incident.html", f.incident_page(updates=updates))
    assert page.text.index("All clear.") < page.text.index("Looking.")


def test_incident_page_shows_impact_cause_models_regions_and_evidence(sample):
    page = sample["incident.html"]
    for expected in (
        "Impact: Major",
        "Cause Infrastructure",
        "Claude Opus 4.7",
        "eu-west, us-east",
        "Baseline for this model: 0.4% failures.",
    ):
        assert expected in page.text


def test_incident_text_keeps_its_paragraphs(render):
    page = render("incident.html", f.incident_page(evidence="First line\nsecond line\n\nNew para"))
    assert "<p>First line<br>\nsecond line</p>\n<p>New para</p>" in page.html


def test_history_groups_incidents_by_month_and_names_quiet_months(sample):
    page = sample["incidents.html"]
    assert re.search(
        r"March 2026 .*February 2026 No incidents reported this month\. "
        r"January 2026 Gemini 2.5 Pro unreachable",
        page.text,
    )


def test_times_are_shown_in_utc_with_a_machine_readable_instant(sample):
    page = sample["incident.html"]
    assert "Started 14 Mar 2026, 15:04 UTC" in page.text
    assert any(e.attrs.get("datetime") == "2026-03-14T15:04:07Z" for e in page.all("time"))


def test_error_pages_render_without_a_view_model(sample):
    assert "Page not found" in sample["404.html"].text
    assert "This page failed to load" in sample["500.html"].text


# --- safety and accessibility on every page ----------------------------------


def _hostile_pages() -> list[tuple[str, object]]:
    h = f.HOSTILE
    row = f.model_row(name=h, id=h, url="/models/x")
    incident = f.incident(title=h, latest_update=h, affected=(Link(h, "/m"),))
    return [
        (
            "index.html",
            f.overview(
                groups=(ProviderGroup(h, "operational", (row,), missing_key=None),),
                active_incidents=(incident,),
            ),
        ),
        (
            "model.html",
            f.model_page(
                name=h,
                id=h,
                provider=Link(h, "/p"),
                ttft=replace(f.latency_series(), title=h),
                regions=(RegionRow(h, "operational", 1, 100.0, 1.0, 1.0, f.NOW, note=h),),
                quality=replace(f.model_page().quality, explanation=h),
            ),
        ),
        (
            "incident.html",
            f.incident_page(
                incident=incident,
                evidence=h,
                regions=(h,),
                updates=(IncidentUpdateView(f.NOW, "identified", h),),
            ),
        ),
        (
            "incidents.html",
            f.incidents_page(
                months=(replace(f.incidents_page().months[0], incidents=(incident,)),)
            ),
        ),
    ]


@pytest.mark.parametrize(("template", "page"), _hostile_pages(), ids=lambda v: str(v)[:14])
def test_hostile_names_are_shown_as_text_never_run(render, template, page):
    rendered = render(template, page)
    assert "<script>alert(1)</script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert f.HOSTILE in rendered.text


@pytest.mark.parametrize("template", [t for t, _ in ALL_PAGES])
def test_pages_pass_a_strict_content_security_policy(sample, template):
    page = sample[template]
    # One external same-origin script, no inline code: cached pages need no nonce.
    assert [e.attrs.get("src") for e in page.all("script")][-1] == "/static/local-time.js"
    assert all((e.attrs.get("src") or "").startswith("/static/") for e in page.all("script"))
    assert "<script>" not in page.html and "nonce" not in page.html
    assert not [e for e in page.elements if "style" in e.attrs]
    assert not page.all("style")
    assert not [e for e in page.elements if any(k.startswith("on") for k in e.attrs)]


@pytest.mark.parametrize("template", [t for t, _ in ALL_PAGES])
def test_pages_fetch_nothing_from_another_site(sample, template):
    page = sample[template]
    fetched = [
        e.attrs.get("src") or e.attrs.get("href") or ""
        for e in page.elements
        if e.tag in ("script", "link", "img", "iframe", "image", "use")
    ]
    fetched = [url for url in fetched if url]
    assert "/static/site.css" in fetched
    assert not [url for url in fetched if re.match(r"(https?:)?//", url)]


@pytest.mark.parametrize("template", [t for t, _ in ALL_PAGES])
def test_pages_have_landmarks_a_skip_link_and_one_main_heading(sample, template):
    page = sample[template]
    assert page.all("a")[0].attrs.get("href") == "#main"
    assert [e.attrs.get("id") for e in page.all("main")] == ["main"]
    assert page.all("header") and page.all("nav") and page.all("footer")
    assert len(page.all("h1")) == 1
    assert page.all("html")[0].attrs.get("lang") == "en"


def test_every_id_on_a_page_is_unique(sample):
    page = sample["index.html"]
    ids = [e.attrs["id"] for e in page.elements if "id" in e.attrs]
    assert len(ids) == len(set(ids))


def test_banner_counts_a_single_model_in_the_singular(render):
    page = render("index.html", f.overview(banner=Banner("major_outage", 1, 1)))
    assert "1 of 1 model affected" in page.text
