"""Whose fault a probe result is: the failure class, from the provider's own error semantics.

The taxonomy, with the wire outcomes and errors that land in each class:

    FailureClass
    ├── ok ............................ HTTP 200, stream finished, canary answered correctly
    │                                   (slow but successful is ok here: latency is the
    │                                   status engine's judgement, against the model's own normal)
    ├── infrastructure ................ the provider's machines failed the request
    │   ├── 5xx ....................... 500, 502, 503, 504, Anthropic 529 overloaded_error,
    │   │                               Gemini INTERNAL / UNAVAILABLE / DEADLINE_EXCEEDED
    │   ├── stream error .............. an error event after HTTP 200 (any provider)
    │   └── protocol .................. HTTP 200 with a body that is not the provider's format
    ├── capacity ...................... the provider is rationing: wait and it passes
    │   ├── 429 + retry-after ......... a rate limit with a time to come back
    │   ├── OpenAI rate_limit_exceeded  its 429 code says "rate", with or without retry-after
    │   └── Gemini RESOURCE_EXHAUSTED . with a RetryInfo delay
    ├── configuration ................. ours to fix; waiting will not help
    │   ├── 400 ....................... invalid request, Gemini API_KEY_INVALID
    │   ├── 401, 403 .................. bad key, Gemini PERMISSION_DENIED
    │   ├── 404 ....................... unknown model
    │   ├── other 4xx, 3xx ............ billing (402), too large (413), a redirect not followed
    │   ├── 429 without retry-after ... a spend cap (Anthropic enforced_spend_limit_reached)
    │   └── OpenAI insufficient_quota . money, even when a retry-after came with it
    ├── vantage ....................... our own network, not the provider
    │   ├── dns ....................... the host name did not resolve from here
    │   └── tls ....................... certificate verification failed from here
    ├── quality ....................... HTTP 200, the model answered, and the answer is bad
    │   ├── wrong_answer
    │   ├── garbled
    │   └── empty
    └── ambiguous ..................... cannot tell alone; other regions decide later
        ├── timeout ................... connect, first token, stall, total
        └── reset ..................... connection refused, reset or closed mid-answer

Pure: a `ProbeResult` and the provider kind in, a `FailureClass` out.
"""

from __future__ import annotations

from monitor.config import ProviderKind
from monitor.results import FailureClass, Outcome, ProbeResult

_BY_OUTCOME = {
    Outcome.OK: FailureClass.OK,
    Outcome.STREAM_ERROR: FailureClass.INFRASTRUCTURE,
    Outcome.PROTOCOL: FailureClass.INFRASTRUCTURE,
    Outcome.TIMEOUT: FailureClass.AMBIGUOUS,
    Outcome.RESET: FailureClass.AMBIGUOUS,
    Outcome.DNS: FailureClass.VANTAGE,
    Outcome.TLS: FailureClass.VANTAGE,
    Outcome.WRONG_ANSWER: FailureClass.QUALITY,
    Outcome.GARBLED: FailureClass.QUALITY,
    Outcome.EMPTY: FailureClass.QUALITY,
}

# OpenAI's billing failures: type insufficient_quota, or one of these codes.
_OPENAI_QUOTA = frozenset(
    {
        "insufficient_quota",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "organization_usage_limit_exceeded",
        "billing_hard_limit_reached",
    }
)
# OpenAI 429 words that mean "too fast", which passes on its own.
_OPENAI_RATE = frozenset({"rate_limit_exceeded", "slow_down", "requests", "tokens"})
_OPENAI_KINDS = (ProviderKind.OPENAI, ProviderKind.OPENAI_COMPATIBLE)


def classify(result: ProbeResult, kind: ProviderKind) -> FailureClass:
    if result.outcome is Outcome.HTTP_ERROR:
        return _http_error(result, kind)
    return _BY_OUTCOME[result.outcome]


def _http_error(result: ProbeResult, kind: ProviderKind) -> FailureClass:
    status = result.http_status or 0
    if status == 429:
        return _too_many_requests(result, kind)
    if status >= 500:
        return FailureClass.INFRASTRUCTURE
    if 300 <= status < 500:
        return FailureClass.CONFIGURATION
    # A non-error status reported as an error cannot be the caller's fault.
    return FailureClass.INFRASTRUCTURE


def _too_many_requests(result: ProbeResult, kind: ProviderKind) -> FailureClass:
    if kind in _OPENAI_KINDS:
        if result.error_type in _OPENAI_QUOTA:
            return FailureClass.CONFIGURATION
        if result.error_type in _OPENAI_RATE:
            return FailureClass.CAPACITY
    # Anthropic uses rate_limit_error for rate limits and spend caps alike; only a
    # rate limit says when to come back (Gemini says it in RetryInfo instead).
    if result.retry_after_s is not None:
        return FailureClass.CAPACITY
    return FailureClass.CONFIGURATION
