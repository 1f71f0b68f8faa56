"""Issue 10 over real loopback sockets, on every protocol: what gateways and broken proxies
do that providers do not (a gateway's 429 and 408, a slow first token behind early
headers and keep-alives, an endless line), each in the class the README's rules give."""

import asyncio
import random

import pytest

from monitor.clock import SystemClock
from monitor.config import ModelSettings, ProbeSettings, ProviderKind, ProviderSettings
from monitor.judging.wording import failure_label
from monitor.probing.client import make_client
from monitor.probing.probe import run_probe
from monitor.results import FailureClass, Outcome, TimeoutKind
from tests.monitor.probing.test_probe import (
    BY_NAME,
    PROTOCOLS,
    faulty_probe,
    http_response,
    raw_server,
)

faulty = faulty_probe
EACH = pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.name)

# First token may take 1.5 s; silence after it is a stall at 0.3 s.
THINKING = ProbeSettings(
    connect_timeout=0.25, first_token_timeout=1.5, stall_timeout=0.3, total_timeout=3.0
)
IMPATIENT = ProbeSettings(
    connect_timeout=0.25, first_token_timeout=0.6, stall_timeout=0.3, total_timeout=3.0
)


@EACH
def test_a_gateways_429_is_capacity_not_our_configuration(faulty, protocol):
    result = faulty(protocol, "gateway_error", status=429)
    assert (result.http_status, result.failure_class) == (429, FailureClass.CAPACITY)


@EACH
def test_a_gateways_429_is_worded_by_its_type_not_its_string_code(faulty, protocol):
    result = faulty(protocol, "gateway_error", status=429)
    expected = "rate_limit_error" if protocol.name == "anthropic" else "throttling_error"
    assert result.error_type == expected
    assert failure_label(result) != "HTTP 429 429"


@pytest.mark.parametrize("protocol", ["openai", "together", "gemini"])
def test_a_gateways_renamed_retry_after_is_read(faulty, protocol):
    result = faulty(BY_NAME[protocol], "gateway_error", status=429)
    assert result.retry_after_s == 5.0
    assert result.ratelimit == {"llm_provider-retry-after": "5"}


def test_the_gateways_anthropic_route_gives_no_retry_after_and_is_still_capacity(faulty):
    result = faulty(BY_NAME["anthropic"], "gateway_error", status=429)
    assert result.retry_after_s is None
    assert result.failure_class is FailureClass.CAPACITY


@EACH
def test_a_gateways_408_is_an_ambiguous_timeout(faulty, protocol):
    result = faulty(protocol, "gateway_error", status=408)
    assert (result.http_status, result.failure_class) == (408, FailureClass.AMBIGUOUS)


@EACH
def test_a_providers_408_is_an_ambiguous_timeout(faulty, protocol):
    result = faulty(protocol, "http_error", status=408)
    assert (result.http_status, result.failure_class) == (408, FailureClass.AMBIGUOUS)


@EACH
def test_a_first_token_later_than_the_stall_limit_is_no_stall(faulty, protocol):
    # Headers at once, keep-alives, first token at ~0.6 s: past the 0.3 s stall limit,
    # inside the 1.5 s first-token limit. A model that thinks is not a failure.
    result = faulty(protocol, "slow_first_token", THINKING, factor=30)
    assert (result.outcome, result.timeout) == (Outcome.OK, None)
    assert result.ttft_ms is not None and result.ttft_ms >= 550


@EACH
def test_keepalives_do_not_count_as_a_first_token(faulty, protocol):
    # Keep-alives at 0.25 s and 0.5 s, the first token only at 1 s: past the 0.6 s limit.
    result = faulty(protocol, "slow_first_token", IMPATIENT, factor=50)
    assert (result.outcome, result.timeout) == (Outcome.TIMEOUT, TimeoutKind.FIRST_TOKEN)
    assert result.failure_class is FailureClass.AMBIGUOUS
    assert failure_label(result) == "timeouts waiting for the first token"


@EACH
def test_an_endless_line_is_a_protocol_failure(faulty, protocol):
    result = faulty(protocol, "endless_line", IMPATIENT)
    assert (result.outcome, result.failure_class) == (Outcome.PROTOCOL, FailureClass.INFRASTRUCTURE)
    assert result.timeout is None
    assert "without an end" in (result.error_excerpt or "")


@pytest.mark.parametrize("kind", list(ProviderKind))
def test_a_flood_of_lines_that_complete_no_event_is_cut_at_the_body_bound(kind):
    # Five MB of 1 KB comment lines: every line within the line bound, none an event. The
    # limits are generous so that only the body bound can end it, however busy the machine.
    flood = (b": " + b"x" * 1021 + b"\n") * (5 * 1024)
    patient = ProbeSettings(
        connect_timeout=5, first_token_timeout=30, stall_timeout=30, total_timeout=60
    )

    async def go():
        reply = http_response("200 OK", flood, "content-type: text/event-stream")
        async with raw_server(lambda head: reply) as (port, _):
            provider = ProviderSettings(id="p", kind=kind, base_url=f"http://127.0.0.1:{port}")
            async with make_client(patient) as client:
                return await run_probe(
                    client,
                    provider,
                    ModelSettings(provider="p", model="m"),
                    patient,
                    region="us-east",
                    api_key=None,
                    clock=SystemClock(),
                    rng=random.Random(1),
                )

    result = asyncio.run(go())
    assert (result.outcome, result.failure_class) == (Outcome.PROTOCOL, FailureClass.INFRASTRUCTURE)
    assert "bytes" in (result.error_excerpt or "")
