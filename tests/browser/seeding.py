"""A store filled the way months of running aistatus would fill it, in seconds.

    day (and hour) rollups only          raw results, rolled up by the store     now
    |------------------------------------|------------------------------------------|
    now - history days                   raw_start (a UTC midnight)
                                                         |-- the real StatusEngine --|
                                                         engine_start: judged minute by
                                                         minute, its changes stored

Older days are written as rollups straight away (`record_rollups`): generating
their raw probes would take far longer and the site reads only rollups there.
Everything is drawn from a seeded `random.Random`, so a plan always gives the
same numbers; the browser tests and `bench/web.py` both seed through `seed_store`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from monitor.config import Settings, missing_key
from monitor.histogram import LatencyHistogram
from monitor.judging.engine import StatusEngine, TargetInfo
from monitor.results import FailureClass, Outcome, ProbeResult
from monitor.rollups import Resolution, Rollup, bucket_start
from monitor.store import Store
from monitor.worker.roles import sync_targets

REGIONS = ("us-east", "eu-west", "ap-southeast")
MINUTE = timedelta(minutes=1)
_VARIANTS = 4  # latency shapes per model, rotated over the days
_OUTPUT_TOKENS = 5
_ROLLUPS_PER_WRITE = 5000
_RESULTS_PER_WRITE = 20_000
# One probe in 40 asks the exact-form item (monitor/probing/scheduler.py's default suite).
FORM_EVERY = 40


@dataclass(frozen=True)
class Outage:
    """Every probe of these targets fails with an HTTP 503 in [start, end)."""

    targets: frozenset[str]
    start: datetime
    end: datetime

    def hits(self, target: str, at: datetime) -> bool:
        return target in self.targets and self.start <= at < self.end


@dataclass(frozen=True)
class Plan:
    now: datetime  # a whole minute; the app's clock is set to it
    history_days: int = 90  # how far back the site has data
    raw_days: int = 1  # UTC days of raw results, today included
    hour_history_days: int = 7  # older days also get hour rollups (the 7 d chart)
    engine_hours: float | None = None  # None: the engine judges the whole raw window
    regions: tuple[str, ...] = REGIONS
    outages: tuple[Outage, ...] = ()
    # target -> {days before today: failed probes per region} in the rollup-only history
    bad_days: Mapping[str, Mapping[int, int]] = field(default_factory=dict)
    noise: float = 0.0005  # background share of HTTP 500s
    seed: int = 7
    # Models that word their answers differently in the raw window: their exact-form
    # answers (one probe in FORM_EVERY, as the default suite asks) miss the form.
    wordy: frozenset[str] = frozenset()

    @property
    def raw_start(self) -> datetime:
        return bucket_start(self.now, Resolution.DAY) - timedelta(days=self.raw_days - 1)

    @property
    def engine_start(self) -> datetime:
        if self.engine_hours is None:
            return self.raw_start
        return max(self.raw_start, self.now - timedelta(hours=self.engine_hours))


@dataclass(frozen=True)
class SeedReport:
    results: int
    rollups: int
    engine_rows: int


def probed_targets(settings: Settings, environ: Mapping[str, str]) -> list[TargetInfo]:
    """The enabled models of providers whose key is set, as the engine knows them."""
    unprobed = {p.id for p in settings.providers if missing_key(p, environ)}
    return [
        TargetInfo(m.id, m.provider, m.name, settings.provider(m.provider).name)
        for m in settings.models
        if m.enabled and m.provider not in unprobed
    ]


def seed_store(
    store: Store, settings: Settings, plan: Plan, environ: Mapping[str, str]
) -> SeedReport:
    """Migrate, sync the config's targets, then write history, raw results and engine output."""
    store.upgrade()
    sync_targets(settings, store, environ)
    targets = probed_targets(settings, environ)
    rng = random.Random(plan.seed)
    rollups = history_rollups([t.id for t in targets], plan, rng)
    for start in range(0, len(rollups), _ROLLUPS_PER_WRITE):
        store.record_rollups(rollups[start : start + _ROLLUPS_PER_WRITE])
    results, engine_rows = _raw_window(store, settings, targets, plan, rng)
    return SeedReport(results, len(rollups), engine_rows)


# -- history: rollups only --------------------------------------------------------------------


def history_rollups(targets: Sequence[str], plan: Plan, rng: random.Random) -> list[Rollup]:
    """Day rollups for every day before the raw window, hour rollups for the recent ones."""
    shapes = {t: _Shapes(rng, *_base_latency(t)) for t in targets}
    out: list[Rollup] = []
    for offset in range(1, plan.history_days - plan.raw_days + 1):
        day = plan.raw_start - timedelta(days=offset)
        days_before_today = (bucket_start(plan.now, Resolution.DAY) - day).days
        for target in targets:
            failed = plan.bad_days.get(target, {}).get(days_before_today, 0)
            for region in plan.regions:
                out.append(shapes[target].rollup(target, region, day, Resolution.DAY, failed))
                if days_before_today <= plan.hour_history_days:
                    out.extend(_hours(shapes[target], target, region, day, failed))
    return out


def _hours(
    shapes: _Shapes, target: str, region: str, day: datetime, failed: int
) -> Iterator[Rollup]:
    # A bad day's failures all fall in its first hours, as an outage would.
    for hour in range(24):
        share = max(0, min(60, failed - 60 * hour))
        yield shapes.rollup(target, region, day + timedelta(hours=hour), Resolution.HOUR, share)


class _Shapes:
    """Latency histograms of a healthy bucket, built once and shared by every bucket.

    Rollups treat histograms as read-only, so sharing is safe; a bucket with
    failures gets its own, holding only the probes that answered.
    """

    def __init__(self, rng: random.Random, ttft_ms: float, total_ms: float) -> None:
        self.rng, self.ttft_ms, self.total_ms = rng, ttft_ms, total_ms
        self.full: dict[tuple[int, int], tuple[LatencyHistogram, LatencyHistogram]] = {}

    def histograms(self, probes: int) -> tuple[LatencyHistogram, LatencyHistogram]:
        rng = self.rng
        ttft = LatencyHistogram(rng.lognormvariate(0, 0.25) * self.ttft_ms for _ in range(probes))
        total = LatencyHistogram(rng.lognormvariate(0, 0.2) * self.total_ms for _ in range(probes))
        return ttft, total

    def rollup(
        self, target: str, region: str, start: datetime, resolution: Resolution, failed: int
    ) -> Rollup:
        probes = int(resolution.step / MINUTE)
        answered = probes - min(failed, probes)
        variant = int(start.timestamp() // 86400) % _VARIANTS
        if failed:
            ttft, total = self.histograms(answered)
        else:
            key = (probes, variant)
            if key not in self.full:
                self.full[key] = self.histograms(probes)
            ttft, total = self.full[key]
        forms = answered // FORM_EVERY  # asked for the exact form, and kept it
        return Rollup(
            target,
            region,
            resolution,
            start,
            ok=answered,
            infrastructure=probes - answered,
            answers_checked=answered - forms,
            answers_correct=answered - forms,
            forms_checked=forms,
            forms_correct=forms,
            output_tokens=answered * _OUTPUT_TOKENS,
            ttft_hist=ttft,
            total_hist=total,
        )


# -- the raw window: probes, the store's own rollups, the engine ------------------------------


def _raw_window(
    store: Store, settings: Settings, targets: Sequence[TargetInfo], plan: Plan, rng: random.Random
) -> tuple[int, int]:
    engine = StatusEngine(settings.status, targets, plan.regions)
    latency = {t.id: _base_latency(t.id) for t in targets}
    batch: list[ProbeResult] = []
    written = engine_rows = 0
    minute = plan.raw_start
    while minute < plan.now:
        round_ = list(_round(targets, plan, minute, latency, rng))
        batch.extend(round_)
        if minute >= plan.engine_start:
            engine.ingest(round_)
            # Judged late in the minute, after every region's probe, as the worker does.
            changes = engine.evaluate(minute + timedelta(seconds=50))
            if changes:
                written += store.record_results(batch)
                batch = []
                engine_rows += store.record_engine_changes(changes)
        if len(batch) >= _RESULTS_PER_WRITE:
            written += store.record_results(batch)
            batch = []
        minute += MINUTE
    written += store.record_results(batch)
    return written, engine_rows


def _round(
    targets: Sequence[TargetInfo],
    plan: Plan,
    minute: datetime,
    latency: Mapping[str, tuple[float, float]],
    rng: random.Random,
) -> Iterator[ProbeResult]:
    for index, region in enumerate(plan.regions):
        # Regions probe a few seconds apart, as separate workers would.
        at = minute + timedelta(seconds=2 * index)
        for target in targets:
            down = any(o.hits(target.id, at) for o in plan.outages)
            if down or rng.random() < plan.noise:
                yield _failed(target.id, region, at, 503 if down else 500)
            else:
                answer = _answered(target.id, region, at, *latency[target.id], rng)
                if int(minute.timestamp() // 60) % FORM_EVERY == FORM_EVERY - 1:
                    # The exact-form item: right, kept in form unless the model is wordy.
                    kept = target.id not in plan.wordy
                    answer = replace(answer, check="strict_format", answer_correct=kept)
                yield answer


def _answered(
    target: str, region: str, at: datetime, ttft_ms: float, total_ms: float, rng: random.Random
) -> ProbeResult:
    ttft = rng.lognormvariate(0, 0.25) * ttft_ms
    total = max(ttft, rng.lognormvariate(0, 0.2) * total_ms)
    return ProbeResult(
        target=target,
        region=region,
        started_at=at,
        outcome=Outcome.OK,
        ttft_ms=ttft,
        ttfb_ms=ttft * 0.8,
        total_ms=total,
        http_status=200,
        output_tokens=_OUTPUT_TOKENS,
        answer_correct=True,
    )


def _failed(target: str, region: str, at: datetime, status: int) -> ProbeResult:
    return ProbeResult(
        target=target,
        region=region,
        started_at=at,
        outcome=Outcome.HTTP_ERROR,
        failure_class=FailureClass.INFRASTRUCTURE,
        http_status=status,
        error_type="overloaded_error" if status == 503 else "api_error",
        total_ms=300.0,
    )


def _base_latency(target: str) -> tuple[float, float]:
    """A stable typical (ttft, total) per model, so each model has its own normal."""
    spread = random.Random(target).uniform(0.6, 1.6)
    return 450.0 * spread, 1100.0 * spread
