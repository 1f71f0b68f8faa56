"""Whose fault a probe result is: the failure class, from all the evidence a response carries.

The evidence: the wire outcome, the HTTP status, the provider's error word
(`error_type`: its type, or a code that is a word — a numeric code only repeats
the status), the message in the error body (`error_excerpt`), and the retry
hints in the headers under any of their spellings (`retry-after`,
`retry-after-ms`, a gateway's prefixed copy such as LiteLLM's
`llm_provider-retry-after`, `x-ratelimit-*`, `anthropic-ratelimit-*`) or in the
body (Gemini's RetryInfo). Servers that copy a protocol and gateways in front
of it (LiteLLM, OpenRouter, Azure, vLLM, Ollama) reuse the status codes but not
the words, so the words only ever move a result *towards* the class the status
gives, never against explicit evidence.

The taxonomy, in the order the questions are asked:

    FailureClass
    ├── ok ............................ HTTP 200, stream finished, canary answered correctly
    │                                   (slow but successful is ok here: latency is the
    │                                   status engine's judgement, against the model's own normal;
    │                                   so is the right value in the wrong form on a check of
    │                                   form only, strict_format: `answer_correct` False,
    │                                   counted apart from availability and correctness)
    ├── vantage ....................... our own network, not the provider
    │   ├── dns ....................... the host name did not resolve from here
    │   └── tls ....................... certificate verification failed from here
    ├── quality ....................... HTTP 200, the model answered, and the answer is bad
    │   ├── wrong_answer
    │   ├── garbled
    │   └── empty
    ├── ambiguous ..................... cannot tell alone; other regions decide later
    │   ├── timeout ................... connect, first token, stall, total (named in the result)
    │   ├── 408 ....................... a timeout reported as a status (gateways: every
    │   │                               upstream timeout)
    │   └── reset ..................... connection refused, reset or closed mid-answer
    │                                   (`error_type` connection_refused or connection_reset)
    ├── infrastructure ................ the provider's machines (or the proxy before them) failed
    │   ├── 5xx ....................... 500, 502, 503, 504, Anthropic 529 overloaded_error,
    │   │                               Gemini INTERNAL / UNAVAILABLE / DEADLINE_EXCEEDED
    │   ├── stream error .............. an error event after HTTP 200 (any provider)
    │   ├── protocol .................. HTTP 200 with a body that is not the provider's format,
    │   │                               or a line or body past the probe's bounds
    │   └── fallback .................. HTTP 200 from another model: a gateway says it fell
    │                                   back (LiteLLM's x-litellm-attempted-fallbacks)
    ├── 429 ........................... rationing or money; asked in this order:
    │   ├── configuration ............. 1. the error word names key/quota/billing/permission
    │   │                                  (insufficient_quota, billing_hard_limit_reached,
    │   │                                  authentication_error), or the body carries such a
    │   │                                  code (enforced_spend_limit_reached)
    │   ├── capacity .................. 2. any retry hint: retry-after in any spelling,
    │   │                                  Gemini RetryInfo, a rate-limit header at 0
    │   │                                  (x-ratelimit-remaining-requests: 0)
    │   ├── capacity .................. 3. the error word says rate: rate_limit_error,
    │   │                                  rate_limit_exceeded, throttling_error,
    │   │                                  RESOURCE_EXHAUSTED, too_many_requests
    │   ├── configuration ............. 4. the message asks for a key, quota, billing, credit
    │   │                                  or permission
    │   └── capacity .................. 5. anything else: an unknown 429 is rationing
    └── configuration ................. ours to fix; waiting will not help
        ├── 401, 403 .................. bad key, Gemini PERMISSION_DENIED
        ├── 404 ....................... unknown model
        ├── 400 ....................... invalid request, Gemini API_KEY_INVALID
        └── other 4xx, 3xx ............ billing (402), too large (413), a redirect not followed

Pure: a `ProbeResult` and the provider kind in, a `FailureClass` out.
"""

from __future__ import annotations

import re

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
    # The asked model failed (a gateway falls back on its errors); whose answer came
    # instead says nothing of it.
    Outcome.FALLBACK: FailureClass.INFRASTRUCTURE,
}

# Words that put a failure on our side: money, keys, permissions.
_OURS = r"quota|billing|spend|credit|payment|api[_ ]?key|permission|unauthori[sz]ed|authenticat"
_OURS_WORD = re.compile(_OURS, re.IGNORECASE)
# The same, as a code in the body (a snake_case token around the word), so a message
# that only links to a billing page ("add a payment method at .../billing") is no code.
_OURS_CODE = re.compile(rf"\b[a-z]+(?:_[a-z]+)*_(?:{_OURS})\w*|\b(?:{_OURS})_[a-z_]+")
# Words that say "too fast", which passes on its own.
_RATE_WORD = re.compile(
    r"rate|throttl|slow_down|too_many|resource_exhausted|^requests$|^tokens$", re.IGNORECASE
)
# Rate-limit headers come with every response of some providers; only one that shows a
# limit used up (`x-ratelimit-remaining-requests: 0`) says this 429 is that limit.
_EXHAUSTED = "ratelimit-remaining"


def classify(result: ProbeResult, kind: ProviderKind) -> FailureClass:
    """The class of `result`; `kind` is the protocol the target speaks (the words
    above are read from it by its adapter, so the tree itself is the same for all)."""
    if result.outcome is Outcome.HTTP_ERROR:
        return _http_error(result)
    return _BY_OUTCOME[result.outcome]


def _http_error(result: ProbeResult) -> FailureClass:
    status = result.http_status or 0
    if status == 429:
        return _too_many_requests(result)
    if status == 408:
        return FailureClass.AMBIGUOUS
    if status >= 500:
        return FailureClass.INFRASTRUCTURE
    if 300 <= status < 500:
        return FailureClass.CONFIGURATION
    # A non-error status reported as an error cannot be the caller's fault.
    return FailureClass.INFRASTRUCTURE


def _too_many_requests(result: ProbeResult) -> FailureClass:
    word = result.error_type or ""
    body = result.error_excerpt or ""
    if _OURS_WORD.search(word) or _OURS_CODE.search(body):
        return FailureClass.CONFIGURATION
    if retry_hinted(result):
        return FailureClass.CAPACITY
    if _RATE_WORD.search(word):
        return FailureClass.CAPACITY
    if _OURS_WORD.search(body):
        return FailureClass.CONFIGURATION
    return FailureClass.CAPACITY


def retry_hinted(result: ProbeResult) -> bool:
    """True when the response said when to come back, under any spelling we keep."""
    if result.retry_after_s is not None:
        return True
    return any(
        "retry-after" in name or (_EXHAUSTED in name and value.strip() == "0")
        for name, value in result.ratelimit.items()
    )
