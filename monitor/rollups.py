"""Probe results summed per target, region and UTC minute, hour or day.

A `Rollup` is one table row: the key (target, region, resolution,
bucket_start), plain counts, and two latency histograms in the fixed layout
of `monitor.histogram`, so rollups add exactly:

    results ──rollup()──► minute ──coarsen()──► hour ──coarsen()──► day
                            │                     │                   │
                            └──── combine_regions(): region "*" ──────┘

Summing is exact and order-free, so a minute rollup coarsened to a day equals
the day rolled up straight from the results, and the store can upsert by
adding a batch's rollup to the stored row (`stored + delta`, or counts added
in SQL and histograms merged in Python).

Uptime (see `uptime`): the provider's failures against every probe the
provider could be blamed or credited for.

    up    = ok + quality          the API answered (right or wrong)
    down  = infrastructure + capacity + ambiguous
    left out: configuration, vantage   our own problems, not the provider's
    uptime = up / (up + down), None when nothing counted

Answer correctness is separate (`answer_accuracy`): a model that answers
fast and wrong is up, and the quality verdict says the rest. Answers to a
check of exact form only (`FORM_CHECKS`, strict_format) are counted apart
again (`forms_checked`, `forms_correct`, `form_accuracy`): the right value in
another form is an ok probe, up, and no wrong answer.

Latency histograms hold probes whose call completed (ok and quality): a 529
returned in 40 ms would otherwise pull the percentiles down exactly when the
model is in trouble.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from monitor.histogram import LatencyHistogram
from monitor.results import FORM_CHECKS, FailureClass, ProbeResult

ALL_REGIONS = "*"
LATENCY_CLASSES = frozenset({FailureClass.OK, FailureClass.QUALITY})
UP_CLASSES = (FailureClass.OK, FailureClass.QUALITY)
DOWN_CLASSES = (FailureClass.INFRASTRUCTURE, FailureClass.CAPACITY, FailureClass.AMBIGUOUS)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Resolution(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"

    @property
    def step(self) -> timedelta:
        return _STEPS[self]


_STEPS = {
    Resolution.MINUTE: timedelta(minutes=1),
    Resolution.HOUR: timedelta(hours=1),
    Resolution.DAY: timedelta(days=1),
}


_RESOLUTIONS = {resolution.value: resolution for resolution in Resolution}


def _is_utc_boundary(when: datetime, resolution: Resolution) -> bool:
    if when.tzinfo is not UTC or when.microsecond or when.second:
        return False
    if resolution is Resolution.MINUTE:
        return True
    if resolution is Resolution.HOUR:
        return not when.minute
    return resolution is Resolution.DAY and not when.minute and not when.hour


def bucket_start(when: datetime, resolution: Resolution) -> datetime:
    """Start (UTC) of the bucket holding `when`; a day bucket is a UTC day."""
    if when.tzinfo is None:
        raise ValueError(f"times must be timezone-aware UTC, got naive {when.isoformat()}")
    step = resolution.step
    # Integer timedelta arithmetic from the epoch: exact, and aligned to UTC midnight.
    return _EPOCH + (when - _EPOCH) // step * step


class RollupKey(NamedTuple):
    target: str
    region: str
    resolution: Resolution
    bucket_start: datetime


@dataclass(frozen=True, slots=True)
class Rollup:
    """Sums of the probes of one target from one region in one bucket.

    The count fields are named after `FailureClass` values. Treat the
    histograms as read-only: `+` and the functions below build new ones.
    """

    target: str
    region: str
    resolution: Resolution
    bucket_start: datetime
    ok: int = 0
    infrastructure: int = 0
    capacity: int = 0
    configuration: int = 0
    vantage: int = 0
    quality: int = 0
    ambiguous: int = 0
    answers_checked: int = 0  # probes with a scored answer (checks of form only left out)
    answers_correct: int = 0
    output_tokens: int = 0  # summed over probes that reported them
    forms_checked: int = 0  # answers to a check of exact form only (FORM_CHECKS)
    forms_correct: int = 0  # of which in the exact form asked for
    ttft_hist: LatencyHistogram = field(default_factory=LatencyHistogram)
    total_hist: LatencyHistogram = field(default_factory=LatencyHistogram)

    def __post_init__(self) -> None:
        if _is_utc_boundary(self.bucket_start, self.resolution):
            return  # the common case (every row read back), without the arithmetic below
        start = bucket_start(self.bucket_start, self.resolution)
        if start != self.bucket_start:
            raise ValueError(
                f"{self.bucket_start.isoformat()} is not the start of a {self.resolution} bucket"
            )
        object.__setattr__(self, "bucket_start", start)  # always stored as UTC

    @property
    def key(self) -> RollupKey:
        return RollupKey(self.target, self.region, self.resolution, self.bucket_start)

    @property
    def bucket_end(self) -> datetime:
        return self.bucket_start + self.resolution.step

    @property
    def probes(self) -> int:
        return sum(getattr(self, failure.value) for failure in FailureClass)

    def count(self, failure: FailureClass) -> int:
        return int(getattr(self, failure.value))

    def __add__(self, other: Rollup) -> Rollup:
        if not isinstance(other, Rollup):
            return NotImplemented
        if other.key != self.key:
            raise ValueError(f"cannot add rollups with different keys: {self.key} + {other.key}")
        tally = _Tally()
        tally.add_rollup(self)
        tally.add_rollup(other)
        return tally.freeze(self.key)

    def to_row(self) -> dict[str, Any]:
        """Plain scalars for one table row; histograms as their text encoding."""
        row: dict[str, Any] = {name: getattr(self, name) for name in _KEY_FIELDS}
        row["resolution"] = self.resolution.value
        row.update({name: getattr(self, name) for name in _COUNT_FIELDS})
        row["probes"] = self.probes  # derived; stored so SQL can sum it without the classes
        row["ttft_hist"] = self.ttft_hist.encode()
        row["total_hist"] = self.total_hist.encode()
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Rollup:
        """The inverse of `to_row` (extra keys such as `probes` or an id are ignored)."""
        start: datetime = row["bucket_start"]
        if start.tzinfo is None:  # SQLite hands back naive datetimes; we only ever store UTC
            start = start.replace(tzinfo=UTC)
        return cls(
            target=row["target"],
            region=row["region"],
            resolution=_RESOLUTIONS[row["resolution"]],
            bucket_start=start,
            **{name: int(row[name]) for name in _COUNT_FIELDS},
            ttft_hist=_StoredHistogram(row["ttft_hist"]),
            total_hist=_StoredHistogram(row["total_hist"]),
        )


class _StoredHistogram(LatencyHistogram):
    """A histogram as read from a row, decoded on first use.

    Most readers of many rows want only the counts (the overview's 90-day bars sum
    27,000 day rollups), and decoding every histogram was most of such a read. So
    the text is kept, and the first access to the histogram's own slots (which stay
    unset until then) decodes it; a malformed text raises there, not in `from_row`.
    Encoding an untouched one gives its text back unchanged.

    Texts of a few probes (a minute's) repeat all the time, and the overview decodes
    the newest minutes of every model on every request: their decodings are kept
    (`_SHORT_TEXT` characters at most, `_KEPT_TEXTS` of them) and copied.
    """

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:  # no super().__init__(): its slots stay unset
        self._text: str | None = text

    def __getattr__(self, name: str) -> Any:
        # Called only for attributes not set yet: before decoding, the base class's slots.
        text = self._text
        if text is None:
            raise AttributeError(name)
        decoded = _decoded(text)
        for slot in LatencyHistogram.__slots__:
            object.__setattr__(self, slot, getattr(decoded, slot))
        self._text = None
        return getattr(self, name)

    def encode(self) -> str:
        text = self._text
        return super().encode() if text is None else text


_SHORT_TEXT = 64
_KEPT_TEXTS = 4096
_kept_texts: dict[str, LatencyHistogram] = {}


def _decoded(text: str) -> LatencyHistogram:
    """A histogram of its own (a copy, when its text was decoded before)."""
    if len(text) > _SHORT_TEXT:
        return LatencyHistogram.decode(text)
    kept = _kept_texts.get(text)
    if kept is None:
        if len(_kept_texts) >= _KEPT_TEXTS:
            _kept_texts.clear()
        kept = _kept_texts[text] = LatencyHistogram.decode(text)
    return kept.copy()


_KEY_FIELDS = RollupKey._fields
_COUNT_FIELDS = (
    *(failure.value for failure in FailureClass),
    "answers_checked",
    "answers_correct",
    "output_tokens",
    "forms_checked",
    "forms_correct",
)


class _Tally:
    """Mutable sums for one key while rolling up; frozen into a Rollup at the end."""

    __slots__ = ("counts", "total", "ttft")

    def __init__(self) -> None:
        self.counts = dict.fromkeys(_COUNT_FIELDS, 0)
        self.ttft = LatencyHistogram()
        self.total = LatencyHistogram()

    def add_result(self, result: ProbeResult) -> None:
        counts = self.counts
        counts[result.failure_class.value] += 1
        if result.answer_correct is not None:
            if result.check in FORM_CHECKS:
                counts["forms_checked"] += 1
                counts["forms_correct"] += result.answer_correct
            else:
                counts["answers_checked"] += 1
                counts["answers_correct"] += result.answer_correct
        if result.output_tokens:
            counts["output_tokens"] += result.output_tokens
        if result.failure_class in LATENCY_CLASSES:
            if result.ttft_ms is not None:
                self.ttft.add(result.ttft_ms)
            if result.total_ms is not None:
                self.total.add(result.total_ms)

    def add_rollup(self, rollup: Rollup) -> None:
        for name in _COUNT_FIELDS:
            self.counts[name] += getattr(rollup, name)
        self.ttft.merge(rollup.ttft_hist)
        self.total.merge(rollup.total_hist)

    def freeze(self, key: RollupKey) -> Rollup:
        return Rollup(*key, **self.counts, ttft_hist=self.ttft, total_hist=self.total)


def rollup(results: Iterable[ProbeResult], resolution: Resolution) -> list[Rollup]:
    """One rollup per (target, region, bucket) present in `results`, sorted by key."""
    tallies: dict[RollupKey, _Tally] = {}
    for result in results:
        key = RollupKey(
            result.target, result.region, resolution, bucket_start(result.started_at, resolution)
        )
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _Tally()
        tally.add_result(result)
    return _frozen(tallies)


def merge(rollups: Iterable[Rollup]) -> Rollup:
    """The sum of rollups that share one key (e.g. a stored row and a new delta)."""
    merged = _regroup(rollups, lambda r: r.key)
    if len(merged) != 1:
        raise ValueError(f"merge needs rollups of exactly one key, got {len(merged)} keys")
    return merged[0]


def coarsen(rollups: Iterable[Rollup], to: Resolution) -> list[Rollup]:
    """Rollups re-summed into `to`-sized buckets (minute -> hour -> day)."""

    def coarser_key(r: Rollup) -> RollupKey:
        if r.resolution.step > to.step:
            raise ValueError(f"cannot coarsen a {r.resolution} rollup to {to}")
        return RollupKey(r.target, r.region, to, bucket_start(r.bucket_start, to))

    return _regroup(rollups, coarser_key)


def combine_regions(rollups: Iterable[Rollup]) -> list[Rollup]:
    """Per-region rollups summed over regions into region "*"."""

    def pooled_key(r: Rollup) -> RollupKey:
        if r.region == ALL_REGIONS:
            raise ValueError("rollups already combined over regions would be counted twice")
        return RollupKey(r.target, ALL_REGIONS, r.resolution, r.bucket_start)

    return _regroup(rollups, pooled_key)


def _regroup(rollups: Iterable[Rollup], key_of: Callable[[Rollup], RollupKey]) -> list[Rollup]:
    tallies: dict[RollupKey, _Tally] = {}
    for r in rollups:
        key = key_of(r)
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _Tally()
        tally.add_rollup(r)
    return _frozen(tallies)


def _frozen(tallies: dict[RollupKey, _Tally]) -> list[Rollup]:
    return [tallies[key].freeze(key) for key in sorted(tallies)]


def uptime(rollup: Rollup) -> float | None:
    """Share of provider-judgeable probes that were up (module docstring); None if none."""
    return uptime_over((rollup,))


def uptime_over(rollups: Iterable[Rollup]) -> float | None:
    """Uptime of several rollups pooled (a window, or regions), weighted by probes."""
    up = down = 0
    for r in rollups:
        up += sum(r.count(failure) for failure in UP_CLASSES)
        down += sum(r.count(failure) for failure in DOWN_CLASSES)
    return up / (up + down) if up + down else None


def answer_accuracy(rollup: Rollup) -> float | None:
    """Share of scored answers that were correct; None when no answer was scored."""
    if not rollup.answers_checked:
        return None
    return rollup.answers_correct / rollup.answers_checked


def form_accuracy(rollup: Rollup) -> float | None:
    """Share of exact-form answers in the form asked for; None when none was scored."""
    if not rollup.forms_checked:
        return None
    return rollup.forms_correct / rollup.forms_checked


class RollupAccumulator:
    """Rolls results up as they arrive, at several resolutions at once.

    `add(batch)` returns that batch's rollups: deltas the store adds to the
    stored rows with the same keys. Because each result passes through once
    and adding is order-free, late or out-of-order results and restarts
    neither lose nor double count. `totals()` keeps the running sums for
    in-memory readers (replay, tests); `forget_before()` bounds its memory.
    """

    def __init__(self, resolutions: Iterable[Resolution] = tuple(Resolution)) -> None:
        self.resolutions = tuple(resolutions)
        self._totals: dict[RollupKey, Rollup] = {}

    def add(self, results: Iterable[ProbeResult]) -> list[Rollup]:
        batch = list(results)
        deltas = [r for res in self.resolutions for r in rollup(batch, res)]
        for delta in deltas:
            stored = self._totals.get(delta.key)
            self._totals[delta.key] = delta if stored is None else stored + delta
        return deltas

    def totals(self, resolution: Resolution | None = None) -> list[Rollup]:
        """Running sums since creation (or the last forget), sorted by key."""
        return [
            self._totals[key]
            for key in sorted(self._totals)
            if resolution is None or key.resolution is resolution
        ]

    def forget_before(self, cutoff: datetime) -> None:
        """Drop running sums of buckets that ended at or before `cutoff`."""
        self._totals = {k: r for k, r in self._totals.items() if r.bucket_end > cutoff}


def retention_cutoff(now: datetime, days: float, resolution: Resolution | None = None) -> datetime:
    """Rows older than this may be deleted: raw results by `started_at` (resolution None),
    rollups by `bucket_start`, aligned so the bucket holding `now - days` survives whole."""
    cutoff = now - timedelta(days=days)
    return cutoff if resolution is None else bucket_start(cutoff, resolution)
