"""When an episode is over: the clean stretch that ends a signal's episode, and the one
that ends failures confined to some vantage points.

Leaving a status needs sustained good evidence (hysteresis): a stretch of probes that
is plausible under the model's baseline *and* implausible under the share the episode
failed at, so a flapping model does not flap the page. Functions of a `TargetHealth`
(monitor/judging/health.py), as monitor/judging/confirm.py's are.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from monitor.judging.episodes import Episode, Signal, looks_normal, minute_of
from monitor.judging.significance import binomial_tail, wilson_bounds
from monitor.judging.tally import ALL, R_FAIL, R_N, VAN

if TYPE_CHECKING:
    from monitor.judging.health import TargetHealth


def recovered(
    health: TargetHealth, signal: Signal, minute: int, p0: float, started: datetime
) -> int | None:
    """Where a recent clean stretch begins, or None while there is none.

    Clean: at least recovery_window long with enough probes, plausible under the
    baseline, and implausible under the share the episode failed at. A 35 % fault is
    ruled out by ten quiet minutes; a 10 % fault needs a longer quiet stretch.
    """
    test = health.tests[signal]
    s = health.settings
    need = max(s.recovery_min_probes, test.min_total)
    start = minute_of(started)
    # Longer stretches for small faults and for models probed only every few minutes.
    for minutes in (health.recovery_minutes * k for k in (1, 2, 3, 4, 6, 12, 24)):
        first = minute - minutes
        sums = health.book.sum(first, minute)
        bad, total = sums[test.bad], sums[test.total]
        if total < need or first <= start:
            continue
        if not looks_normal(bad, total, need, p0, test.effect, s.recovery_alpha):
            return None
        # What the episode failed at, at its lowest plausible. Its start is found at a
        # burst of failures, so a short episode is read with the probes before it too.
        since = min(
            start,
            health.book.stretch(
                first - 1, 1, 2 * need, lambda tally: tally.counts[test.total], health.windows[-1]
            ),
        )
        before = health.book.sum(since, first - 1)
        failing, _ = wilson_bounds(before[test.bad], before[test.total], s.level_confidence_z)
        failing = max(failing, p0 + test.effect)
        if 1.0 - binomial_tail(bad + 1, total, failing) < s.recovery_alpha:
            return first
    return None


def vantage_recovered(health: TargetHealth, minute: int, episode: Episode) -> int | None:
    """Where a clean stretch begins after failures confined to some vantage points, or
    None: normal overall, and normal in the regions the episode was seen from."""
    s = health.settings
    first = health.book.stretch(
        minute,
        health.recovery_minutes,
        s.recovery_min_probes,
        lambda tally: tally.counts[ALL],
        4 * health.recovery_minutes,
    )
    sums = health.book.sum(first, minute)
    p_van = health.baseline_share(Signal.VANTAGE)
    if not looks_normal(sums[VAN], sums[ALL], 1, p_van, s.min_effect, s.recovery_alpha):
        return None
    regions = health.book.region_sums(first, minute)
    probes = sum(regions[r][R_N] for r in episode.regions if r in regions)
    failed = sum(regions[r][R_FAIL] for r in episode.regions if r in regions)
    p_fail = health.baseline_share(Signal.AVAILABILITY)
    if probes and not looks_normal(failed, probes, 1, p_fail, s.min_effect, s.recovery_alpha):
        return None
    return first
