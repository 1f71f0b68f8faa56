from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest

from monitor.judging.quality import QualityVerdict
from monitor.judging.status import ComponentStatus
from tests.web.snapshot_factories import (
    HOSTILE_MODEL,
    SECRET_ENV,
    SITE,
    model,
    provider_info,
    scene,
)
from web.api import statuspage
from web.api import v1 as api_v1
from web.api.metrics import render_metrics
from web.api.openapi import JSON_PATHS, openapi_document, response_schema
from web.api.schema_check import SchemaMismatch, validate
from web.queries.snapshots import ModelSnapshot, ProviderSnapshot, Quality, SiteSnapshot

BUILDERS: list[tuple[str, Callable[[SiteSnapshot], dict[str, Any]]]] = [
    ("/api/v1/models", api_v1.models_document),
    ("/api/v1/models/{provider}/{model}", lambda s: api_v1.model_document(s, "anthropic/opus")),
    ("/api/v1/providers", api_v1.providers_document),
    ("/api/v1/incidents", api_v1.incidents_document),
    ("/api/v1/incidents", lambda s: api_v1.incidents_document(s, open_only=True)),
    ("/api/v1/routing", api_v1.routing_document),
    (
        "/api/v1/models/{provider}/{model}/health",
        lambda s: api_v1.health_document(s, "anthropic/opus"),
    ),
]


def models_by_id(snapshot: SiteSnapshot) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in api_v1.models_document(snapshot)["models"]}


@pytest.mark.parametrize(("path", "builder"), BUILDERS)
def test_every_document_matches_its_published_schema(path, builder):
    document = openapi_document(SITE)
    validate(builder(scene()), response_schema(document, path), document)


def test_the_schema_check_notices_a_field_nobody_documented():
    document = openapi_document(SITE)
    models = api_v1.models_document(scene())
    models["models"][0]["latency"]["ttft"]["p99_ms"] = 1.0
    with pytest.raises(SchemaMismatch, match="p99_ms"):
        validate(models, response_schema(document, "/api/v1/models"), document)


@pytest.mark.parametrize(
    ("status", "verdict", "configured", "expected"),
    [
        (ComponentStatus.OPERATIONAL, QualityVerdict.CORRECT, True, ("use", [])),
        (ComponentStatus.DEGRADED_PERFORMANCE, QualityVerdict.CORRECT, True, ("use", [])),
        (
            ComponentStatus.PARTIAL_OUTAGE,
            QualityVerdict.CORRECT,
            True,
            ("avoid", ["partial_outage"]),
        ),
        (ComponentStatus.MAJOR_OUTAGE, QualityVerdict.UNKNOWN, True, ("avoid", ["major_outage"])),
        (
            ComponentStatus.UNDER_MAINTENANCE,
            QualityVerdict.UNKNOWN,
            True,
            ("avoid", ["under_maintenance"]),
        ),
        (
            ComponentStatus.OPERATIONAL,
            QualityVerdict.DEGRADED,
            True,
            ("avoid", ["quality_degraded"]),
        ),
        (
            ComponentStatus.MAJOR_OUTAGE,
            QualityVerdict.DEGRADED,
            True,
            ("avoid", ["major_outage", "quality_degraded"]),
        ),
        (None, QualityVerdict.UNKNOWN, True, ("use", [])),
        (ComponentStatus.MAJOR_OUTAGE, QualityVerdict.DEGRADED, False, ("use", [])),
    ],
)
def test_a_gateway_is_told_to_avoid_a_model_only_on_evidence(status, verdict, configured, expected):
    snapshot = model("anthropic/opus", status, quality=Quality(verdict, 0.5, 0.98, 50))
    provider = ProviderSnapshot(
        provider_info("anthropic", missing_key=None if configured else "KEY"), (snapshot,)
    )
    assert api_v1.recommendation(snapshot, provider) == expected


def test_a_model_reports_its_last_hour_latency_quality_and_regions():
    opus = api_v1.model_document(scene(), "anthropic/opus")["model"]
    assert opus["status"] == "major_outage" and opus["recommendation"] == "avoid"
    assert opus["last_hour"]["probes"] == 110
    assert opus["last_hour"]["by_class"]["infrastructure"] == 100
    assert opus["last_hour"]["by_class"]["quality"] == 0
    assert opus["latency"]["ttft"] == {"p50_ms": 612.0, "p95_ms": 1480.5, "samples": 120}
    assert opus["quality"] == {
        "verdict": "correct",
        "pass_rate": 0.99,
        "baseline_pass_rate": 0.985,
        "answers": 120,
        "baseline_answers": 5000,
    }
    assert [r["region"] for r in opus["regions"]] == ["eu-west", "us-east"]
    assert opus["open_incidents"] == ["7"]


def alone(one: ModelSnapshot) -> SiteSnapshot:
    """The site with one Anthropic model, `one`."""
    return SiteSnapshot(
        SITE, scene().generated_at, (ProviderSnapshot(provider_info("anthropic"), (one,)),)
    )


def test_a_model_without_history_quotes_no_baseline_as_its_own():
    young = model(
        "anthropic/opus",
        ComponentStatus.OPERATIONAL,
        quality=Quality(QualityVerdict.UNKNOWN, 1.0, 0.98, 3, baseline_answers=0),
    )
    quality = models_by_id(alone(young))["anthropic/opus"]["quality"]
    assert quality["baseline_pass_rate"] is None and quality["baseline_answers"] == 0


def test_a_model_asked_no_exact_form_question_claims_no_form_rate():
    form = api_v1.model_document(scene(), "anthropic/sonnet")["model"]["form"]
    assert form == {
        "verdict": "unknown",
        "pass_rate": None,
        "baseline_pass_rate": None,
        "answers": 0,
        "baseline_answers": 0,
    }


def test_a_model_losing_its_exact_form_is_still_advised_for_and_answers_correctly():
    wordy = model(
        "anthropic/opus",
        ComponentStatus.OPERATIONAL,
        form=Quality(QualityVerdict.DEGRADED, 0.1, 0.99, 30, baseline_answers=700),
    )
    opus = models_by_id(alone(wordy))["anthropic/opus"]
    assert (opus["recommendation"], opus["recommendation_reasons"]) == ("use", [])
    assert opus["quality"]["verdict"] == "correct"
    assert opus["form"] == {
        "verdict": "degraded",
        "pass_rate": 0.1,
        "baseline_pass_rate": 0.99,
        "answers": 30,
        "baseline_answers": 700,
    }


def test_a_failing_model_does_not_change_its_siblings_advice():
    models = models_by_id(scene())
    assert models["anthropic/opus"]["recommendation"] == "avoid"
    assert models["anthropic/sonnet"]["recommendation"] == "use"
    assert models["openai/gpt"]["recommendation_reasons"] == ["quality_degraded"]


def test_models_without_evidence_say_so():
    models = models_by_id(scene())
    haiku, flash = models["anthropic/haiku"], models["gemini/flash"]
    assert haiku["status"] == "no_data" and haiku["latency"]["total"]["p50_ms"] is None
    assert flash["status"] == "not_configured" and flash["recommendation"] == "use"


def test_providers_take_their_status_from_their_models():
    providers = {p["id"]: p for p in api_v1.providers_document(scene())["providers"]}
    assert providers["anthropic"]["status"] == "partial_outage"
    assert providers["anthropic"]["models_affected"] == 1
    assert providers["anthropic"]["models_total"] == 3
    assert providers["gemini"] == {
        "id": "gemini",
        "name": "Gemini",
        "status": "not_configured",
        "configured": False,
        "simulated": False,
        "models_total": 1,
        "models_affected": 0,
        "models": ["gemini/flash"],
    }


def test_only_public_incidents_appear_newest_first():
    titles = [i["title"] for i in api_v1.incidents_document(scene())["incidents"]]
    assert titles == ["Errors on Opus", "Slow Sonnet"]
    open_titles = [
        i["title"] for i in api_v1.incidents_document(scene(), open_only=True)["incidents"]
    ]
    assert open_titles == ["Errors on Opus"]
    assert "Bad key" not in json.dumps(api_v1.model_document(scene(), "gemini/flash"))


def test_a_model_document_lists_the_incidents_it_was_part_of():
    sonnet = api_v1.model_document(scene(), "anthropic/sonnet")
    assert [i["id"] for i in sonnet["incidents"]] == ["5"]
    assert sonnet["incidents"][0]["updates"][0]["status"] == "resolved"


def test_an_unknown_model_is_a_key_error():
    with pytest.raises(KeyError):
        api_v1.model_document(scene(), "anthropic/nope")


def test_links_keep_any_model_name_inside_its_path_segment():
    links = models_by_id(scene())[f"openai/{HOSTILE_MODEL}"]["links"]
    paths = [url.removeprefix("https://status.example.org") for url in links.values()]
    heads = {path.rsplit("/", 1)[0] for path in paths}
    assert heads == {"/models/openai", "/api/v1/models/openai", "/badge/openai"}
    names = {unquote(path.rsplit("/", 1)[1].removesuffix(".svg")) for path in paths}
    assert names == {HOSTILE_MODEL}


def test_no_output_carries_config_beyond_the_site():
    snapshot = scene()
    texts = [
        json.dumps(api_v1.models_document(snapshot)),
        json.dumps(api_v1.providers_document(snapshot)),
        json.dumps(statuspage.summary(snapshot)),
        json.dumps(openapi_document(snapshot.site)),
        render_metrics(snapshot, [])[0].decode(),
    ]
    for text in texts:
        assert SECRET_ENV not in text
        assert "price" not in text and "interval" not in text


def test_the_openapi_document_describes_every_endpoint():
    document = openapi_document(SITE)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "https://status.example.org"}]
    assert set(JSON_PATHS) | {
        "/badge/{provider}/{model}.svg",
        "/metrics",
        "/api/v1/subscriptions",
    } == set(document["paths"])
    assert json.loads(json.dumps(document)) == document


def test_every_reference_in_the_openapi_document_resolves():
    document = openapi_document(SITE)
    schemas = document["components"]["schemas"]

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if "$ref" in node else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    for ref in refs(document):
        assert ref.removeprefix("#/components/schemas/") in schemas


def test_the_routing_list_gives_each_model_the_advice_its_api_document_gives():
    snapshot = scene()
    routing = {m["id"]: m for m in api_v1.routing_document(snapshot)["models"]}
    assert routing.keys() == models_by_id(snapshot).keys()
    for target, full in models_by_id(snapshot).items():
        assert routing[target]["recommendation"] == full["recommendation"], target
        assert routing[target]["reasons"] == full["recommendation_reasons"], target
        assert routing[target]["since"] == full["status_since"], target
    assert routing["anthropic/opus"]["open_incidents"] == ["7"]
    assert routing["openai/gpt"]["reasons"] == ["quality_degraded"]


@pytest.mark.parametrize(
    ("target", "state"),
    [
        ("anthropic/opus", 2),  # major outage
        ("anthropic/sonnet", 0),
        ("anthropic/haiku", None),  # never probed: no evidence either way
        ("openai/gpt", 1),  # operational but answering wrong
        (f"openai/{HOSTILE_MODEL}", 1),  # degraded performance
        ("gemini/flash", None),  # not configured
    ],
)
def test_the_deployment_state_follows_litellms_meaning(target, state):
    snapshot = scene()
    assert api_v1.deployment_state(snapshot.model(target), snapshot.provider_of(target)) == state
