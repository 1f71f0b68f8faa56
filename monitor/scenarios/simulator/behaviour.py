"""What the simulated provider does for one request: a pure decision, no I/O.

`plan_request` reads the scenario at one virtual instant and returns a `Plan`:
healthy answer, which fault, how long to first token and to the end, which
status and error words, which text. The HTTP server renders the plan onto the
wire; replay turns it straight into a probe result. Both call the same
function, so a scenario means the same thing live and in replay.

Randomness is reproducible: `request_rng` seeds one generator per request
from the scenario's seed, the model, the region and the virtual time, and
`plan_request` draws from it in a fixed order.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import datetime

from monitor.probing import canary
from monitor.scenarios.simulator.protocols import (
    WireProtocol,
    protocol_for,
    stream_error_type,
    usual_error_type,
)
from monitor.scenarios.spec import Fault, FaultKind, ModelBehaviour, Scenario

GATEWAY_RETRY_AFTER_S = 5.0  # what LiteLLM passes on as llm_provider-retry-after
# An answer to a prompt we did not write (an SDK smoke test, a curl by hand).
GENERIC_ANSWER = "Hello! This is a simulated model answering."
_FOREIGN = "жЯщд你好答案"  # Cyrillic and CJK letters: never in our ASCII questions or answers
_STOP = {
    WireProtocol.ANTHROPIC: ("end_turn", "max_tokens"),
    WireProtocol.OPENAI: ("stop", "length"),
    WireProtocol.GEMINI: ("STOP", "MAX_TOKENS"),
}


class UnknownModel(KeyError):
    """The scenario has no model with this id."""


@dataclass(frozen=True, slots=True)
class Plan:
    protocol: WireProtocol
    kind: FaultKind | None  # None: a healthy answer
    ttft_s: float  # first text token; for an error, when the error response goes out
    total_s: float  # last byte; never before ttft_s
    status: int = 200
    error_type: str | None = None
    retry_after: float | None = None
    text: str = ""
    stop_reason: str = ""  # the protocol's word: end_turn, stop, STOP, max_tokens, ...
    output_tokens: int = 0

    @property
    def is_http_error(self) -> bool:
        return self.status >= 400


def request_rng(seed: int, model_id: str, region: str, at: datetime) -> random.Random:
    """A generator for one request; the same inputs always draw the same numbers."""
    # str seeds are hashed with SHA-512, identical across runs and platforms (unlike hash()).
    return random.Random(f"{seed}|{model_id}|{region}|{at.isoformat()}")


def plan_request(
    scenario: Scenario,
    model_id: str,
    region: str,
    at: datetime,
    prompt: str,
    rng: random.Random,
) -> Plan:
    """What the simulated provider does for one request to `model_id` from `region` at `at`."""
    model = scenario.model(model_id)
    if model is None:
        raise UnknownModel(model_id)
    protocol = protocol_for(model.provider)
    fault = scenario.fault_at(model_id, region, scenario.offset_of(at))
    fault_draw, error_draw, ttft_s, total_s = request_draws(model, rng)
    if fault is not None and fault_draw < fault.rate:
        return _faulty(protocol, fault, ttft_s, total_s, prompt, rng)
    if error_draw < model.error_rate:
        return _http_error(protocol, 500, usual_error_type(protocol, 500), None, ttft_s)
    return _answer(protocol, None, ttft_s, total_s, _correct(prompt))


def request_draws(model: ModelBehaviour, rng: random.Random) -> tuple[float, float, float, float]:
    """(fault draw, error draw, time to first token, total): the numbers every request
    draws, in this order, whether or not they are used, so one fault never shifts another's
    dice. A fault in force applies when its draw is below its rate, the model's own errors
    when theirs is below its error rate; otherwise the request is answered."""
    fault_draw, error_draw = rng.random(), rng.random()
    ttft_s, total_s = _latency(model, rng)
    return fault_draw, error_draw, ttft_s, total_s


def _latency(model: ModelBehaviour, rng: random.Random) -> tuple[float, float]:
    """Time to first token and total, each spread by a log-normal factor with mean 1."""
    ttft = model.ttft_ms / 1000.0 * _spread(model.jitter, rng)
    generation = (model.latency_ms - model.ttft_ms) / 1000.0 * _spread(model.jitter, rng)
    return ttft, ttft + generation


def _spread(jitter: float, rng: random.Random) -> float:
    # Log-normal: never negative, and a long right tail as real latencies have.
    if jitter <= 0:
        return 1.0
    return math.exp(jitter * rng.gauss(0.0, 1.0) - jitter * jitter / 2.0)


def _faulty(
    protocol: WireProtocol,
    fault: Fault,
    ttft_s: float,
    total_s: float,
    prompt: str,
    rng: random.Random,
) -> Plan:
    kind = fault.kind
    if kind is FaultKind.HTTP_ERROR:
        status = fault.status or 500
        error_type = fault.error_type or usual_error_type(protocol, status)
        return _http_error(protocol, status, error_type, fault.retry_after, ttft_s)
    if kind is FaultKind.GATEWAY_ERROR:
        status = fault.status or 429
        # LiteLLM renames the upstream retry-after; its Anthropic route drops it altogether.
        retry_after = fault.retry_after
        if retry_after is None and status == 429 and protocol is not WireProtocol.ANTHROPIC:
            retry_after = GATEWAY_RETRY_AFTER_S
        plan = _http_error(protocol, status, "gateway", retry_after, ttft_s)
        return replace(plan, kind=kind)
    if kind is FaultKind.SLOW:
        slow_ttft, slow_total = ttft_s * fault.factor, total_s * fault.factor
        return _answer(protocol, kind, slow_ttft, slow_total, _correct(prompt))
    if kind is FaultKind.SLOW_FIRST_TOKEN:
        # Only the wait for the first token grows (a model thinking); the answer then flows.
        late = ttft_s * fault.factor
        return _answer(protocol, kind, late, late + (total_s - ttft_s), _correct(prompt))
    if kind is FaultKind.WRONG_ANSWER:
        return _answer(protocol, kind, ttft_s, total_s, _wrong(_correct(prompt), rng))
    if kind is FaultKind.WRONG_FORM:
        return _answer(protocol, kind, ttft_s, total_s, _reworded(_correct(prompt)))
    if kind is FaultKind.GARBLED:
        return _answer(protocol, kind, ttft_s, total_s, _garble(_correct(prompt), rng))
    if kind is FaultKind.EMPTY:
        return _answer(protocol, kind, ttft_s, total_s, "", truncated=True)
    plan = _answer(protocol, kind, ttft_s, total_s, _correct(prompt))
    if kind is FaultKind.STREAM_ERROR:
        error_type = fault.error_type or stream_error_type(protocol)
        return replace(plan, error_type=error_type)
    # timeout, stall, reset, dns, tls, endless_line: the server decides how the wire misbehaves
    return plan


def _answer(
    protocol: WireProtocol,
    kind: FaultKind | None,
    ttft_s: float,
    total_s: float,
    text: str,
    *,
    truncated: bool = False,
) -> Plan:
    stop, cut = _STOP[protocol]
    return Plan(
        protocol=protocol,
        kind=kind,
        ttft_s=ttft_s,
        total_s=answer_end(ttft_s, total_s),
        text=text,
        stop_reason=cut if truncated else stop,
        output_tokens=_tokens(text),
    )


def answer_end(ttft_s: float, total_s: float) -> float:
    """An answer's last byte: never before its first token."""
    return max(total_s, ttft_s)


def answer_tokens(text: str) -> int:
    """The output tokens an answer of `text` counts."""
    return _tokens(text)


def _http_error(
    protocol: WireProtocol, status: int, error_type: str, retry_after: float | None, at_s: float
) -> Plan:
    return Plan(
        protocol=protocol,
        kind=FaultKind.HTTP_ERROR,
        ttft_s=at_s,
        total_s=at_s,
        status=status,
        error_type=error_type,
        retry_after=retry_after,
    )


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4) if text else 0


def _correct(prompt: str) -> str:
    return canary.solve(prompt) or GENERIC_ANSWER


def _wrong(answer: str, rng: random.Random) -> str:
    """A fluent answer that a careful reader would mark wrong."""
    if answer.isdigit():
        return str(abs(int(answer) + rng.choice((-100, -10, -1, 1, 10, 100))))
    if answer in ("yes", "no"):
        return "no" if answer == "yes" else "yes"
    if answer.startswith("[") and answer.endswith("]"):
        return answer.lower()
    if answer == GENERIC_ANSWER:
        return "The answer is 42."
    reversed_answer = answer[::-1]
    return reversed_answer if reversed_answer != answer else answer + "s"


def _reworded(answer: str) -> str:
    """The right answer in a sentence, as a chattier model writes it: still correct for
    every check lenient about form, wrong only for the exact form (strict_format)."""
    return f"The answer is {answer}."


def _garble(answer: str, rng: random.Random) -> str:
    """The answer with letters of another script mixed in, as a broken decoder produces."""
    chars = list(answer)
    for _ in range(2):
        chars.insert(rng.randint(0, len(chars)), rng.choice(_FOREIGN))
    return "".join(chars)
