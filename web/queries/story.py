"""One story per model: the status word, its note and the advice every surface shows.

    the engine's status (StatusChange) ──┐
    last 15 minutes' errors, pooled ─────┼──► ModelStory ──► overview row, model page (pill,
    the answer verdict (parts.judge_answers)┘                  answers card, region rows),
                                                                provider page, /api/v1 status
                                                                and recommendation, Statuspage
                                                                components, badges

The engine's status is the verdict. The site never contradicts its own numbers,
though: while the engine still weighs the evidence (a young model, a fault a few
minutes old), errors that are already significant against the model's baseline
show as `degraded_performance` with a note ("elevated errors, confirming"), never
as "Operational" beside a failure rate. The site never raises a model further
than that on its own: outages are the engine's to call.

"Significant", and whether to use or avoid the model, are judging's one rule
(monitor/judging/advice.py), which notifications ask too. The baseline is the model's share of
failed probes on its `BASELINE_DAYS` days before today, with the engine's prior;
a baseline with no history behind it is the prior, and is never quoted as the
model's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from monitor.config import StatusSettings
from monitor.judging.advice import (
    RECENT_WINDOW,
    USE,
    Errors,
    advise,
    errors_level,
    recent_since,
)
from monitor.judging.quality import QualityVerdict
from monitor.judging.status import ComponentStatus
from monitor.rollups import Resolution, Rollup, bucket_start
from monitor.store import ProviderInfo, Target
from web.queries.parts import (
    BASELINE_DAYS,
    Totals,
    by_region,
    by_target,
    in_quality_incident,
    judge_answers,
    since,
)
from web.queries.snapshots import NO_DATA, NOT_CONFIGURED

if TYPE_CHECKING:  # site_data -> rollup_cache -> uptime import this module
    from web.queries.site_data import SiteData

# What every page calls "now": latency, answers, errors and regions of the last 15 minutes.
NOW_WINDOW = RECENT_WINDOW
NOW_WORDS = "in the last 15 minutes"


def evidence(
    window: Totals,
    baseline_days: Sequence[Rollup],
    today: date,
    settings: StatusSettings,
) -> Errors:
    """`window`'s failures against the model's days before `today` (day rollups)."""
    end = datetime(today.year, today.month, today.day, tzinfo=UTC)
    start = end - timedelta(days=BASELINE_DAYS)
    earlier = Totals.of([d for d in baseline_days if start <= d.bucket_start < end], latency=False)
    weight = settings.prior_weight
    baseline = (earlier.down + settings.prior_failure_rate * weight) / (
        earlier.up + earlier.down + weight
    )
    return Errors(window.up + window.down, window.down, baseline, earlier.up + earlier.down)


@dataclass(frozen=True, slots=True)
class ModelStory:
    """What every surface says about one model now."""

    word: str  # a component status, no_data or not_configured
    engine: ComponentStatus | None = None  # the engine's status; None: not judged yet
    errors: ComponentStatus | None = None  # errors_level of the last 15 minutes
    quality: QualityVerdict = QualityVerdict.UNKNOWN
    note: str | None = None  # why the word is not the engine's, or what waits
    probes: int = 0  # in the last 15 minutes
    failed: int = 0

    @property
    def confirming(self) -> bool:
        """Shown as affected on evidence the engine has not confirmed yet."""
        return self.word == ComponentStatus.DEGRADED_PERFORMANCE.value and not (
            self.engine is not None and self.engine.affected
        )

    @property
    def status(self) -> ComponentStatus | None:
        """The word as a component status; None for no_data and not_configured."""
        return None if self.word in (NO_DATA, NOT_CONFIGURED) else ComponentStatus(self.word)

    def advice(self) -> tuple[str, list[str]]:
        """`use` or `avoid`, and the words behind an `avoid` (web/api/v1.py)."""
        if self.word == NOT_CONFIGURED:
            return USE, []
        return advise(self.engine, self.errors, self.quality is QualityVerdict.DEGRADED)


def tell(
    provider: ProviderInfo | None,
    engine: ComponentStatus | None,
    seen: Errors | None,
    quality: QualityVerdict,
    settings: StatusSettings,
    *,
    confined: bool = False,
    words: str = NOW_WORDS,
) -> ModelStory:
    """The one story of a model (module docstring); `seen` is its last 15 minutes (`words`
    name the window), pooled over regions; `confined`: its errors come from fewer than
    half of the regions that probed it lately, which is our network until the engine says
    otherwise."""
    if provider is not None and not provider.configured:
        return ModelStory(NOT_CONFIGURED, engine, quality=quality)
    errors = seen_level(seen, settings) if seen is not None else None
    if confined and errors is not None and errors.affected:
        errors = ComponentStatus.OPERATIONAL
    probes, failed = (seen.probes, seen.failed) if seen is not None else (0, 0)
    story = ModelStory(
        engine.value if engine else NO_DATA, engine, errors, quality, None, probes, failed
    )
    if engine is not None and engine is not ComponentStatus.OPERATIONAL:
        return story  # the engine already says something is wrong (or planned)
    degraded = ComponentStatus.DEGRADED_PERFORMANCE.value
    if errors is not None and errors.affected:
        note = f"Elevated errors: {failed} of {probes} probes failed {words}; confirming"
        return _with(story, degraded, note)
    if quality is QualityVerdict.DEGRADED:
        return _with(story, degraded, "More wrong answers than usual in the last hour; confirming")
    if engine is None and probes:
        return _with(story, NO_DATA, "Probed; its first verdict comes within a few minutes")
    return story


def seen_level(seen: Errors, settings: StatusSettings) -> ComponentStatus | None:
    """`errors_level`, except that most of a few probes failing is never "operational":
    too few to be significant (a fresh install's first minutes, the minutes after a
    recovery), but a page must not say "Operational" beside "2 of 2 failed". At most
    degraded: the engine, and the advice, wait for significance."""
    level = errors_level(seen, settings)
    if level is ComponentStatus.OPERATIONAL and seen.failed >= 2 and 2 * seen.failed > seen.probes:
        return ComponentStatus.DEGRADED_PERFORMANCE
    return level


def capped(level: ComponentStatus | None, story: ModelStory) -> ComponentStatus | None:
    """A part of the model (a region, a day) never looks worse than the model's own word."""
    ceiling = story.status
    if level is None or ceiling is None or level.severity <= ceiling.severity:
        return level
    return ceiling


def _with(story: ModelStory, word: str, note: str) -> ModelStory:
    return ModelStory(
        word, story.engine, story.errors, story.quality, note, story.probes, story.failed
    )


# -- every model's story, once per request ---------------------------------------------------


def stories(data: SiteData) -> dict[str, ModelStory]:
    """Every enabled model's story, each built once per `SiteData` (one request)."""
    return {t.id: story_of(data, t.id) for t in data.targets()}


def story_of(data: SiteData, target_id: str) -> ModelStory:
    """One model's story (a model page reads only its own)."""
    target = data.target(target_id)
    if target is None:
        return ModelStory(NO_DATA)
    return data.once(("story", target_id), lambda: _story(data, target))


def recent_by_target(data: SiteData) -> dict[str, list[Rollup]]:
    """Each model's minute rollups of the last hour, per region."""
    return data.once("recent by target", lambda: by_target(data.recent_rollups()))


def hour_totals(data: SiteData, target: str) -> Totals:
    """A model's last hour of answers (counts only): the window its answer verdict is judged
    over (15 minutes at one probe a minute is too few answers to judge). Summed through the
    app's caches, once per request: only minutes new since the last request are added."""
    return data.once(
        ("hour totals", target),
        lambda: data.caches.hour_totals.of(target, recent_by_target(data).get(target, [])),
    )


def now_by_target(data: SiteData) -> dict[str, list[Rollup]]:
    """Each model's minute rollups of the last 15 minutes ("now" on every page)."""
    start = data.now - NOW_WINDOW
    return data.once(
        "now by target",
        lambda: {
            target: since(rollups, start) for target, rollups in recent_by_target(data).items()
        },
    )


def now_totals(data: SiteData, target: str) -> Totals:
    """A model's last 15 minutes summed, latency included, through the app's caches; once
    per request (a second `KeptTotals.of` would keep this request's fresh minutes in its
    head, and the next request would start the sum over)."""
    return data.once(
        ("now totals", target),
        lambda: data.caches.recent_totals.of(target, now_by_target(data).get(target, [])),
    )


def days_by_target(data: SiteData) -> dict[str, list[Rollup]]:
    """Each model's day totals of the 90-day window."""
    return data.once("days by target", lambda: by_target(data.day_totals()))


def baselines(data: SiteData) -> dict[str, list[Rollup]]:
    """Each model's day rollups of its baseline days (and today)."""
    first = bucket_start(data.now, Resolution.DAY) - timedelta(days=BASELINE_DAYS)
    return data.once(
        "baselines",
        lambda: {target: since(days, first) for target, days in days_by_target(data).items()},
    )


def _story(data: SiteData, target: Target) -> ModelStory:
    settings, today = data.settings.status, data.now.date()
    baseline = baselines(data).get(target.id, [])
    now = now_totals(data, target.id)
    open_incidents = data.incidents(open_only=True)
    quality = judge_answers(
        hour_totals(data, target.id),
        baseline,
        today,
        settings,
        in_quality_incident=in_quality_incident(target.id, open_incidents),
    ).verdict
    if not now.answers_checked and quality is QualityVerdict.CORRECT:
        # No answer came back lately (an outage): the hour's earlier answers say
        # nothing about now, as the incident's own wording says.
        quality = QualityVerdict.UNKNOWN
    change = data.statuses().get(target.id)
    recent, words = now_by_target(data).get(target.id, []), NOW_WORDS
    if (start := recent_since(data.now, change)) > data.now - NOW_WINDOW:
        recent = since(recent, start)  # back to operational lately: only what came since
        now, words = Totals.of(recent), f"since it was back to normal at {start:%H:%M} UTC"
    seen = evidence(now, baseline, today, settings)
    confined = False
    if (level := seen_level(seen, settings)) is not None and level.affected:
        confined = _confined(recent, baseline, today, settings)
    return tell(
        data.provider(target.provider),
        change.status if change else None,
        seen,
        quality,
        settings,
        confined=confined,
        words=words,
    )


def _confined(
    recent: Sequence[Rollup],
    baseline: Sequence[Rollup],
    today: date,
    settings: StatusSettings,
) -> bool:
    """Fewer than half of the regions that probed lately see significant errors."""
    levels = [
        seen_level(evidence(Totals.of(rollups, latency=False), baseline, today, settings), settings)
        for rollups in by_region(recent).values()
    ]
    failing = sum(1 for level in levels if level is not None and level.affected)
    return 2 * failing < len(levels)


@dataclass(frozen=True, slots=True)
class RegionVerdict:
    status: ComponentStatus | None  # None: no probes from here lately
    alone: bool = False  # failing here while every other region is fine


def region_verdicts(
    windows: Mapping[str, Totals],
    baseline_days: Sequence[Rollup],
    today: date,
    settings: StatusSettings,
    story: ModelStory,
) -> dict[str, RegionVerdict]:
    """Each vantage point's last 15 minutes by the same test as the model's own errors.

    A region never reads worse than the model's word (a one-region install shows the
    same level twice), except where it alone fails: that is our network, and the model
    stays operational."""
    levels = {
        region: seen_level(evidence(totals, baseline_days, today, settings), settings)
        for region, totals in windows.items()
    }
    verdicts = {}
    for region, level in levels.items():
        others = [s for name, s in levels.items() if name != region and s is not None]
        alone = bool(level and level.affected and others and not any(s.affected for s in others))
        verdicts[region] = RegionVerdict(level if alone else capped(level, story), alone)
    return verdicts
