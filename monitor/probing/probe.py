"""One probe: one streaming request to one target from one region, timed and judged.

Why not the providers' SDKs: the SDKs retry on their own (twice, with back-off,
on 429, 5xx and dropped connections) and follow redirects, so a provider that
fails two requests in three looks merely slow. A probe must see exactly one
request as it happened: one request on one connection of its own
(monitor/probing/client.py), nothing retried, a redirect reported and not chased.

Four timeouts, each recorded by name when it trips (`TimeoutKind`): connect
(DNS, TCP and TLS), first token (from the start until the first answer text;
keep-alive events such as Anthropic's `ping` are not text), stall (the longest
silence between two whole events, counted only once the first token is in:
before it a model may think for as long as the first-token limit allows) and
total, which always holds. Bytes that complete no event (an endless line from a
broken proxy) are no progress and re-arm nothing; the line and the body are
bounded (`MAX_LINE_BYTES`, `MAX_STREAM_BODY`) and past them the probe stops with
a `protocol` failure. Every other failure is caught and described; only
`asyncio.CancelledError` escapes, so a shutdown can still stop a probe.

CPU matters: a thousand models a minute must cost a fraction of one core, so
the response is pushed into the probe as it arrives (`on_head`, `on_body`), one
decoder pass per chunk, and all four limits share one timer, moved to the
nearest deadline as the probe goes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import traceback
from collections.abc import Mapping
from typing import Any

from monitor.clock import Clock
from monitor.config import ModelSettings, ProbeSettings, ProviderSettings
from monitor.probing import canary
from monitor.probing.classify import classify
from monitor.probing.client import (
    Endpoint,
    ProbeClient,
    WireError,
    describe_failure,
    encode_request,
)
from monitor.probing.providers import adapter_for
from monitor.probing.providers.base import (
    Garbage,
    SSEDecoder,
    StreamEnd,
    StreamError,
    StreamEvent,
    StreamParser,
    TextDelta,
    fallback_served,
    first_header,
    gateway_retries,
    ratelimit_headers,
    retry_after_seconds,
    same_model,
)
from monitor.probing.scrub import REDACTED, excerpt
from monitor.results import Outcome, ProbeResult, TimeoutKind

logger = logging.getLogger(__name__)

MAX_ERROR_BODY = 64 * 1024  # an error page beyond this says nothing more
MAX_ANSWER_CHARS = 16 * 1024  # our answers are a few characters; a flood is cut here
# A whole answer stream of ours is a few KB; past this it is a flood, not an answer.
MAX_STREAM_BODY = 4 * 1024 * 1024
# After the provider says it has finished, how long we wait for the body to close; a
# server that lingers does not turn a finished answer into a timeout.
END_GRACE_S = 1.0
_VERDICT_OUTCOME = {
    canary.Verdict.CORRECT: Outcome.OK,
    canary.Verdict.WRONG: Outcome.WRONG_ANSWER,
    canary.Verdict.GARBLED: Outcome.GARBLED,
    canary.Verdict.EMPTY: Outcome.EMPTY,
}


async def run_probe(
    client: ProbeClient,
    provider: ProviderSettings,
    model: ModelSettings,
    settings: ProbeSettings,
    *,
    region: str,
    api_key: str | None,
    clock: Clock,
    rng: random.Random,
    check: str = "arithmetic",
) -> ProbeResult:
    """Ask `model` one canary question and describe what happened; never raises."""
    question = canary.make_question(rng, check)
    probe = _Probe(provider, model, settings, question, region=region, api_key=api_key, clock=clock)
    await probe.run(client)
    _warn_of_gateway_retries(client, model, probe.headers)
    return probe.result()


def _warn_of_gateway_retries(
    client: ProbeClient, model: ModelSettings, headers: Mapping[str, str]
) -> None:
    """A gateway that retried before answering hid the failures of its first tries: the
    probe never retries, so the operator must hear that its route does (once a prober)."""
    tries = gateway_retries(headers)
    if tries and model.id not in client.gateway_retried:
        client.gateway_retried.add(model.id)
        logger.warning(
            "%s: the gateway retried %d time(s) before answering "
            "(x-litellm-attempted-retries): its retries hide failures from the probes; "
            "give this route num_retries: 0",
            model.id,
            tries,
        )


class _Probe:
    """The mutable notes of one probe in flight; `result()` freezes them."""

    def __init__(
        self,
        provider: ProviderSettings,
        model: ModelSettings,
        settings: ProbeSettings,
        question: canary.Question,
        *,
        region: str,
        api_key: str | None,
        clock: Clock,
    ) -> None:
        self.provider, self.model, self.settings = provider, model, settings
        self.adapter = adapter_for(provider.kind)
        self.question, self.region, self.clock = question, region, clock
        self.secrets = (api_key,) if api_key else ()
        self.api_key = api_key
        self.started_at = clock.now()
        self.t0 = clock.monotonic()
        self.connected_at: float | None = None
        self.headers_at: float | None = None
        self.first_text_at: float | None = None
        self.ended_at: float | None = None
        self.status: int | None = None
        self.headers: Mapping[str, str] = {}
        self.error_body = bytearray()
        self.texts: list[str] = []
        self.text_chars = 0
        self.end: StreamEnd | None = None
        self.served_model: str | None = None
        self.outcome: Outcome | None = None
        self.answer_correct: bool | None = None  # canary.grade's; see ProbeResult
        self.timeout: TimeoutKind | None = None
        self.error_type: str | None = None
        self.retry_after_s: float | None = None
        self.error_excerpt: str | None = None
        # The one timer of the probe (see `_arm`).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._live = False
        self._handle: asyncio.TimerHandle | None = None
        self._handle_when = 0.0
        self._deadline = 0.0
        self._expired = False
        self._decoder: SSEDecoder | None = None
        self._parser: StreamParser | None = None
        self._received = 0
        self._stopped = False  # we ended the stream early (a limit, an error event)
        self._loop_t0 = 0.0
        self._armed: TimeoutKind | None = None
        self._read_at: float | None = None  # when the bytes in hand reached this machine

    async def run(self, client: ProbeClient) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        try:
            where, request = self._request()
            # Timing starts once the request is built: encoding it is our work, not latency.
            self.t0 = self.clock.monotonic()
            self._loop_t0 = self._loop.time()
            self._live = True
            self._arm()
            try:
                await client.exchange(where, request, self)
                self._body_ended()
            finally:
                self._disarm()
        except asyncio.CancelledError:
            # Our deadline cancels the task, as `asyncio.timeout` would; any other
            # cancellation (a shutdown) is not ours to swallow.
            if not self._expired or self._task is None or self._task.uncancel() > 0:
                raise
            self._timed_out()
        except WireError as error:
            self._transport_failed(error)
        except Exception as error:
            self._unexpected(error)
        finally:
            fallback = fallback_served(self.headers)
            served = fallback or (self._parser.served_model if self._parser else None)
            if served is not None and not same_model(self.model.model, served):
                self.served_model = served
                if fallback is not None and self.outcome in _VERDICT_OUTCOME.values():
                    # The gateway says the asked model failed and another answered: an
                    # "ok" here would hide the very failure this probe exists to see.
                    self.outcome = Outcome.FALLBACK

    def _request(self) -> tuple[Endpoint, bytes]:
        spec = self.adapter.build_request(
            self.provider,
            self.model,
            self.question.prompt,
            self.settings.max_output_tokens,
            self.api_key,
        )
        return encode_request(spec.method, spec.url, spec.headers, spec.json)

    # -- what the exchange tells us (monitor/probing/client.py) ------------------------

    def on_connected(self) -> None:
        self.connected_at = self.clock.monotonic()
        self._arm()

    def on_data(self, age_s: float) -> None:
        self._read_at = self.clock.monotonic() - age_s

    def _arrival(self) -> float:
        """When the bytes being handled reached this machine, by the kernel's receive
        timestamp: how late this process got to them is not the provider's latency
        (monitor/probing/client.py). Now, where the kernel gave no timestamp."""
        return self.clock.monotonic() if self._read_at is None else self._read_at

    def on_head(self, status: int, headers: Mapping[str, str]) -> None:
        self.headers_at = self._arrival()
        self.status = status
        self.headers = headers
        self.retry_after_s = retry_after_seconds(headers, self.clock.now())
        if 200 <= status < 300:
            self._decoder, self._parser = SSEDecoder(), self.adapter.new_parser()
        self._arm()

    def on_body(self, chunk: bytes) -> bool:
        """One piece of the body; True when reading should stop."""
        if self._decoder is None:  # an error status: its body explains it
            self._arm()
            self.error_body += chunk
            return len(self.error_body) >= MAX_ERROR_BODY
        self._received += len(chunk)
        if self._received > MAX_STREAM_BODY:
            self._fail(Outcome.PROTOCOL, f"the stream passed {MAX_STREAM_BODY} bytes")
            self._stopped = True
            return True
        items = self._decoder.feed(chunk)
        if items:
            self._arm()  # progress is a whole event, not a byte
        for item in items:
            if self._take(item, self._parser):  # type: ignore[arg-type]
                self._stopped = True
                return True
        return False

    # -- the answer stream -------------------------------------------------------------

    def _body_ended(self) -> None:
        """The exchange is over without a timeout: the body ended, or we stopped it."""
        if self._error_status():
            self._http_error()
            return
        if self._stopped or self._decoder is None or self._parser is None:
            return
        for item in self._decoder.close():
            if self._take(item, self._parser):
                return
        if self.end is None:
            end = self._parser.close()
            if end is None:
                self._fail(Outcome.PROTOCOL, "the stream ended before the provider finished")
            else:
                self._finish(end)

    def _take(self, item: tuple[str | None, str] | Garbage, parser: StreamParser) -> bool:
        """Handle one decoded item; True when reading should stop."""
        if self.end is not None:
            return False
        events: list[StreamEvent] | tuple[Garbage] = (
            (item,) if isinstance(item, Garbage) else list(parser.feed(*item))
        )
        for event in events:
            if isinstance(event, TextDelta):
                self._text(event.text)
            elif isinstance(event, StreamEnd):
                self._finish(event)
            elif isinstance(event, StreamError):
                self.error_type = event.error_type
                self._fail(Outcome.STREAM_ERROR, event.message or event.error_type or "")
                return True
            else:
                self._fail(Outcome.PROTOCOL, event.line)
                return True
        return False

    def _text(self, text: str) -> None:
        if self.first_text_at is None:
            self.first_text_at = self._arrival()
            self._arm()
        if self.text_chars < MAX_ANSWER_CHARS:
            self.texts.append(text)
            self.text_chars += len(text)

    def _finish(self, end: StreamEnd) -> None:
        self.end, self.ended_at = end, self._arrival()
        verdict, self.answer_correct = canary.grade(self.question, "".join(self.texts))
        self.outcome = _VERDICT_OUTCOME[verdict]
        self._arm()

    # -- failures ----------------------------------------------------------------------

    def _http_error(self) -> None:
        body = bytes(self.error_body[:MAX_ERROR_BODY])
        info = self.adapter.parse_error(self.status or 0, self.headers, body)
        self.error_type = info.error_type
        if self.retry_after_s is None:
            self.retry_after_s = info.retry_after_s
        self._fail(Outcome.HTTP_ERROR, body)

    def _timed_out(self) -> None:
        if self.end is not None:
            return  # the answer was complete; only the body's close was slow
        if self.status is not None and not 200 <= self.status < 300:
            self._http_error()  # the error status is the news, however slowly its body came
            return
        self.timeout = self._armed or TimeoutKind.TOTAL
        self._fail(Outcome.TIMEOUT, f"{self.timeout.value} timeout")

    def _transport_failed(self, error: WireError) -> None:
        if self.end is not None:
            return  # a connection dropped after the provider said it had finished
        outcome, timeout, self.error_type = describe_failure(error)
        self.timeout = timeout
        self._fail(outcome, f"{type(error).__name__}: {error}")

    def _unexpected(self, error: Exception) -> None:
        # A bug of ours must not kill the scheduler; say so without guessing a cause. The log
        # gets the frames and the scrubbed message, never the raw one: it may hold the key.
        self._fail(Outcome.RESET, f"{type(error).__name__}: {error}")
        frames = "".join(traceback.format_tb(error.__traceback__))
        logger.error(
            "probe of %s failed unexpectedly: %s\n%s", self.model.id, self.error_excerpt, frames
        )

    def _fail(self, outcome: Outcome, detail: bytes | str) -> None:
        self.outcome = outcome
        self.ended_at = self.clock.monotonic()
        self.error_excerpt = excerpt(detail, self.secrets) or None

    # -- deadlines ---------------------------------------------------------------------

    def _arm(self) -> None:
        """Note the nearest deadline that applies now, and its name.

        One timer serves all four limits. It is moved only when a deadline comes
        nearer; when a later one replaced it (each event pushes the stall limit on),
        it fires early and waits on (`_expire`): one timer operation per stall
        period instead of one per event."""
        if not self._live:
            return
        loop = self._loop
        assert loop is not None
        settings = self.settings
        when, kind = self._loop_t0 + settings.total_timeout, TimeoutKind.TOTAL
        if self.end is not None:
            grace = loop.time() + END_GRACE_S
            if grace < when:
                when, kind = grace, None
        else:
            if self.connected_at is None and self.status is None:
                # DNS, TCP and TLS, and a wait for a free connection, all count as connect.
                connect = self._loop_t0 + settings.connect_timeout
                if connect < when:
                    when, kind = connect, TimeoutKind.CONNECT
            if self.first_text_at is None:
                first = self._loop_t0 + settings.first_token_timeout
                if first < when:
                    when, kind = first, TimeoutKind.FIRST_TOKEN
            if self.first_text_at is not None or self._error_status():
                # Until the first token only the first-token limit applies; an error
                # body has no token, so its reads are held to the stall limit at once.
                stall = loop.time() + settings.stall_timeout
                if stall < when:
                    when, kind = stall, TimeoutKind.STALL
        self._armed, self._deadline = kind, when
        if self._handle is None or when < self._handle_when:
            if self._handle is not None:
                self._handle.cancel()
            self._handle_when = when
            self._handle = loop.call_at(when, self._expire)

    def _expire(self) -> None:
        assert self._loop is not None and self._task is not None
        if self._deadline > self._handle_when:  # moved on since the timer was set
            self._handle_when = self._deadline
            self._handle = self._loop.call_at(self._deadline, self._expire)
            return
        self._handle = None
        self._expired = True
        self._task.cancel()

    def _disarm(self) -> None:
        self._live = False
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _error_status(self) -> bool:
        return self.status is not None and not 200 <= self.status < 300

    # -- the result --------------------------------------------------------------------

    def result(self) -> ProbeResult:
        outcome = self.outcome or Outcome.PROTOCOL
        total = self.ended_at if self.ended_at is not None else self.clock.monotonic()
        tokens = self.end.output_tokens if self.end is not None else None
        answered = outcome in _VERDICT_OUTCOME.values()
        result = ProbeResult(
            target=self.model.id,
            region=self.region,
            started_at=self.started_at,
            outcome=outcome,
            check=self.question.check,
            connect_ms=self._ms(self.connected_at),
            ttfb_ms=self._ms(self.headers_at),
            ttft_ms=self._ms(self.first_text_at),
            total_ms=self._ms(total),
            output_tokens=tokens,
            tokens_per_s=self._rate(tokens, total),
            http_status=self.status,
            error_type=self._clean(self.error_type),
            request_id=self._clean(first_header(self.headers, self.adapter.request_id_headers)),
            retry_after_s=self.retry_after_s,
            ratelimit={k: self._clean(v) or "" for k, v in ratelimit_headers(self.headers).items()},
            timeout=self.timeout,
            answer_correct=self.answer_correct if answered else None,
            error_excerpt=self.error_excerpt,
            served_model=self._clean(self.served_model),
        )
        return dataclasses.replace(result, failure_class=classify(result, self.provider.kind))

    def _ms(self, at: float | None) -> float | None:
        return None if at is None else round(max(0.0, at - self.t0) * 1000.0, 3)

    def _rate(self, tokens: int | None, total: float) -> float | None:
        if not tokens or self.first_text_at is None or total <= self.first_text_at:
            return None
        return round(tokens / (total - self.first_text_at), 3)

    def _clean(self, value: str | None) -> str | None:
        """A provider's header or word, bounded, with our own key redacted should it echo it."""
        if value is not None and self.api_key is not None and self.api_key in value:
            value = value.replace(self.api_key, REDACTED)
        return None if value is None else value[:128]
