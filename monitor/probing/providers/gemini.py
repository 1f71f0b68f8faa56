"""Google Gemini API: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`.

The key goes in the `x-goog-api-key` header, never in a `?key=` query string,
so it cannot leak through a logged URL. With `alt=sse` every event is one
`GenerateContentResponse`: text in `candidates[0].content.parts[].text`,
`candidates[0].finishReason` ("STOP", "MAX_TOKENS", "SAFETY"...) on the last
one, `usageMetadata.candidatesTokenCount` for output tokens. There is no
closing sentinel: the body ending after a finish reason is the end.

Errors are Google RPC statuses: `{"error": {"code", "message", "status",
"details": [...]}}`. `status` is the coarse word (INVALID_ARGUMENT,
RESOURCE_EXHAUSTED, UNAVAILABLE); `details` may hold a
`google.rpc.ErrorInfo` whose `reason` is finer (API_KEY_INVALID), and is then
the word we record, and a `google.rpc.RetryInfo` whose `retryDelay` ("34s")
stands in for the retry-after header Google does not send.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from monitor.config import ModelSettings, ProviderSettings
from monitor.probing.providers.base import (
    Adapter,
    ErrorInfo,
    Garbage,
    RequestSpec,
    StreamEnd,
    StreamError,
    StreamEvent,
    TextDelta,
    dig,
    int_or_none,
    load_json,
    stream_headers,
    temperature,
    text_or_none,
    with_extra,
)

REQUEST_ID_HEADERS = ("x-goog-request-id", "x-request-id")
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")


def build_request(
    provider: ProviderSettings,
    model: ModelSettings,
    prompt: str,
    max_tokens: int,
    api_key: str | None,
) -> RequestSpec:
    headers = stream_headers()
    if api_key:
        headers["x-goog-api-key"] = api_key
    generation: dict[str, object] = {"maxOutputTokens": max_tokens}
    value = temperature(model)
    if value is not None:
        generation["temperature"] = value
    body = {
        "contents": [{"role": "user", "parts": [{"text": prompt}]}],
        "generationConfig": generation,
    }
    name = quote(model.model, safe="-._~")
    url = f"{provider.base_url}/v1beta/models/{name}:streamGenerateContent?alt=sse"
    return RequestSpec("POST", url, with_extra(headers, provider), body)


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
    document = load_json(body)
    # Some Google front ends wrap the status in a one-element list.
    if isinstance(document, list) and len(document) == 1:
        document = document[0]
    return error_info(document)


def error_info(document: object) -> ErrorInfo:
    error = dig(document, "error")
    reason: str | None = None
    retry_after: float | None = None
    details = dig(error, "details")
    for detail in details if isinstance(details, list) else ():
        kind = dig(detail, "@type")
        if kind == _ERROR_INFO and reason is None:
            reason = text_or_none(dig(detail, "reason"))
        elif kind == _RETRY_INFO:
            retry_after = _seconds(dig(detail, "retryDelay"))
    status = text_or_none(dig(error, "status"))
    # A gateway in front of Gemini may answer in OpenAI's shape: its type is the word then.
    status = status or text_or_none(dig(error, "type"))
    return ErrorInfo(
        error_type=reason or status,
        message=text_or_none(dig(error, "message")),
        detail=status if reason else None,
        retry_after_s=retry_after,
    )


def _seconds(value: object) -> float | None:
    match = _DELAY.match(value) if isinstance(value, str) else None
    return float(match.group(1)) if match else None


class StreamParser:
    def __init__(self) -> None:
        self._finish_reason: str | None = None
        self._output_tokens: int | None = None
        self.served_model: str | None = None

    def feed(self, event: str | None, data: str) -> list[StreamEvent]:
        document = load_json(data)
        if not isinstance(document, dict):
            return [Garbage(data)]
        if "error" in document:
            info = error_info(document)
            return [StreamError(info.error_type, info.message)]
        if self.served_model is None:
            self.served_model = text_or_none(document.get("modelVersion"))
        tokens = int_or_none(dig(document, "usageMetadata", "candidatesTokenCount"))
        if tokens is not None:
            self._output_tokens = tokens
        blocked = text_or_none(dig(document, "promptFeedback", "blockReason"))
        if blocked is not None:
            self._finish_reason = blocked
        candidates = document.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            # A prompt blocked before any candidate still answers in this format.
            known = "usageMetadata" in document or "promptFeedback" in document
            return [] if known else [Garbage(data)]
        return self._candidate(candidates[0])

    def _candidate(self, candidate: object) -> list[StreamEvent]:
        reason = text_or_none(dig(candidate, "finishReason"))
        if reason is not None:
            self._finish_reason = reason
        parts = dig(candidate, "content", "parts")
        events: list[StreamEvent] = []
        for part in parts if isinstance(parts, list) else ():
            text = dig(part, "text")
            # Thought summaries are reasoning, not the answer the canary scores.
            if isinstance(text, str) and text and dig(part, "thought") is not True:
                events.append(TextDelta(text))
        return events

    def close(self) -> StreamEnd | None:
        if self._finish_reason is None:
            return None
        return StreamEnd(self._finish_reason, self._output_tokens)


ADAPTER = Adapter(build_request, parse_error, StreamParser, REQUEST_ID_HEADERS)
