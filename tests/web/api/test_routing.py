"""The routing signal over the real site: what a gateway's health check and a
Prometheus scrape see for the seeded store (Opus failing, Sonnet healthy)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from monitor.config import settings_from_dict
from tests.web.seed import FLASH, HAIKU, MISSING_KEYS, OPUS, RAW_SETTINGS, SONNET
from web import create_app


def test_a_health_check_is_told_to_avoid_the_failing_model_and_when_to_ask_again(client):
    response = client.get(f"/api/v1/models/{OPUS}/health")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.json["recommendation"] == "avoid"
    assert response.json["reasons"] == ["major_outage"]
    assert response.json["since"] is not None


def test_a_health_check_of_a_healthy_sibling_passes(client):
    response = client.get(f"/api/v1/models/{SONNET}/health")
    assert response.status_code == 200
    assert response.json["recommendation"] == "use" and response.json["reasons"] == []


def test_an_unknown_model_has_no_health_to_check(client):
    assert client.get("/api/v1/models/anthropic/nope/health").status_code == 404


def test_the_routing_list_agrees_with_every_health_check(client):
    routing = client.get("/api/v1/routing").json["models"]
    assert {m["id"] for m in routing} >= {OPUS, SONNET, HAIKU, FLASH}
    for advice in routing:
        code = client.get(f"/api/v1/models/{advice['id']}/health").status_code
        assert code == (503 if advice["recommendation"] == "avoid" else 200), advice["id"]


def test_a_model_whose_name_holds_a_slash_has_its_own_health(store, clock):
    raw = {
        **RAW_SETTINGS,
        "models": [*RAW_SETTINGS["models"], {"provider": "openai", "model": "meta/llama-3"}],
    }
    settings = settings_from_dict(raw)
    store.sync_targets(settings, MISSING_KEYS)
    client = create_app(settings, store, clock=clock).test_client()
    response = client.get("/api/v1/models/openai/meta/llama-3/health")
    assert response.status_code == 200 and response.json["id"] == "openai/meta/llama-3"


def test_prometheus_sees_each_models_deployment_state(client):
    states = {
        sample.labels["target"]: sample.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for sample in family.samples
        if sample.name == "aistatus_model_deployment_state"
    }
    assert states[OPUS] == 2 and states[SONNET] == 0
    assert FLASH not in states  # not configured: no evidence, no series


def test_a_health_checks_avoid_answer_is_cached_like_its_use_answer(client, counting_store):
    first = client.get(f"/api/v1/models/{OPUS}/health")
    reads = sum(counting_store.calls.values())
    again = client.get(
        f"/api/v1/models/{OPUS}/health", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert sum(counting_store.calls.values()) == reads  # served from the cache
    for response in (first, again):
        assert response.status_code == 503  # never a 304 for a 503
        assert response.headers["Cache-Control"] == "public, max-age=30"
        assert response.headers["Retry-After"] == "60"
        assert response.json["recommendation"] == "avoid"
    assert again.headers["ETag"] == first.headers["ETag"]
    assert client.get(f"/api/v1/models/{SONNET}/health").headers["ETag"] != first.headers["ETag"]
