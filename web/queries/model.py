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
unknown range shows the default. Charts end now: the newest bucket is the
current, partial one.

The pill, its note, "Answers correct", the answer card's verdict and the
region rows all come from the model's story (web/queries/story.py), so they
are the status and advice `/api/v1` gives. A baseline is shown only when the
model has answers before today: a prior is not an observation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.judging.quality import QualityVerdict
from monitor.results import FailureClass
from monitor.rollups import Resolution, Rollup, bucket_start
from monitor.store import ProviderInfo, Target
from web import public_paths
from web.queries.parts import (
    Totals,
    by_region,
    display_names,
    feed_links,
    in_quality_incident,
    incident_summary,
    judge_answers,
    judge_form,
    missing_key,
    percent,
    probed,
    provider_link,
    simulated_targets,
    since,
)
from web.queries.site_data import HISTORY_DAYS, SiteData
from web.queries.snapshots import NO_DATA
from web.queries.story import NOW_WINDOW, hour_totals, region_verdicts, story_of
from web.queries.uptime import uptime_bar, uptime_span, with_now
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

LATENCY_WINDOW = NOW_WINDOW  # "now", as on the overview
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
        self.story = story_of(data, target.id)

    def build(self, key: str) -> ModelPage:
        data, target = self.data, self.target
        chart = RANGES[key]
        start, end = _window(data.now, chart)
        rollups = self._range_rollups(chart, start, end)
        now_totals = Totals.of(since(self.recent, data.now - LATENCY_WINDOW))
        bar, uptime = uptime_bar(
            self.days,
            data.status_changes(target.id),
            data.statuses().get(target.id),
            self.incidents,
            data.history_start.date(),
            HISTORY_DAYS,
            data.now,
            data.settings.status,
        )
        bar = with_now(bar, self.story.status, data.now.date())
        hour = hour_totals(data, target.id)
        answers = Totals.of(rollups, latency=False)  # the range's, for the answers card
        known = self.story.quality is not QualityVerdict.UNKNOWN
        names = display_names(data.targets())
        simulated = simulated_targets(data.targets())
        return ModelPage(
            id=target.id,
            name=target.display_name,
            url=public_paths.model_page(target.id),
            provider=provider_link(self.provider) if self.provider else _bare(target),
            status=self.story.word,
            generated_at=data.now,
            ttft=_latency("Time to first token", rollups, chart, start, end, "ttft"),
            total=_latency("Total latency", rollups, chart, start, end, "total"),
            failures=_failures(rollups, chart, start, end),
            quality=self._quality(answers),
            form=self._form(answers),
            ttft_ms=now_totals.ttft.quantile(0.5),
            total_ms=now_totals.total.quantile(0.5),
            uptime_percent=uptime,
            uptime_days=bar,
            regions=self._regions(rollups),
            incidents=tuple(
                incident_summary(i, names, data.now, simulated)
                for i in self.incidents[:MODEL_INCIDENTS]
            ),
            simulated=target.simulated,
            missing_key=missing_key(self.provider),
            tabs=range_tabs(key),
            status_note=self.story.note,
            uptime_span=uptime_span(bar, data.now.date()),
            answers_percent=percent(hour.pass_rate) if known else None,
            answers_count=hour.answers_checked,
            feeds=feed_links(lambda kind: public_paths.model_feed(target.id, kind)),
        )

    def _range_rollups(self, chart: ChartRange, start: datetime, end: datetime) -> list[Rollup]:
        if chart.resolution is Resolution.DAY:  # per region, with their histograms
            return since(self.data.day_rollups(self.target.id), start)
        return self.data.rollups(start, end, chart.resolution, self.target.id)

    def _quality(self, in_range: Totals) -> QualityView:
        quality = judge_answers(
            in_range,
            self.days,
            self.data.now.date(),
            self.data.settings.status,
            in_quality_incident=in_quality_incident(self.target.id, self.incidents),
        )
        open_now = [i for i in self.incidents if i.is_open and i.updates]
        return QualityView(
            verdict=_VERDICT_WORDS[self.story.quality],  # now, as the pill and the API say
            pass_percent=percent(quality.pass_rate),
            baseline_percent=percent(quality.observed_baseline),
            answers=quality.answers,
            explanation=open_now[0].updates[-1].text if open_now else None,
        )

    def _form(self, in_range: Totals) -> QualityView:
        """The exact-form item's pass rate in the range against its own baseline, and its
        verdict over the same range: no incident and no status stands for it."""
        form = judge_form(in_range, self.days, self.data.now.date(), self.data.settings.status)
        return QualityView(
            verdict=_VERDICT_WORDS[form.verdict],
            pass_percent=percent(form.pass_rate),
            baseline_percent=percent(form.observed_baseline),
            answers=form.answers,
        )

    def _regions(self, rollups: Sequence[Rollup]) -> tuple[RegionRow, ...]:
        in_range = by_region(rollups)
        recent = by_region(since(self.recent, self.data.now - LATENCY_WINDOW))
        latest = by_region(r for r in self.recent if probed(r))
        names = sorted(set(in_range) | set(recent))
        verdicts = region_verdicts(
            {name: Totals.of(recent.get(name, ()), latency=False) for name in names},
            self.days,
            self.data.now.date(),
            self.data.settings.status,
            self.story,
        )
        states = {name: verdicts[name].status for name in names}
        rows = []
        for name in names:
            totals = Totals.of(in_range.get(name, ()))
            newest = latest.get(name) or [r for r in in_range.get(name, ()) if probed(r)]
            rows.append(
                RegionRow(
                    region=name,
                    status=states[name].value if states[name] else NO_DATA,
                    probes=totals.probes,
                    success_percent=percent(
                        totals.counts[FailureClass.OK] / totals.probes if totals.probes else None
                    ),
                    ttft_p50_ms=totals.ttft.quantile(0.5),
                    total_p50_ms=totals.total.quantile(0.5),
                    last_probe_at=max((r.bucket_start for r in newest), default=None),
                    note=VANTAGE_NOTE if verdicts[name].alone else None,
                )
            )
        return tuple(rows)


def _window(now: datetime, chart: ChartRange) -> tuple[datetime, datetime]:
    """From the start of the oldest bucket to now: the newest bucket is the current,
    partial one, and the axis never runs into the future."""
    end = bucket_start(now, chart.resolution) + chart.resolution.step
    return end - chart.span, now


def _buckets(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """Every bucket starting in start..end, the partial current one included."""
    count = -int(-(end - start) // step)  # rounded up
    return [start + n * step for n in range(count)]


def _pooled(rollups: Sequence[Rollup]) -> dict[datetime, Totals]:
    pooled: dict[datetime, Totals] = {}
    for rollup in rollups:
        pooled.setdefault(rollup.bucket_start, Totals()).add(rollup)
    return pooled


def _latency(
    title: str,
    rollups: Sequence[Rollup],
    chart: ChartRange,
    start: datetime,
    end: datetime,
    phase: str,
) -> LatencySeries:
    """p50 and p95 per bucket, regions pooled; `phase` is "ttft" or "total"."""
    pooled = _pooled(rollups)
    points = []
    for at in _buckets(start, end, chart.resolution.step):
        totals = pooled.get(at)
        histogram = (totals.ttft if phase == "ttft" else totals.total) if totals else None
        points.append(
            ChartPoint(
                at,
                histogram.quantile(0.5) if histogram else None,
                histogram.quantile(0.95) if histogram else None,
            )
        )
    return LatencySeries(title, start, end, tuple(points))


def _failures(
    rollups: Sequence[Rollup], chart: ChartRange, start: datetime, end: datetime
) -> FailureSeries:
    pooled = _pooled(rollups)
    # Every bucket, probed or not: the chart measures a bar's width from their spacing.
    buckets = tuple(
        FailureBucket(at, pooled[at].probes, pooled[at].failures())
        if at in pooled
        else FailureBucket(at, 0, ())
        for at in _buckets(start, end, chart.resolution.step)
    )
    return FailureSeries(start, end, chart.bucket_label, buckets)


def _bare(target: Target) -> Link:
    return Link(target.provider, "/")
