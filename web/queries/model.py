"""The model page from one `SiteData`: seven store reads, one of them the model's own
hour or day rollups for its charts (the rest as on the overview).

Chart resolution per `?range=`, so a chart has 24 to 168 points and reads at
most a few hundred rollups:

    24h   hour buckets    24 points      7d    hour buckets   168 points
    30d   day buckets     30 points      90d   day buckets     90 points

(Minute buckets for 24 hours would be 1,440 points per region: more rows than a
page should read, and more points than the chart has pixels.) The uptime bar,
the answer baseline and "now" come from the rollup caches every page shares;
day ranges read the model's day rollups for their latency histograms. An
unknown range shows the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.judging.quality import QualityVerdict
from monitor.judging.status import ComponentStatus
from monitor.results import FailureClass
from monitor.rollups import Resolution, Rollup, bucket_start
from monitor.store import ProviderInfo, Target
from web import public_paths
from web.queries.parts import (
    Totals,
    by_region,
    display_names,
    in_quality_incident,
    incident_summary,
    judge_answers,
    missing_key,
    model_word,
    percent,
    probed,
    provider_link,
    region_status,
    simulated_targets,
    since,
)
from web.queries.site_data import HISTORY_DAYS, SiteData
from web.queries.snapshots import NO_DATA
from web.queries.uptime import uptime_bar
from web.queries.viewmodels import (
    DEFAULT_RANGE,
    ChartPoint,
    FailureBucket,
    FailureSeries,
    LatencySeries,
    Link,
    ModelPage,
    QualityView,
    RegionRow,
    range_tabs,
)

LATENCY_WINDOW = timedelta(minutes=15)   # "now", as on the overview
MODEL_INCIDENTS = 10
VANTAGE_NOTE = "failing from this vantage point only"
_VERDICT_WORDS = {
    QualityVerdict.CORRECT: "ok",
    QualityVerdict.DEGRADED: "degraded",
    QualityVerdict.UNKNOWN: NO_DATA,
}


@dataclass(frozen=True, slots=True)
class ChartRange:
    span: timedelta
    resolution: Resolution
    bucket_label: str


RANGES: dict[str, ChartRange] = {
    "24h": ChartRange(timedelta(hours=24), Resolution.HOUR, "per hour"),
    "7d": ChartRange(timedelta(days=7), Resolution.HOUR, "per hour"),
    "30d": ChartRange(timedelta(days=30), Resolution.DAY, "per day"),
    "90d": ChartRange(timedelta(days=HISTORY_DAYS), Resolution.DAY, "per day"),
}


def range_key(requested: str | None) -> str:
    return requested if requested in RANGES else DEFAULT_RANGE


def model_page(data: SiteData, target_id: str, requested_range: str | None) -> ModelPage | None:
    """None when no enabled model has this id."""
    target = data.target(target_id)
    if target is None:
        return None
    provider = data.provider(target.provider)
    key = range_key(requested_range)
    return _ModelPage(data, target, provider).build(key)


class _ModelPage:
    def __init__(self, data: SiteData, target: Target, provider: ProviderInfo | None) -> None:
        self.data, self.target, self.provider = data, target, provider
        self.days = [r for r in data.day_totals() if r.target == target.id]
        self.recent = [r for r in data.recent_rollups() if r.target == target.id]
        self.incidents = data.incidents(target=target.id, since=data.history_start)

    def build(self, key: str) -> ModelPage:
        data, target = self.data, self.target
        chart = RANGES[key]
        start, end = _window(data.now, chart)
        rollups = self._range_rollups(chart, start, end)
        now_totals = Totals.of(since(self.recent, data.now - LATENCY_WINDOW))
        bar, uptime = uptime_bar(
            self.days, data.status_changes(target.id), data.statuses().get(target.id),
            self.incidents, data.history_start.date(), HISTORY_DAYS, data.now,
        )
        names = display_names(data.targets())
        simulated = simulated_targets(data.targets())
        return ModelPage(
            id=target.id,
            name=target.display_name,
            url=public_paths.model_page(target.id),
            provider=provider_link(self.provider) if self.provider else _bare(target),
            status=model_word(self.provider, data.statuses().get(target.id)),
            generated_at=data.now,
            ttft=_latency("Time to first token", rollups, chart, start, end, "ttft"),
            total=_latency("Total latency", rollups, chart, start, end, "total"),
            failures=_failures(rollups, chart, start, end),
            quality=self._quality(Totals.of(rollups, latency=False)),
            ttft_ms=now_totals.ttft.quantile(0.5),
            total_ms=now_totals.total.quantile(0.5),
            uptime_percent=uptime,
            uptime_days=bar,
            regions=self._regions(rollups),
            incidents=tuple(incident_summary(i, names, data.now, simulated)
                            for i in self.incidents[:MODEL_INCIDENTS]),
            simulated=target.simulated,
            missing_key=missing_key(self.provider),
            tabs=range_tabs(key),
        )

    def _range_rollups(self, chart: ChartRange, start: datetime, end: datetime) -> list[Rollup]:
        if chart.resolution is Resolution.DAY:  # per region, with their histograms
            return since(self.data.day_rollups(self.target.id), start)
        return self.data.rollups(start, end, chart.resolution, self.target.id)

    def _quality(self, in_range: Totals) -> QualityView:
        quality = judge_answers(
            in_range, self.days, self.data.now.date(), self.data.settings.status,
            in_quality_incident=in_quality_incident(self.target.id, self.incidents),
        )
        open_now = [i for i in self.incidents if i.is_open and i.updates]
        return QualityView(
            verdict=_VERDICT_WORDS[quality.verdict] if quality.answers else NO_DATA,
            pass_percent=percent(quality.pass_rate),
            baseline_percent=percent(quality.baseline_pass_rate),
            answers=quality.answers,
            explanation=open_now[0].updates[-1].text if open_now else None,
        )

    def _regions(self, rollups: Sequence[Rollup]) -> tuple[RegionRow, ...]:
        settings = self.data.settings.status
        in_range = by_region(rollups)
        recent = by_region(since(self.recent, self.data.now - LATENCY_WINDOW))
        latest = by_region(r for r in self.recent if probed(r))
        names = sorted(set(in_range) | set(recent))
        states = {name: region_status(Totals.of(recent.get(name, ()), latency=False), settings)
                  for name in names}
        rows = []
        for name in names:
            totals = Totals.of(in_range.get(name, ()))
            newest = latest.get(name) or [r for r in in_range.get(name, ()) if probed(r)]
            rows.append(RegionRow(
                region=name,
                status=states[name].value if states[name] else NO_DATA,
                probes=totals.probes,
                success_percent=percent(totals.counts[FailureClass.OK] / totals.probes
                                        if totals.probes else None),
                ttft_p50_ms=totals.ttft.quantile(0.5),
                total_p50_ms=totals.total.quantile(0.5),
                last_probe_at=max((r.bucket_start for r in newest), default=None),
                note=VANTAGE_NOTE if _alone(name, states) else None,
            ))
        return tuple(rows)


def _alone(region: str, states: dict[str, ComponentStatus | None]) -> bool:
    """Failing here while every other region that probed lately is fine."""
    mine = states[region]
    others = [s for name, s in states.items() if name != region and s is not None]
    return bool(mine and mine.affected and others and not any(s.affected for s in others))


def _window(now: datetime, chart: ChartRange) -> tuple[datetime, datetime]:
    end = bucket_start(now, chart.resolution) + chart.resolution.step
    return end - chart.span, end


def _buckets(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    count = int((end - start) / step)
    return [start + n * step for n in range(count)]


def _pooled(rollups: Sequence[Rollup]) -> dict[datetime, Totals]:
    pooled: dict[datetime, Totals] = {}
    for rollup in rollups:
        pooled.setdefault(rollup.bucket_start, Totals()).add(rollup)
    return pooled


def _latency(title: str, rollups: Sequence[Rollup], chart: ChartRange,
             start: datetime, end: datetime, phase: str) -> LatencySeries:
    """p50 and p95 per bucket, regions pooled; `phase` is "ttft" or "total"."""
    pooled = _pooled(rollups)
    points = []
    for at in _buckets(start, end, chart.resolution.step):
        totals = pooled.get(at)
        histogram = (totals.ttft if phase == "ttft" else totals.total) if totals else None
        points.append(ChartPoint(
            at,
            histogram.quantile(0.5) if histogram else None,
            histogram.quantile(0.95) if histogram else None,
        ))
    return LatencySeries(title, start, end, tuple(points))


def _failures(rollups: Sequence[Rollup], chart: ChartRange,
              start: datetime, end: datetime) -> FailureSeries:
    pooled = _pooled(rollups)
    # Every bucket, probed or not: the chart measures a bar's width from their spacing.
    buckets = tuple(
        FailureBucket(at, pooled[at].probes, pooled[at].failures()) if at in pooled
        else FailureBucket(at, 0, ())
        for at in _buckets(start, end, chart.resolution.step)
    )
    return FailureSeries(start, end, chart.bucket_label, buckets)


def _bare(target: Target) -> Link:
    return Link(target.provider, "/")
