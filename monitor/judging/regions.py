"""Whose network failed: the provider's, or ours at some vantage points.

Rule: a failure seen from fewer than half of the vantage points is `vantage`
(our network), not the provider's. "Seen from" has to survive noise: at a 35 %
failure rate a region with five probes shows no failure one time in nine, and a
healthy region shows a stray error now and then. So the verdict compares two
explanations of the per-region counts by likelihood:

- provider: every region fails at the same pooled share;
- vantage: a minority of regions (fewer than half) fail at their own shares,
  the others at most a little above the model's baseline share.

The verdict goes to whichever explains the counts `odds` times better; until one
does it is `undecided` and the engine waits for more probes (a few minutes at
most). Regions that did not probe the model in the window do not vote. With one vantage point
there is nothing to compare: the failure is counted as the provider's, and the
verdict says so ("single vantage point: cannot rule out our own network").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

SINGLE_VANTAGE_NOTE = "single vantage point: cannot rule out our own network"
# Under "only some regions fail", the others may still fail a little above baseline:
# one stray error elsewhere must not make our network's fault look like the provider's.
_OUTSIDE_SLACK = 0.01
HALF_NOTE = "seen from exactly half of the vantage points: our network is possible"


class Blame(StrEnum):
    PROVIDER = "provider"
    VANTAGE = "vantage"
    UNDECIDED = "undecided"  # neither explanation is `odds` times better yet: wait


@dataclass(frozen=True, slots=True)
class RegionVerdict:
    blame: Blame
    failing: tuple[str, ...]  # regions whose probes show the failures
    voting: tuple[str, ...]  # regions that probed the model in the window
    note: str | None = None

    @property
    def provider_side(self) -> bool:
        return self.blame is Blame.PROVIDER


def attribute(
    counts: Mapping[str, tuple[int, int]], baseline_share: float, odds: float
) -> RegionVerdict:
    """Provider, vantage or undecided, from (probes, failures) per region."""
    voting = {region: c for region, c in counts.items() if c[0] > 0}
    names = tuple(sorted(voting))
    p0 = min(max(baseline_share, 1e-4), 0.5)
    if len(voting) <= 1:
        failing = tuple(r for r in names if voting[r][1] > 0)
        return RegionVerdict(Blame.PROVIDER, failing, names, SINGLE_VANTAGE_NOTE)
    ranked = sorted(names, key=lambda r: (-voting[r][1] / voting[r][0], r))
    pooled = sum(f for _, f in voting.values()) / sum(n for n, _ in voting.values())
    provider = sum(_log_likelihood(f, n, pooled) for n, f in voting.values())
    best, best_size = -math.inf, 0
    for size in range(1, (len(voting) + 1) // 2):  # fewer than half of the voters
        fit = _confined(ranked[:size], ranked[size:], voting, p0)
        if fit > best:
            best, best_size = fit, size
    margin = math.log(odds)
    if best_size and best - provider >= margin:
        return RegionVerdict(Blame.VANTAGE, tuple(sorted(ranked[:best_size])), names)
    failing = tuple(r for r in names if _sees_failures(voting[r], pooled, p0))
    if best_size and provider - best < margin:
        return RegionVerdict(Blame.UNDECIDED, failing, names)
    note = HALF_NOTE if len(failing) * 2 == len(voting) else None
    return RegionVerdict(Blame.PROVIDER, failing, names, note)


def _confined(
    inside: list[str], outside: list[str], voting: Mapping[str, tuple[int, int]], p0: float
) -> float:
    """Log-likelihood of "only `inside` fail": each inside region at its own share, the
    rest together at a share no higher than the baseline plus a little slack."""
    fit = sum(_log_likelihood(voting[r][1], voting[r][0], _share(voting[r])) for r in inside)
    probes = sum(voting[r][0] for r in outside)
    failures = sum(voting[r][1] for r in outside)
    rest = min(failures / probes, p0 + _OUTSIDE_SLACK) if probes else p0
    return fit + _log_likelihood(failures, probes, max(rest, p0))


def _sees_failures(count: tuple[int, int], pooled: float, p0: float) -> bool:
    """True if the region's counts fit the pooled failing share better than the baseline."""
    probes, failures = count
    if failures == 0 or pooled <= p0:
        return False
    return _log_likelihood(failures, probes, pooled) > _log_likelihood(failures, probes, p0)


def _share(count: tuple[int, int]) -> float:
    probes, failures = count
    return failures / probes


def _log_likelihood(failures: int, probes: int, share: float) -> float:
    share = min(max(share, 1e-9), 1 - 1e-9)
    return failures * math.log(share) + (probes - failures) * math.log1p(-share)
