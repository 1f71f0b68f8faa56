"""What every provider adapter offers the probe, and the pieces they share.

An adapter is pure: it builds a request, reads error bodies and turns stream
events into text, errors and an end. It never touches the network, so replay
can render a simulated error body and read it back with the very same code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from monitor.config import ModelSettings, ProviderSettings

# Headers worth keeping with a result: they explain a 429 or a slow answer.
RATELIMIT_PREFIXES = ("anthropic-ratelimit-", "x-ratelimit-")
RETRY_HEADERS = ("retry-after", "retry-after-ms")
# Gateways pass the upstream provider's headers on under a prefix of their own
# (LiteLLM: `llm_provider-retry-after`); read through it, the header means the same.
GATEWAY_PREFIXES = ("llm_provider-",)
_MAX_RATELIMIT_HEADERS = 16
_MAX_HEADER_VALUE = 64


@dataclass(frozen=True, slots=True)
class RequestSpec:
    method: str
    url: str
    headers: dict[str, str]
    json: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """The provider's own words for a failure; every field is None when it could not tell."""

    # The word a result records: Anthropic error.type; OpenAI insufficient_quota, else
    # error.code, else error.type; Gemini's google.rpc.ErrorInfo reason, else error.status.
    error_type: str | None = None
    message: str | None = None
    # The provider's second word, kept as evidence: Gemini's status beside a reason,
    # OpenAI's billing code or error.type, Anthropic's error.details.error_code.
    detail: str | None = None
    retry_after_s: float | None = None  # a retry delay named in the body (Gemini RetryInfo)


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class StreamError:
    """An error event after HTTP 200: the provider gave up mid-answer."""

    error_type: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class StreamEnd:
    stop_reason: str | None
    output_tokens: int | None


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes that are not this provider's stream format (an HTML page from a proxy, say)."""

    line: str


StreamEvent = TextDelta | StreamError | StreamEnd | Garbage


class StreamParser(Protocol):
    # The model the stream said it came from (Anthropic message.model, OpenAI chunk
    # `model`, Gemini `modelVersion`), or None where the protocol did not say.
    served_model: str | None

    def feed(self, event: str | None, data: str) -> Iterable[StreamEvent]:
        """Events for one server-sent event (its `event:` name, if any, and its data)."""
        ...

    def close(self) -> StreamEnd | None:
        """At the end of the body: the end, if the provider said it finished."""
        ...


@dataclass(frozen=True, slots=True)
class Adapter:
    build_request: Callable[[ProviderSettings, ModelSettings, str, int, str | None], RequestSpec]
    parse_error: Callable[[int, Mapping[str, str], bytes], ErrorInfo]
    new_parser: Callable[[], StreamParser]
    request_id_headers: tuple[str, ...] = field(default=())


# One SSE line longer than this is no provider's event: a broken proxy's endless line.
# Real event lines are a few hundred bytes; a rich one (logprobs, safety ratings) a few KB.
MAX_LINE_BYTES = 256 * 1024


class SSEDecoder:
    """Server-sent events from raw body chunks, as the WHATWG spec frames them.

    Kept tiny and allocation-light: a probe budget is a few milliseconds of CPU.
    Linear in the bytes fed: each chunk is searched for newlines once, and the
    unfinished line is kept as a list of pieces joined only when its newline
    comes, so a line arriving in a thousand chunks costs one join, not a
    thousand re-splits of a growing buffer. A line past `max_line` bytes comes
    back as `Garbage` at once and its pieces are dropped: memory stays bounded.
    Lines that are not SSE fields at all come back as `Garbage` so the probe can
    stop reading an HTML error page at once instead of waiting for it to end.
    """

    _FIELD = re.compile(r"^(data|event|id|retry)(?::|$)")

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self.max_line = max_line
        self._pending: list[bytes] = []
        self._pending_len = 0
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[tuple[str | None, str] | Garbage]:
        out: list[tuple[str | None, str] | Garbage] = []
        start = 0
        while (newline := chunk.find(b"\n", start)) >= 0:
            raw = chunk[start:newline]
            start = newline + 1
            if self._pending:
                self._pending.append(raw)
                raw = b"".join(self._pending)
                self._pending, self._pending_len = [], 0
            if len(raw) > self.max_line:
                out.append(self._overflow(len(raw)))
                return out
            item = self._line(raw.rstrip(b"\r").decode("utf-8", errors="replace"))
            if item is not None:
                out.append(item)
        if start < len(chunk):
            self._pending_len += len(chunk) - start
            if self._pending_len > self.max_line:
                out.append(self._overflow(self._pending_len))
                return out
            self._pending.append(chunk[start:] if start else chunk)
        return out

    def close(self) -> list[tuple[str | None, str] | Garbage]:
        """Flush what is left: a last event some servers end without a blank line."""
        tail = b"".join(self._pending)
        self._pending, self._pending_len = [], 0
        out = self.feed(tail + b"\n") if tail.strip() else []
        if self._data:
            out.append(self._dispatch())
        return out

    def _overflow(self, size: int) -> Garbage:
        self._pending, self._pending_len = [], 0
        return Garbage(f"a line of more than {self.max_line} bytes ({size}) without an end")

    def _line(self, line: str) -> tuple[str | None, str] | Garbage | None:
        if not line:
            return self._dispatch() if self._data or self._event else None
        if line.startswith(":"):
            return None
        if not self._FIELD.match(line):
            return Garbage(line)
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None

    def _dispatch(self) -> tuple[str | None, str]:
        event, data = self._event, "\n".join(self._data)
        self._event, self._data = None, []
        return event, data


# A snapshot or version suffix that names the same model: -20241022, -2024-08-06, -001.
_VERSION_SUFFIX = re.compile(r"(-\d{8}|-\d{4}-\d{2}-\d{2}|-\d{3,4}|-latest|:latest|@[\w.-]+)$")


def same_model(asked: str, served: str) -> bool:
    """True when `served` names the model `asked` for, in any of the spellings providers
    and gateways answer with: a provider or `models/` prefix (`openai/gpt-4o`), a dated
    snapshot behind an alias (`gpt-4o` served as `gpt-4o-2024-08-06`), `-latest`."""
    a, s = (name.lower().rsplit("/", 1)[-1].strip() for name in (asked, served))
    # Only a version may differ: `gpt-4o-mini` served for `gpt-4o` is another model.
    return a == s or _VERSION_SUFFIX.sub("", a) == _VERSION_SUFFIX.sub("", s)


def load_json(data: str | bytes) -> Any:
    """Parsed JSON, or None for anything that is not JSON: a garbage body must never raise."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def dig(value: Any, *keys: str) -> Any:
    """`value[k1][k2]...` through dicts only; None as soon as the shape is not what we expect."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _unprefixed(lower: str) -> str:
    for prefix in GATEWAY_PREFIXES:
        if lower.startswith(prefix):
            return lower[len(prefix) :]
    return lower


def ratelimit_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The rate-limit and retry headers of a response (gateway-prefixed ones too, under
    their own names), bounded in number and length."""
    kept: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        bare = _unprefixed(lower)
        if bare.startswith(RATELIMIT_PREFIXES) or bare in RETRY_HEADERS:
            kept[lower] = value[:_MAX_HEADER_VALUE]
            if len(kept) >= _MAX_RATELIMIT_HEADERS:
                break
    return kept


def first_header(headers: Mapping[str, str], names: Iterable[str]) -> str | None:
    lowered = {name.lower(): value for name, value in headers.items()}
    for name in names:
        value = lowered.get(name)
        if value:
            return value[: _MAX_HEADER_VALUE * 2]
    return None


def _count_said(headers: Mapping[str, str], name: str) -> int:
    said = (first_header(headers, (name,)) or "").strip()
    return int(said) if said.isdigit() else 0


def gateway_retries(headers: Mapping[str, str]) -> int:
    """How many times a gateway says it retried before this response (LiteLLM's
    `x-litellm-attempted-retries`); 0 when it says nothing."""
    return _count_said(headers, "x-litellm-attempted-retries")


def fallback_served(headers: Mapping[str, str]) -> str | None:
    """The model group a gateway fell back to, when it says it did: LiteLLM's Anthropic
    route names the model asked for in the stream whatever answered, and only its
    `x-litellm-attempted-fallbacks` and `x-litellm-model-group` tell the truth."""
    if not _count_said(headers, "x-litellm-attempted-fallbacks"):
        return None
    return first_header(headers, ("x-litellm-model-group",)) or "another model (gateway fallback)"


def retry_after_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds from `retry-after-ms`, or `retry-after` as seconds or an HTTP date.

    The provider's own header wins over a gateway's prefixed copy of it."""
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        bare = _unprefixed(lower)
        if bare in RETRY_HEADERS and (bare == lower or bare not in lowered):
            lowered[bare] = value
    millis = _number(lowered.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    value = lowered.get("retry-after")
    seconds = _number(value)
    if seconds is not None or not value:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number < 1e9 else None


def stream_headers() -> dict[str, str]:
    return {"accept": "text/event-stream", "content-type": "application/json"}


# OpenAI's reasoning families (o1, o3, o4-mini, gpt-5, gpt-5-mini...): any temperature
# but their default is refused with a 400, by OpenAI and by gateways that know them.
_REASONING = re.compile(r"^(o\d|gpt-5)")


def temperature(model: ModelSettings, usual: float | None = 0.0) -> float | None:
    """The temperature to send for `model`, None for none: the operator's, else `usual`,
    else nothing for a reasoning model whatever route reaches it."""
    if model.temperature == "omit":
        return None
    if model.temperature is not None:
        return model.temperature
    name = model.model.lower().rsplit("/", 1)[-1]
    return None if _REASONING.match(name) else usual


def with_extra(headers: dict[str, str], provider: ProviderSettings) -> dict[str, str]:
    """The adapter's headers with the operator's `provider.headers` on top (they win)."""
    merged = dict(headers)
    lowered = {name.lower(): name for name in merged}
    for name, value in provider.headers.items():
        merged.pop(lowered.get(name.lower(), name), None)
        merged[name.lower()] = value
    return merged
