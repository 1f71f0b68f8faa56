"""Probes through a real LiteLLM proxy (tests/conformance/gateway.py) in front of our
simulated provider: what a platform that monitors its models through its own gateway
sees, on LiteLLM's OpenAI route and its Anthropic route, lands in the README's class.

Without LiteLLM installed these are skipped, except under CI, where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from monitor.config import ProbeSettings, ProviderKind
from monitor.results import FailureClass, Outcome, ProbeResult
from monitor.scenarios.simulator.server import start_simulator
from monitor.scenarios.spec import parse_scenario
from tests.conformance.gateway import MASTER_KEY, LiteLLM, Route, config_yaml, executable
from tests.conformance.loopback import probe

ROUTES = [
    Route("claude-ok", "anthropic/claude-ok", "/anthropic"),
    Route("claude-overloaded", "anthropic/claude-overloaded", "/anthropic"),
    Route("claude-rate-limited", "anthropic/claude-rate-limited", "/anthropic"),
    Route("claude-bad-key", "anthropic/claude-bad-key", "/anthropic"),
    Route("claude-stream-error", "anthropic/claude-stream-error", "/anthropic"),
    Route("claude-with-fallback", "anthropic/claude-overloaded", "/anthropic", ("claude-ok",)),
    Route("gpt-ok", "openai/gpt-ok", "/openai/v1"),
    Route("gpt-unavailable", "openai/gpt-unavailable", "/openai/v1"),
    Route("gpt-rate-limited", "openai/gpt-rate-limited", "/openai/v1"),
    Route("gpt-5-mini", "openai/gpt-5-mini", "/openai/v1"),
]
FAULTS = [
    {"models": ["anthropic/claude-overloaded"], "kind": "http_error", "status": 529},
    {
        "models": ["anthropic/claude-rate-limited", "openai/gpt-rate-limited"],
        "kind": "http_error",
        "status": 429,
        "retry_after": 17,
    },
    {"models": ["anthropic/claude-bad-key"], "kind": "http_error", "status": 401},
    {"models": ["anthropic/claude-stream-error"], "kind": "stream_error"},
    {"models": ["openai/gpt-unavailable"], "kind": "http_error", "status": 503},
]
# Generous: LiteLLM adds its own tens of milliseconds, more on a loaded machine.
SETTINGS = ProbeSettings(
    connect_timeout=5.0, first_token_timeout=20.0, stall_timeout=15.0, total_timeout=30.0
)
OPENAI_ROUTE, ANTHROPIC_ROUTE = "openai route", "anthropic route"
BOTH = pytest.mark.parametrize("route", [OPENAI_ROUTE, ANTHROPIC_ROUTE])
INFRA, CONFIG = FailureClass.INFRASTRUCTURE, FailureClass.CONFIGURATION


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    command = executable()
    if command is None:
        problem = "LiteLLM is not installed (make test builds .venv-litellm)"
        if os.environ.get("CI"):
            pytest.fail(f"{problem}; CI is set, so the gateway tests must run")
        pytest.skip(problem)
    upstreams = sorted({r.upstream for r in ROUTES})
    scenario = parse_scenario(
        {
            "name": "behind-a-gateway",
            "description": "Models LiteLLM routes to, some failing",
            "start": "2026-06-07T00:00:00Z",
            "duration": "1d",
            "models": [{"id": m, "ttft_ms": 20, "latency_ms": 40, "jitter": 0} for m in upstreams],
            "faults": FAULTS,
        },
        "gateway scenario",
    )
    folder = tmp_path_factory.mktemp("litellm")
    with start_simulator(scenario) as simulator:
        config = folder / "litellm.yaml"
        config.write_text(config_yaml(ROUTES, simulator.base_url))
        proxy = LiteLLM(command, config, folder / "litellm.log")
        try:
            proxy.wait_ready()
            yield proxy.url
        finally:
            proxy.stop()


def through(gateway: str, route: str, model: str, api_key: str = MASTER_KEY) -> ProbeResult:
    if route == OPENAI_ROUTE:
        return probe(f"{gateway}/v1", ProviderKind.OPENAI_COMPATIBLE, model, SETTINGS, api_key)
    return probe(gateway, ProviderKind.ANTHROPIC, model, SETTINGS, api_key)


@BOTH
def test_a_healthy_model_answers_through_the_gateway(gateway, route):
    result = through(gateway, route, "claude-ok")
    assert (result.failure_class, result.answer_correct, result.served_model) == (
        FailureClass.OK,
        True,
        None,
    )
    assert result.ttft_ms is not None and result.total_ms is not None
    assert result.ttft_ms <= result.total_ms


@BOTH
def test_an_overloaded_model_is_infrastructure_and_keeps_the_providers_word(gateway, route):
    # LiteLLM turns Anthropic's 529 into its own 500; the upstream word survives in the
    # message, which is what the incident's evidence quotes.
    result = through(gateway, route, "claude-overloaded")
    assert result.failure_class is INFRA
    assert "overloaded" in (result.error_excerpt or "").lower()


def test_an_unavailable_model_is_infrastructure(gateway):
    result = through(gateway, OPENAI_ROUTE, "gpt-unavailable")
    assert (result.http_status, result.failure_class) == (503, INFRA)


def test_a_rate_limit_is_capacity_with_the_providers_retry_time(gateway):
    result = through(gateway, OPENAI_ROUTE, "gpt-rate-limited")
    assert (result.failure_class, result.retry_after_s) == (FailureClass.CAPACITY, 17.0)


def test_a_rate_limit_on_the_anthropic_route_is_capacity_without_retry_time(gateway):
    # LiteLLM's Anthropic route drops the provider's retry-after; the word still says rate.
    result = through(gateway, ANTHROPIC_ROUTE, "claude-rate-limited")
    assert result.failure_class is FailureClass.CAPACITY


def test_the_gateways_own_key_refused_upstream_is_configuration(gateway):
    assert through(gateway, ANTHROPIC_ROUTE, "claude-bad-key").failure_class is CONFIG


@BOTH
def test_a_model_the_gateway_does_not_route_is_configuration(gateway, route):
    assert through(gateway, route, "no-such-model").failure_class is CONFIG


def test_our_key_refused_by_the_gateway_is_configuration(gateway):
    result = through(gateway, OPENAI_ROUTE, "gpt-ok", api_key="sk-not-the-gateways-key-0000")
    assert result.failure_class is CONFIG
    assert "sk-not-the-gateways-key-0000" not in (result.error_excerpt or "")


@BOTH
def test_a_stream_that_breaks_behind_the_gateway_is_infrastructure(gateway, route):
    result = through(gateway, route, "claude-stream-error")
    assert (result.outcome, result.failure_class) == (Outcome.STREAM_ERROR, INFRA)


@BOTH
def test_a_fallback_to_another_model_is_a_failure_of_the_model_asked(gateway, route):
    # The answer is right, but it is claude-ok's: the model asked was overloaded.
    result = through(gateway, route, "claude-with-fallback")
    assert (result.outcome, result.failure_class, result.served_model) == (
        Outcome.FALLBACK,
        INFRA,
        "claude-ok",
    )


def test_a_reasoning_model_behind_the_gateway_is_asked_without_a_temperature(gateway):
    # LiteLLM refuses temperature 0 for gpt-5 models with a 400, on every probe.
    result = through(gateway, OPENAI_ROUTE, "gpt-5-mini")
    assert (result.failure_class, result.answer_correct) == (FailureClass.OK, True)
