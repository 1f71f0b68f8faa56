"""The faults issue 10 added, as a client sees them over a real socket: a gateway's 429 and
408, early headers with keep-alives before a late first token, an endless line."""

import httpx
import pytest

from tests.monitor.scenarios.simulator.wire_calls import body, client, post, stream, url

OPENAI_SHAPED = ["openai/gpt-test", "gemini/gemini-test", "together/llama-test"]


def faulty(simulator, scenario_dict, **fault):
    return simulator(scenario_dict(faults=[{"models": ["*"], **fault}]))


@pytest.mark.parametrize("model_id", OPENAI_SHAPED)
def test_a_gateways_429_repeats_the_status_as_a_string_code_and_renames_retry_after(
    simulator, scenario_dict, model_id
):
    sim = faulty(simulator, scenario_dict, kind="gateway_error")

    response = post(sim.base_url, model_id)

    assert response.status_code == 429
    assert response.json()["error"]["type"] == "throttling_error"
    assert response.json()["error"]["code"] == "429"
    assert response.headers["llm_provider-retry-after"] == "5"
    assert "retry-after" not in response.headers


def test_a_gateways_anthropic_route_answers_429_in_anthropics_envelope_without_retry_after(
    simulator, scenario_dict
):
    sim = faulty(simulator, scenario_dict, kind="gateway_error", status=429)

    response = post(sim.base_url, "anthropic/claude-test")

    assert response.status_code == 429
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert not any("retry-after" in name for name in response.headers)


def test_a_gateways_408_says_timeout(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="gateway_error", status=408)

    response = post(sim.base_url, "openai/gpt-test")

    assert response.status_code == 408
    assert (response.json()["error"]["type"], response.json()["error"]["code"]) == (
        "timeout",
        "408",
    )


@pytest.mark.parametrize(
    "model_id",
    [
        "anthropic/claude-test",
        "openai/gpt-test",
        "gemini/gemini-test",
        "together/llama-test",
    ],
)
def test_a_slow_first_token_comes_after_early_headers_and_keepalives(
    simulator, scenario_dict, model_id
):
    sim = faulty(simulator, scenario_dict, kind="slow_first_token", factor=20)  # 20 ms x 20

    result = stream(sim.base_url, model_id)

    assert result.status == 200
    assert result.first_text_s is not None and result.first_text_s >= 0.35
    keepalive = "event: ping" if model_id.startswith("anthropic") else ": keep-alive"
    assert result.raw.count(keepalive) >= 3


def test_an_endless_line_goes_on_past_any_sane_bound_without_a_newline(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="endless_line")
    target = url(sim.base_url, "openai/gpt-test", stream=True)
    received = b""
    with (
        client(httpx.Timeout(5)) as http,
        http.stream("POST", target, json=body("openai/gpt-test", stream=True)) as response,
    ):
        for chunk in response.iter_bytes():
            received += chunk
            if len(received) > 2 * 1024 * 1024:
                break
    assert response.status_code == 200
    assert received.startswith(b"data: ") and b"\n" not in received
