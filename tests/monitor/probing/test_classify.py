from datetime import UTC, datetime

import pytest

from monitor.config import ProviderKind
from monitor.probing.classify import classify
from monitor.results import FailureClass, Outcome, ProbeResult, TimeoutKind

ALL_KINDS = tuple(ProviderKind)
OPENAI_KINDS = (ProviderKind.OPENAI, ProviderKind.OPENAI_COMPATIBLE)

INFRA = FailureClass.INFRASTRUCTURE
CAPACITY = FailureClass.CAPACITY
CONFIG = FailureClass.CONFIGURATION
VANTAGE = FailureClass.VANTAGE
QUALITY = FailureClass.QUALITY
AMBIGUOUS = FailureClass.AMBIGUOUS


def result(outcome: Outcome, **fields: object) -> ProbeResult:
    return ProbeResult(
        target="p/m",
        region="local",
        started_at=datetime(2026, 6, 7, tzinfo=UTC),
        outcome=outcome,
        **fields,
    )


def http(status: int, error_type: str | None = None, retry_after: float | None = None):
    return result(
        Outcome.HTTP_ERROR, http_status=status, error_type=error_type, retry_after_s=retry_after
    )


def http429(error_type: str | None = None, body: str | None = None, ratelimit: dict | None = None):
    return result(
        Outcome.HTTP_ERROR,
        http_status=429,
        error_type=error_type,
        error_excerpt=body,
        ratelimit=ratelimit or {},
    )


# (case, kinds it applies to, result, expected class)
RULES = [
    ("correct answer", ALL_KINDS, result(Outcome.OK, http_status=200), FailureClass.OK),
    (
        "slow but correct answer",
        ALL_KINDS,
        result(Outcome.OK, http_status=200, ttft_ms=60_000.0, total_ms=90_000.0),
        FailureClass.OK,
    ),
    ("anthropic 529 overloaded", (ProviderKind.ANTHROPIC,), http(529, "overloaded_error"), INFRA),
    (
        "anthropic 529 overloaded with retry-after",
        (ProviderKind.ANTHROPIC,),
        http(529, "overloaded_error", 10.0),
        INFRA,
    ),
    ("500 internal error", ALL_KINDS, http(500, "api_error"), INFRA),
    ("502 bad gateway without a body", ALL_KINDS, http(502), INFRA),
    ("503 unavailable", ALL_KINDS, http(503), INFRA),
    ("504 gateway timeout", ALL_KINDS, http(504), INFRA),
    ("gemini 503 UNAVAILABLE", (ProviderKind.GEMINI,), http(503, "UNAVAILABLE"), INFRA),
    ("gemini 500 INTERNAL", (ProviderKind.GEMINI,), http(500, "INTERNAL"), INFRA),
    (
        "error event after HTTP 200",
        ALL_KINDS,
        result(Outcome.STREAM_ERROR, http_status=200, error_type="overloaded_error"),
        INFRA,
    ),
    (
        "rate-limit error event after HTTP 200",
        ALL_KINDS,
        result(Outcome.STREAM_ERROR, http_status=200, error_type="rate_limit_error"),
        INFRA,
    ),
    ("garbage body with HTTP 200", ALL_KINDS, result(Outcome.PROTOCOL, http_status=200), INFRA),
    ("429 with retry-after", ALL_KINDS, http(429, "rate_limit_error", 12.0), CAPACITY),
    # Issue 10: a rate-limit word without retry-after is still a rate limit (gateways drop
    # the header); only an explicit money word makes it ours.
    (
        "429 rate_limit_error without retry-after",
        ALL_KINDS,
        http(429, "rate_limit_error"),
        CAPACITY,
    ),
    (
        "anthropic 429 spend cap named in the body",
        (ProviderKind.ANTHROPIC,),
        http429(
            body='{"type":"error","error":{"type":"rate_limit_error","message":"limit",'
            '"details":{"error_code":"enforced_spend_limit_reached"}}}',
            error_type="rate_limit_error",
        ),
        CONFIG,
    ),
    (
        "litellm throttling_error with llm_provider-retry-after",
        ALL_KINDS,
        http429(error_type="throttling_error", ratelimit={"retry-after": "5"}),
        CAPACITY,
    ),
    ("unknown 429 without any word", ALL_KINDS, http429(), CAPACITY),
    (
        "429 with a rate-limit header at 0",
        ALL_KINDS,
        http429(
            body='{"error":{"message":"Check your billing details"}}',
            ratelimit={"x-ratelimit-remaining-requests": "0"},
        ),
        CAPACITY,
    ),
    (
        "429 with rate-limit headers not at 0 and a billing message",
        ALL_KINDS,
        http429(
            body='{"error":{"message":"Check your billing details"}}',
            ratelimit={"x-ratelimit-remaining-requests": "99", "x-ratelimit-reset-requests": "6ms"},
        ),
        CONFIG,
    ),
    (
        "429 whose message asks for billing",
        ALL_KINDS,
        http429(body='{"error":{"message":"Please check your plan and billing details"}}'),
        CONFIG,
    ),
    (
        "429 rate limit whose message links a billing page",
        ALL_KINDS,
        http429(
            error_type="rate_limit_exceeded",
            body='{"error":{"message":"Rate limit reached. Add a payment method at '
            'https://platform.openai.com/account/billing","code":"rate_limit_exceeded"}}',
        ),
        CAPACITY,
    ),
    ("429 permission word", ALL_KINDS, http429(error_type="permission_error"), CONFIG),
    ("408 request timeout from a gateway", ALL_KINDS, http(408, "timeout"), AMBIGUOUS),
    (
        "openai 429 rate_limit_exceeded without retry-after",
        OPENAI_KINDS,
        http(429, "rate_limit_exceeded"),
        CAPACITY,
    ),
    ("openai 429 insufficient_quota", OPENAI_KINDS, http(429, "insufficient_quota"), CONFIG),
    (
        "openai 429 insufficient_quota even with retry-after",
        OPENAI_KINDS,
        http(429, "insufficient_quota", 20.0),
        CONFIG,
    ),
    (
        "gemini 429 RESOURCE_EXHAUSTED with retry info",
        (ProviderKind.GEMINI,),
        http(429, "RESOURCE_EXHAUSTED", 34.0),
        CAPACITY,
    ),
    # Issue 10: an unknown 429 is capacity; RESOURCE_EXHAUSTED says rationing.
    (
        "gemini 429 RESOURCE_EXHAUSTED without retry info",
        (ProviderKind.GEMINI,),
        http(429, "RESOURCE_EXHAUSTED"),
        CAPACITY,
    ),
    ("401 bad key", ALL_KINDS, http(401, "authentication_error"), CONFIG),
    ("403 forbidden", ALL_KINDS, http(403, "permission_error"), CONFIG),
    ("404 unknown model", ALL_KINDS, http(404, "not_found_error"), CONFIG),
    ("400 invalid request", ALL_KINDS, http(400, "invalid_request_error"), CONFIG),
    ("402 billing", ALL_KINDS, http(402, "billing_error"), CONFIG),
    ("301 redirect not followed", ALL_KINDS, http(301), CONFIG),
    ("gemini 400 API_KEY_INVALID", (ProviderKind.GEMINI,), http(400, "API_KEY_INVALID"), CONFIG),
    (
        "gemini 403 PERMISSION_DENIED",
        (ProviderKind.GEMINI,),
        http(403, "PERMISSION_DENIED"),
        CONFIG,
    ),
    ("dns failure", ALL_KINDS, result(Outcome.DNS), VANTAGE),
    ("tls verification failure", ALL_KINDS, result(Outcome.TLS), VANTAGE),
    ("connect timeout", ALL_KINDS, result(Outcome.TIMEOUT, timeout=TimeoutKind.CONNECT), AMBIGUOUS),
    (
        "first-token timeout",
        ALL_KINDS,
        result(Outcome.TIMEOUT, timeout=TimeoutKind.FIRST_TOKEN),
        AMBIGUOUS,
    ),
    ("stall timeout", ALL_KINDS, result(Outcome.TIMEOUT, timeout=TimeoutKind.STALL), AMBIGUOUS),
    ("total timeout", ALL_KINDS, result(Outcome.TIMEOUT, timeout=TimeoutKind.TOTAL), AMBIGUOUS),
    ("connection reset", ALL_KINDS, result(Outcome.RESET), AMBIGUOUS),
    ("wrong answer", ALL_KINDS, result(Outcome.WRONG_ANSWER, http_status=200), QUALITY),
    ("garbled answer", ALL_KINDS, result(Outcome.GARBLED, http_status=200), QUALITY),
    ("empty answer", ALL_KINDS, result(Outcome.EMPTY, http_status=200), QUALITY),
]

CASES = [
    pytest.param(probe, kind, expected, id=f"{case} [{kind.value}]")
    for case, kinds, probe, expected in RULES
    for kind in kinds
]


@pytest.mark.parametrize(("probe", "kind", "expected"), CASES)
def test_each_failure_lands_in_its_class(probe, kind, expected):
    assert classify(probe, kind) is expected


def test_every_outcome_has_a_class_for_every_provider():
    for outcome in Outcome:
        for kind in ProviderKind:
            assert classify(result(outcome, http_status=500), kind) in FailureClass
