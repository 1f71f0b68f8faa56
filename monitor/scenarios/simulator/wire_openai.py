"""OpenAI Chat Completions on the wire: `POST {base_url}/chat/completions`.

Also spoken by every provider without a protocol of its own (OpenAI-compatible
hosts). Streaming replies are `data: {chat.completion.chunk}` lines: a first
chunk with the assistant role, content deltas, a chunk with `finish_reason`,
then, when the request set `stream_options.include_usage`, a chunk with
`usage` and empty `choices`, and finally `data: [DONE]`. A stream that fails
after the 200 carries `data: {"error": {...}}` and ends without `[DONE]`.

Error bodies are `{"error": {"message", "type", "param", "code"}}`. The scenario's
`error_type` names `code` where the real API sets one (`rate_limit_exceeded`,
`insufficient_quota`, `invalid_api_key`, `model_not_found`), else `type`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from monitor.scenarios.simulator.behaviour import Plan
from monitor.scenarios.simulator.protocols import WireProtocol
from monitor.scenarios.simulator.wire import (
    Call,
    Reply,
    StreamEvents,
    error_instead,
    json_bytes,
    last_message_text,
    sse,
    stream_reply,
    text_pieces,
)

PATHS = ("/v1/chat/completions", "/chat/completions")
_REQUESTS_LIMIT = 10000

# error_type -> (type, code, message), as the real API words them.
_ERRORS: dict[str, tuple[str, str | None, str]] = {
    "invalid_request_error": ("invalid_request_error", None, "Invalid request."),
    "invalid_api_key": (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    "model_not_found": (
        "invalid_request_error",
        "model_not_found",
        "The model does not exist or you do not have access to it.",
    ),
    "unsupported_country_region_territory": (
        "request_forbidden",
        "unsupported_country_region_territory",
        "Country, region, or territory not supported",
    ),
    "rate_limit_exceeded": (
        "requests",
        "rate_limit_exceeded",
        f"Rate limit reached on requests per min (RPM): Limit {_REQUESTS_LIMIT}, "
        f"Used {_REQUESTS_LIMIT}, Requested 1. Please try again in 6ms.",
    ),
    "insufficient_quota": (
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.",
    ),
    "server_error": (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    "server_is_overloaded": (
        "service_unavailable_error",
        "server_is_overloaded",
        "The server is overloaded. Please try again later.",
    ),
    "timeout": ("server_error", "timeout", "Request timed out."),
}


prompt_of = last_message_text


def wants_usage(body: Mapping[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, Mapping) and options.get("include_usage") is True


def render(plan: Plan, call: Call) -> Reply:
    error = error_instead(plan, call, WireProtocol.OPENAI, "server_error", error_reply)
    if error is not None:
        return error
    if call.stream:
        return stream_reply(plan, _headers(call, 200, plan, stream=True), _events(plan, call))
    body = {
        "id": _completion_id(call),
        "object": "chat.completion",
        "created": call.created,
        "model": call.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": plan.text, "refusal": None},
                "logprobs": None,
                "finish_reason": plan.stop_reason,
            }
        ],
        "usage": _usage(call, plan.output_tokens),
        "system_fingerprint": None,
    }
    return Reply(200, _headers(call, 200, plan), plan.total_s, body=json_bytes(body))


def error_reply(
    status: int,
    error_type: str,
    call: Call,
    message: str | None = None,
    *,
    retry_after: float | None = None,
    due_s: float = 0.0,
) -> Reply:
    body = {"error": _error(status, error_type, message)}
    headers = _headers(call, status, retry_after=retry_after)
    return Reply(status, headers, due_s, body=json_bytes(body))


def unknown_model(call: Call) -> Reply:
    message = f"The model `{call.model}` does not exist or you do not have access to it."
    return error_reply(404, "model_not_found", call, message)


def invalid_request(call: Call, message: str) -> Reply:
    return error_reply(400, "invalid_request_error", call, message)


def _error(status: int, error_type: str, message: str | None) -> dict[str, Any]:
    kind, code, text = _ERRORS.get(error_type) or _unlisted(status, error_type)
    return {"message": message or text, "type": kind, "param": None, "code": code}


def _unlisted(status: int, word: str) -> tuple[str, str | None, str]:
    """A word we have no entry for: a type if it reads like one, else a code."""
    text = word.replace("_", " ").capitalize()
    if word.endswith("_error"):
        return word, None, text
    return ("invalid_request_error" if status < 500 else "server_error"), word, text


def _events(plan: Plan, call: Call) -> StreamEvents:
    opening = _chunk(call, {"role": "assistant", "content": "", "refusal": None})
    deltas = [_chunk(call, {"content": piece}) for piece in text_pieces(plan.text)]
    closing = _chunk(call, {}, finish_reason=plan.stop_reason)
    if call.include_usage:
        usage = {**_chunk_fields(call), "choices": [], "usage": _usage(call, plan.output_tokens)}
        closing += sse(json_bytes(usage))
    closing += sse(b"[DONE]")
    error = sse(json_bytes({"error": _error(500, plan.error_type or "server_error", None)}))
    return StreamEvents(opening, deltas, closing, error)


def _chunk(call: Call, delta: Mapping[str, Any], finish_reason: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
    fields: dict[str, Any] = {**_chunk_fields(call), "choices": [choice]}
    if call.include_usage:
        fields["usage"] = None
    return sse(json_bytes(fields))


def _chunk_fields(call: Call) -> dict[str, Any]:
    return {
        "id": _completion_id(call),
        "object": "chat.completion.chunk",
        "created": call.created,
        "model": call.model,
        "system_fingerprint": None,
    }


def _usage(call: Call, output_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": call.prompt_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": call.prompt_tokens + output_tokens,
    }


def _headers(
    call: Call,
    status: int,
    plan: Plan | None = None,
    *,
    stream: bool = False,
    retry_after: float | None = None,
) -> tuple[tuple[str, str], ...]:
    remaining = 0 if status == 429 else _REQUESTS_LIMIT - 1
    headers = [
        ("content-type", "text/event-stream; charset=utf-8" if stream else "application/json"),
        ("x-request-id", f"req_{call.request_id}"),
        ("x-ratelimit-limit-requests", str(_REQUESTS_LIMIT)),
        ("x-ratelimit-remaining-requests", str(remaining)),
        ("x-ratelimit-reset-requests", "6ms"),
    ]
    if plan is not None:
        headers.append(("openai-processing-ms", str(round(plan.ttft_s * 1000))))
    if retry_after is not None:
        headers.append(("retry-after", str(math.ceil(retry_after))))  # whole seconds, per RFC
        headers.append(("retry-after-ms", str(round(retry_after * 1000))))
    return tuple(headers)


def _completion_id(call: Call) -> str:
    return f"chatcmpl-{call.request_id[:29]}"
