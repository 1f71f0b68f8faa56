"""The Gemini API on the wire: `POST /v1beta/models/{model}:generateContent` and
`:streamGenerateContent` (server-sent events with `?alt=sse`, else one JSON array).

Each streamed event is `data: {GenerateContentResponse}` with lines separated
by CRLF, as Google sends them: `candidates[0].content.parts[].text`, the
`finishReason` (`STOP`, `MAX_TOKENS`) on the last event, `usageMetadata`,
`modelVersion` and `responseId`. There is no `[DONE]`: the stream just ends.
A stream that fails after the 200 carries `data: {"error": {...}}`.

Errors are `{"error": {"code", "message", "status", "details"}}`, where `status` is a
google.rpc.Code word (`RESOURCE_EXHAUSTED`, `UNAVAILABLE`, ...). A scenario
`error_type` that is not such a word is an `ErrorInfo` reason (`API_KEY_INVALID`),
sent with the status word usual for the HTTP status. A 429 carries
`RetryInfo.retryDelay` when the scenario gives `retry_after`; Gemini sends no
`retry-after` header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from monitor.scenarios.simulator.behaviour import Plan
from monitor.scenarios.simulator.protocols import (
    GEMINI_STATUS_CODES,
    WireProtocol,
    status_for,
    usual_error_type,
)
from monitor.scenarios.simulator.wire import (
    Call,
    Reply,
    StreamEvents,
    error_instead,
    json_bytes,
    sse,
    stream_reply,
    text_pieces,
)

PATH = re.compile(
    r"^/(?:v1beta|v1)/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$"
)
STREAM_METHOD = "streamGenerateContent"
_CRLF = b"\r\n"
_TYPE = "type.googleapis.com/google.rpc."
_MESSAGES = {
    "INVALID_ARGUMENT": "Request contains an invalid argument.",
    "UNAUTHENTICATED": "Request had invalid authentication credentials.",
    "PERMISSION_DENIED": "The caller does not have permission",
    "NOT_FOUND": "Requested entity was not found.",
    "RESOURCE_EXHAUSTED": "You exceeded your current quota, please check your plan and billing "
    "details. For more information on this error, head to: "
    "https://ai.google.dev/gemini-api/docs/rate-limits.",
    "INTERNAL": "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    "UNAVAILABLE": "The model is overloaded. Please try again later.",
    "DEADLINE_EXCEEDED": "Deadline expired before operation could complete.",
    "API_KEY_INVALID": "API key not valid. Please pass a valid API key.",
}


def prompt_of(body: Mapping[str, Any]) -> str:
    """The text parts of the last entry of `contents`."""
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents or not isinstance(contents[-1], Mapping):
        return ""
    parts = contents[-1].get("parts")
    if not isinstance(parts, list):
        return ""
    texts = (p.get("text") for p in parts if isinstance(p, Mapping))
    return "".join(t for t in texts if isinstance(t, str))


def render(plan: Plan, call: Call) -> Reply:
    error = error_instead(plan, call, WireProtocol.GEMINI, "INTERNAL", error_reply)
    if error is not None:
        return error
    if call.stream:
        return stream_reply(plan, _headers(plan, stream=True), _events(plan, call))
    body = json_bytes(_response(call, plan, plan.text, plan.stop_reason))
    if call.json_array:
        body = b"[" + body + b"]"
    return Reply(200, _headers(plan), plan.total_s, body=body)


def error_reply(
    status: int,
    error_type: str,
    call: Call,
    message: str | None = None,
    *,
    retry_after: float | None = None,
    due_s: float = 0.0,
) -> Reply:
    body = {"error": _error(status, error_type, message, retry_after)}
    if call.json_array:
        # An error before the first chunk of a JSON-array stream still comes as an array.
        return Reply(status, _headers(None), due_s, body=b"[" + json_bytes(body) + b"]")
    return Reply(status, _headers(None), due_s, body=json_bytes(body))


def unknown_model(call: Call) -> Reply:
    message = (
        f"models/{call.model} is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods."
    )
    return error_reply(404, "NOT_FOUND", call, message)


def invalid_request(call: Call, message: str) -> Reply:
    return error_reply(400, "INVALID_ARGUMENT", call, message)


def _error(
    status: int, error_type: str, message: str | None, retry_after: float | None
) -> dict[str, Any]:
    details: list[dict[str, Any]] = []
    if error_type in GEMINI_STATUS_CODES:
        word = error_type
    else:
        word = usual_error_type(WireProtocol.GEMINI, status)
        details.append(
            {
                "@type": _TYPE + "ErrorInfo",
                "reason": error_type,
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        )
    text = message or _MESSAGES.get(error_type) or _MESSAGES.get(word, word)
    if word == "RESOURCE_EXHAUSTED":
        details.append(
            {
                "@type": _TYPE + "Help",
                "links": [
                    {
                        "description": "Learn more about Gemini API quotas",
                        "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                    }
                ],
            }
        )
    if retry_after is not None:
        details.append({"@type": _TYPE + "RetryInfo", "retryDelay": f"{retry_after:g}s"})
    error: dict[str, Any] = {"code": status, "message": text, "status": word}
    if details:
        error["details"] = details
    return error


def _events(plan: Plan, call: Call) -> StreamEvents:
    deltas = [_event(_response(call, plan, piece, None)) for piece in text_pieces(plan.text)]
    closing = _event(_response(call, plan, "", plan.stop_reason))
    error_type = plan.error_type or "UNAVAILABLE"
    error = {"error": _error(status_for(WireProtocol.GEMINI, error_type), error_type, None, None)}
    # Gemini has no opening event: its first event already carries text.
    return StreamEvents(b"", deltas, closing, _event(error))


def _event(value: Mapping[str, Any]) -> bytes:
    return sse(json_bytes(value), newline=_CRLF)


def _response(call: Call, plan: Plan, text: str, finish_reason: str | None) -> dict[str, Any]:
    content: dict[str, Any] = {"role": "model"}
    if text or (finish_reason and plan.text):
        content = {"parts": [{"text": text}], "role": "model"}
    candidate: dict[str, Any] = {"content": content, "index": 0}
    if finish_reason:
        candidate["finishReason"] = finish_reason
    usage = {"promptTokenCount": call.prompt_tokens, "totalTokenCount": call.prompt_tokens}
    if finish_reason:
        usage["candidatesTokenCount"] = plan.output_tokens
        usage["totalTokenCount"] += plan.output_tokens
    return {
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": call.model,
        "responseId": call.request_id[:22],
    }


def _headers(plan: Plan | None, *, stream: bool = False) -> tuple[tuple[str, str], ...]:
    kind = "text/event-stream" if stream else "application/json; charset=UTF-8"
    headers = [("content-type", kind), ("vary", "Origin, X-Origin, Referer")]
    if plan is not None:
        headers.append(("server-timing", f"gfet4t7; dur={round(plan.total_s * 1000)}"))
    return tuple(headers)
