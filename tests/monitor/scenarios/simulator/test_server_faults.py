"""Each fault kind as a client sees it over a real socket, per protocol where they differ."""

import random
import socket

import httpx
import pytest

from monitor.probing import canary
from monitor.probing.canary import Verdict
from tests.monitor.scenarios.simulator.wire_calls import (
    FORMAT,
    answer_of,
    body,
    client,
    post,
    stream,
    url,
)

MODELS = ["anthropic/claude-test", "openai/gpt-test", "gemini/gemini-test", "together/llama-test"]
SHORT_READ = httpx.Timeout(5, read=0.5)


def faulty(simulator, scenario_dict, **fault):
    return simulator(scenario_dict(faults=[{"models": ["*"], **fault}]))


def raw_request(port: int, path: bytes, payload: bytes) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    head = b"POST %s HTTP/1.1\r\ncontent-length: %d\r\n\r\n" % (path, len(payload))
    conn.sendall(head + payload)
    return conn


def test_an_anthropic_overload_is_a_529_with_the_real_error_body(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="http_error", status=529, retry_after=12)

    response = post(sim.base_url, "anthropic/claude-test")

    assert response.status_code == 529
    body = response.json()
    assert body["type"] == "error"
    assert body["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert body["request_id"] == response.headers["request-id"]
    assert body["request_id"].startswith("req_")
    assert response.headers["retry-after"] == "12"


@pytest.mark.parametrize(
    ("error_type", "expected_type", "expected_code"),
    [
        (None, "requests", "rate_limit_exceeded"),
        ("insufficient_quota", "insufficient_quota", "insufficient_quota"),
    ],
)
def test_an_openai_429_says_which_kind_of_limit(
    simulator, scenario_dict, error_type, expected_type, expected_code
):
    fault = {"kind": "http_error", "status": 429, "retry_after": 1}
    if error_type:
        fault["error_type"] = error_type
    sim = faulty(simulator, scenario_dict, **fault)

    response = post(sim.base_url, "openai/gpt-test")

    error = response.json()["error"]
    assert response.status_code == 429
    assert (error["type"], error["code"], error["param"]) == (expected_type, expected_code, None)
    assert error["message"]
    assert response.headers["x-request-id"].startswith("req_")
    assert response.headers["x-ratelimit-remaining-requests"] == "0"
    assert response.headers["retry-after"] == "1"


def test_a_gemini_429_carries_its_retry_delay_in_the_body(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="http_error", status=429, retry_after=37)

    response = post(sim.base_url, "gemini/gemini-test")

    error = response.json()["error"]
    assert response.status_code == error["code"] == 429
    assert error["status"] == "RESOURCE_EXHAUSTED"
    retry = [d for d in error["details"] if d["@type"].endswith("google.rpc.RetryInfo")]
    assert retry == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}]


def test_a_gemini_bad_key_is_a_400_with_api_key_invalid(simulator, scenario_dict):
    sim = faulty(
        simulator, scenario_dict, kind="http_error", status=400, error_type="API_KEY_INVALID"
    )

    response = post(sim.base_url, "gemini/gemini-test")

    error = response.json()["error"]
    assert (response.status_code, error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"] == "API key not valid. Please pass a valid API key."
    assert {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {"service": "generativelanguage.googleapis.com"},
    } in error["details"]


@pytest.mark.parametrize("model_id", MODELS)
def test_a_timeout_sends_no_headers(simulator, scenario_dict, model_id):
    sim = faulty(simulator, scenario_dict, kind="timeout")

    with pytest.raises(httpx.ReadTimeout):
        post(sim.base_url, model_id, timeout=SHORT_READ)


@pytest.mark.parametrize("model_id", MODELS)
def test_a_stall_starts_the_stream_then_goes_silent(simulator, scenario_dict, model_id):
    sim = faulty(simulator, scenario_dict, kind="stall")
    seen: list[str] = []

    with pytest.raises(httpx.ReadTimeout):
        target_stream(sim.base_url, model_id, seen)

    assert seen[0] == "200"
    assert any("data: " in line for line in seen[1:])


def target_stream(base_url, model_id, seen):
    with (
        client(SHORT_READ) as http,
        http.stream(
            "POST", url(base_url, model_id, stream=True), json=body(model_id, FORMAT, stream=True)
        ) as response,
    ):
        seen.append(str(response.status_code))
        for line in response.iter_lines():
            seen.append(line)


def test_a_stall_without_streaming_is_a_timeout(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="stall")

    with pytest.raises(httpx.ReadTimeout):
        post(sim.base_url, "openai/gpt-test", timeout=SHORT_READ)


def test_a_reset_closes_the_socket_with_a_tcp_reset(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="reset")
    payload = b'{"model":"gpt-test","messages":[]}'

    with (
        raw_request(sim.port, b"/openai/v1/chat/completions", payload) as conn,
        pytest.raises(ConnectionResetError),
    ):
        conn.recv(1024)


def test_a_reset_surfaces_in_httpx_as_a_broken_connection(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="reset")

    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        post(sim.base_url, "anthropic/claude-test")


@pytest.mark.parametrize("kind", ["dns", "tls"])
def test_vantage_faults_close_the_connection_without_a_response(simulator, scenario_dict, kind):
    sim = faulty(simulator, scenario_dict, kind=kind)
    payload = b'{"model":"claude-test","messages":[]}'

    with raw_request(sim.port, b"/anthropic/v1/messages", payload) as conn:
        assert conn.recv(1024) == b""


def test_an_anthropic_stream_error_is_an_error_event_after_the_200(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="stream_error")

    result = stream(sim.base_url, "anthropic/claude-test", FORMAT)

    assert result.status == 200
    assert result.text and result.text != "[APPLE]"
    assert result.events[-1] == (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )


@pytest.mark.parametrize("model_id", ["openai/gpt-test", "together/llama-test"])
def test_an_openai_stream_error_is_an_error_chunk_without_done(simulator, scenario_dict, model_id):
    sim = faulty(simulator, scenario_dict, kind="stream_error", error_type="server_error")

    result = stream(sim.base_url, model_id, FORMAT)

    assert result.status == 200
    _, last = result.events[-1]
    assert last["error"]["type"] == "server_error"
    assert "[DONE]" not in [data for _, data in result.events]


def test_a_gemini_stream_error_is_an_error_object_in_the_stream(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="stream_error")

    result = stream(sim.base_url, "gemini/gemini-test", FORMAT)

    assert result.status == 200
    assert result.events[-1][1]["error"]["status"] == "UNAVAILABLE"


def test_a_stream_error_without_streaming_is_the_matching_http_error(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="stream_error")

    response = post(sim.base_url, "anthropic/claude-test")

    assert (response.status_code, response.json()["error"]["type"]) == (529, "overloaded_error")


@pytest.mark.parametrize(
    ("model_id", "stop"),
    [
        ("anthropic/claude-test", ("message_delta", "max_tokens")),
        ("openai/gpt-test", ("chunk", "length")),
        ("gemini/gemini-test", ("candidate", "MAX_TOKENS")),
    ],
)
def test_an_empty_answer_ends_for_lack_of_tokens(simulator, scenario_dict, model_id, stop):
    sim = faulty(simulator, scenario_dict, kind="empty")

    result = stream(sim.base_url, model_id, FORMAT)

    assert result.status == 200 and result.text == ""
    assert stop[1] in result.raw


@pytest.mark.parametrize("model_id", MODELS)
def test_an_empty_answer_without_streaming_has_no_text(simulator, scenario_dict, model_id):
    sim = faulty(simulator, scenario_dict, kind="empty")

    response = post(sim.base_url, model_id)

    assert response.status_code == 200
    assert answer_of(model_id, response) in ("", None)


@pytest.mark.parametrize(
    ("kind", "verdict"), [("wrong_answer", Verdict.WRONG), ("garbled", Verdict.GARBLED)]
)
@pytest.mark.parametrize("model_id", MODELS)
def test_quality_faults_come_back_as_a_healthy_200(
    simulator, scenario_dict, model_id, kind, verdict
):
    sim = faulty(simulator, scenario_dict, kind=kind)
    question = canary.make_question(random.Random(3))

    result = stream(sim.base_url, model_id, question.prompt)

    assert result.status == 200
    assert canary.score(question, result.text) is verdict


def test_slow_multiplies_the_time_to_first_token(simulator, scenario_dict):
    raw = scenario_dict(
        models=[{"id": "openai/gpt-test", "ttft_ms": 50, "latency_ms": 80, "jitter": 0}],
        faults=[{"models": ["*"], "kind": "slow", "factor": 4}],
    )
    sim = simulator(raw)

    result = stream(sim.base_url, "openai/gpt-test", FORMAT)

    assert result.first_text_s >= 0.2 and result.total_s >= 0.32
    assert result.text == "[APPLE]"


def test_a_fault_rate_below_one_spares_some_requests(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="http_error", status=500, rate=0.5)

    statuses = set()
    for _ in range(16):
        sim.clock.advance(1)  # one instant, one draw: requests at the same instant agree
        statuses.add(post(sim.base_url, "openai/gpt-test").status_code)

    assert statuses == {200, 500}


def test_requests_at_the_same_scenario_instant_get_the_same_fate(simulator, scenario_dict):
    sim = faulty(simulator, scenario_dict, kind="http_error", status=500, rate=0.5)

    assert len({post(sim.base_url, "openai/gpt-test").status_code for _ in range(6)}) == 1
