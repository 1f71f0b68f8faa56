"""The `SiteSnapshot` behind feeds, `/api/*`, badges and `/metrics`, from one `SiteData`.

Reads (whatever the number of models): providers, targets, current statuses,
the last hour of minute rollups and the day totals (the answer baselines: the
last `BASELINE_DAYS`), both through the app's rollup caches, and two incident
lists (the 50 newest, and every open one, so an old incident still open is
never missed).

"Last hour" means the minute buckets from the start of the minute an hour ago
up to now, so 60 to 61 minutes of probes; `last_probe_at` is the start of the
newest minute with a probe. A region's status is its own failed probes of the
last 15 minutes (`story.region_verdicts`), a hint of where a failure is seen
from, by the same test as the model's own errors and never worse than the model
(web/queries/story.py). Every model carries its story, so every document shows the
status the pages show. `first_seen_at` is not read (no cheap query has it), so
Statuspage's `created_at` is the status change's time.

`/metrics` counts probes from today's day rollups: counters restart at UTC
midnight, which Prometheus reads as a counter reset (rate() and increase()
stay right), and a scrape never reads more than one day of rollups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from monitor.judging.incidents import Incident
from monitor.rollups import Resolution, Rollup, bucket_start
from monitor.store import Target
from web.queries.parts import (
    Totals,
    by_region,
    by_target,
    in_quality_incident,
    judge_answers,
    judge_form,
    probed,
    since,
)
from web.queries.site_data import SiteData
from web.queries.snapshots import (
    Latency,
    ModelSnapshot,
    ProviderSnapshot,
    RegionState,
    SiteSnapshot,
)
from web.queries.story import NOW_WINDOW, ModelStory, baselines, region_verdicts, story_of

INCIDENT_LIMIT = 50
REGION_WINDOW = NOW_WINDOW


def site_snapshot(
    data: SiteData,
    *,
    detail: bool = False,
    include_private: bool = False,
    target: str | None = None,
) -> SiteSnapshot:
    """Every enabled model, and the incidents the documents need.

    Statuses and incidents only, unless `detail`: the last hour's probes, latency,
    answer quality and regions too (what `/api/v1/models` shows; Statuspage's
    documents, the incident lists and `/metrics` need none of it). `target` adds that
    model's own newest incidents (its API document lists 20)."""
    incidents = _incidents(data, include_private, target)
    recent: dict[str, list[Rollup]] = {}
    days: dict[str, list[Rollup]] = {}
    if detail:
        recent = by_target(data.recent_rollups())
        days = baselines(data)
    providers = []
    for provider in data.providers():
        models = tuple(
            _model(data, t, recent.get(t.id, []), days.get(t.id, []), incidents)
            if detail
            else _bare_model(data, t)
            for t in data.targets()
            if t.provider == provider.id
        )
        providers.append(ProviderSnapshot(provider, models))
    return SiteSnapshot(data.settings.site, data.now, tuple(providers), incidents)


def metric_rollups(data: SiteData) -> list[Rollup]:
    """Today's day rollups, per region: the probe counters of `/metrics`. Only the models
    the site shows: a model removed from the config (its page and API answer 404) kept its
    counters, exported until midnight, as if it were still monitored."""
    today = bucket_start(data.now, Resolution.DAY)
    shown = {t.id for t in data.targets()}
    return [
        r
        for r in data.rollups(today, today + timedelta(days=1), Resolution.DAY)
        if r.target in shown
    ]


def _incidents(data: SiteData, include_private: bool, target: str | None) -> tuple[Incident, ...]:
    chosen = [
        *data.incidents(limit=INCIDENT_LIMIT, include_private=include_private),
        *data.incidents(open_only=True, include_private=include_private),
    ]
    if target is not None:
        chosen += data.incidents(target=target, limit=INCIDENT_LIMIT)
    unique = {i.id: i for i in chosen}
    return tuple(sorted(unique.values(), key=lambda i: (i.started_at, i.id), reverse=True))


def _bare_model(data: SiteData, target: Target) -> ModelSnapshot:
    change = data.statuses().get(target.id)
    return ModelSnapshot(
        target,
        change.status if change else None,
        status_since=change.at if change else None,
        story=story_of(data, target.id),
    )


def _model(
    data: SiteData,
    target: Target,
    recent: Sequence[Rollup],
    baseline: Sequence[Rollup],
    incidents: Sequence[Incident],
) -> ModelSnapshot:
    change = data.statuses().get(target.id)
    hour = Totals.of(recent)
    quality = judge_answers(
        hour,
        baseline,
        data.now.date(),
        data.settings.status,
        in_quality_incident=in_quality_incident(target.id, incidents),
    )
    newest = [r for r in recent if probed(r)]
    story = story_of(data, target.id)
    quality = replace(quality, verdict=story.quality)  # the verdict the pages show
    today = bucket_start(data.now, Resolution.DAY)
    form = judge_form(
        Totals.of(since(baseline, today), latency=False),
        baseline,
        data.now.date(),
        data.settings.status,
    )
    return ModelSnapshot(
        target=target,
        status=change.status if change else None,
        status_since=change.at if change else None,
        last_probe_at=max((r.bucket_start for r in newest), default=None),
        failures_last_hour=hour.by_class(),
        ttft=Latency.of(hour.ttft),
        total=Latency.of(hour.total),
        quality=quality,
        form=form,
        regions=_regions(data, recent, baseline, story),
        story=story,
    )


def _regions(
    data: SiteData,
    recent: Sequence[Rollup],
    baseline: Sequence[Rollup],
    story: ModelStory,
) -> tuple[RegionState, ...]:
    states = []
    lately = data.now - REGION_WINDOW
    grouped = by_region(recent)
    verdicts = region_verdicts(
        {
            region: Totals.of(since(rollups, lately), latency=False)
            for region, rollups in grouped.items()
        },
        baseline,
        data.now.date(),
        data.settings.status,
        story,
    )
    for region, rollups in grouped.items():
        hour = Totals.of(rollups, latency=False)
        newest = [r for r in rollups if probed(r)]
        states.append(
            RegionState(
                region=region,
                status=verdicts[region].status,
                probes=hour.probes,
                failures=hour.failed,
                last_probe_at=max((r.bucket_start for r in newest), default=None),
            )
        )
    return tuple(states)
