"""How surprising a count of bad probes is, given the share a model normally has.

The status engine asks two questions of a window of `n` probes with `k` bad ones:

- is `k` too many to be chance, if the model still failed at its usual share `p0`?
  (one-sided binomial tail `P(X >= k)`, compared with a small false-alarm rate);
- how large could the true share plausibly be? (Wilson score bounds, for the
  status level: a 35 % share is a partial outage, not a major one).

A baseline learnt from a few hundred probes is itself uncertain; the test then
uses the beta-binomial tail (the binomial averaged over what the share could
be), so a young model needs more failures to alarm and an old one converges to
the plain binomial test.

The engine evaluates every model every minute, so `critical_count` is cached:
`p0` is rounded *up* and the history *down* to two significant figures, which
only ever makes the test stricter, and the windows hold a bounded number of
probes.
"""

from __future__ import annotations

import math
from functools import lru_cache

# Past this many probes of history the baseline's own uncertainty no longer matters.
_EXACT_SUPPORT = 100_000


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), accurate far into the tail."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for j in range(k, n + 1):
        term = math.exp(_log_choose(n, j) + j * log_p + (n - j) * log_q)
        total += term
        # Past the mode the terms only shrink; stop once they no longer matter.
        if j > n * p and term < total * 1e-16:
            break
    return min(total, 1.0)


def beta_binomial_tail(k: int, n: int, a: float, b: float) -> float:
    """P(X >= k) when the share behind X ~ Binomial(n, p) is itself uncertain, p ~ Beta(a, b).

    This is the binomial tail for a baseline known from `a + b` probes: with little
    history the tail is fatter, so a young model needs more failures to alarm.
    """
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    base = -_log_beta(a, b)
    total = 0.0
    mean = n * a / (a + b)
    for j in range(k, n + 1):
        term = math.exp(_log_choose(n, j) + _log_beta(j + a, n - j + b) + base)
        total += term
        if j > mean and term < total * 1e-16:
            break
    return min(total, 1.0)


def critical_count(n: int, p0: float, alpha: float, support: float | None = None) -> int:
    """The fewest bad probes out of `n` that chance explains with probability below `alpha`,
    for a baseline share `p0` learnt from `support` probes (None: known exactly).

    Returns n + 1 when even `n` bad probes would not be surprising enough.
    """
    if support is None or support >= _EXACT_SUPPORT:
        return _critical(n, _round_up(p0), alpha)
    return _critical_uncertain(n, _round_up(p0), _round_down(support), alpha)


def is_surprising(k: int, n: int, p0: float, alpha: float, support: float | None = None) -> bool:
    return n > 0 and k >= critical_count(n, p0, alpha, support)


def is_plausible(k: int, n: int, p0: float, alpha: float) -> bool:
    """True if `k` bad out of `n` is what a model at share `p0` shows now and then."""
    return binomial_tail(k, n, max(p0, 1e-9)) >= alpha


def wilson_bounds(k: int, n: int, z: float) -> tuple[float, float]:
    """Lower and upper Wilson score bounds of the true share behind `k` of `n`."""
    if n <= 0:
        return 0.0, 1.0
    share = k / n
    z2 = z * z
    centre = share + z2 / (2 * n)
    spread = z * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n))
    scale = 1 + z2 / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


@lru_cache(maxsize=65_536)
def _critical(n: int, p0: float, alpha: float) -> int:
    if n <= 0:
        return 1
    low, high = max(1, math.floor(n * p0)), n + 1
    # The tail falls as k rises: find the first k whose tail is below alpha.
    while low < high:
        middle = (low + high) // 2
        if binomial_tail(middle, n, p0) < alpha:
            high = middle
        else:
            low = middle + 1
    return low


@lru_cache(maxsize=65_536)
def _critical_uncertain(n: int, p0: float, support: float, alpha: float) -> int:
    a, b = p0 * support, (1 - p0) * support
    low, high = max(1, math.floor(n * p0)), n + 1
    while low < high:
        middle = (low + high) // 2
        if beta_binomial_tail(middle, n, a, b) < alpha:
            high = middle
        else:
            low = middle + 1
    return low


def _round_down(support: float) -> float:
    """Two significant figures, down: a baseline known from fewer probes is judged stricter."""
    exponent = math.floor(math.log10(max(support, 1.0))) - 1
    step = 10.0**exponent
    return max(1.0, math.floor(support / step) * step)


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _round_up(p: float) -> float:
    if p <= 0.0:
        return 1e-9
    if p >= 1.0:
        return 1.0
    exponent = math.floor(math.log10(p)) - 1
    step = 10.0**exponent
    return min(1.0, math.ceil(p / step - 1e-9) * step)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
