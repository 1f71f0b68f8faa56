"""A latency histogram that merges by adding counts.

Every histogram shares one fixed layout, so two histograms from different
minutes, days or regions merge exactly (merge = add counts, in any order),
and a 90-day chart never needs the raw results.

Layout (version 1), in milliseconds:

    slot 0          underflow  [0, 1)
    slot k, 1..240  [2^((k-1)/12), 2^(k/12))   12 buckets per doubling
    slot 241        overflow   [2^20, inf)      2^20 ms ~ 17.5 min

A regular bucket's upper edge is 2^(1/12) ~ 1.0595 times its lower edge.

Error bound: `quantile(q)` is compared with the exact quantile that
linearly interpolates between order statistics (numpy's default). Each order
statistic is estimated inside the bucket that holds it, so when the data
lie in [1 ms, 2^20 ms) the estimate is within a factor 2^(1/12) of the exact
value: relative error < MAX_RELATIVE_ERROR (5.95 %). Below 1 ms the error is
under 1 ms absolute; overflowed values are reported as 2^20 ms, a lower bound.

Text encoding (store-agnostic, small when sparse): "v1;" then comma-separated
"slot:count" pairs for non-empty slots in increasing slot order, e.g.
"v1;13:4,14:10,241:1"; an empty histogram is "v1;".
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate

BUCKETS_PER_DOUBLING = 12
DOUBLINGS = 20
LOWEST_MS = 1.0
HIGHEST_MS = 2.0**DOUBLINGS
GROWTH = 2.0 ** (1 / BUCKETS_PER_DOUBLING)
MAX_RELATIVE_ERROR = GROWTH - 1

_REGULAR = BUCKETS_PER_DOUBLING * DOUBLINGS
SLOTS = _REGULAR + 2
UNDERFLOW = 0
OVERFLOW = SLOTS - 1
# _EDGES[j] is the lower edge of slot j + 1; _EDGES[k] the upper edge of slot k.
_EDGES = tuple(2.0 ** (j / BUCKETS_PER_DOUBLING) for j in range(_REGULAR + 1))
_VERSION = "v1;"
# Below this, log2 rounding cannot push a value past the last regular bucket.
_FAST_LIMIT_MS = HIGHEST_MS / 2


def slot_of(ms: float) -> int:
    """The slot a latency falls in; negative or NaN latencies are a probe bug."""
    if not ms >= 0.0:
        raise ValueError(f"a latency must be a non-negative number of ms, got {ms!r}")
    if ms < LOWEST_MS:
        return UNDERFLOW
    if ms >= HIGHEST_MS:
        return OVERFLOW
    # log2 of a value just under 2^20 can round up to 20.0: keep it in the last regular bucket.
    return min(int(math.log2(ms) * BUCKETS_PER_DOUBLING) + 1, _REGULAR)


def slot_bounds(slot: int) -> tuple[float, float]:
    """Lower and upper edge of a slot in ms (overflow's upper edge is infinity)."""
    if slot == UNDERFLOW:
        return 0.0, LOWEST_MS
    if slot == OVERFLOW:
        return HIGHEST_MS, math.inf
    return _EDGES[slot - 1], _EDGES[slot]


class LatencyHistogram:
    """Counts of latencies (ms) in the fixed log-spaced layout above.

    Held sparse (slot -> count, no zeros): a minute rollup has a handful of
    probes, and a day of them for hundreds of models must fit in memory.
    """

    __slots__ = ("_count", "_counts")

    def __init__(self, values: Iterable[float] = ()) -> None:
        self._counts: dict[int, int] = {}
        self._count = 0
        if values:  # skips a call for the many empty histograms a rollup starts with
            self.add_many(values)

    def add(self, ms: float) -> None:
        slot = slot_of(ms)
        self._counts[slot] = self._counts.get(slot, 0) + 1
        self._count += 1

    def add_many(self, values: Iterable[float]) -> None:
        dense, log2, added = [0] * SLOTS, math.log2, 0
        for ms in values:
            # Inlined slot_of for the common range: adding a million values stays under a second.
            if LOWEST_MS <= ms < _FAST_LIMIT_MS:
                dense[int(log2(ms) * BUCKETS_PER_DOUBLING) + 1] += 1
            else:
                dense[slot_of(ms)] += 1
            added += 1
        counts = self._counts
        for slot, n in enumerate(dense):
            if n:
                counts[slot] = counts.get(slot, 0) + n
        self._count += added

    @property
    def count(self) -> int:
        return self._count

    @property
    def counts(self) -> tuple[int, ...]:
        """Count per slot, all SLOTS of them."""
        return tuple(self._counts.get(slot, 0) for slot in range(SLOTS))

    def merge(self, other: LatencyHistogram) -> None:
        """Add another histogram's counts into this one."""
        counts = self._counts
        for slot, n in other._counts.items():
            counts[slot] = counts.get(slot, 0) + n
        self._count += other._count

    def __add__(self, other: LatencyHistogram) -> LatencyHistogram:
        if not isinstance(other, LatencyHistogram):
            return NotImplemented
        merged = self.copy()
        merged.merge(other)
        return merged

    @classmethod
    def merged(cls, histograms: Iterable[LatencyHistogram]) -> LatencyHistogram:
        """One histogram holding every count of `histograms` (empty if there are none)."""
        total = cls()
        for histogram in histograms:
            total.merge(histogram)
        return total

    def copy(self) -> LatencyHistogram:
        twin = LatencyHistogram()
        twin._counts = dict(self._counts)
        twin._count = self._count
        return twin

    def quantile(self, q: float) -> float | None:
        """Estimated q-quantile in ms (linear between order statistics); None when empty."""
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"a quantile must be between 0 and 1, got {q!r}")
        if self._count == 0:
            return None
        slots = sorted(self._counts)
        cumulative = list(accumulate(self._counts[slot] for slot in slots))
        position = q * (self._count - 1)
        rank = math.floor(position)
        low = self._order_statistic(slots, cumulative, rank)
        fraction = position - rank
        if fraction == 0.0:
            return low
        high = self._order_statistic(slots, cumulative, rank + 1)
        return low + fraction * (high - low)

    def _order_statistic(self, slots: list[int], cumulative: list[int], rank: int) -> float:
        """Estimate of the rank-th smallest value (0-based), spread evenly inside its bucket."""
        at = bisect_right(cumulative, rank)
        slot = slots[at]
        if slot == OVERFLOW:
            return HIGHEST_MS
        before = cumulative[at - 1] if at else 0
        share = (rank - before + 0.5) / self._counts[slot]
        lower, upper = slot_bounds(slot)
        if slot == UNDERFLOW:
            return share * upper
        # Geometric spacing matches the log-spaced layout (values skew to the low edge).
        return lower * (upper / lower) ** share

    def nonzero_buckets(self) -> list[tuple[float, float, int]]:
        """(lower ms, upper ms, count) of every non-empty slot, for charts."""
        return [(*slot_bounds(slot), self._counts[slot]) for slot in sorted(self._counts)]

    def encode(self) -> str:
        counts = self._counts
        return _VERSION + ",".join(f"{slot}:{counts[slot]}" for slot in sorted(counts))

    @classmethod
    def decode(cls, text: str) -> LatencyHistogram:
        if not text.startswith(_VERSION):
            raise ValueError(f"not a version-1 latency histogram: {text[:20]!r}")
        histogram = cls()
        body = text[len(_VERSION) :]
        previous = -1
        for pair in body.split(",") if body else ():
            slot, n = _parse_pair(pair)
            if slot <= previous:
                raise ValueError(f"histogram slots out of order at {pair!r}")
            histogram._counts[slot] = n
            histogram._count += n
            previous = slot
        return histogram

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatencyHistogram):
            return NotImplemented
        return self._counts == other._counts

    __hash__ = None  # type: ignore[assignment]  # mutable: counts change on add/merge

    def __repr__(self) -> str:
        return f"LatencyHistogram.decode({self.encode()!r})"


def _parse_pair(pair: str) -> tuple[int, int]:
    slot_text, _, count_text = pair.partition(":")
    try:
        slot, n = int(slot_text), int(count_text)
    except ValueError:
        raise ValueError(f"bad histogram pair {pair!r}: expected slot:count") from None
    if not 0 <= slot < SLOTS or n <= 0:
        raise ValueError(f"bad histogram pair {pair!r}: slot 0..{SLOTS - 1}, count > 0")
    return slot, n
