"""The probe over real loopback sockets: the simulated provider for every protocol and fault,
small hand-written servers for what no provider would send, and real DNS and TLS failures."""

import asyncio
import dataclasses
import json
import random
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass

import pytest

from monitor.clock import SystemClock
from monitor.config import ModelSettings, ProbeSettings, ProviderKind, ProviderSettings
from monitor.judging.wording import failure_label
from monitor.probing.client import make_client
from monitor.probing.probe import run_probe
from monitor.results import FailureClass, Outcome, ProbeResult, TimeoutKind

KEY = "sk-ant-api03-probe-test-secret-0123456789"

# Timeouts in the order a real config has them (connect < first token), but tiny.
FAST = ProbeSettings(
    connect_timeout=0.25, first_token_timeout=0.5, stall_timeout=0.3, total_timeout=2.0
)
# For faults that answer at once (an error status, an error event, a wrong answer): limits
# no loaded 2-core CI machine trips, so only the fault can decide the class.
ROOMY = ProbeSettings(
    connect_timeout=2.0, first_token_timeout=5.0, stall_timeout=5.0, total_timeout=10.0
)
ANSWER_AT_ONCE = {
    "http_error",
    "gateway_error",
    "stream_error",
    "wrong_answer",
    "garbled",
    "empty",
    "reset",
}


@dataclass(frozen=True)
class Protocol:
    name: str  # the simulated provider: the provider part of the scenario's model ids
    kind: ProviderKind
    path: str  # appended to the simulator's base URL, as config.toml does
    model: str

    def provider(self, base_url: str, region: str = "us-east") -> ProviderSettings:
        return ProviderSettings(
            id=self.name, kind=self.kind, base_url=f"{base_url}/r/{region}/{self.name}{self.path}"
        )

    @property
    def target(self) -> str:
        return f"{self.name}/{self.model}"


PROTOCOLS = [
    Protocol("anthropic", ProviderKind.ANTHROPIC, "", "claude-test"),
    Protocol("openai", ProviderKind.OPENAI, "/v1", "gpt-test"),
    Protocol("gemini", ProviderKind.GEMINI, "", "gemini-test"),
    Protocol("together", ProviderKind.OPENAI_COMPATIBLE, "/v1", "llama-test"),
]
BY_NAME = {p.name: p for p in PROTOCOLS}


def probe(
    provider: ProviderSettings,
    model: str,
    settings: ProbeSettings = FAST,
    *,
    api_key: str | None = KEY,
    check: str = "arithmetic",
) -> ProbeResult:
    async def go() -> ProbeResult:
        async with make_client(settings) as client:
            return await run_probe(
                client,
                provider,
                ModelSettings(provider=provider.id, model=model),
                settings,
                region="us-east",
                api_key=api_key,
                clock=SystemClock(),
                rng=random.Random(11),
                check=check,
            )

    return asyncio.run(go())


@pytest.fixture(name="faulty")
def faulty_probe(simulator, scenario_dict):
    """`faulty(protocol, kind, **keys)`: probe one protocol's model under one fault."""

    def run(
        protocol: Protocol, kind: str | None, settings: ProbeSettings | None = None, **keys: object
    ) -> ProbeResult:
        faults = [] if kind is None else [{"models": [protocol.target], "kind": kind, **keys}]
        handle = simulator(scenario_dict(faults=faults))
        if settings is None:
            settings = ROOMY if kind in ANSWER_AT_ONCE else FAST
        return probe(protocol.provider(handle.base_url), protocol.model, settings)

    return run


def assert_key_absent(result: ProbeResult) -> None:
    for field in dataclasses.fields(result):
        assert KEY not in repr(getattr(result, field.name)), field.name


# -- healthy answers -------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.name)
@pytest.mark.parametrize("check", ["arithmetic", "parity", "format", "script", "strict_format"])
def test_a_correct_answer_passes_for_every_protocol(simulator, scenario_dict, protocol, check):
    handle = simulator(scenario_dict())
    result = probe(protocol.provider(handle.base_url), protocol.model, check=check)
    assert (result.outcome, result.failure_class) == (Outcome.OK, FailureClass.OK)
    assert result.answer_correct is True and result.check == check
    assert result.http_status == 200 and result.output_tokens
    assert result.target == protocol.target and result.region == "us-east"


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.name)
def test_timings_are_ordered_connect_ttfb_ttft_total(faulty, protocol):
    result = faulty(protocol, None)
    assert result.outcome is Outcome.OK
    assert 0 < result.connect_ms <= result.ttfb_ms <= result.ttft_ms <= result.total_ms
    # The simulated model takes 20 ms to its first token and 40 ms in all.
    assert result.ttft_ms >= 15 and result.total_ms >= 35
    assert result.tokens_per_s is not None and result.tokens_per_s > 0


def test_request_id_and_rate_limit_headers_are_recorded(faulty):
    result = faulty(BY_NAME["anthropic"], None)
    assert result.request_id and result.request_id.startswith("req_")
    assert "anthropic-ratelimit-requests-remaining" in result.ratelimit


def test_slow_but_correct_is_ok_here_and_the_time_is_recorded(faulty):
    result = faulty(BY_NAME["anthropic"], "slow", factor=5)
    assert result.failure_class is FailureClass.OK
    assert result.ttft_ms >= 90


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.name)
def test_a_right_value_in_the_wrong_form_is_an_ok_probe_that_missed_the_form(
    simulator, scenario_dict, protocol
):
    # The model wraps every answer in a sentence: "The answer is [MOUNTAIN]."
    handle = simulator(scenario_dict(faults=[{"models": ["*"], "kind": "wrong_form"}]))
    provider = protocol.provider(handle.base_url)
    strict = probe(provider, protocol.model, ROOMY, check="strict_format")
    # Not a failed probe, not a wrong answer: only its own check says the form was missed.
    assert (strict.outcome, strict.failure_class) == (Outcome.OK, FailureClass.OK)
    assert strict.check == "strict_format" and strict.answer_correct is False
    for check in ("arithmetic", "format"):  # checks lenient about form see a right answer
        lenient = probe(provider, protocol.model, ROOMY, check=check)
        assert (lenient.outcome, lenient.answer_correct) == (Outcome.OK, True)


def test_a_wrong_value_on_the_exact_form_item_is_still_a_wrong_answer(simulator, scenario_dict):
    handle = simulator(scenario_dict(faults=[{"models": ["*"], "kind": "wrong_answer"}]))
    anthropic = BY_NAME["anthropic"]
    result = probe(
        anthropic.provider(handle.base_url), anthropic.model, ROOMY, check="strict_format"
    )
    # "[mountain]" for "[MOUNTAIN]": the value itself is wrong, whatever the item.
    assert (result.outcome, result.failure_class) == (Outcome.WRONG_ANSWER, FailureClass.QUALITY)
    assert result.answer_correct is False


# -- faults of the provider, per protocol ----------------------------------------------

# (fault kind, fault keys, outcome, failure class, timeout kind)
FAULTS = [
    ("http_error", {"status": 529}, Outcome.HTTP_ERROR, FailureClass.INFRASTRUCTURE, None),
    ("http_error", {"status": 500}, Outcome.HTTP_ERROR, FailureClass.INFRASTRUCTURE, None),
    ("http_error", {"status": 503}, Outcome.HTTP_ERROR, FailureClass.INFRASTRUCTURE, None),
    (
        "http_error",
        {"status": 429, "retry_after": 7},
        Outcome.HTTP_ERROR,
        FailureClass.CAPACITY,
        None,
    ),
    ("http_error", {"status": 401}, Outcome.HTTP_ERROR, FailureClass.CONFIGURATION, None),
    ("http_error", {"status": 404}, Outcome.HTTP_ERROR, FailureClass.CONFIGURATION, None),
    ("http_error", {"status": 400}, Outcome.HTTP_ERROR, FailureClass.CONFIGURATION, None),
    ("stream_error", {}, Outcome.STREAM_ERROR, FailureClass.INFRASTRUCTURE, None),
    ("timeout", {}, Outcome.TIMEOUT, FailureClass.AMBIGUOUS, TimeoutKind.FIRST_TOKEN),
    ("stall", {}, Outcome.TIMEOUT, FailureClass.AMBIGUOUS, TimeoutKind.STALL),
    ("reset", {}, Outcome.RESET, FailureClass.AMBIGUOUS, None),
    ("wrong_answer", {}, Outcome.WRONG_ANSWER, FailureClass.QUALITY, None),
    ("garbled", {}, Outcome.GARBLED, FailureClass.QUALITY, None),
    ("empty", {}, Outcome.EMPTY, FailureClass.QUALITY, None),
]


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.name)
@pytest.mark.parametrize(
    ("kind", "keys", "outcome", "failure_class", "timeout"),
    FAULTS,
    ids=[f"{kind}{keys.get('status', '')}" for kind, keys, *_ in FAULTS],
)
def test_each_fault_gives_its_outcome_and_class(
    faulty, protocol, kind, keys, outcome, failure_class, timeout
):
    result = faulty(protocol, kind, **keys)
    assert (result.outcome, result.failure_class, result.timeout) == (
        outcome,
        failure_class,
        timeout,
    )
    if kind == "http_error":
        assert result.http_status == keys["status"] and result.error_type
        assert result.error_excerpt and len(result.error_excerpt.encode()) <= 1024
    if kind == "reset":  # the simulator accepted, then reset: not a refusal
        assert result.error_type == "connection_reset"
    if kind in ("wrong_answer", "garbled", "empty"):
        assert result.answer_correct is False
    if outcome not in (Outcome.OK, Outcome.WRONG_ANSWER, Outcome.GARBLED, Outcome.EMPTY):
        assert result.answer_correct is None
    assert_key_absent(result)


@pytest.mark.parametrize(
    ("protocol", "error_type"),
    [
        ("anthropic", "overloaded_error"),
        ("openai", "server_error"),
        ("gemini", "UNAVAILABLE"),
    ],
)
def test_a_stream_error_records_the_providers_word(faulty, protocol, error_type):
    result = faulty(BY_NAME[protocol], "stream_error")
    assert (result.http_status, result.error_type) == (200, error_type)


@pytest.mark.parametrize(
    ("protocol", "error_type"),
    [
        ("anthropic", "overloaded_error"),
        ("openai", "server_is_overloaded"),
        ("gemini", "UNAVAILABLE"),
    ],
)
def test_overload_records_the_providers_word(faulty, protocol, error_type):
    assert faulty(BY_NAME[protocol], "http_error", status=529).error_type == error_type


@pytest.mark.parametrize(
    ("protocol", "error_type"),
    [
        ("openai", "insufficient_quota"),
        ("together", "insufficient_quota"),
    ],
)
def test_a_429_that_names_money_is_configuration(faulty, protocol, error_type):
    result = faulty(BY_NAME[protocol], "http_error", status=429, error_type=error_type)
    assert result.retry_after_s is None
    assert (result.error_type, result.failure_class) == (error_type, FailureClass.CONFIGURATION)


# Issue 10 changed this: a rate-limit 429 without retry-after used to be `configuration`
# (taken for a spend cap); gateways drop the header, so it is rationing unless money is named.
@pytest.mark.parametrize(
    ("protocol", "error_type"),
    [
        ("anthropic", "rate_limit_error"),
        ("gemini", "RESOURCE_EXHAUSTED"),
        ("openai", "rate_limit_exceeded"),
        ("together", "rate_limit_exceeded"),
    ],
)
def test_a_rate_limit_without_retry_after_is_capacity(faulty, protocol, error_type):
    result = faulty(BY_NAME[protocol], "http_error", status=429, error_type=error_type)
    assert result.retry_after_s is None
    assert (result.error_type, result.failure_class) == (error_type, FailureClass.CAPACITY)


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.name)
def test_a_429_with_retry_after_records_the_delay(faulty, protocol):
    assert faulty(protocol, "http_error", status=429, retry_after=7).retry_after_s == 7.0


@pytest.mark.parametrize("protocol", ["openai", "together"])
def test_openai_insufficient_quota_is_configuration_even_with_retry_after(faulty, protocol):
    result = faulty(
        BY_NAME[protocol], "http_error", status=429, error_type="insufficient_quota", retry_after=20
    )
    assert (result.error_type, result.failure_class) == (
        "insufficient_quota",
        FailureClass.CONFIGURATION,
    )


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, "API_KEY_INVALID"),
        (403, "PERMISSION_DENIED"),
    ],
)
def test_gemini_key_and_permission_errors_are_configuration(faulty, status, error_type):
    result = faulty(BY_NAME["gemini"], "http_error", status=status, error_type=error_type)
    assert (result.error_type, result.failure_class) == (error_type, FailureClass.CONFIGURATION)


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.name)
def test_an_unknown_model_is_configuration(simulator, scenario_dict, protocol):
    handle = simulator(scenario_dict())
    result = probe(protocol.provider(handle.base_url), "no-such-model")
    assert (result.http_status, result.failure_class) == (404, FailureClass.CONFIGURATION)


def test_a_slow_stream_past_the_total_timeout_trips_total(faulty):
    settings = ProbeSettings(
        connect_timeout=1, first_token_timeout=5, stall_timeout=5, total_timeout=0.5
    )
    result = faulty(BY_NAME["anthropic"], "slow", settings, factor=20)
    assert (result.outcome, result.timeout) == (Outcome.TIMEOUT, TimeoutKind.TOTAL)
    assert 450 <= result.total_ms < 1500


def test_a_stall_keeps_the_time_of_the_first_token(faulty):
    result = faulty(BY_NAME["openai"], "stall")
    assert result.ttft_ms is not None and result.ttft_ms < result.total_ms


# -- what no simulated provider sends: hand-written servers on loopback ----------------

Handler = Callable[[bytes], bytes]


@asynccontextmanager
async def raw_server(answer: Handler):
    """A server that reads one request head and writes `answer(head)` verbatim; counts requests."""
    requests: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        requests.append(head)
        writer.write(answer(head))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1], requests


def http_response(status: str, body: bytes, *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"content-length: {len(body)}", "connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def probe_async(
    port: int,
    kind: ProviderKind = ProviderKind.ANTHROPIC,
    scheme: str = "http",
    host: str = "127.0.0.1",
) -> ProbeResult:
    provider = ProviderSettings(id="p", kind=kind, base_url=f"{scheme}://{host}:{port}")
    async with make_client(FAST) as client:
        return await run_probe(
            client,
            provider,
            ModelSettings(provider="p", model="m"),
            FAST,
            region="us-east",
            api_key=KEY,
            clock=SystemClock(),
            rng=random.Random(1),
        )


def against(
    answer: Handler, kind: ProviderKind = ProviderKind.ANTHROPIC
) -> tuple[ProbeResult, list[bytes]]:
    async def go() -> tuple[ProbeResult, list[bytes]]:
        async with raw_server(answer) as (port, requests):
            return await probe_async(port, kind), requests

    return asyncio.run(go())


HTML = b"<html><head><title>Welcome</title></head><body>It works!</body></html>"


@pytest.mark.parametrize("kind", list(ProviderKind))
def test_a_200_that_is_not_the_providers_format_is_protocol_garbage(kind):
    result, _ = against(lambda head: http_response("200 OK", HTML, "content-type: text/html"), kind)
    assert (result.outcome, result.failure_class) == (Outcome.PROTOCOL, FailureClass.INFRASTRUCTURE)
    assert "<html>" in result.error_excerpt


def test_an_error_is_sent_once_never_retried():
    body = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    result, requests = against(lambda head: http_response("529 Overloaded", body))
    assert (result.http_status, result.error_type) == (529, "overloaded_error")
    assert len(requests) == 1


def test_a_redirect_is_reported_not_followed():
    result, requests = against(
        lambda head: http_response("307 Temporary Redirect", b"", "location: https://elsewhere/")
    )
    assert (result.http_status, result.failure_class) == (307, FailureClass.CONFIGURATION)
    assert len(requests) == 1


@pytest.mark.parametrize("kind", list(ProviderKind))
def test_a_key_echoed_back_by_a_broken_proxy_never_reaches_the_result(kind):
    def echo(head: bytes) -> bytes:
        # A debugging proxy that returns the request headers, key and all, everywhere it can.
        return http_response(
            "401 Unauthorized",
            head + b" " + KEY.encode(),
            f"x-request-id: {KEY}",
            f"x-ratelimit-key: {KEY}",
            f"request-id: {KEY}",
        )

    result, requests = against(echo, kind)
    assert KEY.encode() in requests[0]
    assert result.http_status == 401 and "[redacted]" in result.error_excerpt
    assert_key_absent(result)


def test_the_key_travels_in_a_header_and_not_in_the_url():
    _, requests = against(
        lambda head: http_response("500 Internal Server Error", b""), ProviderKind.GEMINI
    )
    request_line = requests[0].split(b"\r\n", 1)[0]
    assert KEY.encode() not in request_line
    assert f"x-goog-api-key: {KEY}".encode() in requests[0]


def test_a_cancelled_probe_raises_cancelled_error_so_shutdown_can_stop_it():
    async def go() -> None:
        arrived = asyncio.Event()

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            arrived.set()
            await reader.read()  # say nothing until the client leaves

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        async with server:
            task = asyncio.create_task(probe_async(server.sockets[0].getsockname()[1]))
            await arrived.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(go())


# -- the vantage point's own network ---------------------------------------------------


def test_a_host_that_does_not_resolve_is_dns_vantage():
    result = asyncio.run(probe_async(443, host="api.aistatus-test.invalid"))
    assert (result.outcome, result.failure_class) == (Outcome.DNS, FailureClass.VANTAGE)


def test_a_refused_connection_is_a_reset_that_says_it_was_refused():
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        result = asyncio.run(probe_async(port))
    assert (result.outcome, result.failure_class) == (Outcome.RESET, FailureClass.AMBIGUOUS)
    assert result.error_type == "connection_refused"
    assert failure_label(result) == "connections refused"


def test_a_full_listen_queue_trips_the_connect_timeout():
    with closing(socket.socket()) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(4)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        try:
            result = asyncio.run(probe_async(port))
        finally:
            for filler in fillers:
                filler.close()
    assert (result.outcome, result.timeout) == (Outcome.TIMEOUT, TimeoutKind.CONNECT)
    assert result.failure_class is FailureClass.AMBIGUOUS


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory) -> ssl.SSLContext:
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_a_certificate_that_does_not_verify_is_tls_vantage(self_signed):
    async def go() -> ProbeResult:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=self_signed)
        async with server:
            return await probe_async(
                server.sockets[0].getsockname()[1], scheme="https", host="localhost"
            )

    result = asyncio.run(go())
    assert (result.outcome, result.failure_class) == (Outcome.TLS, FailureClass.VANTAGE)
    assert "CERTIFICATE_VERIFY_FAILED" in result.error_excerpt


# -- when the answer came, not when the prober got to it --------------------------------

BUSY_S = 1.0  # how long the prober's process gets no turn after the answer has come


def test_a_prober_that_gets_to_the_answer_late_still_times_it_when_it_came():
    """On a machine whose cores other work keeps busy, the prober may read an answer
    long after it arrived; the kernel's receive timestamp, not that wait, is the time."""
    events = [
        {"choices": [{"index": 0, "delta": {"content": "4"}, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    body += b"data: [DONE]\n\n"
    answer = http_response("200 OK", body, "content-type: text/event-stream")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)  # in the kernel's buffer at once, stamped as it arrives
        # Stands for the other programs on the machine: the prober's loop gets its next
        # turn only after this, so it reads the answer BUSY_S after it came.
        asyncio.get_running_loop().call_soon(time.sleep, BUSY_S)
        await reader.read()  # the answer is framed: the probe leaves first
        writer.close()

    async def go() -> ProbeResult:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        async with server:
            return await probe_async(
                server.sockets[0].getsockname()[1], ProviderKind.OPENAI_COMPATIBLE
            )

    result = asyncio.run(go())
    assert result.outcome in (Outcome.OK, Outcome.WRONG_ANSWER)  # an answer, timed
    assert result.total_ms is not None and result.total_ms < BUSY_S * 1000 / 2
    assert result.ttft_ms is not None and result.ttft_ms < BUSY_S * 1000 / 2
