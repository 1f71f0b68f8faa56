"""A model's own normal: its trailing counts and latencies, minus its bad periods.

The status engine judges a window of probes against this baseline, not against a
fixed threshold: a model whose normal is 2 % errors and one whose normal is 0.1 %
are both judged fairly. Until a model has history, a prior stands in: rates are
`(bad + prior_rate * prior_weight) / (total + prior_weight)`, so the first few
hundred probes are judged as if the model were fairly noisy (conservative).

Minutes join the baseline one by one but leave it an hour at a time (blocks), so
the baseline costs one addition per model per minute and keeps no minute data.
Latencies are kept in a sparse log histogram (bins 5 % wide): the median is
cheap to read and exact enough for "twice the usual median".
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import sub

BINS_PER_E = 20  # exp(1/20) ~ 1.051: bins 5 % wide


class Block:
    """One hour of the baseline: its counts and its latency bins, as flat arrays (a model
    holds a day of these; dicts of int objects cost ten times the bytes)."""

    __slots__ = ("bins", "counts", "low")

    def __init__(self, width: int) -> None:
        self.counts = array("i", [0]) * width
        self.low = 0  # the slot bins[0] counts
        self.bins = array("i")

    def bump(self, slot: int, by: int) -> None:
        bins = self.bins
        if not bins:
            self.low = slot
            bins.append(by)
            return
        at = slot - self.low
        if at < 0:
            bins[0:0] = array("i", [0]) * -at
            self.low, at = slot, 0
        elif at >= len(bins):
            bins.extend(array("i", [0]) * (at - len(bins) + 1))
        bins[at] += by

    @property
    def latency_bins(self) -> dict[int, int]:
        return {self.low + at: n for at, n in enumerate(self.bins) if n}


@dataclass(slots=True)
class Baseline:
    width: int
    block_minutes: int = 60
    counts: list[int] = field(default_factory=list)
    latency_bins: dict[int, int] = field(default_factory=dict)
    latency_count: int = 0
    blocks: dict[int, Block] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * self.width

    def add(self, minute: int, counts: Sequence[int], slots: list[int], sign: int = 1) -> None:
        """Add (sign 1) or take back (sign -1) one minute's counts and latency bins."""
        key = minute // self.block_minutes
        block = self.blocks.get(key)
        if block is None:
            block = self.blocks[key] = Block(self.width)
        # In place, and only where the minute counted something (most counts are 0): this
        # runs for every model every minute.
        block_counts, total = block.counts, self.counts
        for index, count in enumerate(counts):
            if count:
                block_counts[index] += sign * count
                total[index] += sign * count
        bins = self.latency_bins
        for slot in slots:
            block.bump(slot, sign)
            bins[slot] = bins.get(slot, 0) + sign
        self.latency_count += sign * len(slots)

    def add_latencies(self, minute: int, counts: array[int], latencies: Sequence[float]) -> None:
        """`add` of one minute whose latencies are given as milliseconds (NaN: none), the
        slots worked out here: what folding does for every model every minute."""
        key = minute // self.block_minutes
        block = self.blocks.get(key)
        if block is None:
            block = self.blocks[key] = Block(self.width)
        block_counts, total = block.counts, self.counts
        for index, count in _nonzero(counts):
            block_counts[index] += count
            total[index] += count
        bins, block_bins, low = self.latency_bins, block.bins, block.low
        log, floor = math.log, math.floor
        added = 0
        for ms in latencies:
            if ms != ms:  # NaN: no latency
                continue
            slot = floor(log(max(ms, 0.1)) * BINS_PER_E)  # latency_slot, inline
            at = slot - low
            if block_bins and 0 <= at < len(block_bins):
                block_bins[at] += 1
            else:
                block.bump(slot, 1)
                block_bins, low = block.bins, block.low
            bins[slot] = bins.get(slot, 0) + 1
            added += 1
        self.latency_count += added

    def expire(self, before_minute: int) -> None:
        """Drop every whole block that ends before `before_minute`."""
        last_key = before_minute // self.block_minutes - 1
        if not self.blocks or min(self.blocks) > last_key:
            return
        for key in [k for k in self.blocks if k <= last_key]:
            block = self.blocks.pop(key)
            self.counts = list(map(sub, self.counts, block.counts))
            for slot, count in block.latency_bins.items():
                self.latency_bins[slot] -= count
                self.latency_count -= count

    def rate(self, bad: int, total: int, prior_rate: float, prior_weight: float) -> float:
        return (self.counts[bad] + prior_rate * prior_weight) / (self.counts[total] + prior_weight)

    def observed(self, bad: int, total: int, at_least: int) -> float | None:
        """The plain share, without prior, once `at_least` probes back it (for wording)."""
        total_count = self.counts[total]
        return self.counts[bad] / total_count if total_count >= at_least else None

    def latency_quantile(self, q: float) -> float | None:
        if self.latency_count <= 0:
            return None
        rank = q * self.latency_count
        seen = 0
        for slot in sorted(self.latency_bins):
            seen += self.latency_bins[slot]
            if seen >= rank and seen > 0:
                return slot_value(slot)
        return None

    def share_above(self, ms: float) -> float:
        if self.latency_count <= 0:
            return 0.0
        limit = latency_slot(ms)
        above = sum(count for slot, count in self.latency_bins.items() if slot > limit)
        return above / self.latency_count


_NONZERO: dict[bytes, tuple[tuple[int, int], ...]] = {}
_NONZERO_MOST = 4096


def _nonzero(counts: array[int]) -> tuple[tuple[int, int], ...]:
    """(index, count) of the counts that are not 0: a minute's counts come in a few
    patterns (probes in the same classes), each looked up once."""
    key = counts.tobytes()
    found = _NONZERO.get(key)
    if found is None:
        if len(_NONZERO) >= _NONZERO_MOST:
            _NONZERO.clear()
        found = _NONZERO[key] = tuple((i, count) for i, count in enumerate(counts) if count)
    return found


def latency_slot(ms: float) -> int:
    return math.floor(math.log(max(ms, 0.1)) * BINS_PER_E)


def slot_value(slot: int) -> float:
    return math.exp((slot + 0.5) / BINS_PER_E)
