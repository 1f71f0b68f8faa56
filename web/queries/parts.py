"""Pieces every page builder shares: links, sums of rollups, the answer verdict,
incident summaries. Pure functions over what `SiteData` read. Status words come
from each model's story (web/queries/story.py), never from here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter, is_

from monitor.config import StatusSettings
from monitor.histogram import LatencyHistogram
from monitor.judging.incidents import Incident
from monitor.judging.quality import AnswerEvidence, QualityRule, QualityVerdict, answer_verdict
from monitor.judging.status import Cause
from monitor.results import FailureClass
from monitor.rollups import DOWN_CLASSES, UP_CLASSES, Rollup
from monitor.store import ProviderInfo, Target
from web import public_paths
from web.queries.snapshots import Quality
from web.queries.viewmodels import FailureCount, IncidentSummary, Link
from web.render.charts import FAILURE_ORDER

# Days before today that make a model's usual share of wrong answers.
BASELINE_DAYS = 7

# --- providers ---------------------------------------------------------------------------


def missing_key(provider: ProviderInfo | None) -> str | None:
    """The variable an operator must set, e.g. "ANTHROPIC_API_KEY"."""
    reason = provider.not_configured_reason if provider is not None else None
    return reason.removeprefix("set ") if reason else None


# --- links -------------------------------------------------------------------------------


def model_link(target_id: str, names: Mapping[str, str]) -> Link:
    return Link(names.get(target_id, target_id), public_paths.model_page(target_id))


def provider_link(provider: ProviderInfo) -> Link:
    """The provider's page: its models, its status derived from theirs, its incidents."""
    return Link(provider.display_name, public_paths.provider_page(provider.id))


def feed_links(path: Callable[[str], str]) -> tuple[Link, ...]:
    """A page's incident feeds, RSS then Atom; `path(kind)` gives each one's path."""
    return (Link("RSS", path("rss")), Link("Atom", path("atom")))


def display_names(targets: Iterable[Target]) -> dict[str, str]:
    return {t.id: t.display_name for t in targets}


# --- sums of rollups ---------------------------------------------------------------------


_CLASSES = tuple(failure.value for failure in FailureClass)
_UP = tuple(failure.value for failure in UP_CLASSES)
_DOWN = tuple(failure.value for failure in DOWN_CLASSES)
_tallied = attrgetter(
    *_CLASSES, "forms_checked", "forms_correct", "answers_checked", "answers_correct"
)


@dataclass
class Totals:
    """Rollups summed over buckets and regions: counts by failure class (keyed by the
    class's value, so `FailureClass` members look them up too) and merged histograms."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_CLASSES, 0))
    answers_checked: int = 0
    answers_correct: int = 0
    ttft: LatencyHistogram = field(default_factory=LatencyHistogram)
    total: LatencyHistogram = field(default_factory=LatencyHistogram)
    # Answers to the exact-form item (monitor/rollups.py): apart from the answers above.
    forms_checked: int = 0
    forms_correct: int = 0

    @classmethod
    def of(cls, rollups: Iterable[Rollup], *, latency: bool = True) -> Totals:
        totals = cls()
        totals.add_all(rollups, latency=latency)
        return totals

    def add(self, rollup: Rollup, *, latency: bool = True) -> None:
        self.add_all((rollup,), latency=latency)

    def add_all(self, rollups: Iterable[Rollup], *, latency: bool = True) -> None:
        rollups = rollups if isinstance(rollups, Sequence) else list(rollups)
        if not rollups:
            return
        # Column sums in C: this runs for every day and recent minute of every model.
        sums = [sum(column) for column in zip(*map(_tallied, rollups), strict=True)]
        counts = self.counts
        for name, n in zip(_CLASSES, sums, strict=False):
            counts[name] += n
        self.forms_checked += sums[-4]
        self.forms_correct += sums[-3]
        self.answers_checked += sums[-2]
        self.answers_correct += sums[-1]
        if latency:
            for rollup in rollups:
                self.ttft.merge(rollup.ttft_hist)
                self.total.merge(rollup.total_hist)

    def copy(self) -> Totals:
        return Totals(
            dict(self.counts),
            self.answers_checked,
            self.answers_correct,
            self.ttft.copy(),
            self.total.copy(),
            self.forms_checked,
            self.forms_correct,
        )

    @property
    def probes(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        return self.probes - self.counts[FailureClass.OK]

    @property
    def up(self) -> int:
        """Probes the provider answered (right or wrong): monitor/rollups.py's UP_CLASSES."""
        return sum(self.counts[c] for c in _UP)

    @property
    def down(self) -> int:
        """Probes the provider failed (not ours: not configuration or vantage)."""
        return sum(self.counts[c] for c in _DOWN)

    @property
    def uptime(self) -> float | None:
        """Share up among probes the provider answers for (monitor/rollups.py)."""
        up, down = self.up, self.down
        return up / (up + down) if up + down else None

    @property
    def pass_rate(self) -> float | None:
        return self.answers_correct / self.answers_checked if self.answers_checked else None

    @property
    def form_rate(self) -> float | None:
        """Share of exact-form answers in the form asked for; None without one."""
        return self.forms_correct / self.forms_checked if self.forms_checked else None

    def by_class(self) -> dict[FailureClass, int]:
        return {FailureClass(name): n for name, n in self.counts.items()}

    def failures(self) -> tuple[FailureCount, ...]:
        """Failed probes by class, in chart order, classes with none left out."""
        counts = self.counts
        return tuple(FailureCount(name, counts[name]) for name in FAILURE_ORDER if counts[name])


class KeptTotals:
    """`Totals.of` for lists that mostly grow at the end between calls, kept per key.

    The overview sums each model's minute rollups of its latency window on every
    request: 4,500 at 100 models, two histogram merges each. Most are the settled
    minutes that the rollup cache hands back as the very same objects, ahead of the
    few fresh ones; so the sum of the head that matched last time's list, object for
    object, is kept, and a request adds only what follows it. When the head changes
    (the window moved on, once a minute), the sum starts over.
    """

    def __init__(self, *, latency: bool = True) -> None:
        self._kept: dict[str, tuple[tuple[Rollup, ...], int, Totals]] = {}
        self.latency = latency  # False: counts only, no histogram merges

    def of(self, key: str, rollups: Sequence[Rollup]) -> Totals:
        seen, summed, head = self._kept.get(key, ((), 0, Totals()))
        same = _same_head(seen, rollups)
        if same < summed:
            head, summed = Totals(), 0
        if same > summed:
            head = head.copy()  # a kept sum is never changed: another request may hold it
            head.add_all(rollups[summed:same], latency=self.latency)
            summed = same
        self._kept[key] = (tuple(rollups), summed, head)
        totals = head.copy()
        totals.add_all(rollups[summed:], latency=self.latency)
        return totals


def _same_head(before: Sequence[Rollup], now: Sequence[Rollup]) -> int:
    """How many leading items are the same objects in both."""
    same = list(map(is_, before, now))
    return same.index(False) if False in same else len(same)


def probed(rollup: Rollup) -> bool:
    """Whether the rollup counts any probe (without `Rollup.probes`' slower enum walk)."""
    return any(getattr(rollup, name) for name in _CLASSES)


def by_target(rollups: Iterable[Rollup]) -> dict[str, list[Rollup]]:
    grouped: dict[str, list[Rollup]] = defaultdict(list)
    for rollup in rollups:
        grouped[rollup.target].append(rollup)
    return grouped


def by_region(rollups: Iterable[Rollup]) -> dict[str, list[Rollup]]:
    grouped: dict[str, list[Rollup]] = defaultdict(list)
    for rollup in rollups:
        grouped[rollup.region].append(rollup)
    return dict(sorted(grouped.items()))


def since(rollups: Iterable[Rollup], start: datetime) -> list[Rollup]:
    return [r for r in rollups if r.bucket_start >= start]


def percent(share: float | None) -> float | None:
    return None if share is None else 100 * share


# --- answers -----------------------------------------------------------------------------


def judge_answers(
    window: Totals,
    baseline_days: Sequence[Rollup],
    today: date,
    settings: StatusSettings,
    *,
    in_quality_incident: bool,
) -> Quality:
    """The answer verdict: the window's wrong answers against the model's own baseline
    (its `BASELINE_DAYS` days before today, with the engine's prior), by the engine's
    rule (monitor/judging/quality.py); `baseline_days` are day rollups covering those days.
    An open quality incident is a `degraded` verdict whatever the window says."""
    earlier = _baseline_totals(baseline_days, today)
    return _judged(
        (window.answers_checked, window.answers_correct),
        (earlier.answers_checked, earlier.answers_correct),
        settings,
        degraded=in_quality_incident,
    )


def judge_form(
    window: Totals, baseline_days: Sequence[Rollup], today: date, settings: StatusSettings
) -> Quality:
    """Whether answers keep the exact form asked for (the `strict_format` item), judged as
    answers are (`judge_answers`) but against its own baseline and never pooled with them:
    a model that words its answers differently has not started answering wrong. No
    incident stands for it; the verdict is the window's alone."""
    earlier = _baseline_totals(baseline_days, today)
    return _judged(
        (window.forms_checked, window.forms_correct),
        (earlier.forms_checked, earlier.forms_correct),
        settings,
        degraded=False,
    )


def _baseline_totals(baseline_days: Sequence[Rollup], today: date) -> Totals:
    end = datetime(today.year, today.month, today.day, tzinfo=UTC)
    start = end - timedelta(days=BASELINE_DAYS)
    return Totals.of([d for d in baseline_days if start <= d.bucket_start < end], latency=False)


def _judged(
    window: tuple[int, int], earlier: tuple[int, int], settings: StatusSettings, *, degraded: bool
) -> Quality:
    """(checked, correct) of the window against (checked, correct) before, by the engine's
    rule, with the engine's prior until the model has a history."""
    (checked, correct), (checked_before, correct_before) = window, earlier
    weight = settings.prior_weight
    baseline_wrong = (checked_before - correct_before + settings.prior_wrong_rate * weight) / (
        checked_before + weight
    )
    evidence = AnswerEvidence(checked, checked - correct, baseline_wrong)
    rule = QualityRule(
        settings.quality_min_sample,
        settings.quality_min_effect,
        settings.false_alarm_rate,
        settings.level_confidence_z,
    )
    verdict = QualityVerdict.DEGRADED if degraded else answer_verdict(evidence, rule)
    return Quality(
        verdict,
        correct / checked if checked else None,
        1 - baseline_wrong,
        checked,
        checked_before,
    )


def in_quality_incident(target_id: str, incidents: Iterable[Incident]) -> bool:
    return any(
        i.is_open and i.cause is Cause.QUALITY and target_id in i.active_models for i in incidents
    )


# --- incidents ---------------------------------------------------------------------------


def incident_summary(
    incident: Incident,
    names: Mapping[str, str],
    now: datetime,
    simulated: frozenset[str] = frozenset(),
) -> IncidentSummary:
    end = incident.resolved_at or now
    latest = incident.updates[-1] if incident.updates else None
    return IncidentSummary(
        id=incident.id,
        url=public_paths.incident_page(incident.id),
        title=incident.display_title,
        status=incident.state.value,
        impact=incident.impact.value,
        cause=incident.cause.value,
        started_at=incident.started_at,
        resolved_at=incident.resolved_at,
        duration_s=max(0.0, (end - incident.started_at).total_seconds()),
        affected=tuple(model_link(t, names) for t in incident.models),
        latest_update=latest.text if latest else None,
        latest_update_at=latest.at if latest else None,
        simulated=bool(incident.models) and all(t in simulated for t in incident.models),
    )


def simulated_targets(targets: Iterable[Target]) -> frozenset[str]:
    return frozenset(t.id for t in targets if t.simulated)


def touches(incident: Incident, target_id: str) -> bool:
    return target_id in incident.models
