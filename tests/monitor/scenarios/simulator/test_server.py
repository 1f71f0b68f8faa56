"""The simulated provider over real loopback sockets: routing, time, robustness."""

import re
import signal
import socket
import subprocess
import sys

import pytest

from monitor.clock import FakeClock
from monitor.scenarios.spec import parse_scenario
from tests.monitor.scenarios.simulator.wire_calls import (
    ARITHMETIC,
    FORMAT,
    answer_of,
    body,
    client,
    error_word,
    post,
    stream,
    text_of,
    url,
)

MODELS = ["anthropic/claude-test", "openai/gpt-test", "gemini/gemini-test", "together/llama-test"]


@pytest.mark.parametrize("model_id", MODELS)
def test_a_healthy_model_answers_the_canary(simulator, scenario_dict, model_id):
    sim = simulator(scenario_dict())

    response = post(sim.base_url, model_id)

    assert response.status_code == 200
    assert answer_of(model_id, response) == "579"


@pytest.mark.parametrize("model_id", MODELS)
def test_a_healthy_stream_delivers_the_answer_in_several_deltas(simulator, scenario_dict, model_id):
    sim = simulator(scenario_dict())

    result = stream(sim.base_url, model_id, FORMAT)

    assert result.status == 200
    assert result.headers["content-type"].startswith("text/event-stream")
    assert result.text == "[APPLE]"
    assert sum(1 for _, data in result.events if _text_event(model_id, data)) >= 3


def _text_event(model_id, data):
    return bool(text_of(model_id, data))


def test_measured_latency_follows_the_injected_latency(simulator, scenario_dict):
    raw = scenario_dict(
        models=[{"id": "anthropic/claude-test", "ttft_ms": 200, "latency_ms": 400, "jitter": 0}]
    )
    sim = simulator(raw)

    result = stream(sim.base_url, "anthropic/claude-test", FORMAT)

    # Generous upper bounds: the suite shares two cores; bench/ measures the overhead itself.
    assert 0.2 <= result.first_text_s < 0.35
    assert 0.4 <= result.total_s < 0.55


def test_the_text_is_spread_between_first_token_and_end(simulator, scenario_dict):
    raw = scenario_dict(
        models=[{"id": "openai/gpt-test", "ttft_ms": 100, "latency_ms": 400, "jitter": 0}]
    )
    sim = simulator(raw)

    result = stream(sim.base_url, "openai/gpt-test", FORMAT)

    pairs = zip(result.times, result.events, strict=True)
    text_times = [t for t, (_, data) in pairs if _text_event("openai/gpt-test", data)]
    assert text_times[0] >= 0.1
    assert text_times[-1] - text_times[0] >= 0.15


def test_a_fault_starts_when_the_scenario_clock_reaches_it(simulator, scenario_dict):
    raw = scenario_dict(
        faults=[
            {
                "models": ["anthropic/claude-test"],
                "kind": "http_error",
                "status": 529,
                "from": "+10m",
            }
        ]
    )
    clock = FakeClock(parse_scenario(raw, "t").start)
    sim = simulator(raw, clock=clock)

    before = post(sim.base_url, "anthropic/claude-test")
    clock.advance(600)
    after = post(sim.base_url, "anthropic/claude-test")

    assert (before.status_code, after.status_code) == (200, 529)


def test_speed_runs_the_scenario_clock_faster(simulator, scenario_dict):
    raw = scenario_dict(
        faults=[{"models": ["*"], "kind": "http_error", "status": 503, "from": "+10m"}]
    )
    sim = simulator(raw, speed=60)

    sim.clock.advance(10)

    assert post(sim.base_url, "openai/gpt-test").status_code == 503
    assert (sim.virtual_now() - sim.scenario.start).total_seconds() == 600


def test_the_region_prefix_picks_the_vantage_point(simulator, scenario_dict):
    raw = scenario_dict(
        faults=[{"models": ["*"], "regions": ["eu-west"], "kind": "http_error", "status": 500}]
    )
    sim = simulator(raw)

    assert post(sim.base_url, "openai/gpt-test", region="eu-west").status_code == 500
    assert post(sim.base_url, "openai/gpt-test", region="us-east").status_code == 200
    # Without a prefix, the request comes from the scenario's first region (us-east).
    assert post(sim.base_url, "openai/gpt-test").status_code == 200


@pytest.mark.parametrize(
    ("model_id", "word"),
    [
        ("anthropic/claude-nope", "not_found_error"),
        ("openai/gpt-nope", "model_not_found"),
        ("gemini/gemini-nope", "NOT_FOUND"),
        ("together/llama-nope", "model_not_found"),
    ],
)
def test_an_unknown_model_gets_the_providers_404(simulator, scenario_dict, model_id, word):
    sim = simulator(scenario_dict())

    response = post(sim.base_url, model_id)

    assert response.status_code == 404
    assert error_word(model_id, response.json()) == word


@pytest.mark.parametrize(
    ("path", "word"),
    [
        ("/anthropic/v1/messages", "invalid_request_error"),
        ("/openai/v1/chat/completions", "invalid_request_error"),
        ("/gemini/v1beta/models/gemini-test:generateContent", "INVALID_ARGUMENT"),
    ],
)
def test_a_body_that_is_not_json_gets_the_providers_400(simulator, scenario_dict, path, word):
    sim = simulator(scenario_dict())

    with client() as http:
        response = http.post(sim.base_url + path, content=b"{not json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert word in (error.get("type"), error.get("status"))


def test_a_request_without_a_model_is_refused(simulator, scenario_dict):
    sim = simulator(scenario_dict())

    with client() as http:
        response = http.post(sim.base_url + "/openai/v1/chat/completions", json={})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["/", "/anthropic/v1/complete", "/gemini/v1beta/models", "/r/us-east"]
)
def test_a_path_no_provider_serves_is_a_404(simulator, scenario_dict, path):
    sim = simulator(scenario_dict())

    with client() as http:
        assert http.post(sim.base_url + path, json={}).status_code == 404


def test_gemini_accepts_the_key_in_the_query_and_streams_as_a_json_array(simulator, scenario_dict):
    sim = simulator(scenario_dict())
    target = sim.base_url + "/gemini/v1beta/models/gemini-test:streamGenerateContent?key=k"

    with client() as http:
        response = http.post(target, json={"contents": [{"parts": [{"text": ARITHMETIC}]}]})

    chunks = response.json()
    assert isinstance(chunks, list)
    assert chunks[-1]["candidates"][0]["content"]["parts"][0]["text"] == "579"


def test_one_connection_serves_requests_one_after_another(simulator, scenario_dict):
    sim = simulator(scenario_dict())
    request = (
        b"POST /openai/v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json"
        b"\r\ncontent-length: %d\r\n\r\n%s"
    )
    payload = b'{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}'

    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as conn:
        conn.sendall(request % (len(payload), payload) * 2)
        received = _read_until(conn, lambda data: data.count(b"HTTP/1.1 200 OK") == 2)

    assert received.count(b"chat.completion") == 2


def test_a_chunked_request_body_is_read(simulator, scenario_dict):
    sim = simulator(scenario_dict())
    payload = b'{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]}'
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)

    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as conn:
        conn.sendall(
            b"POST /openai/v1/chat/completions HTTP/1.1\r\nhost: x\r\n"
            b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n" + chunked
        )
        received = _read_until(conn, lambda data: False)

    assert received.startswith(b"HTTP/1.1 200 OK")


@pytest.mark.parametrize(
    "garbage",
    [
        b"HELLO\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
        b"POST /openai/v1/chat/completions HTTP/1.1\r\ncontent-length: nope\r\n\r\n",
        b"POST /openai/v1/chat/completions HTTP/1.1\r\nbad header line\r\n\r\n",
        b"POST /openai/v1/chat/completions HTTP/1.1\r\ncontent-length: 999999999\r\n\r\n",
        b"\x00\xff\xfe garbage \r\n\r\n",
    ],
)
def test_a_malformed_request_is_answered_and_the_server_carries_on(
    simulator, scenario_dict, garbage
):
    sim = simulator(scenario_dict())

    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as conn:
        conn.sendall(garbage)
        received = _read_until(conn, lambda data: False)

    assert received.split(b" ")[1][:1] in (b"4", b"5")
    assert post(sim.base_url, "openai/gpt-test").status_code == 200


def test_a_client_that_vanishes_mid_stream_does_not_disturb_others(simulator, scenario_dict):
    raw = scenario_dict(
        models=[{"id": "openai/gpt-test", "ttft_ms": 50, "latency_ms": 300, "jitter": 0}]
    )
    sim = simulator(raw)
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as conn:
        payload = b'{"model":"gpt-test","stream":true,"messages":[]}'
        conn.sendall(
            b"POST /openai/v1/chat/completions HTTP/1.1\r\ncontent-length: %d\r\n\r\n%s"
            % (len(payload), payload)
        )
        conn.recv(100)

    assert post(sim.base_url, "openai/gpt-test").status_code == 200


def test_held_connections_do_not_block_other_requests(simulator, scenario_dict):
    raw = scenario_dict(faults=[{"models": ["openai/gpt-test"], "kind": "timeout"}])
    sim = simulator(raw)
    payload = b'{"model":"gpt-test","messages":[]}'
    head = b"POST /openai/v1/chat/completions HTTP/1.1\r\ncontent-length: %d\r\n\r\n"
    request = head % len(payload) + payload
    held = [socket.create_connection(("127.0.0.1", sim.port), timeout=5) for _ in range(50)]
    for conn in held:
        conn.sendall(request)

    healthy = "anthropic/claude-test"
    with client() as http:
        answers = [http.post(url(sim.base_url, healthy), json=body(healthy)) for _ in range(5)]

    assert all(a.status_code == 200 for a in answers)
    for conn in held:
        conn.setblocking(False)
        with pytest.raises(BlockingIOError):  # still open, and still silent
            conn.recv(1)
        conn.close()


def test_stopping_frees_the_port(scenario_dict):
    from monitor.scenarios.simulator.server import start_simulator

    scenario = parse_scenario(scenario_dict(), "t")
    with start_simulator(scenario) as sim:
        port = sim.port

    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_the_demo_scenario_serves_its_models(simulator):
    sim = simulator("demo")

    assert post(sim.base_url, "anthropic/claude-demo-sonnet").status_code == 200


def _read_until(conn, done) -> bytes:
    received = b""
    while not done(received):
        data = conn.recv(65536)
        if not data:
            break
        received += data
    return received


def test_simulate_serves_until_interrupted_and_says_where(tmp_path):
    scenario = tmp_path / "one.toml"
    scenario.write_text('name = "one"\n[[models]]\nid = "openai/gpt-one"\nttft_ms = 0\n')
    code = (
        "from monitor.scenarios.simulator.server import run_simulator_forever; "
        f"run_simulator_forever({str(scenario)!r}, port=0)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        stderr=subprocess.PIPE,
        text=True,
        # A shell may start background jobs with Ctrl-C ignored; a terminal would not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        line = child.stderr.readline()
        base_url = re.search(r"http://127\.0\.0\.1:\d+", line)[0]
        assert post(base_url, "openai/gpt-one").status_code == 200
    finally:
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 0
        child.stderr.close()
    assert "scenario 'one'" in line
