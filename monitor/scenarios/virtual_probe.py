"""Replay's stand-in for the probe: what the probe would have recorded for a
simulated request, without a socket or a wall clock.

The simulated provider decides a `Plan` (monitor.scenarios.simulator.behaviour); the live
server renders it onto the wire and `monitor.probing.probe` reads it back. Replay takes
a shorter path with the same parts where it matters: HTTP errors are rendered
by the same wire module and parsed by the same adapter (`parse_error`), answers
are scored by `canary.score`, the probe's timeouts are applied to the plan's
timings, and `classify` decides the failure class. What replay cannot see is
the connection itself: connect time and time to first byte are left empty.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from datetime import datetime
from types import ModuleType

from monitor.config import ProbeSettings, ProviderKind
from monitor.probing import canary
from monitor.probing.classify import classify
from monitor.probing.client import CONNECTION_RESET
from monitor.probing.providers import adapter_for
from monitor.probing.providers.base import ratelimit_headers, retry_after_seconds
from monitor.probing.scrub import excerpt
from monitor.results import FailureClass, Outcome, ProbeResult, TimeoutKind
from monitor.scenarios.simulator import wire_anthropic, wire_gemini, wire_openai
from monitor.scenarios.simulator.behaviour import (
    Plan,
    answer_end,
    answer_tokens,
    plan_request,
    request_draws,
    request_rng,
)
from monitor.scenarios.simulator.dice import ArithmeticDice
from monitor.scenarios.simulator.protocols import WireProtocol, protocol_for
from monitor.scenarios.simulator.wire import Call
from monitor.scenarios.spec import Fault, FaultKind, ModelBehaviour, Scenario

_WIRE: Mapping[WireProtocol, ModuleType] = {
    WireProtocol.ANTHROPIC: wire_anthropic,
    WireProtocol.OPENAI: wire_openai,
    WireProtocol.GEMINI: wire_gemini,
}
_ANSWER_OUTCOME = {
    canary.Verdict.CORRECT: Outcome.OK,
    canary.Verdict.WRONG: Outcome.WRONG_ANSWER,
    canary.Verdict.GARBLED: Outcome.GARBLED,
    canary.Verdict.EMPTY: Outcome.EMPTY,
}
_VANTAGE = {FaultKind.DNS: Outcome.DNS, FaultKind.TLS: Outcome.TLS, FaultKind.RESET: Outcome.RESET}
_provider_kinds: dict[str, ProviderKind] = {}  # by target
# Result ids: as random as uuid4's, without a system call each (replay makes millions).
_ids = random.Random(int.from_bytes(os.urandom(16)))


def provider_kind(provider: str) -> ProviderKind:
    """The adapter a scenario's provider name speaks, as `simulate` serves it."""
    protocol = protocol_for(provider)
    if protocol is WireProtocol.OPENAI and provider != "openai":
        return ProviderKind.OPENAI_COMPATIBLE
    return ProviderKind(protocol.value)


def virtual_probe(
    scenario: Scenario,
    target: str,
    region: str,
    at: datetime,
    settings: ProbeSettings,
    check: str = "arithmetic",
) -> ProbeResult:
    rng = request_rng(scenario.seed, target, region, at)
    question = canary.make_question(rng, check)
    plan = plan_request(scenario, target, region, at, question.prompt, rng)
    kind = _provider_kinds.get(target) or _provider_kinds.setdefault(
        target, provider_kind(target.split("/", 1)[0])
    )
    fields = _observe(plan, question, target, region, at, settings, kind)
    fields["id"] = f"{_ids.getrandbits(128):032x}"  # a uuid4's worth of randomness
    result = ProbeResult(**fields)  # type: ignore[arg-type]
    # classify reads the result; its class is set before anyone else can hold it. A second
    # construction of this frozen 24-field dataclass costs as much as planning the request,
    # and replay makes millions.
    object.__setattr__(result, "failure_class", classify(result, kind))
    return result


# What a prober knows of a target: its behaviour, wire, adapter, whether a fault names it,
# and whether the quick dice draw as the slow ones do (`ArithmeticDice.exact`).
_Known = tuple[ModelBehaviour, WireProtocol, ProviderKind, bool, bool]
# A healthy answer's (ttft_ms, total_ms, output_tokens, tokens_per_s), or the whole result.
Answered = tuple[float, float, int, float]
Drawn = Answered | ProbeResult


class VirtualProber:
    """`virtual_probe` for one scenario, fast for the common case: replay makes millions.

    A probe of an arithmetic question that the simulated model answers in time, with no
    fault and no error of its own drawn, is worked out here with the same generator and
    the same draws in the same order (`request_rng`, `canary.make_question`,
    `request_draws`); everything else is handed to `virtual_probe`, which draws again
    from the start. What does not vary per target is looked up once."""

    def __init__(self, scenario: Scenario, settings: ProbeSettings) -> None:
        self.scenario = scenario
        self.settings = settings
        self._targets: dict[str, _Known] = {}
        self._classes: dict[str, FailureClass] = {}
        self._dice = ArithmeticDice(scenario.seed)
        self._tokens: dict[int | str, int] = {}  # output tokens of an answer

    def __call__(
        self, target: str, region: str, at: datetime, check: str = "arithmetic"
    ) -> ProbeResult:
        if check != "arithmetic":
            return virtual_probe(self.scenario, target, region, at, self.settings, check)
        return self.result(target, region, at, self.draw(target, region, at))

    def draw(self, target: str, region: str, at: datetime, text: str | None = None) -> Drawn:
        """The probe of the arithmetic question at `at`: a healthy answer as its numbers
        (`Answered`: small to send to another process), anything else as its result.
        `text`: `at.isoformat()`, where the caller has it."""
        known = self._targets.get(target) or self._target(target)
        if known is None:
            return virtual_probe(self.scenario, target, region, at, self.settings)
        model, _, _, faulted, exact = known
        scenario, settings = self.scenario, self.settings
        if exact:
            rolled = self._dice.roll(model, region, at, text)
            expected, fault_draw, error_draw, ttft_s, total_s = rolled
            answer: int | str = expected  # written out only where it is needed
        else:  # the standard library's dice changed under us: the slow, sure way
            rng = request_rng(scenario.seed, target, region, at)
            answer = canary.make_question(rng, "arithmetic").expected
            fault_draw, error_draw, ttft_s, total_s = request_draws(model, rng)
        fault: Fault | None = None
        if faulted:
            fault = scenario.fault_at(target, region, scenario.offset_of(at))
        if (fault is not None and fault_draw < fault.rate) or error_draw < model.error_rate:
            return virtual_probe(scenario, target, region, at, settings)
        # The simulator's oracle (`canary.solve`) answers an arithmetic question with its
        # expected sum, which `canary.score` marks correct: the answer is the sum alone,
        # as `plan_request` would plan it (its timing and tokens, without the Plan).
        total_s = answer_end(ttft_s, total_s)
        if ttft_s > settings.first_token_timeout or total_s > settings.total_timeout:
            return virtual_probe(scenario, target, region, at, settings)
        generating = max(total_s - ttft_s, 1e-3)
        tokens = self._tokens.get(answer)
        if tokens is None:  # each answer's count once (the sums are a few thousand)
            tokens = self._tokens[answer] = answer_tokens(str(answer))
        return (ttft_s * 1000, total_s * 1000, tokens, tokens / generating)

    def result(self, target: str, region: str, at: datetime, drawn: Drawn) -> ProbeResult:
        """The result `draw` stands for (the same target, region and time)."""
        if isinstance(drawn, ProbeResult):
            return drawn
        ttft_ms, total_ms, tokens, tokens_per_s = drawn
        return ProbeResult(
            target=target,
            region=region,
            started_at=at,
            check="arithmetic",
            outcome=Outcome.OK,
            failure_class=self.answered_class(target),
            http_status=200,
            ttft_ms=ttft_ms,
            total_ms=total_ms,
            output_tokens=tokens,
            tokens_per_s=tokens_per_s,
            answer_correct=True,
            id=f"{_ids.getrandbits(128):032x}",
        )

    def answered_class(self, target: str) -> FailureClass:
        """How `classify` takes a healthy answer of `target` (asked once a target)."""
        answered = self._classes.get(target)
        if answered is None:
            known = self._targets.get(target) or self._target(target)
            assert known is not None
            healthy = ProbeResult(target, "", self.scenario.start, Outcome.OK, http_status=200)
            answered = self._classes[target] = classify(healthy, known[2])
        return answered

    def _target(self, target: str) -> _Known | None:
        scenario = self.scenario
        model = scenario.model(target)
        if model is None:
            return None  # virtual_probe says so
        faulted = any(fault.covers_model(target) for fault in scenario.faults)
        kind = provider_kind(model.provider)
        exact = self._dice.exact(model, scenario.regions, scenario.start)
        known = self._targets[target] = (model, protocol_for(model.provider), kind, faulted, exact)
        return known


def _observe(
    plan: Plan,
    question: canary.Question,
    target: str,
    region: str,
    at: datetime,
    settings: ProbeSettings,
    kind: ProviderKind,
) -> dict[str, object]:
    """The fields of the result the probe would record (its class not yet decided)."""
    base: dict[str, object] = {
        "target": target,
        "region": region,
        "started_at": at,
        "check": question.check,
    }
    if plan.kind in _VANTAGE:
        # The simulator accepts, then resets: a live probe records it as not a refusal.
        reset = {"error_type": CONNECTION_RESET} if plan.kind is FaultKind.RESET else {}
        return {"outcome": _VANTAGE[plan.kind], **reset, **base}  # type: ignore[index]
    if plan.kind is FaultKind.ENDLESS_LINE:
        # The live probe stops at its line bound as soon as the bytes arrive.
        excerpt_ = "a line past the probe's bound without an end"
        return {"outcome": Outcome.PROTOCOL, "http_status": 200, "error_excerpt": excerpt_, **base}
    if plan.kind is FaultKind.TIMEOUT or plan.ttft_s > settings.first_token_timeout:
        return _timed_out(TimeoutKind.FIRST_TOKEN, settings.first_token_timeout, None, base)
    if plan.is_http_error:
        return _http_error(plan, kind, base)
    ttft_ms = plan.ttft_s * 1000
    if plan.kind is FaultKind.STALL:
        stalled = min(plan.ttft_s + settings.stall_timeout, settings.total_timeout)
        return _timed_out(TimeoutKind.STALL, stalled, ttft_ms, base)
    if plan.total_s > settings.total_timeout:
        return _timed_out(TimeoutKind.TOTAL, settings.total_timeout, ttft_ms, base)
    if plan.kind is FaultKind.STREAM_ERROR:
        return {
            "outcome": Outcome.STREAM_ERROR,
            "http_status": 200,
            "error_type": plan.error_type,
            "ttft_ms": ttft_ms,
            "total_ms": plan.total_s * 1000,
            **base,
        }
    verdict, correct = canary.grade(question, plan.text)  # as the live probe records it
    generating = max(plan.total_s - plan.ttft_s, 1e-3)
    return {
        "outcome": _ANSWER_OUTCOME[verdict],
        "http_status": 200,
        "ttft_ms": ttft_ms if plan.text else None,
        "total_ms": plan.total_s * 1000,
        "output_tokens": plan.output_tokens,
        "tokens_per_s": plan.output_tokens / generating,
        "answer_correct": correct if plan.text else False,
        **base,
    }


def _http_error(plan: Plan, kind: ProviderKind, base: dict[str, object]) -> dict[str, object]:
    target = str(base["target"])
    # An error reply's status, headers and body depend on what the key names, never on its
    # timing (the wire modules' error replies take `ttft_s` only as when they go out):
    # rendered and parsed once, as every error of a fault repeats them (and replay
    # makes thousands). Every result gets its own ratelimit dict.
    key = (target, kind, plan.protocol, plan.kind, plan.status, plan.error_type, plan.retry_after)
    known = _errors.get(key)
    if known is None:
        if len(_errors) >= _ERRORS_MOST:
            _errors.clear()  # a bound for a process that replays many scenarios
        known = _errors[key] = _render_error(plan, kind, target)
    status, headers, error_type, from_body, ratelimit, excerpt_ = known
    return {
        "outcome": Outcome.HTTP_ERROR,
        "http_status": status,
        "error_type": error_type,
        "retry_after_s": _retry_after(headers, base, from_body),
        # The same evidence the live probe classifies on: the retry headers and the body.
        "ratelimit": dict(ratelimit),
        "error_excerpt": excerpt_,
        "total_ms": plan.ttft_s * 1000,
        **base,
    }


# (status, headers, error_type, retry_after_s from the body, ratelimit headers, excerpt)
_RenderedError = tuple[int, dict[str, str], str | None, float | None, dict[str, str], str | None]
_errors: dict[tuple[object, ...], _RenderedError] = {}
_ERRORS_MOST = 4096


def _render_error(plan: Plan, kind: ProviderKind, target: str) -> _RenderedError:
    call = Call(model=target.split("/", 1)[1], stream=True, request_id="0" * 32, created=0)
    reply = _WIRE[protocol_for(target.split("/", 1)[0])].render(plan, call)
    headers = {name.lower(): value for name, value in reply.headers}
    info = adapter_for(kind).parse_error(reply.status, headers, reply.body or b"")
    limits = ratelimit_headers(headers)
    return (
        reply.status,
        headers,
        info.error_type,
        info.retry_after_s,
        limits,
        excerpt(reply.body or b"") or None,
    )


def _retry_after(
    headers: Mapping[str, str], base: dict[str, object], from_body: float | None
) -> float | None:
    # The probe's order: the headers first, then the body's own delay (Gemini RetryInfo).
    started_at = base["started_at"]
    assert isinstance(started_at, datetime)
    return retry_after_seconds(headers, started_at) or from_body


def _timed_out(
    which: TimeoutKind, after_s: float, ttft_ms: float | None, base: dict[str, object]
) -> dict[str, object]:
    return {
        "outcome": Outcome.TIMEOUT,
        "timeout": which,
        "ttft_ms": ttft_ms,
        "total_ms": after_s * 1000,
        **base,
    }
