"""OpenAI Chat Completions, and the servers that copy it (vLLM, Ollama, llama.cpp, OpenRouter).

`POST {base_url}/chat/completions` (the base URL includes `/v1`) with
`stream: true` answers with unnamed server-sent events, each a
`chat.completion.chunk` whose `choices[0].delta.content` holds text and whose
`choices[0].finish_reason` says why it stopped. With
`stream_options.include_usage` a last chunk with empty `choices` carries
`usage.completion_tokens`; `data: [DONE]` closes the stream. An error after
HTTP 200 arrives as `data: {"error": {...}}`.

Error bodies are `{"error": {"message", "type", "param", "code"}}`. A 429 is
either a rate limit (`code: rate_limit_exceeded`) or money
(`type: insufficient_quota`, with `code` naming the billing cause), and they
must stay apart: one passes in seconds, the other needs a person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

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

INSUFFICIENT_QUOTA = "insufficient_quota"
REQUEST_ID_HEADERS = ("x-request-id", "request-id")


def _request_builder(
    token_field: str, usual: float | None
) -> Callable[[ProviderSettings, ModelSettings, str, int, str | None], RequestSpec]:
    def build_request(
        provider: ProviderSettings,
        model: ModelSettings,
        prompt: str,
        max_tokens: int,
        api_key: str | None,
    ) -> RequestSpec:
        headers = stream_headers()
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        body: dict[str, object] = {
            "model": model.model,
            "messages": [{"role": "user", "content": prompt}],
            token_field: max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        value = temperature(model, usual)
        if value is not None:
            body["temperature"] = value
        url = f"{provider.base_url}/chat/completions"
        return RequestSpec("POST", url, with_extra(headers, provider), body)

    return build_request


# OpenAI's reasoning models reject any temperature but the default and take
# `max_completion_tokens`; the servers that copy the API know `max_tokens`.
build_openai_request = _request_builder("max_completion_tokens", usual=None)
build_compatible_request = _request_builder("max_tokens", usual=0.0)


def parse_error(status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
    return error_info(load_json(body))


def error_info(document: object) -> ErrorInfo:
    # Older vLLM answers with the error object itself: {"object": "error", "message": ...}.
    error = document if dig(document, "object") == "error" else dig(document, "error")
    if isinstance(error, str):  # some compatible servers send {"error": "message"}
        return ErrorInfo(message=error)
    kind = text_or_none(dig(error, "type"))
    code = word_code(dig(error, "code"))
    message = text_or_none(dig(error, "message"))
    if kind == INSUFFICIENT_QUOTA:
        return ErrorInfo(INSUFFICIENT_QUOTA, message, detail=code)
    return ErrorInfo(code or kind, message, detail=kind if code else None)


def word_code(value: object) -> str | None:
    """`error.code` when it is a word; a number (vLLM, llama.cpp, LiteLLM's "429" as a
    string) only repeats the HTTP status, so the type says more and must win."""
    code = text_or_none(value)
    return None if code is None or code.strip().isdigit() else code


class StreamParser:
    def __init__(self) -> None:
        self._finish_reason: str | None = None
        self._output_tokens: int | None = None
        self._ended = False
        self.served_model: str | None = None

    def feed(self, event: str | None, data: str) -> list[StreamEvent]:
        if data.strip() == "[DONE]":
            self._ended = True
            return [StreamEnd(self._finish_reason, self._output_tokens)]
        document = load_json(data)
        if not isinstance(document, dict):
            return [Garbage(data)]
        if "error" in document or document.get("object") == "error":
            info = error_info(document)
            return [StreamError(info.error_type, info.message)]
        if self.served_model is None:
            self.served_model = text_or_none(document.get("model"))
        tokens = int_or_none(dig(document, "usage", "completion_tokens"))
        if tokens is not None:
            self._output_tokens = tokens
        choices = document.get("choices")
        if not isinstance(choices, list) or not choices:
            return [] if "choices" in document or "usage" in document else [Garbage(data)]
        return self._choice(choices[0])

    def _choice(self, choice: object) -> list[StreamEvent]:
        reason = text_or_none(dig(choice, "finish_reason"))
        if reason is not None:
            self._finish_reason = reason
        text = dig(choice, "delta", "content")
        return [TextDelta(text)] if isinstance(text, str) and text else []

    def close(self) -> StreamEnd | None:
        if self._ended or self._finish_reason is None:
            return None
        return StreamEnd(self._finish_reason, self._output_tokens)


OPENAI = Adapter(build_openai_request, parse_error, StreamParser, REQUEST_ID_HEADERS)
OPENAI_COMPATIBLE = Adapter(build_compatible_request, parse_error, StreamParser, REQUEST_ID_HEADERS)
