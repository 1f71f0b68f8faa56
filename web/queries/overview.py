"""The overview page from one `SiteData`: six store reads, whatever the number of models.

    providers, targets, current statuses     the groups, rows and status words
    the unsettled minute rollups             with the rollup caches (web/queries/rollup_cache.py):
                                             latency p50 and answers of the last 15
                                             minutes, the 90-day bars, answer baselines
    status changes, 90 days (all subjects)   each day's worst status
    public incidents touching the 90 days    active and recent cards, day links

At 100 models a request would still rebuild 9,000 days of bars and merge 4,500
minute histograms; the app's caches keep what a request cannot change: each
model's days before today (`UptimeBars`, web/queries/uptime.py) and the sums of the
settled minutes of its latency window (`KeptTotals`, web/queries/parts.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from monitor.judging.incidents import Incident
from monitor.judging.quality import QualityVerdict
from monitor.judging.status import StatusChange, worst
from monitor.rollups import Rollup
from monitor.store import ProviderInfo, Target
from web import public_paths
from web.queries.parts import (
    Totals,
    by_target,
    display_names,
    group_word,
    in_quality_incident,
    incident_summary,
    judge_answers,
    missing_key,
    model_word,
    percent,
    simulated_targets,
    since,
)
from web.queries.site_data import HISTORY_DAYS, SiteData
from web.queries.snapshots import NO_DATA
from web.queries.viewmodels import Banner, IncidentSummary, ModelRow, OverviewPage, ProviderGroup

# "Now" on the overview: latency and answers of the last 15 minutes.
LATENCY_WINDOW = timedelta(minutes=15)
RECENTLY_RESOLVED = timedelta(days=7)
RECENT_CARDS = 5


def overview(data: SiteData) -> OverviewPage:
    page = _Overview(data)
    groups = tuple(page.group(p) for p in data.providers())
    judged = [
        data.statuses()[row.id].status
        for group in groups if not group.missing_key for row in group.models
        if row.id in data.statuses()
    ]
    banner = Banner(
        status=worst(judged).value if judged else NO_DATA,
        model_count=len(judged),
        affected_count=sum(1 for s in judged if s.affected),
    )
    active, recent = page.incident_cards()
    return OverviewPage(data.now, banner, groups, active, recent)


class _Overview:
    """The reads of one overview, grouped by model once."""

    def __init__(self, data: SiteData) -> None:
        self.data = data
        targets = data.targets()
        self.names = display_names(targets)
        self.simulated = simulated_targets(targets)
        self.recent = by_target(since(data.recent_rollups(), data.now - LATENCY_WINDOW))
        self.days = by_target(data.day_totals())
        self.changes: dict[str, list[StatusChange]] = defaultdict(list)
        for change in data.status_changes():
            self.changes[change.subject].append(change)
        self.incidents = data.incidents(since=data.history_start)
        self.touching: dict[str, list[Incident]] = defaultdict(list)
        for incident in self.incidents:
            for model in dict.fromkeys(incident.models):
                self.touching[model].append(incident)
        self.first_day = data.history_start.date()

    def group(self, provider: ProviderInfo) -> ProviderGroup:
        targets = [t for t in self.data.targets() if t.provider == provider.id]
        statuses = self.data.statuses()
        rows = tuple(self.row(t, provider) for t in targets)
        return ProviderGroup(
            name=provider.display_name,
            status=group_word(provider, (statuses[t.id].status for t in targets
                                         if t.id in statuses)),
            models=rows,
            simulated=provider.simulated,
            missing_key=missing_key(provider),
        )

    def row(self, target: Target, provider: ProviderInfo) -> ModelRow:
        data = self.data
        recent = data.caches.recent_totals.of(target.id, self.recent.get(target.id, []))
        days = self.days.get(target.id, [])
        touching = self.touching.get(target.id, [])
        bar, uptime = data.caches.bars.bar(
            target.id, days, self.changes.get(target.id, []), data.statuses().get(target.id),
            touching, self.first_day, HISTORY_DAYS, data.now,
        ) if provider.configured else ((), None)
        return ModelRow(
            id=target.id,
            name=target.display_name,
            url=public_paths.model_page(target.id),
            status=model_word(provider, data.statuses().get(target.id)),
            ttft_ms=recent.ttft.quantile(0.5),
            total_ms=recent.total.quantile(0.5),
            answers_ok=self._answers_ok(target, recent, days, touching),
            answers_pass_percent=percent(recent.pass_rate),
            uptime_percent=uptime,
            uptime_days=bar,
            simulated=target.simulated,
        )

    def _answers_ok(self, target: Target, recent: Totals, days: Sequence[Rollup],
                    touching: Sequence[Incident]) -> bool | None:
        if not recent.answers_checked:
            return None
        quality = judge_answers(
            recent, days, self.data.now.date(), self.data.settings.status,
            in_quality_incident=in_quality_incident(target.id, touching),
        )
        return quality.verdict is not QualityVerdict.DEGRADED

    def incident_cards(self) -> tuple[tuple[IncidentSummary, ...], tuple[IncidentSummary, ...]]:
        now = self.data.now
        active = [i for i in self.incidents if i.is_open]
        resolved = [i for i in self.incidents if i.resolved_at is not None
                    and i.resolved_at >= now - RECENTLY_RESOLVED]
        resolved.sort(key=lambda i: (i.resolved_at, i.id), reverse=True)
        cards = [incident_summary(i, self.names, now, self.simulated) for i in active]
        recent = [incident_summary(i, self.names, now, self.simulated)
                  for i in resolved[:RECENT_CARDS]]
        return tuple(cards), tuple(recent)
