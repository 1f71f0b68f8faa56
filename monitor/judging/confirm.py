"""Confirmation probing: when a model looks odd, ask for more probes for a while.

One vantage point probing every minute sees one probe a minute: a single failure is
weak evidence, and the 5 or 10 probes a real fault needs take as many minutes. So
when the latest probes look odd *for this model* (a failure, a slow or a wrong answer
that its baseline makes unlikely in the last 5 or 15 minutes, at `confirm_alpha`), or when a
model in an episode has been clean for longer than its failing share explains (it may
have recovered), the engine asks for probes every `confirm_interval` for
`confirm_for`; once those probes make the suspicion much stronger (a chance below
`confirm_alpha` squared) it asks for them every `confirm_fast_interval`, for another
`confirm_for`. The scheduler reads that plan (monitor/plan.py); the extra probes are
ordinary results and are judged like any other, so they confirm or clear in minutes.

A model with no history at all is looked at closely once, for its first
`confirm_for`: it is the model the engine knows least about. Bounded: one request
lasts `confirm_for` (twice that when it turns faster, once), and a model asks again
only once it has ended and its probes are still odd. `aistatus check-config` shows
what that costs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from monitor.judging.episodes import Signal, minute_of
from monitor.judging.significance import binomial_tail
from monitor.judging.tally import ALL

if TYPE_CHECKING:
    from monitor.judging.health import TargetHealth

_WORDS = {
    Signal.AVAILABILITY: "a failure",
    Signal.LATENCY: "a slow answer",
    Signal.QUALITY: "a wrong answer",
}
# Where probes are few, a clean run this unlikely under the failing share asks for a
# closer look (elsewhere confirm_alpha): recovery needs a full recovery_window holding
# recovery_min_probes after the last failure, so for one vantage point at 60 s the look
# must begin within a few clean probes to resolve within ~13 minutes.
_RECOVERING_ODDS = 0.1
_FRESH_MINUTES = 1  # a bad probe this recent (or in the current minute) makes a suspicion
_SUSPECT_WINDOWS = 2  # the shortest judging windows a suspicion is weighed over (5, 15 min)


def plan_confirmation(health: TargetHealth, now: datetime, minute: int) -> None:
    """Ask for more probes of the model if it looks odd and none are asked for already;
    ask for them faster, and for longer, once they make the suspicion stronger."""
    s = health.settings
    until = health.confirm_until
    if s.confirm_for <= 0:
        return
    if until is not None and now < until:
        if (
            health.confirm_reason != "recovering"
            and not health.confirm_fast
            and not (confined(health))
        ):
            odd = oddest(health, minute)
            if odd is not None and odd[1] < s.confirm_alpha**2:
                health.confirm_fast = True
                # A young model's first look was not picked by odd probes: what it saw
                # counts whole, the faster probes only add to it.
                health.confirm_until = now + timedelta(seconds=s.confirm_for)
        return
    odd = oddest(health, minute)
    suspected = odd[0] if odd is not None else None
    reason = suspected or ("recovering" if recovering(health, minute) else None)
    if until is None and not health.book.baseline.counts[ALL]:
        reason = "no history yet"  # a model we know least about: look closely, once
    if reason is not None:
        health.confirm_until = now + timedelta(seconds=s.confirm_for)
        health.confirm_reason = reason
        health.suspected = reason == suspected
        health.suspect_from = minute if health.suspected else None
        health.confirm_fast = (
            health.suspected
            and odd is not None
            and (odd[1] < s.confirm_alpha**2)
            and not confined(health)
        )


def confirm_status(health: TargetHealth, signal: Signal, p0: float, fired: int | None) -> None:
    """Degraded while evidence builds: surprising at `confirming_alpha`, not yet at the
    false-alarm rate an incident needs, and only while more probes are on their way (they
    will confirm or clear it soon)."""
    until, now = health.confirm_until, health.book.now_minute
    probing = until is not None and now is not None and minute_of(until) > now
    alpha = health.settings.confirming_alpha
    # Off unless above the false-alarm rate: at an equal rate it only repeats the incident
    # test, and a status must never run ahead of the incident it would stand for.
    on = alpha > health.settings.false_alarm_rate
    if on and fired is None and probing and health.fired(signal, p0, alpha) is not None:
        health.confirming.add(signal)
    else:
        health.confirming.discard(signal)


def confined(health: TargetHealth) -> bool:
    """Whether the failures look confined to some vantage points (our network, or not yet
    placed): faster probes from every region would not tell that sooner, only cost more."""
    return (
        health.vantage_pending is not None
        or health.undecided_since is not None
        or Signal.VANTAGE in health.episodes
    )


def suspicion(health: TargetHealth, minute: int) -> str | None:
    """Why the model's latest probes deserve a closer look, or None."""
    odd = oddest(health, minute)
    return odd[0] if odd is not None else None


def oddest(health: TargetHealth, minute: int) -> tuple[str, float] | None:
    """The signal whose latest probes look oddest for this model (a fresh bad probe, and
    the bad count of a short window unlikely at its baseline, below `confirm_alpha`), in
    words, with that chance; None if none does."""
    book = health.book
    alpha = health.settings.confirm_alpha
    found: tuple[str, float] | None = None
    fresh: list[int] | None = None  # read once, for every signal
    for signal, word in _WORDS.items():
        if signal in health.episodes:
            continue
        if signal is Signal.LATENCY and book.slow_ms is None:
            continue
        test = health.tests[signal]
        if fresh is None:
            fresh = book.sum(minute - _FRESH_MINUTES, minute)
        if fresh[test.bad] == 0:
            continue
        share = health.baseline_share(signal)
        chance = 1.0
        # The two shortest windows: at one vantage point at 60 s a 25 % fault shows as
        # lone failures minutes apart, each about its chance within 5 minutes at a ~1 %
        # normal, two within 15 not. The hour would also catch a young noisy model's
        # normal against the prior, at the price of looks that settle nothing.
        for window in health.windows[:_SUSPECT_WINDOWS]:
            sums = book.window(window)
            if sums[test.total]:
                chance = min(chance, binomial_tail(sums[test.bad], sums[test.total], share))
        if chance < alpha and (found is None or chance < found[1]):
            found = (word, chance)
    return found


def recovering(health: TargetHealth, minute: int) -> bool:
    """True when a bad episode's model has answered well for longer than its failing share
    makes likely: it may be back, and more probes say so sooner. Sooner still where the
    probes of a recovery_window fall short of the recovery_min_probes leaving needs (one
    vantage point at 60 s): the look must begin within a few clean probes."""
    book = health.book
    if not health.episodes:
        return False  # the usual case, and nothing below to read
    recent = book.window(health.recovery_minutes)
    for signal in _WORDS:
        episode = health.episodes.get(signal)
        if episode is None or (signal is Signal.LATENCY and book.slow_ms is None):
            continue
        test = health.tests[signal]
        thin = recent[test.total] < max(health.settings.recovery_min_probes, test.min_total)
        odds = _RECOVERING_ODDS if thin else health.settings.confirm_alpha
        clean, last_bad = 0, None
        for tally in sorted(
            book.between(minute - health.windows[-1], minute), key=lambda t: -t.minute
        ):
            if tally.counts[test.bad]:
                last_bad = tally.minute
                break
            clean += tally.counts[test.total]
        if last_bad is None or clean == 0:
            continue
        # The share over the longest window: the last few minutes of a 35 % fault may
        # have failed at 15 % by chance, and would ask for twice the clean probes.
        before = book.sum(last_bad - health.windows[-1], last_bad)
        share = before[test.bad] / before[test.total] if before[test.total] else 0.0
        failing = max(share, health.baseline_share(signal) + test.effect)
        if (1.0 - failing) ** clean < odds:
            return True
    return False
