"""Anthropic Messages API: `POST /v1/messages` with `stream: true`.

The stream is named server-sent events: `message_start`, `content_block_start`,
`content_block_delta` (text in `delta.text` when `delta.type` is `text_delta`),
`content_block_stop`, `message_delta` (stop reason and cumulative output
tokens), `message_stop`, keep-alive `ping`, and `error` when the API gives up
after HTTP 200 (`{"type": "error", "error": {"type": "overloaded_error", ...}}`).
Error responses carry the same `error` object; a spend-cap 429 adds
`error.details.error_code`.
"""

from __future__ import annotations

from collections.abc import Mapping

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

API_VERSION = "2023-06-01"
REQUEST_ID_HEADERS = ("request-id", "x-request-id")


def build_request(
    provider: ProviderSettings,
    model: ModelSettings,
    prompt: str,
    max_tokens: int,
    api_key: str | None,
) -> RequestSpec:
    headers = {**stream_headers(), "anthropic-version": API_VERSION}
    if api_key:
        headers["x-api-key"] = api_key
    body: dict[str, object] = {
        "model": model.model,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": prompt}],
        "stream": True,
    }
    value = temperature(model)
    if value is not None:
        body["temperature"] = value
    url = f"{provider.base_url}/v1/messages"
    return RequestSpec("POST", url, with_extra(headers, provider), body)


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
    return error_info(load_json(body))


def error_info(document: object) -> ErrorInfo:
    error = dig(document, "error")
    return ErrorInfo(
        error_type=text_or_none(dig(error, "type")),
        message=text_or_none(dig(error, "message")),
        detail=text_or_none(dig(error, "details", "error_code")),
    )


class StreamParser:
    def __init__(self) -> None:
        self._stop_reason: str | None = None
        self._output_tokens: int | None = None
        self._ended = False
        self.served_model: str | None = None

    def feed(self, event: str | None, data: str) -> list[StreamEvent]:
        document = load_json(data)
        kind = dig(document, "type")
        if not isinstance(kind, str):
            return [Garbage(data)]
        if kind == "content_block_delta":
            text = dig(document, "delta", "text")
            is_text = dig(document, "delta", "type") == "text_delta"
            return [TextDelta(text)] if is_text and isinstance(text, str) and text else []
        if kind == "message_start":
            self._tokens(dig(document, "message", "usage", "output_tokens"))
            self.served_model = text_or_none(dig(document, "message", "model"))
        elif kind == "message_delta":
            self._stop_reason = text_or_none(dig(document, "delta", "stop_reason"))
            self._tokens(dig(document, "usage", "output_tokens"))
        elif kind == "message_stop":
            self._ended = True
            return [StreamEnd(self._stop_reason, self._output_tokens)]
        elif kind == "error":
            info = error_info(document)
            return [StreamError(info.error_type, info.message)]
        return []

    def close(self) -> StreamEnd | None:
        if self._ended or self._stop_reason is None:
            return None
        # A stream cut after message_delta still told us how and why the answer ended.
        return StreamEnd(self._stop_reason, self._output_tokens)

    def _tokens(self, value: object) -> None:
        tokens = int_or_none(value)
        if tokens is not None:
            self._output_tokens = tokens


ADAPTER = Adapter(build_request, parse_error, StreamParser, REQUEST_ID_HEADERS)
