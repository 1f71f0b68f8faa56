"""Every surface tells one story about a model (issue 9): the status pill, its note, the
uptime, the daily bar, the region table, the answers, the APIs and the badge agree,
even while the engine still says `operational` beside a failure rate."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from monitor.clock import FakeClock
from monitor.judging.engine import EngineChanges
from monitor.judging.status import ComponentStatus, StatusChange, SubjectKind
from monitor.store import Store
from tests.monitor.synthetic import OVERLOADED, ok
from tests.web.html import parse
from tests.web.one_vantage import (
    GPT,
    MINUTES,
    NOW,
    OPUS,
    SETTINGS,
    SONNET,
    START,
    seed,
    seed_vantage,
)
from web import create_app, public_paths


def client_for(
    tmp_path: Path,
    *,
    judged: bool = True,
    minutes: int = MINUTES,
) -> Iterator[FlaskClient]:
    store = seed(Store(f"sqlite:///{tmp_path / 'aistatus.db'}"), judged=judged, minutes=minutes)
    yield create_app(SETTINGS, store, clock=FakeClock(NOW)).test_client()
    store.dispose()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    yield from client_for(tmp_path)


@pytest.fixture
def unjudged(tmp_path: Path) -> Iterator[FlaskClient]:
    yield from client_for(tmp_path, judged=False)


def model_page(client: FlaskClient, target: str) -> str:
    return client.get(public_paths.model_page(target)).text


def test_a_failing_model_is_never_shown_operational_beside_its_failure_rate(client):
    page = parse(model_page(client, OPUS))
    head = page.text.split("Claude Opus (simulated)")[2]  # after the breadcrumb and the title
    assert head.startswith(" Degraded performance")
    assert "Elevated errors: 9 of 14 probes failed in the last 15 minutes; confirming" in page.text
    assert "Operational" not in head.split("Time to first token")[0]


def test_the_region_table_never_reads_worse_than_the_model(client):
    page = parse(model_page(client, OPUS))
    regions = page.text.split("By region")[1].split("Recent incidents")[0]
    assert "local Degraded performance" in regions
    assert "Partial outage" not in page.text


def test_todays_bar_is_not_green_on_a_day_of_failures(client):
    html = model_page(client, OPUS)
    bar = html.split('aria-label="Daily status of Claude Opus (simulated)')[1].split("</ol>")[0]
    today = bar.split('class="uptime__day"')[-1]
    assert "tone-ok" not in today and "tone-minor" in today


def _strip_tones(html: str, name: str) -> list[str]:
    """Each day's tone in the overview's strip of `name`, oldest first."""
    row = html.split(f">{name}</a></h3>")[1].split('<svg class="strip"')[1].split("</svg>")[0]
    tones: dict[int, str] = {}
    for shade, path in re.findall(r'class="tone-(\w+)" d="([^"]+)"', row):
        for start, length in re.findall(r"M(\d+) \.5h(\d+)", path):
            tones.update(dict.fromkeys(range(int(start), int(start) + int(length)), shade))
    return [tones[n] for n in sorted(tones)]


def _bar_tones(html: str) -> list[str]:
    return re.findall(r'class="uptime__seg tone-(\w+)"', html.split("</ol>")[0])


def test_the_overview_strip_and_its_days_on_demand_say_what_the_model_page_bar_says(client):
    overview = client.get("/").text
    for target, name in ((OPUS, "Claude Opus (simulated)"), (SONNET, "Claude Sonnet (simulated)")):
        page = model_page(client, target).split('class="uptime__days"')[1]
        days = client.get(public_paths.model_days(target)).text
        assert len(_bar_tones(page)) == 90
        assert _strip_tones(overview, name) == _bar_tones(page) == _bar_tones(days)
    assert _strip_tones(overview, "Claude Opus (simulated)")[-1] == "minor"  # today: confirming


def test_uptime_says_it_covers_today_only(client):
    text = parse(model_page(client, OPUS)).text
    assert re.search(r"Uptime today 54\.83%", text)
    assert "90 days" not in text.split("Daily status")[0]
    assert "54.83% uptime today" in text


def test_answers_are_called_correct_only_on_a_known_verdict(client):
    opus = parse(model_page(client, OPUS)).text
    assert "Answers correct, last hour Not judged yet (17 answers)" in opus
    sonnet = parse(model_page(client, SONNET)).text
    assert "Answers correct, last hour 100%" in sonnet


def test_no_baseline_is_quoted_before_the_model_has_history(client):
    text = parse(model_page(client, SONNET)).text
    assert "No earlier answers to compare with yet." in text
    assert "Usual for this model" not in text and "98%" not in text


def test_the_api_gives_the_pages_status_and_advises_against_the_failing_model(client):
    models = {m["id"]: m for m in client.get("/api/v1/models").json["models"]}
    opus = models[OPUS]
    assert opus["status"] == "degraded_performance"
    assert opus["status_note"].endswith("confirming")
    assert (opus["recommendation"], opus["recommendation_reasons"]) == (
        "avoid",
        ["elevated_errors"],
    )
    assert [r["status"] for r in opus["regions"]] == ["degraded_performance"]
    assert opus["quality"]["baseline_pass_rate"] is None
    assert models[SONNET]["status"] == "operational"
    assert models[SONNET]["recommendation"] == "use"


def test_statuspage_components_and_badges_say_what_the_page_says(client):
    components = {
        c["name"]: c["status"] for c in client.get("/api/v2/components.json").json["components"]
    }
    assert components["Claude Opus (simulated)"] == "degraded_performance"
    assert components["Claude Sonnet (simulated)"] == "operational"
    assert "degraded performance" in client.get(public_paths.badge(OPUS)).text


def test_the_overview_counts_the_model_as_affected_and_leaves_its_siblings_alone(client):
    page = parse(client.get("/").text)
    assert "1 of 3 models affected" in page.text
    assert "Elevated errors: 9 of 14 probes failed" in page.text
    sonnet = page.text.split("Claude Sonnet (simulated)")[1].split("Time to first token")[0]
    assert "Operational" in sonnet
    assert "from every region" not in page.text  # there is one


def test_the_overview_shows_config_groups_with_each_models_provider(client):
    html = client.get("/").text
    sections = html.split('<section class="group"')[1:]
    assert len(sections) == 1  # three models of two providers, one config group
    assert parse("<h2" + sections[0].split("<h2")[1].split("</h2>")[0]).text == ("Demo (simulated)")
    assert sections[0].count('<li class="model">') == 3
    assert 'href="/providers/sim-openai"' in sections[0]
    assert 'href="/providers/sim-anthropic"' in sections[0]


def test_probed_models_without_a_verdict_are_not_called_unprobed(tmp_path):
    client = next(client_for(tmp_path, judged=False, minutes=8))
    text = parse(client.get("/").text).text
    assert "No models probed yet" not in text and "0 models probed" not in text
    assert "3 models probed, not judged yet" in text


def test_a_failure_before_any_verdict_counts_among_every_probed_model(unjudged):
    assert "1 of 3 models affected" in parse(unjudged.get("/").text).text


def test_a_model_the_engine_has_not_judged_still_shows_its_errors(unjudged):
    assert unjudged.get(public_paths.model_api(GPT)).json["model"]["status"] == "no_data"
    opus = unjudged.get(public_paths.model_api(OPUS)).json["model"]
    assert opus["status"] == "degraded_performance" and opus["recommendation"] == "avoid"


def test_a_failure_from_one_vantage_point_of_three_leaves_the_model_operational(tmp_path):
    store = seed_vantage(Store(f"sqlite:///{tmp_path / 'vantage.db'}"))
    client = create_app(SETTINGS, store, clock=FakeClock(NOW)).test_client()
    page = parse(model_page(client, OPUS))
    assert page.text.split("Claude Opus (simulated)")[2].startswith(" Operational")
    regions = page.text.split("By region")[1].split("Recent incidents")[0]
    assert "far failing from this vantage point only Major outage" in regions
    opus = client.get(public_paths.model_api(OPUS)).json["model"]
    assert (opus["status"], opus["recommendation"]) == ("operational", "use")
    store.dispose()


def seeded(tmp_path: Path, minutes: int, fails, changes, every_s: int = 60) -> FlaskClient:
    """Opus probed every `every_s` for `minutes`, failing where `fails(minute)`; the
    engine's `changes` of Opus stored: (minute, status, reason)."""
    store = Store(f"sqlite:///{tmp_path / 'story.db'}")
    store.upgrade()
    store.sync_targets(SETTINGS, {})
    store.record_results(
        [
            (OVERLOADED if fails(m) else ok)(OPUS, "local", START + timedelta(minutes=m, seconds=s))
            for m in range(minutes)
            for s in range(1, 60, every_s)
        ]
    )
    store.record_engine_changes(
        EngineChanges(
            status_changes=tuple(
                StatusChange(OPUS, SubjectKind.MODEL, status, START + timedelta(minutes=m), why)
                for m, status, why in changes
            )
        )
    )
    now = START + timedelta(minutes=minutes, seconds=5)
    return create_app(SETTINGS, store, clock=FakeClock(now)).test_client()


def test_a_model_back_to_normal_is_not_still_confirming_the_errors_it_recovered_from(tmp_path):
    # Probed every 20 s (confirming), failing every probe from minute 10 to 21; the engine
    # called it a partial outage at 12 and back to normal at 24; every probe since
    # answered. 31 minutes in, 15 of the last 15 minutes' 42 probes failed, all before the
    # engine's recovery.
    client = seeded(
        tmp_path,
        31,
        lambda m: 10 <= m < 22,
        [
            (1, ComponentStatus.OPERATIONAL, "monitoring started"),
            (12, ComponentStatus.PARTIAL_OUTAGE, "elevated errors"),
            (24, ComponentStatus.OPERATIONAL, "back to normal"),
        ],
        every_s=20,
    )
    opus = client.get(public_paths.model_api(OPUS)).json["model"]
    assert (opus["status"], opus["status_note"], opus["recommendation"]) == (
        "operational",
        None,
        "use",
    )
    assert "confirming" not in parse(model_page(client, OPUS)).text


def test_most_of_a_fresh_models_few_probes_failing_is_not_called_operational(tmp_path):
    # A fresh install: Opus's first two probes both failed, too few to be significant, and
    # the engine's first look said operational.
    client = seeded(
        tmp_path, 2, lambda m: True, [(2, ComponentStatus.OPERATIONAL, "monitoring started")]
    )
    opus = client.get(public_paths.model_api(OPUS)).json["model"]
    assert opus["status"] == "degraded_performance"
    assert opus["status_note"] == (
        "Elevated errors: 2 of 2 probes failed in the last 15 minutes; confirming"
    )
    assert [r["status"] for r in opus["regions"]] == ["degraded_performance"]
    assert opus["recommendation"] == "use"  # the engine, and the advice, wait for more
