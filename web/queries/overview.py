"""The overview page from one `SiteData`: seven store reads, whatever the number of models.

    providers, targets, current statuses     the sections, rows and status words
    the unsettled minute rollups             with the rollup caches (web/queries/rollup_cache.py):
                                             latency p50 and answers of the last 15
                                             minutes, the 90-day bars, answer baselines
    status changes, 90 days (all subjects)   each day's worst status
    public incidents touching the 90 days    active and recent cards, day links
    open incidents                           each model's story (web/queries/story.py)

Models sit in sections: their config `group` when they have one (the demo's
"Demo (simulated)" holds models of three simulated providers), else their
provider, linked to its page. A section's status is derived from its models'
stories, as a provider's is. Every row's status, note and answers are its story's.
A page of more than `LONG_PAGE_MODELS` folds its sections, except those holding a
model whose word is not operational (templates/index.html).

Rows carry every day's status (drawn as one SVG, web/render/day_strip.py); each day's
details (uptime, probes, failures, incident links) come on demand from `overview_days`,
built by the same `model_bar` so the strip and its days never disagree.

At 100 models a request would still rebuild 9,000 days of bars and merge 4,500
minute histograms; the app's caches keep what a request cannot change: each
model's days before today (`UptimeBars`, web/queries/uptime.py) and the sums of the
settled minutes of its latency window (`KeptTotals`, web/queries/parts.py).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from monitor.judging.incidents import Incident
from monitor.judging.quality import QualityVerdict
from monitor.judging.status import ComponentStatus, StatusChange, provider_status, worst
from monitor.rollups import Rollup
from monitor.store import ProviderInfo, Target
from web import public_paths
from web.queries.parts import (
    display_names,
    feed_links,
    incident_summary,
    missing_key,
    percent,
    provider_link,
    simulated_targets,
)
from web.queries.site_data import HISTORY_DAYS, SiteData
from web.queries.snapshots import NO_DATA, NOT_CONFIGURED
from web.queries.story import (
    ModelStory,
    days_by_target,
    hour_totals,
    now_totals,
    recent_by_target,
    stories,
    story_of,
)
from web.queries.uptime import uptime_span, with_now
from web.queries.viewmodels import (
    Banner,
    DaysFragment,
    IncidentSummary,
    ModelRow,
    OverviewPage,
    ProviderGroup,
    UptimeDay,
)

# "Now" on the overview: latency of the last 15 minutes (story.NOW_WINDOW).
RECENTLY_RESOLVED = timedelta(days=7)
RECENT_CARDS = 5
# Past this many models the page is long: groups fold unless a model in them is not
# operational, and a filter box finds a model (with JavaScript; without, every group
# still opens and every model's page holds all its details).
LONG_PAGE_MODELS = 20
_FINE = (ComponentStatus.OPERATIONAL.value, NO_DATA, NOT_CONFIGURED)


def overview(data: SiteData) -> OverviewPage:
    page = Overview(data)
    groups = page.sections()
    told = stories(data)
    judged = [s.status for s in told.values() if s.status is not None]
    # Probed lately or judged: a model with latencies on its card is never "not probed".
    probed = sum(
        1
        for t in data.targets()
        if told[t.id].word != NOT_CONFIGURED
        and (page.recent_rows.get(t.id) or told[t.id].status is not None)
    )
    banner = Banner(
        status=worst(judged).value if judged else NO_DATA,
        model_count=probed if judged else 0,
        affected_count=sum(1 for s in judged if s.affected),
        probed_count=probed,
    )
    active, recent = page.incident_cards()
    return OverviewPage(
        data.now,
        banner,
        groups,
        active,
        recent,
        feeds=feed_links(public_paths.site_feed),
        long=page.long,
    )


def overview_days(data: SiteData, target_id: str) -> DaysFragment | None:
    """One model's days as its overview row draws them (the same `model_bar`), with
    every day's details; None for a model that is not on the overview or has no bar."""
    target = data.target(target_id)
    provider = data.provider(target.provider) if target is not None else None
    if target is None or provider is None or not provider.configured:
        return None
    days = model_bar(
        data,
        target,
        days_by_target(data).get(target.id, []),
        data.status_changes(target.id),
        data.incidents(target=target.id, since=data.history_start),
    )[0]
    # Short and unique on the page, whichever rows' days are open at once.
    prefix = "d" + hashlib.blake2s(target.id.encode(), digest_size=4).hexdigest()
    return DaysFragment(target.display_name, prefix, days) if days else None


def model_bar(
    data: SiteData,
    target: Target,
    days: Sequence[Rollup],
    changes: Sequence[StatusChange],
    touching: Sequence[Incident],
) -> tuple[tuple[UptimeDay, ...], float | None]:
    """A model's 90 days and its uptime, today no better than its story's word now."""
    bar, uptime = data.caches.bars.bar(
        target.id,
        days,
        changes,
        data.statuses().get(target.id),
        touching,
        data.history_start.date(),
        HISTORY_DAYS,
        data.now,
        data.settings.status,
    )
    return with_now(bar, story_of(data, target.id).status, data.now.date()), uptime


class Overview:
    """The reads of one overview, grouped by model once."""

    def __init__(self, data: SiteData) -> None:
        self.data = data
        targets = data.targets()
        self.names = display_names(targets)
        self.simulated = simulated_targets(targets)
        self.recent_rows = recent_by_target(data)
        self.stories = stories(data)
        self.providers = {p.id: p for p in data.providers()}
        self.days = days_by_target(data)
        self.changes: dict[str, list[StatusChange]] = defaultdict(list)
        for change in data.status_changes():
            self.changes[change.subject].append(change)
        self.incidents = data.incidents(since=data.history_start)
        self.touching: dict[str, list[Incident]] = defaultdict(list)
        for incident in self.incidents:
            for model in dict.fromkeys(incident.models):
                self.touching[model].append(incident)
        self.long = len(targets) > LONG_PAGE_MODELS

    def sections(self) -> tuple[ProviderGroup, ...]:
        """Config groups and providers, in the order the config first names them."""
        placed: dict[tuple[str, str], list[Target]] = {}
        for provider in self.data.providers():
            for target in self.data.targets():
                if target.provider == provider.id:
                    key = ("group", target.group) if target.group else ("provider", provider.id)
                    placed.setdefault(key, []).append(target)
        return tuple(self.section(kind, name, targets) for (kind, name), targets in placed.items())

    def section(self, kind: str, name: str, targets: list[Target]) -> ProviderGroup:
        providers = [self.providers[t.provider] for t in targets]
        grouped = kind == "group"
        rows = tuple(
            self.row(t, p, show_provider=grouped) for t, p in zip(targets, providers, strict=True)
        )
        keys = {missing_key(p) for p in providers}
        key = keys.pop() if len(keys) == 1 else None
        told = [self.stories[t.id] for t in targets]
        return ProviderGroup(
            name=name if grouped else providers[0].display_name,
            status=_section_word(told),
            models=rows,
            simulated=all(p.simulated for p in providers),
            missing_key=key,
            url=None if grouped else public_paths.provider_page(name),
            open=not self.long or any(s.word not in _FINE for s in told),
        )

    def row(self, target: Target, provider: ProviderInfo, *, show_provider: bool) -> ModelRow:
        data = self.data
        recent = now_totals(data, target.id)
        days = self.days.get(target.id, [])
        touching = self.touching.get(target.id, [])
        bar, uptime = (
            model_bar(
                data,
                target,
                days,
                self.changes.get(target.id, []),
                touching,
            )
            if provider.configured
            else ((), None)
        )
        story = self.stories[target.id]
        hour = hour_totals(data, target.id)
        return ModelRow(
            id=target.id,
            name=target.display_name,
            url=public_paths.model_page(target.id),
            status=story.word,
            ttft_ms=recent.ttft.quantile(0.5),
            total_ms=recent.total.quantile(0.5),
            answers_ok=_answers_ok(story),
            answers_pass_percent=(
                percent(hour.pass_rate) if _answers_ok(story) is not None else None
            ),
            uptime_percent=uptime,
            uptime_days=bar,
            simulated=target.simulated,
            status_note=story.note,
            answers=hour.answers_checked,
            uptime_span=uptime_span(bar, data.now.date()),
            provider=provider_link(provider) if show_provider else None,
            days_url=public_paths.model_days(target.id) if bar else None,
        )

    def incident_cards(self) -> tuple[tuple[IncidentSummary, ...], tuple[IncidentSummary, ...]]:
        now = self.data.now
        active = [i for i in self.incidents if i.is_open]
        resolved = [
            i
            for i in self.incidents
            if i.resolved_at is not None and i.resolved_at >= now - RECENTLY_RESOLVED
        ]
        resolved.sort(key=lambda i: (i.resolved_at, i.id), reverse=True)
        cards = [incident_summary(i, self.names, now, self.simulated) for i in active]
        recent = [
            incident_summary(i, self.names, now, self.simulated) for i in resolved[:RECENT_CARDS]
        ]
        return tuple(cards), tuple(recent)


def _answers_ok(story: ModelStory) -> bool | None:
    """Correct or wrong only where the verdict is known; None: not judged (too few)."""
    if story.quality is QualityVerdict.UNKNOWN:
        return None
    return story.quality is QualityVerdict.CORRECT


def _section_word(told: list[ModelStory]) -> str:
    """A section's word, derived from its models' stories as a provider's is."""
    if told and all(s.word == NOT_CONFIGURED for s in told):
        return NOT_CONFIGURED
    judged = [s.status for s in told if s.status is not None]
    return provider_status(judged).status.value if judged else NO_DATA
