"""Which wire protocol a simulated provider speaks, and each protocol's words for errors.

The provider part of a model id picks the protocol: `anthropic`, `openai` and
`gemini` speak their own; every other provider name speaks the
OpenAI-compatible protocol, as most hosts do.

An error's *type* is the word a probe would record as `error_type`:

- Anthropic: `error.type` (`overloaded_error`, `rate_limit_error`, ...).
- OpenAI: `error.code` where the real API sets one (`rate_limit_exceeded`,
  `insufficient_quota`, `invalid_api_key`, `model_not_found`), else `error.type`
  (`server_error`, `invalid_request_error`).
- Gemini: the `error.status` word (`RESOURCE_EXHAUSTED`, `UNAVAILABLE`, ...) or an
  `ErrorInfo` reason (`API_KEY_INVALID`).
"""

from __future__ import annotations

from enum import StrEnum


class WireProtocol(StrEnum):
    ANTHROPIC = "anthropic"
    OPENAI = "openai"
    GEMINI = "gemini"


_BY_NAME = {p.value: p for p in WireProtocol}


def protocol_for(provider: str) -> WireProtocol:
    return _BY_NAME.get(provider, WireProtocol.OPENAI)


_ANTHROPIC = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
    408: "timeout_error",  # after 504: status_for keeps naming 504 for timeout_error
}
_OPENAI = {
    400: "invalid_request_error",
    401: "invalid_api_key",
    403: "unsupported_country_region_territory",
    404: "model_not_found",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "server_is_overloaded",
    504: "timeout",
    529: "server_is_overloaded",
    408: "timeout",
}
_GEMINI = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
    529: "UNAVAILABLE",
    408: "DEADLINE_EXCEEDED",
}
_USUAL = {
    WireProtocol.ANTHROPIC: _ANTHROPIC,
    WireProtocol.OPENAI: _OPENAI,
    WireProtocol.GEMINI: _GEMINI,
}

# The error a provider sends inside an HTTP 200 stream when it gives up half-way.
_STREAM_ERROR = {
    WireProtocol.ANTHROPIC: "overloaded_error",
    WireProtocol.OPENAI: "server_error",
    WireProtocol.GEMINI: "UNAVAILABLE",
}

# Gemini's status words are google.rpc.Code names, each with its HTTP status.
GEMINI_STATUS_CODES = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL": 500,
    "UNKNOWN": 500,
    "DATA_LOSS": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


def usual_error_type(protocol: WireProtocol, status: int) -> str:
    """The type a provider usually sends with an HTTP status."""
    table = _USUAL[protocol]
    if status in table:
        return table[status]
    # Anthropic documents invalid_request_error for other 4xx; the rest follow suit.
    return table[400] if status < 500 else table[500]


def stream_error_type(protocol: WireProtocol) -> str:
    return _STREAM_ERROR[protocol]


def status_for(protocol: WireProtocol, error_type: str) -> int:
    """The HTTP status that usually carries an error type; for errors outside a stream."""
    if protocol is WireProtocol.GEMINI and error_type in GEMINI_STATUS_CODES:
        return GEMINI_STATUS_CODES[error_type]
    for status, word in _USUAL[protocol].items():
        if word == error_type:
            return status
    return 500
