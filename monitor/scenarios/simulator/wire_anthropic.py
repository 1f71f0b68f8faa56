"""The Anthropic Messages API on the wire: `POST /v1/messages`.

Streaming replies are server-sent events, each with an `event:` name equal to
its JSON `type`: `message_start`, `content_block_start`, `ping`,
`content_block_delta` (`text_delta`), `content_block_stop`, `message_delta`
(stop reason, output tokens), `message_stop`. A stream that fails after the
200 carries `event: error` with `{"type":"error","error":{...}}`, as during
overload. Error responses are
`{"type":"error","error":{"type":...,"message":...},"request_id":"req_..."}`
with a `request-id` header, plus `retry-after` when the scenario gives one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
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

PATH = "/v1/messages"
_REQUESTS_LIMIT = 4000
_MESSAGES = {
    "invalid_request_error": "Invalid request",
    "authentication_error": "invalid x-api-key",
    "billing_error": "Your credit balance is too low to access the Anthropic API.",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "This request would exceed the rate limit for your organization of "
    f"{_REQUESTS_LIMIT} requests per minute.",
    "api_error": "Internal server error",
    "timeout_error": "Request timed out",
    "overloaded_error": "Overloaded",
}


prompt_of = last_message_text


def render(plan: Plan, call: Call) -> Reply:
    error = error_instead(plan, call, WireProtocol.ANTHROPIC, "api_error", error_reply)
    if error is not None:
        return error
    if call.stream:
        return stream_reply(plan, _headers(call, 200, stream=True), _events(plan, call))
    body = {**_message(plan, call), "stop_reason": plan.stop_reason}
    body["usage"] = _usage(call, plan.output_tokens)
    return Reply(200, _headers(call, 200), plan.total_s, body=json_bytes(body))


def error_reply(
    status: int,
    error_type: str,
    call: Call,
    message: str | None = None,
    *,
    retry_after: float | None = None,
    due_s: float = 0.0,
) -> Reply:
    body = {
        "type": "error",
        "error": {"type": error_type, "message": message or _message_for(error_type)},
        "request_id": _request_id(call),
    }
    headers = _headers(call, status, retry_after=retry_after)
    return Reply(status, headers, due_s, body=json_bytes(body))


def unknown_model(call: Call) -> Reply:
    return error_reply(404, "not_found_error", call, f"model: {call.model}")


def invalid_request(call: Call, message: str) -> Reply:
    return error_reply(400, "invalid_request_error", call, message)


def _events(plan: Plan, call: Call) -> StreamEvents:
    start = {**_message(plan, call), "content": [], "stop_reason": None}
    start["usage"] = _usage(call, 1)
    opening = [_event("message_start", {"message": start})]
    if plan.text:
        block = {"index": 0, "content_block": {"type": "text", "text": ""}}
        opening.append(_event("content_block_start", block))
    opening.append(_event("ping", {}))
    deltas = [
        _event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": piece}})
        for piece in text_pieces(plan.text)
    ]
    closing = [_event("content_block_stop", {"index": 0})] if plan.text else []
    closing.append(
        _event(
            "message_delta",
            {
                "delta": {"stop_reason": plan.stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": plan.output_tokens},
            },
        )
    )
    closing.append(_event("message_stop", {}))
    error = {"error": {"type": plan.error_type, "message": _message_for(plan.error_type or "")}}
    return StreamEvents(
        b"".join(opening), deltas, b"".join(closing), _event("error", error), _event("ping", {})
    )


def _event(name: str, fields: Mapping[str, Any]) -> bytes:
    return sse(json_bytes({"type": name, **fields}), event=name)


def _message(plan: Plan, call: Call) -> dict[str, Any]:
    content = [{"type": "text", "text": plan.text}] if plan.text else []
    return {
        "id": f"msg_{call.request_id[:24]}",
        "type": "message",
        "role": "assistant",
        "model": call.model,
        "content": content,
        "stop_reason": plan.stop_reason,
        "stop_sequence": None,
    }


def _usage(call: Call, output_tokens: int) -> dict[str, int]:
    return {"input_tokens": call.prompt_tokens, "output_tokens": output_tokens}


def _headers(
    call: Call, status: int, *, stream: bool = False, retry_after: float | None = None
) -> tuple[tuple[str, str], ...]:
    reset = datetime.fromtimestamp(call.created, UTC) + timedelta(seconds=60)
    remaining = 0 if status == 429 else _REQUESTS_LIMIT - 1
    headers = [
        ("content-type", "text/event-stream; charset=utf-8" if stream else "application/json"),
        ("request-id", _request_id(call)),
        ("anthropic-ratelimit-requests-limit", str(_REQUESTS_LIMIT)),
        ("anthropic-ratelimit-requests-remaining", str(remaining)),
        ("anthropic-ratelimit-requests-reset", reset.strftime("%Y-%m-%dT%H:%M:%SZ")),
    ]
    if stream:
        headers.append(("cache-control", "no-cache"))
    if retry_after is not None:
        headers.append(("retry-after", str(math.ceil(retry_after))))  # whole seconds, per RFC
    return tuple(headers)


def _request_id(call: Call) -> str:
    return f"req_{call.request_id[:24]}"


def _message_for(error_type: str) -> str:
    return _MESSAGES.get(error_type, error_type.replace("_", " ").capitalize())
