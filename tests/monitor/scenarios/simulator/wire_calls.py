"""Requests as each provider's own client would send them, and readers for the replies."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

ARITHMETIC = "What is 123 + 456? Reply with the number only."
FORMAT = "Write the word apple in capital letters, wrapped in square brackets, and nothing else."


def url(base_url: str, model_id: str, *, stream: bool = False, region: str | None = None) -> str:
    provider, model = model_id.split("/", 1)
    prefix = f"{base_url}/r/{region}" if region else base_url
    if provider == "anthropic":
        return f"{prefix}/anthropic/v1/messages"
    if provider == "gemini":
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return f"{prefix}/gemini/v1beta/models/{model}:{method}"
    return f"{prefix}/{provider}/v1/chat/completions"


def body(model_id: str, prompt: str = ARITHMETIC, *, stream: bool = False) -> dict[str, Any]:
    provider, model = model_id.split("/", 1)
    if provider == "gemini":
        return {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
    request: dict[str, Any] = {
        "model": model,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": prompt}],
    }
    if stream:
        request["stream"] = True
        if provider != "anthropic":
            request["stream_options"] = {"include_usage": True}
    return request


def client(timeout: float | httpx.Timeout = 5) -> httpx.Client:
    """A client for the plain-HTTP simulator: no certificates to load, which takes ~0.2 s."""
    return httpx.Client(timeout=timeout, verify=False)


def post(
    base_url: str,
    model_id: str,
    prompt: str = ARITHMETIC,
    *,
    region: str | None = None,
    timeout: float | httpx.Timeout = 5,
) -> httpx.Response:
    with client(timeout) as http:
        return http.post(url(base_url, model_id, region=region), json=body(model_id, prompt))


@dataclass
class Streamed:
    status: int
    headers: httpx.Headers
    events: list[tuple[str | None, Any]] = field(default_factory=list)  # (event name, JSON data)
    times: list[float] = field(default_factory=list)  # seconds from sending
    text: str = ""
    first_text_s: float | None = None
    total_s: float = 0.0
    raw: str = ""


def stream(
    base_url: str,
    model_id: str,
    prompt: str = ARITHMETIC,
    *,
    region: str | None = None,
    timeout: float = 5,
) -> Streamed:
    """Send a streaming request and read every event, timing each one from the send."""
    target = url(base_url, model_id, stream=True, region=region)
    with client(timeout) as http:  # built before the clock starts
        started = time.perf_counter()
        with http.stream("POST", target, json=body(model_id, prompt, stream=True)) as response:
            result = Streamed(response.status_code, response.headers)
            _read_events(model_id, response, result, started)
        result.total_s = time.perf_counter() - started
    return result


def _read_events(model_id: str, response: httpx.Response, result: Streamed, started: float) -> None:
    name: str | None = None
    for line in response.iter_lines():
        now = time.perf_counter() - started
        result.raw += line + "\n"
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
            value = data if data == "[DONE]" else json.loads(data)
            result.events.append((name, value))
            result.times.append(now)
            piece = text_of(model_id, value)
            if piece and result.first_text_s is None:
                result.first_text_s = now
            result.text += piece
            name = None


def text_of(model_id: str, value: Any) -> str:
    """The answer text one streamed event carries, in any protocol."""
    if not isinstance(value, dict):
        return ""
    provider = model_id.split("/", 1)[0]
    if provider == "anthropic":
        delta = value.get("delta", {})
        return delta.get("text", "") if value.get("type") == "content_block_delta" else ""
    if provider == "gemini":
        parts = value.get("candidates", [{}])[0].get("content", {}).get("parts", [])
        return "".join(p.get("text", "") for p in parts)
    choices = value.get("choices") or [{}]
    return choices[0].get("delta", {}).get("content") or ""


def answer_of(model_id: str, response: httpx.Response) -> str:
    """The answer text of a non-streaming reply."""
    data = response.json()
    provider = model_id.split("/", 1)[0]
    if provider == "anthropic":
        return "".join(block["text"] for block in data["content"])
    if provider == "gemini":
        return "".join(p["text"] for p in data["candidates"][0]["content"].get("parts", []))
    return data["choices"][0]["message"]["content"]


def error_word(model_id: str, data: dict[str, Any]) -> str:
    """The error word a probe would record from an error body."""
    provider = model_id.split("/", 1)[0]
    if provider == "anthropic":
        return data["error"]["type"]
    if provider == "gemini":
        return data["error"]["status"]
    return data["error"]["code"] or data["error"]["type"]
