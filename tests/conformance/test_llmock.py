"""A third-party chaos server, llmock (PyPI), started on loopback: every fault it offers, on
every protocol it speaks (Anthropic, OpenAI, Gemini, and OpenAI-compatible hosts), lands
in the class the README's rules give. llmock's tool-call faults are left out: probes
offer no tools. Stream faults run on llmock's own text (several chunks on every
protocol), so the break comes mid-answer; what the answer says does not matter there."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from monitor.config import ProviderKind
from monitor.results import FailureClass, Outcome, ProbeResult, TimeoutKind
from tests.conformance.loopback import answer, probe

pytest.importorskip("llmock")

from llmock.pytest_plugin import LLMock
from llmock.testing import LLMockServer


@dataclass(frozen=True)
class Route:
    name: str
    kind: ProviderKind
    path: str  # llmock's base path for the protocol

    def probe(self, server: LLMockServer) -> ProbeResult:
        return probe(server.url + self.path, self.kind, "mock-model-1")


ROUTES = [
    Route("anthropic", ProviderKind.ANTHROPIC, "/anthropic"),
    Route("openai", ProviderKind.OPENAI, "/v1"),
    Route("gemini", ProviderKind.GEMINI, "/gemini"),
    Route("mistral", ProviderKind.OPENAI_COMPATIBLE, "/mistral/v1"),  # top-level error object
    Route("groq", ProviderKind.OPENAI_COMPATIBLE, "/groq/openai/v1"),
]
EACH = pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
INFRA, CAPACITY = FailureClass.INFRASTRUCTURE, FailureClass.CAPACITY
CONFIG, AMBIGUOUS = FailureClass.CONFIGURATION, FailureClass.AMBIGUOUS


@pytest.fixture(scope="module")
def server() -> Iterator[LLMockServer]:
    with LLMockServer() as running:  # binds 127.0.0.1 on a free port
        yield running


@pytest.fixture
def chaos(server) -> LLMock:
    """llmock's own handle, every behaviour and limit forgotten."""
    return LLMock(server).reset()


# (llmock fault, how to ask for it, the class the README gives)
HTTP_FAULTS: list[tuple[str, Callable[[LLMock], object], FailureClass]] = [
    ("rate_limit with retry-after", lambda m: m.rate_limit(retry_after=2), CAPACITY),
    ("fail 429", lambda m: m.fail(429), CAPACITY),
    ("fail 408", lambda m: m.fail(408), AMBIGUOUS),
    ("outage 503", lambda m: m.outage(), INFRA),
    ("fail 500", lambda m: m.fail(500), INFRA),
    ("fail 502", lambda m: m.fail(502), INFRA),
    ("fail 504", lambda m: m.fail(504), INFRA),
    ("fail 529", lambda m: m.fail(529), INFRA),
    ("fail 400", lambda m: m.fail(400), CONFIG),
    ("fail 401", lambda m: m.fail(401), CONFIG),
    ("fail 402", lambda m: m.fail(402), CONFIG),
    ("fail 403", lambda m: m.fail(403), CONFIG),
    ("fail 404", lambda m: m.fail(404), CONFIG),
    ("fail 413", lambda m: m.fail(413), CONFIG),
    ("fail 422", lambda m: m.fail(422), CONFIG),
    ("context_overflow", lambda m: m.context_overflow(), CONFIG),
]


@EACH
@pytest.mark.parametrize(
    ("fault", "ask", "expected"), HTTP_FAULTS, ids=[f for f, _, _ in HTTP_FAULTS]
)
def test_each_http_fault_lands_in_its_class(server, chaos, route, fault, ask, expected):
    ask(chaos)
    result = route.probe(server)
    assert result.outcome is Outcome.HTTP_ERROR
    assert result.failure_class is expected, (result.http_status, result.error_type)


@EACH
def test_a_rate_limit_records_llmocks_retry_time(server, chaos, route):
    chaos.rate_limit(retry_after=2)
    assert route.probe(server).retry_after_s == 2.0


@pytest.mark.parametrize(
    "route",
    [
        r
        for r in ROUTES
        if r.kind is not ProviderKind.ANTHROPIC and r.kind is not ProviderKind.GEMINI
    ],
    ids=lambda r: r.name,
)
def test_a_429_whose_code_names_the_quota_is_configuration(server, chaos, route):
    chaos.fail(429, code="insufficient_quota")
    result = route.probe(server)
    assert (result.error_type, result.failure_class) == ("insufficient_quota", CONFIG)


@EACH
def test_a_real_quota_refusal_is_capacity(server, chaos, route):
    chaos.reply(answer(), times=None).limits(rpm=1)
    assert route.probe(server).failure_class is FailureClass.OK
    refused = route.probe(server)
    assert (refused.http_status, refused.failure_class) == (429, CAPACITY)


@EACH
def test_a_right_answer_is_ok(server, chaos, route):
    chaos.reply(answer())
    result = route.probe(server)
    assert (result.outcome, result.failure_class) == (Outcome.OK, FailureClass.OK)
    assert result.served_model is None


@EACH
def test_a_first_token_later_than_the_stall_limit_is_ok(server, chaos, route):
    # First token at 0.7 s: past the 0.4 s stall limit, inside the 1.2 s first-token limit.
    chaos.reply(answer()).slow_first_token(0.7)
    result = route.probe(server)
    assert (result.outcome, result.timeout) == (Outcome.OK, None)


@EACH
def test_a_first_token_past_its_limit_is_an_ambiguous_first_token_timeout(server, chaos, route):
    chaos.reply(answer()).slow_first_token(2.0)
    result = route.probe(server)
    assert (result.timeout, result.failure_class) == (TimeoutKind.FIRST_TOKEN, AMBIGUOUS)


@EACH
def test_a_held_response_is_an_ambiguous_first_token_timeout(server, chaos, route):
    chaos.delay(2.0)
    result = route.probe(server)
    assert (result.timeout, result.failure_class) == (TimeoutKind.FIRST_TOKEN, AMBIGUOUS)


@EACH
def test_a_stalled_stream_is_an_ambiguous_timeout_named_by_when_it_stalled(server, chaos, route):
    chaos.stall(after_chunks=1, seconds=2.0)
    result = route.probe(server)
    assert (result.outcome, result.failure_class) == (Outcome.TIMEOUT, AMBIGUOUS)
    # Before the first token only the first-token limit applies; after it, the stall limit.
    expected = TimeoutKind.STALL if result.ttft_ms is not None else TimeoutKind.FIRST_TOKEN
    assert result.timeout is expected


@EACH
def test_a_dropped_connection_is_an_ambiguous_reset(server, chaos, route):
    chaos.disconnect(after_chunks=2)
    result = route.probe(server)
    assert (result.outcome, result.failure_class) == (Outcome.RESET, AMBIGUOUS)


@EACH
def test_a_silently_truncated_stream_is_infrastructure(server, chaos, route):
    chaos.truncate(after_chunks=2)
    result = route.probe(server)
    assert (result.outcome, result.failure_class) == (Outcome.PROTOCOL, INFRA)


@EACH
def test_a_corrupted_chunk_is_infrastructure(server, chaos, route):
    chaos.corrupt(after_chunks=1)
    result = route.probe(server)
    assert (result.outcome, result.failure_class) == (Outcome.PROTOCOL, INFRA)
