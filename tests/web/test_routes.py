"""Every public route over a store seeded by the real engine (tests/web/seed.py)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import feedparser
import pytest

from monitor.config import Settings, settings_from_dict
from monitor.store import Store
from tests.web.html import parse
from tests.web.seed import (
    EVIL,
    FLASH,
    GPT,
    HOSTILE,
    MISSING_KEYS,
    OPUS,
    RAW_SETTINGS,
    SONNET,
)
from web import create_app, public_paths
from web.api.openapi import JSON_PATHS, openapi_document, response_schema
from web.api.schema_check import validate

HTML = "text/html"
JSON = "application/json"
RSS = "application/rss+xml"
ATOM = "application/atom+xml"
SVG = "image/svg+xml"
PROMETHEUS = "text/plain; version=0.0.4"

OPUS_PAGE = public_paths.model_page(OPUS)
PRIVATE_TITLE = "Configuration problem"  # the seeded 401s on Haiku: our key, operator-only

ROUTES: list[tuple[str, str]] = [
    ("/", HTML),
    (OPUS_PAGE, HTML),
    *((f"{OPUS_PAGE}?range={key}", HTML) for key in ("24h", "7d", "30d", "90d")),
    ("/models/gemini/gemini-2.5-flash", HTML),
    ("/incidents", HTML),
    ("/incidents?page=2", HTML),
    ("/incidents/2", HTML),
    ("/providers/anthropic", HTML),
    ("/providers/gemini", HTML),
    ("/history.rss", RSS),
    ("/history.atom", ATOM),
    ("/providers/anthropic/history.rss", RSS),
    ("/providers/anthropic/history.atom", ATOM),
    (f"{OPUS_PAGE}/history.rss", RSS),
    (f"{OPUS_PAGE}/history.atom", ATOM),
    # Opus's health check answers 503 (avoid it) by design: Sonnet's is the 200 here.
    *(
        (path.replace("{provider}/{model}", SONNET if path.endswith("/health") else OPUS), JSON)
        for path in JSON_PATHS
    ),
    ("/api/v1/incidents?status=open", JSON),
    ("/api/openapi.json", JSON),
    (public_paths.badge(OPUS), SVG),
    (public_paths.badge(OPUS) + "?uptime=1", SVG),
    ("/metrics", PROMETHEUS),
    ("/static/local-time.js", "text/javascript"),
    ("/static/overview.js", "text/javascript"),
    (public_paths.model_days(OPUS), HTML),
]
PUBLIC_DATA = [path for path, kind in ROUTES if kind in (JSON, RSS, ATOM, SVG)]


@pytest.mark.parametrize(("path", "content_type"), ROUTES)
def test_every_route_answers_with_its_content_type(client, path, content_type):
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type.startswith(content_type)


@pytest.mark.parametrize("path", PUBLIC_DATA)
def test_feeds_apis_and_badges_may_be_fetched_from_any_site(client, path):
    assert client.get(path).headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", list(JSON_PATHS))
def test_every_api_document_matches_its_published_schema(client, path):
    document = openapi_document(client.application.config["AISTATUS_SETTINGS"].site)
    served = client.get(path.replace("{provider}/{model}", OPUS)).json
    validate(served, response_schema(document, path), document)


def model_items(html: str) -> dict[str, str]:
    """Each model on the overview: its name -> the visible text of its list item."""
    items = {}
    for chunk in html.split('<li class="model">')[1:]:
        text = parse(chunk.split("</dl>")[0]).text
        items[text.split(" ")[0] + " " + text.split(" ")[1]] = text
    return items


def test_a_failing_model_shows_its_outage_while_its_sibling_stays_operational(client):
    items = model_items(client.get("/").text)
    assert "Major outage" in items["Claude Opus"]
    assert "Operational" in items["Claude Sonnet"]
    assert "Partial outage" not in items["Claude Sonnet"]


def test_the_overview_leads_with_the_open_incidents_and_counts_affected_models(client):
    page = parse(client.get("/").text)
    assert "2 of 5 models affected" in page.text
    active = page.text.split("Active incidents")[1].split("Anthropic")[0]
    assert "Claude Opus 4.7 unavailable" in active
    # Every probe failed for 7 minutes: a major outage, so "unavailable".
    assert "Recently resolved" in page.text and "GPT-5.1 unavailable" in page.text


def test_the_overview_shows_latency_answers_and_a_ninety_day_bar(client):
    html = client.get("/").text
    sonnet = model_items(html)["Claude Sonnet"]
    assert re.search(r"Time to first token \d+ ms", sonnet)
    assert "Correct" in sonnet
    # One light strip per probed model (the unconfigured provider has none); its days,
    # each with its details, come on demand from the URL the strip names.
    assert html.count('<svg class="strip"') == 5
    urls = re.findall(r'<div class="uptime daybar" data-days="([^"]+)"', html)
    assert len(urls) == 5
    for url in urls:
        days = client.get(url)
        assert days.status_code == 200 and days.content_type.startswith("text/html")
        assert days.text.count('class="uptime__day"') == 90


def test_the_days_of_an_unknown_or_unprobed_model_are_not_found(client):
    assert client.get("/days/anthropic/no-such-model").status_code == 404
    assert client.get(public_paths.model_days("gemini/gemini-2.5-flash")).status_code == 404


def test_a_provider_without_a_key_says_which_variable_to_set(client):
    assert "Not configured: set GEMINI_API_KEY" in parse(client.get("/").text).text


def test_the_model_page_draws_its_charts_as_svg(client):
    page = parse(client.get(OPUS_PAGE).text)
    charts = {e.attrs.get("id") for e in page.all("svg") if e.attrs.get("role") == "img"}
    assert {"chart-ttft", "chart-total", "chart-failures"} <= charts
    assert "Major outage" in page.text and "Claude Opus 4.7 unavailable" in page.text


@pytest.mark.parametrize(("key", "points"), [("24h", 24), ("7d", 168), ("30d", 30), ("90d", 90)])
def test_each_range_has_one_chart_point_per_bucket(client, key, points):
    html = client.get(f"{OPUS_PAGE}?range={key}").text
    table = html.split('<details class="data-table">')[1].split("</tbody>")[0]
    assert table.count("<tr>") - 1 == points  # minus the header row


def test_the_model_page_lists_each_region(client):
    text = parse(client.get(public_paths.model_page(SONNET)).text).text
    assert "eu-west" in text and "us-east" in text


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/models/anthropic/no-such-model", "No such model"),
        ("/incidents/999", "No such incident"),
        ("/incidents/²", "No such incident"),
        ("/incidents?page=0", "No such page"),
        ("/no/such/page", "Page not found"),
    ],
)
def test_an_unknown_address_is_a_404_page_without_a_traceback(client, path, words):
    response = client.get(path)
    assert response.status_code == 404
    assert words in parse(response.text).text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/models/anthropic/nope",
        "/badge/x/y.svg",
        "/models/x/y/history.rss",
        "/providers/x/history.atom",
    ],
)
def test_an_unknown_model_in_machine_outputs_is_a_404(client, path):
    assert client.get(path).status_code == 404


def test_an_incident_page_shows_updates_newest_first_with_evidence(client):
    page = parse(client.get("/incidents/1").text)
    assert "Evidence" in page.text and "Signals: errors" in page.text
    updates = page.text.split("Updates")[-1]
    assert updates.index("Resolved") < updates.index("Investigating")


def test_operator_only_incidents_appear_on_no_page_feed_or_api(client):
    assert client.get("/incidents/3").status_code == 404
    for path, _ in ROUTES:
        assert PRIVATE_TITLE not in client.get(path).text, path
    for path in ("/api/v1/incidents", "/api/v2/incidents.json"):
        assert "3" not in {str(i["id"]) for i in client.get(path).json["incidents"]}


def test_metrics_count_operator_only_incidents_without_naming_them(client):
    text = client.get("/metrics").text
    assert 'aistatus_incidents_open{public="false"} 1.0' in text
    assert PRIVATE_TITLE not in text


def test_a_model_removed_from_the_config_is_no_longer_exported_to_prometheus(store, clock):
    def scrape(models: list[dict[str, str]]) -> tuple[str, int]:
        settings = settings_from_dict({**RAW_SETTINGS, "models": models})
        store.sync_targets(settings, MISSING_KEYS)
        client = create_app(settings, store, clock=clock).test_client()
        return client.get("/metrics").text, client.get(OPUS_PAGE).status_code

    series = f'aistatus_probes_total{{failure_class="ok",region="us-east",target="{OPUS}"}}'
    text, page = scrape(RAW_SETTINGS["models"])
    assert series in text and page == 200  # probed today: counted while configured
    text, page = scrape([m for m in RAW_SETTINGS["models"] if m["model"] != "claude-opus-4-7"])
    assert page == 404
    assert f'target="{OPUS}"' not in text
    assert f'target="{SONNET}"' in text


@pytest.mark.parametrize("path", ["/", "/incidents", "/incidents/4", public_paths.model_page(EVIL)])
def test_a_hostile_display_name_is_shown_as_text(client, path):
    response = client.get(path)
    assert HOSTILE not in response.text
    assert HOSTILE in parse(response.text).text


def test_a_hostile_display_name_stays_data_in_json_and_svg(client):
    names = {m["id"]: m["name"] for m in client.get("/api/v1/models").json["models"]}
    assert names[EVIL] == HOSTILE
    badge = client.get(public_paths.badge(EVIL))
    assert ET.fromstring(badge.data).get("aria-label", "").startswith(HOSTILE)


@pytest.mark.parametrize(
    "path",
    [
        "/history.rss",
        "/history.atom",
        f"{public_paths.model_page(EVIL)}/history.atom",
        "/providers/openai/history.rss",
    ],
)
def test_feeds_parse_cleanly_and_hold_the_public_updates(client, path):
    feed = feedparser.parse(client.get(path).data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.entries
    assert all(PRIVATE_TITLE not in entry.title for entry in feed.entries)


def test_a_model_feed_holds_only_that_models_incidents(client):
    feed = feedparser.parse(client.get(f"{public_paths.model_page(GPT)}/history.rss").data)
    assert {entry.title.split(" — ")[0] for entry in feed.entries} == {"GPT-5.1 unavailable"}


def test_statuspage_summary_reports_the_outage_and_the_open_incidents(client):
    summary = client.get("/api/v2/summary.json").json
    assert summary["status"]["indicator"] == "critical"
    statuses = {c["description"]: c["status"] for c in summary["components"]}
    assert statuses[OPUS] == "major_outage" and statuses[SONNET] == "operational"
    assert {i["name"] for i in summary["incidents"]} == {
        "Claude Opus 4.7 unavailable",
        f"{HOSTILE} unavailable",
    }


def test_a_gateway_is_told_to_avoid_the_failing_model_only(client):
    models = {m["id"]: m for m in client.get("/api/v1/models").json["models"]}
    assert models[OPUS]["recommendation"] == "avoid"
    assert models[SONNET]["recommendation"] == "use"
    assert models[SONNET]["last_hour"]["probes"] == 90  # 45 minutes from two regions


def test_open_incidents_can_be_asked_for_alone(client):
    open_ids = {i["id"] for i in client.get("/api/v1/incidents?status=open").json["incidents"]}
    assert open_ids == {"2", "4"}
    assert client.get("/api/v1/incidents?status=maybe").status_code == 400


@pytest.mark.parametrize(
    ("query", "message"), [("", "major outage"), ("?uptime=1", "uptime (4 d)")]
)
def test_a_badge_says_the_status_or_the_uptime(client, query, message):
    badge = ET.fromstring(client.get(public_paths.badge(OPUS) + query).data)
    assert message in badge.get("aria-label", "")


@pytest.mark.parametrize("query", ["", "?uptime=1"])
def test_a_model_without_its_key_has_a_not_configured_badge_with_or_without_uptime(client, query):
    badge = ET.fromstring(client.get(public_paths.badge(FLASH) + query).data)
    assert badge.get("aria-label") == "Gemini 2.5 Flash: not configured"


def test_the_openapi_document_lists_every_json_route(client):
    paths = json.loads(client.get("/api/openapi.json").data)["paths"]
    assert set(JSON_PATHS) <= set(paths)


def test_a_model_name_with_a_slash_has_its_page_feed_badge_and_api(store, clock):
    raw = {
        **RAW_SETTINGS,
        "models": [*RAW_SETTINGS["models"], {"provider": "openai", "model": "meta/llama-3"}],
    }
    settings = settings_from_dict(raw)
    store.sync_targets(settings, MISSING_KEYS)
    client = create_app(settings, store, clock=clock).test_client()
    target = "openai/meta/llama-3"
    page = public_paths.model_page(target)
    assert page == "/models/openai/meta%2Fllama-3"
    for path in (
        page,
        f"{page}/history.atom",
        public_paths.badge(target),
        public_paths.model_api(target),
    ):
        assert client.get(path).status_code == 200, path
    assert client.get(public_paths.model_api(target)).json["model"]["id"] == target


def test_a_page_reads_the_store_the_same_number_of_times_however_many_models(
    store, clock, counting_store
):
    def reads(settings: Settings) -> dict[str, int]:
        counting_store.calls.clear()
        store.sync_targets(settings, MISSING_KEYS)
        create_app(settings, counting_store, clock=clock).test_client().get("/")  # type: ignore[arg-type]
        return dict(counting_store.calls)

    few = reads(settings_from_dict(RAW_SETTINGS))
    many = reads(
        settings_from_dict(
            {
                **RAW_SETTINGS,
                "models": [
                    *RAW_SETTINGS["models"],
                    *({"provider": "openai", "model": f"extra-{n}"} for n in range(30)),
                ],
            }
        )
    )
    assert few == many
    assert sum(few.values()) <= 11  # the open incidents are read for the models' stories


def test_a_fresh_install_with_nothing_probed_yet_answers_every_route(tmp_path, clock):
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    store.upgrade()
    store.sync_targets(settings_from_dict(RAW_SETTINGS), MISSING_KEYS)
    client = create_app(settings_from_dict(RAW_SETTINGS), store, clock=clock).test_client()
    for path, _ in ROUTES:
        if path != "/incidents/2":
            assert client.get(path).status_code == 200, path
    assert "No models probed yet" in parse(client.get("/").text).text
    assert client.get("/api/v2/status.json").json["status"]["indicator"] == "none"
    store.dispose()


def test_a_model_in_outage_has_no_answer_verdict_from_before_it_broke(client):
    opus = model_items(client.get("/").text)["Claude Opus"]
    assert "Correct" not in opus and "Not judged yet (40 answers in the last hour)" in opus
    quality = client.get(public_paths.model_api(OPUS)).json["model"]["quality"]
    assert quality["verdict"] == "unknown"


def test_the_model_page_says_no_exact_form_answer_was_scored_rather_than_quote_a_rate(client):
    html = client.get(public_paths.model_page(OPUS)).get_data(as_text=True)
    assert "Exact form" in html
    assert "No exact-form answers scored in this range." in html
    assert "in the exact form asked for" not in html
