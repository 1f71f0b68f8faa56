"""The pieces one model's judgement is made of: signals, episodes, and evidence.

A *signal* is one thing a model can be bad at (see monitor/judging/health.py); an
*episode* is one stretch of a signal being bad, from its first bad probe to the
start of the clean stretch that ended it. `Evidence` is what wording may state
about a model over a span. The helpers here read a `TallyBook` and decide
nothing: finding the first bad probe, the regions that saw it, and whether a
stretch of probes looks like the model's normal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from monitor.config import StatusSettings
from monitor.judging.quality import AnswerEvidence
from monitor.judging.regions import RegionVerdict
from monitor.judging.significance import is_plausible
from monitor.judging.status import Cause, ComponentStatus
from monitor.judging.tally import (
    ALL,
    AMB,
    ANS,
    CAP,
    CFG,
    FAIL,
    FORM_CHECKS,
    LAT,
    SLOW,
    VAN,
    WRONG,
    Hits,
    N,
    Tally,
    TallyBook,
)
from monitor.results import FailureClass, ProbeResult

_PROVIDER_SIDE = frozenset(
    {FailureClass.INFRASTRUCTURE, FailureClass.CAPACITY, FailureClass.AMBIGUOUS}
)
_GAP_MINUTES = 3  # failures this close together belong to one episode's start


class Signal(StrEnum):
    AVAILABILITY = "availability"
    LATENCY = "latency"
    QUALITY = "quality"
    CONFIGURATION = "configuration"
    VANTAGE = "vantage"


@dataclass(slots=True)
class Episode:
    signal: Signal
    cause: Cause
    started_at: datetime  # the first bad probe
    detected_at: datetime
    level: ComponentStatus  # its effect on the public status
    regions: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SignalTest:
    """What a signal counts, its prior, and how big a rise must be to matter."""

    bad: int
    total: int
    prior: float
    weight: float
    effect: float
    min_total: int


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one model's probes showed over a span: the facts wording may state."""

    target: str
    all_probes: int
    probes: int  # probes that speak to availability
    failed: int
    problems: tuple[ProbeResult, ...]
    answers: AnswerEvidence
    median_ms: float | None
    usual_median_ms: float | None
    usual_failure_share: float | None  # the baseline's plain share, once it has history
    usual_wrong_share: float | None
    regions: tuple[str, ...]  # regions that probed the model


def minute_of(when: datetime) -> int:
    return int(when.timestamp() // 60)


def minute_start(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def signal_tests(s: StatusSettings) -> dict[Signal, SignalTest]:
    # Failures weigh the prior as `prior_support` probes (what LLM APIs normally do is
    # well known); slow and wrong answers depend on our own thresholds and canaries, so
    # their priors stay weak (`prior_weight`).
    prior, known, weight = s.prior_failure_rate, s.prior_support, s.prior_weight
    return {
        Signal.AVAILABILITY: SignalTest(FAIL, N, prior, known, s.min_effect, 1),
        Signal.LATENCY: SignalTest(SLOW, LAT, s.prior_slow_rate, weight, s.latency_min_effect, 1),
        Signal.QUALITY: SignalTest(
            WRONG, ANS, s.prior_wrong_rate, weight, s.quality_min_effect, s.quality_min_sample
        ),
        Signal.CONFIGURATION: SignalTest(CFG, ALL, prior, known, s.min_effect, 1),
        Signal.VANTAGE: SignalTest(VAN, ALL, prior, known, s.min_effect, 1),
    }


def cause_of(sums: list[int], verdict: RegionVerdict) -> Cause:
    """Capacity when most failures are rate limits with a retry time; unknown when only
    timeouts and resets were seen, from one vantage point; else infrastructure."""
    if sums[CAP] * 2 > sums[FAIL]:
        return Cause.CAPACITY
    if sums[AMB] == sums[FAIL] and len(verdict.voting) <= 1:
        return Cause.UNKNOWN
    return Cause.INFRASTRUCTURE


def first_bad(book: TallyBook, first: int, last: int, hits: Hits, lookback: int) -> datetime:
    """The first bad probe of the run of failures that ends the window first..last: walk
    back from the latest failure while failures keep coming no sparser than in the window
    (a stray error well before the run is not its start)."""
    found: float | None = None
    gap, allowed = 0, _GAP_MINUTES
    bad = sum(len(hits(tally)) for tally in book.between(first, last))
    if bad:
        allowed = max(_GAP_MINUTES, round(3 * (last - first + 1) / bad))
    for minute in range(last, first - lookback - 1, -1):
        tally = book.tallies.get(minute)
        times = [at for at, _ in hits(tally)] if tally is not None else []
        if times:
            found, gap = min(times), 0
        elif found is not None:
            gap += 1
            if gap >= allowed:
                break
    return datetime.fromtimestamp(found, UTC) if found is not None else minute_start(first)


def hit_regions(book: TallyBook, first: int, last: int, hits: Hits) -> tuple[str, ...]:
    seen = {region for tally in book.between(first, last) for _, region in hits(tally)}
    return tuple(sorted(seen))


def looks_normal(bad: int, total: int, need: int, p0: float, effect: float, alpha: float) -> bool:
    """True when `total` (at least `need`) probes with `bad` ones could be the baseline's."""
    if total < need:
        return False
    if total == 0:
        return True
    return bad / total <= p0 + effect and is_plausible(bad, total, p0, alpha)


def is_provider_side(result: ProbeResult) -> bool:
    return result.failure_class in _PROVIDER_SIDE


def is_wrong_answer(result: ProbeResult) -> bool:
    """A wrong answer to a check of correctness (one of exact form only is judged apart)."""
    wrong = result.failure_class is FailureClass.QUALITY or result.answer_correct is False
    return wrong and result.check not in FORM_CHECKS


def hits_of(predicate: Callable[[ProbeResult], bool]) -> Hits:
    def hits(tally: Tally) -> list[tuple[float, str]]:
        return [(r.started_at.timestamp(), r.region) for r in tally.problems if predicate(r)]

    return hits


PROVIDER_FAILURES = hits_of(is_provider_side)
WRONG_ANSWERS = hits_of(is_wrong_answer)
CONFIGURATION_FAILURES = hits_of(lambda r: r.failure_class is FailureClass.CONFIGURATION)
VANTAGE_FAILURES = hits_of(lambda r: r.failure_class is FailureClass.VANTAGE)
