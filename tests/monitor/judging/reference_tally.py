"""The tally book and baseline as they were before they became flat arrays (commit d6b9e5d):
a reference that test_tally_reference.py drives side by side with the real ones. Dicts
of objects, easy to read and to trust; the arrays must answer exactly as these do."""

# ruff: noqa
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import add, sub

from monitor.judging.baseline import latency_slot, slot_value
from monitor.results import FailureClass, ProbeResult

BINS_PER_E = 20  # exp(1/20) ~ 1.051: bins 5 % wide


@dataclass(slots=True)
class Block:
    counts: list[int]
    latency_bins: dict[int, int] = field(default_factory=dict)


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

    def add(self, minute: int, counts: list[int], slots: list[int], sign: int = 1) -> None:
        """Add (sign 1) or take back (sign -1) one minute's counts and latency bins."""
        key = minute // self.block_minutes
        block = self.blocks.get(key)
        if block is None:
            block = self.blocks[key] = Block([0] * self.width)
        op = add if sign > 0 else sub
        block.counts = list(map(op, block.counts, counts))
        self.counts = list(map(op, self.counts, counts))
        for bins in (block.latency_bins, self.latency_bins):
            for slot in slots:
                bins[slot] = bins.get(slot, 0) + sign
        self.latency_count += sign * len(slots)

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


ALL, N, FAIL, AMB, CAP, CFG, VAN, ANS, WRONG, LAT, SLOW, FORM, FORM_WRONG = range(13)
WIDTH = 13
# Checks of exact form only: their answers are counted apart (FORM, FORM_WRONG), against
# their own baseline, so a model that words its answers differently neither drowns nor
# fakes a verdict on whether its answers are right.
FORM_CHECKS = frozenset({"strict_format"})
ZERO = (0,) * WIDTH
# Per region: [N, FAIL, VAN, ALL]
R_N, R_FAIL, R_VAN, R_ALL = range(4)

_FIELDS: dict[FailureClass, tuple[int, ...]] = {
    FailureClass.OK: (ALL, N),
    FailureClass.QUALITY: (ALL, N, ANS, WRONG),
    FailureClass.INFRASTRUCTURE: (ALL, N, FAIL),
    FailureClass.CAPACITY: (ALL, N, FAIL, CAP),
    FailureClass.AMBIGUOUS: (ALL, N, FAIL, AMB),
    FailureClass.CONFIGURATION: (ALL, CFG),
    FailureClass.VANTAGE: (ALL, VAN),
}
_REGION_FIELDS: dict[FailureClass, tuple[int, ...]] = {
    FailureClass.OK: (R_ALL, R_N),
    FailureClass.QUALITY: (R_ALL, R_N),
    FailureClass.INFRASTRUCTURE: (R_ALL, R_N, R_FAIL),
    FailureClass.CAPACITY: (R_ALL, R_N, R_FAIL),
    FailureClass.AMBIGUOUS: (R_ALL, R_N, R_FAIL),
    FailureClass.CONFIGURATION: (R_ALL,),
    FailureClass.VANTAGE: (R_ALL, R_VAN),
}
_ANSWERED = (FailureClass.OK, FailureClass.QUALITY)

Hits = Callable[["Tally"], list[tuple[float, str]]]  # (unix s, region) of matching probes


@dataclass(slots=True)
class Tally:
    minute: int
    counts: list[int] = field(default_factory=lambda: [0] * WIDTH)
    regions: dict[str, list[int]] = field(default_factory=dict)
    # (unix s, ms, region, histogram slot) of every answered probe
    latencies: list[tuple[float, float, str, int]] = field(default_factory=list)
    problems: list[ProbeResult] = field(default_factory=list)  # every result that is not ok
    ids: list[str] = field(default_factory=list)
    folded: bool = False
    tainted: bool = False


def latency_ms(result: ProbeResult) -> float | None:
    if result.failure_class not in _ANSWERED:
        return None
    return result.total_ms if result.total_ms is not None else result.ttft_ms


def _combine(
    cls: FailureClass, answer: bool | None, slow: bool | None, form: bool = False
) -> tuple[int, ...]:
    fields = _FIELDS[cls]
    if cls is FailureClass.OK and answer is not None:
        fields += (ANS, WRONG) if answer is False else (ANS,)
    if form and ANS in fields:
        fields = tuple({ANS: FORM, WRONG: FORM_WRONG}.get(index, index) for index in fields)
    if slow is not None:
        fields += (LAT, SLOW) if slow else (LAT,)
    return fields


# Every combination precomputed: ingest is the hot path (one call per probe result).
_COMBINED = {
    (cls, answer, slow, form): _combine(cls, answer, slow, form)
    for cls in FailureClass
    for answer in (True, False, None)
    for slow in (True, False, None)
    for form in (False, True)
}


class TallyBook:
    """Minute tallies of one model, their running totals and the model's baseline."""

    def __init__(self, longest: int, fold_after: int, baseline_minutes: int) -> None:
        self.tallies: dict[int, Tally] = {}
        self.baseline = Baseline(WIDTH)
        self.slow_ms: float | None = None
        self.fold_after = fold_after  # minutes before a tally may join the baseline
        self.baseline_minutes = baseline_minutes
        # Tallies stay a baseline window: an incident's wording reads them as evidence.
        self.keep = max(baseline_minutes, 2 * longest + fold_after)
        self.now_minute: int | None = None
        self._cumulative: dict[int, tuple[int, ...] | list[int]] = {}
        self._origin: int | None = None  # the first minute the running totals cover
        self._windows: dict[int, list[int]] = {}  # window sums at now_minute, by length
        self._fold_cursor: int | None = None
        self._expire_cursor: int | None = None
        self._seen: set[str] = set()
        self._tainted: tuple[int, int] = (0, -1)

    def add(self, result: ProbeResult) -> bool:
        """Count one result; False if it was seen before or is older than we keep."""
        if result.id in self._seen:
            return False
        at = result.started_at.timestamp()
        minute = int(at // 60)
        if self._expire_cursor is not None and minute < self._expire_cursor:
            return False
        self._seen.add(result.id)
        tally = self.tallies.get(minute)
        if tally is None:
            tally = self.tallies[minute] = Tally(minute)
            tally.tainted = self._tainted[0] <= minute <= self._tainted[1]
        tally.ids.append(result.id)
        cls = result.failure_class
        ms = latency_ms(result)
        slot = None
        form = result.check in FORM_CHECKS
        if ms is None:
            fields = _COMBINED[cls, result.answer_correct, None, form]
        else:
            slow = self.slow_ms is not None and ms > self.slow_ms
            fields = _COMBINED[cls, result.answer_correct, slow, form]
            slot = latency_slot(ms)
            tally.latencies.append((at, ms, result.region, slot))
        counts = tally.counts
        for index in fields:
            counts[index] += 1
        region = tally.regions.get(result.region)
        if region is None:
            region = tally.regions[result.region] = [0, 0, 0, 0]
        for index in _REGION_FIELDS[cls]:
            region[index] += 1
        if cls is not FailureClass.OK or result.answer_correct is False:
            tally.problems.append(result)
        if self.now_minute is not None and minute <= self.now_minute:
            self._late(minute, fields)
        if tally.folded and not tally.tainted:
            delta = [0] * WIDTH
            _bump(delta, fields)
            self.baseline.add(minute, delta, [] if slot is None else [slot])
        return True

    def has(self, result: ProbeResult) -> bool:
        """Whether `result` was counted (or is too old to count)."""
        minute = int(result.started_at.timestamp() // 60)
        expired = self._expire_cursor is not None and minute < self._expire_cursor
        return expired or result.id in self._seen

    def advance(self, minute: int) -> None:
        """Move "now" to `minute`; fold and expire tallies that aged."""
        if self.now_minute is not None and minute <= self.now_minute:
            return
        if self.now_minute is None:
            # Results stamped after `minute` (a clock ahead of ours) are counted when their
            # minute comes; the totals must still start no later than now.
            self._origin = min(min(self.tallies, default=minute), minute)
            self._accumulate(self._origin, minute)
        else:
            self._accumulate(self.now_minute + 1, minute)
        self.now_minute = minute
        self._windows.clear()
        self._expire(minute - self.keep)
        self.baseline.expire(minute - self.baseline_minutes)

    def window(self, minutes: int) -> list[int]:
        """Counts of the window ending now: `minutes` whole minutes back plus this one.
        The list is shared until the next change: read it, never modify it."""
        sums = self._windows.get(minutes)
        if sums is None:
            if self.now_minute is None:
                return list(ZERO)
            cumulative = self._cumulative
            base = cumulative.get(self.now_minute - minutes - 1, ZERO)
            sums = self._windows[minutes] = list(map(sub, cumulative[self.now_minute], base))
        return sums

    def taint(self, first: int, last: int) -> None:
        """Keep minutes first..last out of the baseline: they belong to a bad episode."""
        low, high = self._tainted
        contiguous = low <= first <= high + 1
        for tally in self.between(high + 1 if contiguous else first, last):
            if not tally.tainted:
                tally.tainted = True
                if tally.folded:
                    self.baseline.add(tally.minute, tally.counts, _slots(tally), -1)
        self._tainted = (low, max(high, last)) if contiguous else (first, last)

    def set_slow_threshold(self, slow_ms: float | None, reach: int) -> None:
        """Recount SLOW in the last `reach` minutes against a new threshold."""
        self.slow_ms = slow_ms
        if self.now_minute is None:
            return
        limit = math.inf if slow_ms is None else slow_ms
        first = self.now_minute - reach
        for tally in self.between(first, self.now_minute):
            tally.counts[SLOW] = sum(1 for _, ms, _, _ in tally.latencies if ms > limit)
        self._accumulate(first, self.now_minute)
        self._windows.clear()

    def sum(self, first: int, last: int) -> list[int]:
        """Counts of minutes first..last; from the running totals when it can (no rescan)."""
        if self.now_minute is not None and last <= self.now_minute:
            upto, before = self._running(last), self._running(first - 1)
            if upto is not None and before is not None:
                return list(map(sub, upto, before))
        total = list(ZERO)
        for tally in self.between(first, last):
            total = list(map(add, total, tally.counts))
        return total

    def region_sums(self, first: int, last: int) -> dict[str, list[int]]:
        sums: dict[str, list[int]] = {}
        for tally in self.between(first, last):
            for region, counts in tally.regions.items():
                mine = sums.get(region)
                sums[region] = list(map(add, mine, counts)) if mine else list(counts)
        return sums

    def between(self, first: int, last: int) -> Iterator[Tally]:
        tallies = self.tallies
        for minute in range(first, last + 1):
            tally = tallies.get(minute)
            if tally is not None:
                yield tally

    def stretch(
        self, last: int, minutes: int, probes: int, total: Callable[[Tally], int], limit: int
    ) -> int:
        """The first minute of the shortest span ending at `last` that lasts `minutes` and
        holds `probes` (by `total`), looking back at most `limit` minutes."""
        count, first = 0, last
        for minute in range(last, last - max(limit, minutes) - 1, -1):
            tally = self.tallies.get(minute)
            if tally is not None:
                count += total(tally)
            first = minute
            if last - minute + 1 >= minutes and count >= probes:
                break
        return first

    def _running(self, minute: int) -> tuple[int, ...] | list[int] | None:
        """The running total through `minute`, or None once it has been forgotten."""
        value = self._cumulative.get(minute)
        if value is None and self._origin is not None and minute < self._origin:
            return ZERO  # before the first minute ever counted
        return value

    def _accumulate(self, first: int, last: int) -> None:
        cumulative, tallies = self._cumulative, self.tallies
        running = cumulative.get(first - 1, ZERO)
        for minute in range(first, last + 1):
            tally = tallies.get(minute)
            if tally is not None:
                running = list(map(add, running, tally.counts))
            cumulative[minute] = running

    def _late(self, minute: int, fields: tuple[int, ...]) -> None:
        """A result for a minute the running totals already passed: bump them onward."""
        cumulative = self._cumulative
        self._windows.clear()
        for later in range(minute, (self.now_minute or minute) + 1):
            counts = list(cumulative.get(later, ZERO))
            _bump(counts, fields)
            cumulative[later] = counts

    def fold(self, hold_until: int | None = None) -> None:
        """Let minutes older than `fold_after` join the baseline. While the caller suspects a
        slow fault is building (`hold_until`), only minutes before that join: a fault the
        windows have not yet proven must not become the model's normal first."""
        if self.now_minute is None:
            return
        through = self.now_minute - self.fold_after
        if hold_until is not None and self._fold_cursor is not None:
            through = min(through, max(hold_until, self._fold_cursor - 1))
        self._fold(through)

    def _fold(self, through: int) -> None:
        if self._fold_cursor is None:
            minutes = sorted(minute for minute in self.tallies if minute <= through)
        else:
            minutes = range(self._fold_cursor, through + 1)
        for minute in minutes:
            tally = self.tallies.get(minute)
            if tally is not None and not tally.folded:
                tally.folded = True
                if not tally.tainted:
                    self.baseline.add(minute, tally.counts, _slots(tally))
        self._fold_cursor = through + 1

    def _expire(self, before: int) -> None:
        if self._expire_cursor is None:
            minutes = sorted({m for m in (*self.tallies, *self._cumulative) if m < before})
        else:
            minutes = range(self._expire_cursor, before)
        for minute in minutes:
            # One running total stays below the oldest window: it is every window's base.
            self._cumulative.pop(minute - 1, None)
            tally = self.tallies.pop(minute, None)
            if tally is not None:
                self._seen.difference_update(tally.ids)
        self._expire_cursor = before


def _slots(tally: Tally) -> list[int]:
    return [slot for _, _, _, slot in tally.latencies]


def _bump(vector: list[int], fields: tuple[int, ...]) -> None:
    for index in fields:
        vector[index] += 1
