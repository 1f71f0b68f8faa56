import random
from datetime import timedelta

import pytest

from monitor.probing import canary
from monitor.probing.canary import Verdict
from monitor.scenarios.simulator.behaviour import UnknownModel, plan_request, request_rng
from monitor.scenarios.spec import FaultKind, parse_scenario
from tests.conftest import HEALTHY_SCENARIO

QUESTIONS = [
    canary.make_question(random.Random(n), check) for n in range(5) for check in canary.SUITE
]


def scenario_with(*faults, **model_overrides):
    models = [{**m, **model_overrides} for m in HEALTHY_SCENARIO["models"]]
    return parse_scenario({**HEALTHY_SCENARIO, "models": models, "faults": list(faults)}, "t")


def plan(
    scenario,
    model_id="anthropic/claude-test",
    offset_s=0.0,
    prompt=None,
    region="us-east",
    rng=None,
):
    at = scenario.start + timedelta(seconds=offset_s)
    prompt = prompt if prompt is not None else QUESTIONS[0].prompt
    return plan_request(scenario, model_id, region, at, prompt, rng or random.Random(1))


def test_a_healthy_model_answers_every_canary_correctly():
    scenario = scenario_with()

    for question in QUESTIONS:
        result = plan(scenario, prompt=question.prompt)
        assert result.kind is None and result.status == 200
        assert canary.score(question, result.text) is Verdict.CORRECT


def test_the_same_request_plans_the_same_way_every_time():
    scenario = scenario_with({"models": ["*"], "kind": "slow", "rate": 0.5}, jitter=0.3)
    at = scenario.start + timedelta(seconds=90)

    def again():
        rng = request_rng(scenario.seed, "openai/gpt-test", "eu-west", at)
        return plan_request(scenario, "openai/gpt-test", "eu-west", at, "hi", rng)

    assert again() == again()


def test_requests_at_other_moments_draw_other_numbers():
    start = scenario_with().start
    first = request_rng(7, "openai/gpt-test", "us-east", start).random()
    later = request_rng(7, "openai/gpt-test", "us-east", start + timedelta(seconds=60)).random()

    assert first != later


@pytest.mark.parametrize(
    ("model_id", "stop", "truncated"),
    [
        ("anthropic/claude-test", "end_turn", "max_tokens"),
        ("openai/gpt-test", "stop", "length"),
        ("gemini/gemini-test", "STOP", "MAX_TOKENS"),
        ("together/llama-test", "stop", "length"),
    ],
)
def test_stop_reasons_are_each_protocols_own_words(model_id, stop, truncated):
    empty = scenario_with({"models": ["*"], "kind": "empty"})

    assert plan(scenario_with(), model_id).stop_reason == stop
    assert plan(empty, model_id).stop_reason == truncated
    assert plan(empty, model_id).text == ""


@pytest.mark.parametrize(
    ("model_id", "status", "error_type"),
    [
        ("anthropic/claude-test", 529, "overloaded_error"),
        ("anthropic/claude-test", 500, "api_error"),
        ("anthropic/claude-test", 429, "rate_limit_error"),
        ("anthropic/claude-test", 401, "authentication_error"),
        ("anthropic/claude-test", 403, "permission_error"),
        ("anthropic/claude-test", 404, "not_found_error"),
        ("anthropic/claude-test", 400, "invalid_request_error"),
        ("anthropic/claude-test", 504, "timeout_error"),
        ("openai/gpt-test", 429, "rate_limit_exceeded"),
        ("openai/gpt-test", 500, "server_error"),
        ("openai/gpt-test", 503, "server_is_overloaded"),
        ("openai/gpt-test", 401, "invalid_api_key"),
        ("together/llama-test", 502, "server_error"),
        ("gemini/gemini-test", 429, "RESOURCE_EXHAUSTED"),
        ("gemini/gemini-test", 503, "UNAVAILABLE"),
        ("gemini/gemini-test", 500, "INTERNAL"),
        ("gemini/gemini-test", 400, "INVALID_ARGUMENT"),
        ("gemini/gemini-test", 403, "PERMISSION_DENIED"),
        ("gemini/gemini-test", 404, "NOT_FOUND"),
        ("gemini/gemini-test", 504, "DEADLINE_EXCEEDED"),
    ],
)
def test_an_http_error_without_a_type_gets_the_providers_usual_one(model_id, status, error_type):
    scenario = scenario_with({"models": ["*"], "kind": "http_error", "status": status})

    result = plan(scenario, model_id)

    assert (result.kind, result.status, result.error_type) == (
        FaultKind.HTTP_ERROR,
        status,
        error_type,
    )


def test_an_http_error_keeps_the_type_and_retry_after_the_scenario_gives():
    scenario = scenario_with(
        {
            "models": ["openai/*"],
            "kind": "http_error",
            "status": 429,
            "error_type": "insufficient_quota",
            "retry_after": 20,
        }
    )

    result = plan(scenario, "openai/gpt-test")

    assert (result.error_type, result.retry_after) == ("insufficient_quota", 20.0)


def test_a_fault_rate_affects_about_that_share_of_requests():
    scenario = scenario_with({"models": ["*"], "kind": "reset", "rate": 0.3})
    rng = random.Random(5)

    hits = sum(plan(scenario, rng=rng).kind is FaultKind.RESET for _ in range(4000))

    assert 0.27 < hits / 4000 < 0.33


def test_background_errors_are_the_providers_usual_500():
    scenario = scenario_with(error_rate=0.2)
    rng = random.Random(3)

    plans = [plan(scenario, "openai/gpt-test", rng=rng) for _ in range(2000)]
    errors = [p for p in plans if p.is_http_error]

    assert 0.17 < len(errors) / 2000 < 0.23
    assert {(p.status, p.error_type) for p in errors} == {(500, "server_error")}


def test_a_fault_outside_its_window_or_region_changes_nothing():
    scenario = scenario_with(
        {"models": ["*"], "regions": ["eu-west"], "kind": "timeout", "from": "10m", "until": "20m"}
    )

    assert plan(scenario, offset_s=5 * 60, region="eu-west").kind is None
    assert plan(scenario, offset_s=15 * 60, region="us-east").kind is None
    assert plan(scenario, offset_s=15 * 60, region="eu-west").kind is FaultKind.TIMEOUT


def test_slow_multiplies_time_to_first_token_and_total_by_the_factor():
    healthy = plan(scenario_with())
    slow = plan(scenario_with({"models": ["*"], "kind": "slow", "factor": 4}))

    assert slow.ttft_s == pytest.approx(healthy.ttft_s * 4)
    assert slow.total_s == pytest.approx(healthy.total_s * 4)
    assert slow.text == healthy.text


def test_without_jitter_latency_is_exactly_as_configured():
    result = plan(scenario_with(ttft_ms=300, latency_ms=900))

    assert (result.ttft_s, result.total_s) == pytest.approx((0.3, 0.9))


def test_jitter_spreads_latency_around_the_typical_value_never_below_zero():
    scenario = scenario_with(ttft_ms=400, latency_ms=1000, jitter=0.5)
    rng = random.Random(11)

    plans = [plan(scenario, rng=rng) for _ in range(3000)]

    ttfts = [p.ttft_s for p in plans]
    assert min(ttfts) > 0 and len(set(ttfts)) > 2900
    assert sum(ttfts) / len(ttfts) == pytest.approx(0.4, rel=0.05)
    assert all(p.total_s >= p.ttft_s for p in plans)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.prompt[:30])
def test_a_wrong_answer_is_fluent_but_scored_wrong(question):
    result = plan(scenario_with({"models": ["*"], "kind": "wrong_answer"}), prompt=question.prompt)

    assert result.status == 200 and result.text.isascii() and result.text
    assert canary.score(question, result.text) is Verdict.WRONG


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.prompt[:30])
def test_a_garbled_answer_mixes_in_another_script(question):
    result = plan(scenario_with({"models": ["*"], "kind": "garbled"}), prompt=question.prompt)

    assert canary.score(question, result.text) is Verdict.GARBLED


def test_stream_error_defaults_to_each_protocols_mid_stream_error():
    scenario = scenario_with({"models": ["*"], "kind": "stream_error"})

    assert plan(scenario, "anthropic/claude-test").error_type == "overloaded_error"
    assert plan(scenario, "openai/gpt-test").error_type == "server_error"
    assert plan(scenario, "gemini/gemini-test").error_type == "UNAVAILABLE"
    assert plan(scenario, "gemini/gemini-test").status == 200


def test_a_prompt_we_did_not_write_still_gets_an_answer():
    assert plan(scenario_with(), prompt="Say hello").text


def test_an_unknown_model_is_refused():
    with pytest.raises(UnknownModel):
        plan(scenario_with(), "anthropic/claude-nope")
