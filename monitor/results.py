"""What one probe observed, and the words for what went wrong.

A `ProbeResult` is plain data: the probe fills it from the wire, `classify`
sets `failure_class`, the store writes it, the engines read it. Replay builds
the same object from simulated behaviour without a socket.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class FailureClass(StrEnum):
    OK = "ok"
    INFRASTRUCTURE = "infrastructure"
    CAPACITY = "capacity"
    CONFIGURATION = "configuration"
    VANTAGE = "vantage"
    QUALITY = "quality"
    AMBIGUOUS = "ambiguous"


class Outcome(StrEnum):
    """What happened on the wire, before any judgement about whose fault it is."""

    OK = "ok"  # HTTP 200, stream finished, answer correct (the value; form: FORM_CHECKS)
    HTTP_ERROR = "http_error"  # non-2xx status with (usually) an error body
    STREAM_ERROR = "stream_error"  # HTTP 200, then an error event mid-stream
    TIMEOUT = "timeout"  # one of the probe's timeouts tripped (see `timeout`)
    RESET = "reset"  # connection closed or refused before/while answering
    DNS = "dns"  # host name did not resolve
    TLS = "tls"  # certificate verification failed
    PROTOCOL = "protocol"  # garbage: not the provider's wire format
    WRONG_ANSWER = "wrong_answer"  # HTTP 200, fluent but wrong
    GARBLED = "garbled"  # HTTP 200, answer mixed with another script
    EMPTY = "empty"  # HTTP 200, no text (max_tokens / length)
    # HTTP 200 from another model: a gateway fell back after the asked one failed.
    FALLBACK = "fallback"


# Canary checks scored on exact form only (monitor/probing/canary.py). Their answers say
# nothing about availability or correctness: for them `answer_correct` records whether the
# exact form was kept, and every reader counts them apart (the engine's FORM fields, the
# rollups' forms_checked / forms_correct), against their own baseline.
FORM_CHECKS = frozenset({"strict_format"})


class TimeoutKind(StrEnum):
    CONNECT = "connect"
    FIRST_TOKEN = "first_token"
    STALL = "stall"
    TOTAL = "total"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    target: str  # "provider/model"
    region: str
    started_at: datetime  # timezone-aware UTC
    outcome: Outcome
    failure_class: FailureClass = FailureClass.OK
    check: str = "arithmetic"  # which canary item was asked
    connect_ms: float | None = None
    ttfb_ms: float | None = None  # first response byte (headers)
    ttft_ms: float | None = None  # first text token
    total_ms: float | None = None
    output_tokens: int | None = None
    tokens_per_s: float | None = None
    http_status: int | None = None
    error_type: str | None = None  # provider's word: "overloaded_error", "insufficient_quota"
    request_id: str | None = None
    retry_after_s: float | None = None
    ratelimit: dict[str, str] = field(default_factory=dict)
    timeout: TimeoutKind | None = None
    # None when no answer came back. For a check in FORM_CHECKS, whether the exact form was
    # kept: its outcome is OK when the value is right in another form ("The answer is
    # [MOUNTAIN]."), so a change of form is never a failed probe or a wrong answer.
    answer_correct: bool | None = None
    error_excerpt: str | None = None  # scrubbed, <= 1 KB
    # The model the response said it came from, kept only when it is not the model asked:
    # a gateway's fallback or a misrouted request answered for another model.
    served_model: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def provider(self) -> str:
        return self.target.split("/", 1)[0]

    @property
    def ok(self) -> bool:
        return self.failure_class is FailureClass.OK
