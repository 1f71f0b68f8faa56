"""The status and incident engines, driven incrementally: results in, changes out.

    engine = StatusEngine(settings.status, targets, regions=["us-east", "eu-west"])
    engine.ingest(results)             # any order, any batch size; repeats are ignored
    changes = engine.evaluate(now)     # status changes and incident events since last time

The worker calls `ingest` + `evaluate` after each probe round; replay calls
`evaluate` once per virtual minute. Nothing here reads a clock, a database or the
network, so live, replay and tests run the same code. The engine's state is plain
Python objects (picklable); after a restart, `rebuild` replays the last hours of
stored results (a day gives the baselines their full window) minute by minute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.config import StatusSettings
from monitor.judging.advice import MONITORING_STARTED, recent_since
from monitor.judging.episodes import Episode, Signal, minute_of
from monitor.judging.health import TargetHealth
from monitor.judging.incidents import Change, Incident, IncidentBook, IncidentEvent, Problem
from monitor.judging.quality import AnswerEvidence, QualityVerdict, answer_verdict
from monitor.judging.regions import SINGLE_VANTAGE_NOTE
from monitor.judging.status import (
    ComponentStatus,
    ProviderStatus,
    StatusChange,
    SubjectKind,
    provider_status,
)
from monitor.judging.summary import evidence_summary, recent_errors
from monitor.judging.wording import Story, body, title
from monitor.plan import Confirmation, ProbePlan
from monitor.results import ProbeResult

LATE_WORDS = "detected late, after a gap in our own storage"


@dataclass(frozen=True, slots=True)
class TargetInfo:
    id: str  # "provider/model"
    provider: str
    display_name: str
    provider_name: str | None = None  # "Anthropic"; the provider id when absent


@dataclass(frozen=True, slots=True)
class EngineChanges:
    status_changes: tuple[StatusChange, ...] = ()
    incident_events: tuple[IncidentEvent, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.status_changes or self.incident_events)


class StatusEngine:
    def __init__(
        self,
        settings: StatusSettings,
        targets: Mapping[str, TargetInfo] | Iterable[TargetInfo],
        regions: Sequence[str],
        first_incident_id: int = 1,
    ) -> None:
        infos = targets.values() if isinstance(targets, Mapping) else targets
        self.settings = settings
        self.targets = {info.id: info for info in infos}
        self.regions = tuple(regions)
        self._health = {tid: TargetHealth(tid, settings) for tid in self.targets}
        self._siblings = _by_provider(self.targets)
        self._book = IncidentBook(settings.incidents, _Narrator(self), first_incident_id)
        self._status: dict[str, ComponentStatus] = {}
        self._provider: dict[str, ProviderStatus] = {}
        self._history: dict[str, list[StatusChange]] = {}
        self._last: datetime | None = None
        # (first minute, caught up at): evaluations in between judge results that reached
        # us late, after a gap in our own storage; what they write says so.
        self.late: tuple[datetime, datetime] | None = None

    # -- feeding ----------------------------------------------------------------------------

    def add_targets(self, infos: Iterable[TargetInfo]) -> tuple[str, ...]:
        """Judge the models of `infos` this engine does not know yet from the next evaluate
        on (a model added to the config, a fresh install's first probes); returns their
        ids. Their first status is "monitoring started" when their first results are
        judged, as a rebuild would say it. For models with no results before now: a rebuild
        is the way to take in a model's history."""
        order = list(infos)
        added = tuple(info.id for info in order if info.id not in self.targets)
        if not added:
            return ()
        # In the caller's order (the config's), as a rebuild would hold them: the order
        # in which changes are stored and sibling models are named.
        merged = {info.id: self.targets.get(info.id, info) for info in order}
        merged.update((tid, info) for tid, info in self.targets.items() if tid not in merged)
        self.targets = merged
        self._health = {
            tid: self._health.get(tid) or TargetHealth(tid, self.settings) for tid in merged
        }
        self._siblings = _by_provider(merged)
        return added

    def ingest(self, results: Iterable[ProbeResult]) -> int:
        """Count new results; returns how many were new (unknown targets are skipped)."""
        health = self._health
        counted = 0
        for result in results:
            target = health.get(result.target)
            if target is not None and target.book.add(result):
                counted += 1
        return counted

    def evaluate(self, now: datetime) -> EngineChanges:
        """Judge every model at `now`; returns what changed. Time never moves back: a
        `now` not after the previous one changes nothing."""
        if self._last is not None and now <= self._last:
            return EngineChanges()
        self._last = now
        minute = minute_of(now)
        for health in self._health.values():
            health.judge(now, minute)
        changes = self._model_changes(now)
        if changes:
            changes += self._provider_changes(now)
        events = [
            replace(e, evidence=evidence_summary(self.story(e.incident, now)))
            for e in self._book.apply(self._problems(), now)
        ]
        return EngineChanges(tuple(changes), tuple(events))

    def unseen(self, results: Iterable[ProbeResult]) -> list[ProbeResult]:
        """The results of known models this engine has not counted yet."""
        return [
            r
            for r in results
            if r.target in self._health and not self._health[r.target].book.has(r)
        ]

    def counted(self, target: str, since: datetime, until: datetime) -> int:
        """How many results of `target` that started in [since, until) it has counted."""
        health = self._health.get(target)
        if health is None:
            return 0
        return health.book.sum(minute_of(since), minute_of(until) - 1)[0]

    @property
    def last_evaluated(self) -> datetime | None:
        """The `now` of the last evaluation that judged (a snapshot resumes after it)."""
        return self._last

    def set_maintenance(self, target: str, active: bool) -> None:
        """An operator's word: the model shows under_maintenance from the next evaluate."""
        self._health[target].maintenance = active

    # -- reading ----------------------------------------------------------------------------

    def model_status(self, target: str) -> ComponentStatus:
        return self._status.get(target, ComponentStatus.OPERATIONAL)

    def provider_status(self, provider: str) -> ProviderStatus:
        return self._provider.get(provider) or provider_status(
            self.model_status(t) for t in self._siblings.get(provider, ())
        )

    def quality(self, target: str) -> QualityVerdict:
        return self._health[target].quality_verdict()

    def incidents(self) -> list[Incident]:
        return self._book.all()

    def open_incidents(self) -> list[Incident]:
        return self._book.open_incidents()

    def probe_plan(self, now: datetime) -> ProbePlan:
        """The models to probe more often from `now`, and until when (monitor/plan.py).
        The regions' probes are pooled, so each region probes at `confirm_interval` times
        the number of regions: one region or three, the evidence comes in as fast."""
        s, regions = self.settings, max(1, len(self.regions))
        return ProbePlan(
            tuple(
                Confirmation(
                    target,
                    health.confirm_until,
                    (s.confirm_fast_interval if health.confirm_fast else s.confirm_interval)
                    * regions,
                    health.confirm_reason,
                )
                for target, health in self._health.items()
                if health.confirm_until is not None and now < health.confirm_until
            )
        )

    def history(self) -> dict[str, list[StatusChange]]:
        """Every status change per model and provider id, the first at the first evaluate."""
        return {subject: list(changes) for subject, changes in self._history.items()}

    def health(self, target: str) -> TargetHealth:
        return self._health[target]

    # -- internals --------------------------------------------------------------------------

    def _model_changes(self, now: datetime) -> list[StatusChange]:
        changes = []
        for target, health in self._health.items():
            status = health.status()
            if self._status.get(target) is status:
                continue
            first = target not in self._status
            self._status[target] = status
            reason = MONITORING_STARTED if first else _reason(health, status, now)
            if self._late_at(now):
                reason += f" ({LATE_WORDS})"
            changes.append(self._record(target, SubjectKind.MODEL, status, now, reason))
        return changes

    def _provider_changes(self, now: datetime) -> list[StatusChange]:
        changes = []
        for provider in sorted(self._siblings):
            derived = provider_status(self._status[t] for t in self._siblings[provider])
            previous = self._provider.get(provider)
            self._provider[provider] = derived
            if previous is not None and previous.status is derived.status:
                continue
            changes.append(
                self._record(provider, SubjectKind.PROVIDER, derived.status, now, derived.summary)
            )
        return changes

    def _record(
        self, subject: str, kind: SubjectKind, status: ComponentStatus, now: datetime, why: str
    ) -> StatusChange:
        change = StatusChange(subject, kind, status, now, why)
        self._history.setdefault(subject, []).append(change)
        return change

    def _problems(self) -> list[Problem]:
        problems = []
        for target, health in self._health.items():
            if health.maintenance:
                continue
            provider = self.targets[target].provider
            for episode in health.episodes.values():
                problems.append(_problem(target, provider, episode))
        return problems

    def _looks_fine(self, target: str, now: datetime) -> bool:
        """Neither affected nor being confirmed: a sibling whose failures are still being
        confirmed is not "operational" in an incident's words, whatever its status says."""
        health = self._health[target]
        confirming = health.confirm_until is not None and now < health.confirm_until
        return not self.model_status(target).affected and not confirming

    def story(self, incident: Incident, now: datetime, with_evidence: bool = True) -> Story:
        """The facts wording needs about `incident` at `now`."""
        info = self.targets[incident.models[0]]
        siblings = self._siblings[incident.provider]
        evidence = (
            [self._health[m].evidence(incident.started_at, now) for m in incident.models]
            if with_evidence
            else []
        )
        checked = sum(e.answers.checked for e in evidence)
        baseline = (
            sum(e.answers.baseline_wrong * e.answers.checked for e in evidence) / checked
            if checked
            else (evidence[0].answers.baseline_wrong if evidence else 0.0)
        )
        answers = AnswerEvidence(checked, sum(e.answers.wrong for e in evidence), baseline)
        others = [t for t in siblings if t not in incident.models]
        return Story(
            incident=incident,
            names={t: i.display_name for t, i in self.targets.items()},
            provider_name=info.provider_name or info.provider,
            provider_models=len(siblings),
            others_operational=all(self._looks_fine(t, now) for t in others),
            evidence=evidence,
            answers=answers,
            answer_verdict=answer_verdict(answers, self._health[info.id].quality_rule),
            recent_errors={
                m: recent_errors(self._health[m], self._recent_since(m, now))
                for m in incident.models
            },
            notes=(
                *((_single_vantage(),) if len(self.regions) == 1 and incident.public else ()),
                *((self._late_note(),) if self._late_at(now) else ()),
            ),
        )

    def _recent_since(self, target: str, now: datetime) -> int:
        """The first minute of the model's "now" for its errors (advice.recent_since)."""
        changes = self._history.get(target)
        return minute_of(recent_since(now, changes[-1] if changes else None))

    def _late_at(self, now: datetime) -> bool:
        return self.late is not None and self.late[0] <= now < self.late[1]

    def _late_note(self) -> str:
        caught_up = self.late[1] if self.late else None
        when = f", at {caught_up:%H:%M} UTC" if caught_up else ""
        return f"{LATE_WORDS[0].upper()}{LATE_WORDS[1:]}{when}: its probes reached us late."


class _Narrator:
    """Wording fed with the engine's evidence (the incident book's `Narrator`)."""

    def __init__(self, engine: StatusEngine) -> None:
        self.engine = engine

    def title(self, incident: Incident) -> str:
        return title(self.engine.story(incident, incident.detected_at, with_evidence=False))

    def body(self, incident: Incident, change: Change, models: Sequence[str], now: datetime) -> str:
        return body(self.engine.story(incident, now), change, models, now)


def rebuild(
    settings: StatusSettings,
    targets: Mapping[str, TargetInfo] | Iterable[TargetInfo],
    regions: Sequence[str] | Callable[[], Sequence[str]],
    results: Iterable[ProbeResult],
    until: datetime,
    first_incident_id: int = 1,
    late_since: datetime | None = None,
) -> tuple[StatusEngine, list[EngineChanges]]:
    """A fresh engine that has seen `results` (e.g. the last 25 hours from the store),
    evaluated minute by minute up to `until`, with every change it produced on the way.
    `results` are read once, all before the first evaluation, so a caller may stream them
    (25 h at 1,000 models is 4.5 M results); `regions` may then be a function, asked once
    they are all in. `late_since`: results from then on reached the store late; what is
    judged of them is dated by its minute and says it was detected late."""
    known = () if callable(regions) else regions
    engine = StatusEngine(settings, targets, known, first_incident_id)
    if late_since is not None:
        engine.late = (late_since, until)
    earliest: list[datetime] = []
    engine.ingest(_noting_earliest(results, earliest))
    if callable(regions):
        engine.regions = tuple(regions())
    if not earliest:
        return engine, [engine.evaluate(until)]
    minute = minute_of(earliest[0])
    step = datetime.fromtimestamp(minute * 60 + 60, until.tzinfo)
    # Its first level_window the engine has too few probes to set a level: statuses it
    # would say then (partial, where the store already says major) are not news.
    warm = datetime.fromtimestamp(minute * 60 + settings.level_window, until.tzinfo)
    changes: list[EngineChanges] = []
    warming = _Warming(warm)
    while step < until:
        changes.append(warming.filter(engine.evaluate(step), step))
        step += timedelta(minutes=1)
    changes.append(warming.filter(engine.evaluate(until), until))
    changes.append(EngineChanges(warming.held_back()))
    return engine, [c for c in changes if c]


def _noting_earliest(
    results: Iterable[ProbeResult], earliest: list[datetime]
) -> Iterator[ProbeResult]:
    """`results` as they come, keeping the earliest start in `earliest` (one item)."""
    for result in results:
        if not earliest:
            earliest.append(result.started_at)
        elif result.started_at < earliest[0]:
            earliest[0] = result.started_at
        yield result


class _Warming:
    """While warming up, only each subject's first status (it is on record from then)."""

    def __init__(self, warm: datetime) -> None:
        self.warm = warm
        self.last: dict[str, StatusChange] = {}  # the last change let through, by subject
        self.held: dict[str, StatusChange] = {}  # the last one held back since then

    def filter(self, changes: EngineChanges, at: datetime) -> EngineChanges:
        if at >= self.warm:
            passed = changes.status_changes
        else:
            passed = tuple(c for c in changes.status_changes if c.subject not in self.last)
            self.held.update((c.subject, c) for c in changes.status_changes if c not in passed)
        for change in passed:
            self.last[change.subject] = change
            self.held.pop(change.subject, None)
        return EngineChanges(passed, changes.incident_events)

    def held_back(self) -> tuple[StatusChange, ...]:
        """Statuses the engine ended up in and never said: without them the store keeps
        the warm-up's first word while the engine (and its incident) moved on, and says
        nothing until the engine changes again (a model "partial" for good beside an
        incident whose worst is "major", after a restart in a fresh install's first
        minutes)."""
        return tuple(
            change
            for subject, change in self.held.items()
            if change.status is not self.last[subject].status
        )


def _by_provider(targets: Mapping[str, TargetInfo]) -> dict[str, list[str]]:
    siblings: dict[str, list[str]] = {}
    for tid, info in targets.items():
        siblings.setdefault(info.provider, []).append(tid)
    return siblings


def _problem(target: str, provider: str, episode: Episode) -> Problem:
    return Problem(
        target=target,
        provider=provider,
        signal=episode.signal.value,
        cause=episode.cause,
        level=episode.level,
        started_at=episode.started_at,
        regions=episode.regions,
    )


def _reason(health: TargetHealth, status: ComponentStatus, now: datetime) -> str:
    """Why the status changed; "confirming" while the engine still probes more often."""
    if status is ComponentStatus.UNDER_MAINTENANCE:
        return "set by an operator"
    if status is ComponentStatus.OPERATIONAL:
        return "back to normal"
    words = {
        Signal.AVAILABILITY: "elevated errors",
        Signal.LATENCY: "slow responses",
    }
    parts = [words[s] for s in (Signal.AVAILABILITY, Signal.LATENCY) if s in health.episodes]
    if not parts:  # evidence still building (confirming_alpha): say so, not silence
        parts = [words[s] for s in sorted(health.confirming) if s in words]
    confirming = health.confirming or (
        health.confirm_until is not None and now < health.confirm_until
    )
    return " and ".join(parts) + (", confirming" if parts and confirming else "") or status.value


def _single_vantage() -> str:
    return f"Note: {SINGLE_VANTAGE_NOTE}."
