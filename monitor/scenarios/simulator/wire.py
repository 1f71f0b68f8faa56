"""What the three wire modules share: the shape of a timed reply and how text is paced.

A `Reply` is data: a status, headers, and either a whole body or a list of
chunks each due at a moment after the request arrived. The wire modules
(`wire_anthropic`, `wire_openai`, `wire_gemini`) build replies from a `Plan`
without I/O; the server only waits until each moment and writes the bytes.

Pacing of a streamed answer (all times from the request's arrival):

    headers + opening events   at ttft/2
    text deltas                from ttft, evenly spaced, a few characters each
    closing events             at total
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from monitor.scenarios.simulator.behaviour import Plan
from monitor.scenarios.simulator.protocols import WireProtocol, status_for
from monitor.scenarios.spec import FaultKind

PIECE_CHARS = 3  # a token is ~4 characters; a little less gives even short answers 2+ deltas


@dataclass(frozen=True, slots=True)
class Call:
    """What one request asked for that shapes the reply."""

    model: str
    stream: bool
    request_id: str  # 32 hex characters; each protocol formats its own ids from it
    created: int  # the scenario's virtual time, Unix seconds
    prompt_tokens: int = 0
    include_usage: bool = False  # OpenAI stream_options.include_usage
    json_array: bool = False  # Gemini streamGenerateContent without alt=sse: a JSON array


@dataclass(frozen=True, slots=True)
class Chunk:
    due_s: float  # seconds after the request arrived
    data: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]
    due_s: float = 0.0  # when the status line and headers go out
    body: bytes | None = None  # a whole body, sent with the headers
    chunks: tuple[Chunk, ...] = ()  # a streamed body, each chunk at its moment
    hold: bool = False  # after the last chunk, silence until the client leaves

    @property
    def streamed(self) -> bool:
        return self.body is None


@dataclass(frozen=True, slots=True)
class StreamEvents:
    """One answer as protocol events, before they are placed in time."""

    opening: bytes  # sent with the headers
    deltas: Sequence[bytes]  # one per piece of text
    closing: bytes  # after the last piece
    error: bytes = b""  # the mid-stream error event, for stream_error
    # What the protocol sends to keep a quiet stream open (Anthropic: a `ping` event);
    # an SSE comment for the others, as OpenRouter sends while a model thinks.
    keepalive: bytes = b": keep-alive\n\n"


def json_bytes(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def text_pieces(text: str) -> list[str]:
    return [text[i : i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)]


def tokens_in(text: str) -> int:
    return math.ceil(len(text) / 4) if text else 0


def stream_reply(plan: Plan, headers: tuple[tuple[str, str], ...], events: StreamEvents) -> Reply:
    """Place a streamed answer's events in time, as the plan's fault kind says."""
    opening = Chunk(plan.ttft_s / 2, events.opening)
    count = len(events.deltas)
    span = plan.total_s - plan.ttft_s
    times = [plan.ttft_s + span * i / count for i in range(count)]
    deltas = [Chunk(t, d) for t, d in zip(times, events.deltas, strict=True)]
    if plan.kind is FaultKind.STALL:
        return Reply(200, headers, opening.due_s, chunks=(opening, *deltas[:1]), hold=True)
    if plan.kind is FaultKind.SLOW_FIRST_TOKEN:
        # Headers and the opening events at once, keep-alives while the model "thinks".
        pings = [Chunk(plan.ttft_s * i / 4, events.keepalive) for i in (1, 2, 3)]
        closing = Chunk(plan.total_s, events.closing)
        return Reply(
            200, headers, 0.0, chunks=(Chunk(0.0, events.opening), *pings, *deltas, closing)
        )
    if plan.kind is FaultKind.STREAM_ERROR:
        sent = max(1, count // 2) if count > 1 else 0
        error_at = times[sent] if sent < count else plan.total_s
        chunks = (opening, *deltas[:sent], Chunk(error_at, events.error))
        return Reply(200, headers, opening.due_s, chunks=chunks)
    closing = Chunk(plan.total_s, events.closing)
    return Reply(200, headers, opening.due_s, chunks=(opening, *deltas, closing))


def sse(data: bytes, event: str | None = None, newline: bytes = b"\n") -> bytes:
    """One server-sent event; Gemini separates lines with CRLF, the others with LF."""
    head = b"event: " + event.encode() + newline if event else b""
    return head + b"data: " + data + newline + newline


def last_message_text(body: Mapping[str, Any]) -> str:
    """The text of the last chat message (Anthropic and OpenAI shapes): a string, or the
    text blocks of a list."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], Mapping):
        return ""
    content = messages[-1].get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            b.get("text", "") for b in content if isinstance(b, Mapping) and b.get("type") == "text"
        )
    return ""


# A gateway's own words for an upstream failure (LiteLLM's exception mapping).
_GATEWAY_WORDS = {
    408: ("timeout", "litellm.Timeout: Request timed out."),
    429: ("throttling_error", "litellm.RateLimitError: upstream rate limit reached."),
}


def gateway_reply(plan: Plan, call: Call, protocol: WireProtocol) -> Reply:
    """A LiteLLM-shaped error in front of a provider, as its public docs show it.

    The OpenAI-shaped routes carry the status again as a *string* code and the
    upstream retry-after renamed `llm_provider-retry-after`; the Anthropic route
    answers in Anthropic's envelope with `rate_limit_error` and no retry-after."""
    kind, message = _GATEWAY_WORDS.get(plan.status, ("internal_server_error", "litellm error"))
    headers: list[tuple[str, str]] = [
        ("content-type", "application/json"),
        ("x-litellm-call-id", call.request_id),
    ]
    if protocol is WireProtocol.ANTHROPIC:
        word = "rate_limit_error" if plan.status == 429 else "api_error"
        body: dict[str, Any] = {"type": "error", "error": {"type": word, "message": message}}
    else:
        body = {
            "error": {"message": message, "type": kind, "param": None, "code": str(plan.status)}
        }
        if plan.retry_after is not None:
            headers.append(("llm_provider-retry-after", str(math.ceil(plan.retry_after))))
    return Reply(plan.status, tuple(headers), plan.ttft_s, body=json_bytes(body))


class ErrorReplyMaker(Protocol):
    def __call__(
        self,
        status: int,
        error_type: str,
        call: Call,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        due_s: float = 0.0,
    ) -> Reply: ...


def error_instead(
    plan: Plan, call: Call, protocol: WireProtocol, default_type: str, error_reply: ErrorReplyMaker
) -> Reply | None:
    """The error a plan sends instead of an answer: its HTTP error, or, for a request that
    did not stream, the plain error matching its mid-stream error. None for an answer."""
    if plan.kind is FaultKind.GATEWAY_ERROR:
        return gateway_reply(plan, call, protocol)
    if plan.is_http_error:
        return error_reply(
            plan.status,
            plan.error_type or default_type,
            call,
            retry_after=plan.retry_after,
            due_s=plan.ttft_s,
        )
    if plan.error_type and not call.stream:
        status = status_for(protocol, plan.error_type)
        return error_reply(status, plan.error_type, call, due_s=plan.ttft_s)
    return None
