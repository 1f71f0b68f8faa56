"""Incidents as plain records, moved by guarded transitions.

    investigating --(identify_after, cause known)--> identified
         |                                              |
         +------ every model recovered ----> monitoring <+
                                              |   ^  (a model relapses: back to identified
                                              |   |   or investigating)
                              resolve_after quiet
                                              v
                                          resolved

One root event, one incident: an incident is keyed by (provider, cause) while it
is open, so a provider-wide outage is one incident listing every model, and a
model that goes bad while its siblings' incident is open joins it. A flapping
model keeps its incident open: its status only recovers after a clean
recovery window, and the incident waits `resolve_after` more in monitoring.

`apply` takes the problems of this evaluation and `now`; given the same problems
and time twice, the second call changes nothing. Records are frozen; each
change replaces the record, and the event carries the new record and the update
it added, so a store can write both with a compare-and-set on the old state.
Words come from a `Narrator` (monitor/judging/wording.py, fed with evidence by the engine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from monitor.config import IncidentSettings
from monitor.judging.status import Cause, ComponentStatus


class IncidentState(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class Change(StrEnum):
    """Why an update was written; wording picks its sentences from it."""

    OPENED = "opened"
    IDENTIFIED = "identified"
    JOINED = "joined"
    LEFT = "left"
    WORSE = "worse"
    MONITORING = "monitoring"
    RELAPSED = "relapsed"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Problem:
    """One model's bad episode, as the incident engine sees it."""

    target: str
    provider: str
    signal: str  # availability, latency, quality, configuration, vantage
    cause: Cause
    level: ComponentStatus
    started_at: datetime
    regions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Update:
    at: datetime
    status: IncidentState
    body: str
    body_override: str | None = None  # an operator's words, shown instead of `body`

    @property
    def text(self) -> str:
        return self.body_override or self.body


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    provider: str
    cause: Cause
    public: bool
    impact: Impact
    state: IncidentState
    models: tuple[str, ...]  # every model that was part of it, sorted
    active_models: tuple[str, ...]  # the models still bad now
    regions: tuple[str, ...]
    signals: tuple[str, ...]  # which signals went bad: availability, latency, ...
    started_at: datetime  # first bad probe of the episode
    detected_at: datetime  # when the engine opened it
    resolved_at: datetime | None
    title: str
    updates: tuple[Update, ...]
    worst: ComponentStatus = ComponentStatus.OPERATIONAL
    monitoring_since: datetime | None = None
    title_override: str | None = None  # an operator's title, shown instead of `title`

    @property
    def display_title(self) -> str:
        return self.title_override or self.title

    @property
    def is_open(self) -> bool:
        return self.state is not IncidentState.RESOLVED


class EventKind(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    kind: EventKind
    incident: Incident  # the record after the change
    update: Update  # the update the change added
    previous_state: IncidentState | None  # None when opened: the state a store expects
    # The evidence at this moment as plain data (monitor/judging/summary.py): the
    # engine adds it; notifications carry it.
    evidence: Mapping[str, Any] | None = None


class Narrator(Protocol):
    def title(self, incident: Incident) -> str: ...

    def body(self, incident: Incident, change: Change, models: Sequence[str], now: datetime) -> str:
        """The update's text; `models` are the ones that joined, left or relapsed."""
        ...


class TransitionError(RuntimeError):
    """A transition asked of an incident not in the state it needs: a bug, never data."""


def impact_of(cause: Cause, worst: ComponentStatus) -> Impact:
    if not cause.public:
        return Impact.NONE
    if cause is Cause.QUALITY:
        return Impact.MINOR
    return _IMPACT[worst]


_IMPACT = {
    ComponentStatus.OPERATIONAL: Impact.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Impact.NONE,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
}
_OPEN = frozenset({IncidentState.INVESTIGATING, IncidentState.IDENTIFIED})


class IncidentBook:
    def __init__(self, settings: IncidentSettings, narrator: Narrator, first_id: int = 1) -> None:
        self.settings = settings
        self.narrator = narrator
        self.records: dict[str, Incident] = {}
        self._open: dict[tuple[str, Cause], str] = {}
        self._next_id = first_id

    def all(self) -> list[Incident]:
        return list(self.records.values())

    def open_incidents(self) -> list[Incident]:
        return [self.records[i] for i in self._open.values()]

    def apply(self, problems: Sequence[Problem], now: datetime) -> list[IncidentEvent]:
        groups: dict[tuple[str, Cause], list[Problem]] = {}
        for problem in problems:
            groups.setdefault((problem.provider, problem.cause), []).append(problem)
        events: list[IncidentEvent] = []
        for key in sorted(groups, key=lambda k: (k[0], k[1].value)):
            incident_id = self._open.get(key)
            if incident_id is None:
                events.append(self._open_incident(key, groups[key], now))
            else:
                events.extend(self._follow(self.records[incident_id], groups[key], now))
        for key, incident_id in sorted(self._open.items(), key=lambda kv: kv[1]):
            if key not in groups:
                events.extend(self._quiet(self.records[incident_id], now))
        return events

    # -- transitions ----------------------------------------------------------------------

    def _open_incident(
        self, key: tuple[str, Cause], problems: list[Problem], now: datetime
    ) -> IncidentEvent:
        provider, cause = key
        targets = tuple(sorted({p.target for p in problems}))
        worst = max((p.level for p in problems), key=lambda s: s.severity)
        draft = Incident(
            id=str(self._next_id),
            provider=provider,
            cause=cause,
            public=cause.public,
            impact=impact_of(cause, worst),
            state=IncidentState.INVESTIGATING,
            models=targets,
            active_models=targets,
            regions=tuple(sorted({r for p in problems for r in p.regions})),
            signals=tuple(sorted({p.signal for p in problems})),
            # Never detected before it started: evidence is dated by when its probes began.
            started_at=min(now, *(p.started_at for p in problems)),
            detected_at=now,
            resolved_at=None,
            title="",
            updates=(),
            worst=worst,
        )
        self._next_id += 1
        draft = replace(draft, title=self.narrator.title(draft))
        self._open[key] = draft.id
        return self._write(draft, None, IncidentState.INVESTIGATING, Change.OPENED, targets, now)

    def _follow(
        self, incident: Incident, problems: list[Problem], now: datetime
    ) -> list[IncidentEvent]:
        if not incident.is_open:
            raise TransitionError(f"incident {incident.id}: resolved, yet still followed")
        events: list[IncidentEvent] = []
        active = tuple(sorted({p.target for p in problems}))
        joined = tuple(t for t in active if t not in incident.active_models)
        left = tuple(t for t in incident.active_models if t not in active)
        worst = max([incident.worst, *(p.level for p in problems)], key=lambda s: s.severity)
        grown = replace(
            incident,
            models=tuple(sorted({*incident.models, *active})),
            active_models=active,
            regions=tuple(sorted({*incident.regions, *(r for p in problems for r in p.regions)})),
            signals=tuple(sorted({*incident.signals, *(p.signal for p in problems)})),
            started_at=min([incident.started_at, *(p.started_at for p in problems)]),
            worst=worst,
            impact=impact_of(incident.cause, worst),
        )
        if (grown.models, grown.signals, grown.worst) != (
            incident.models,
            incident.signals,
            incident.worst,
        ):
            grown = replace(grown, title=self.narrator.title(grown))
        if incident.state is IncidentState.MONITORING:
            back = IncidentState.IDENTIFIED
            if incident.cause is Cause.UNKNOWN:
                back = IncidentState.INVESTIGATING
            grown = replace(grown, monitoring_since=None)
            return [
                self._write(grown, IncidentState.MONITORING, back, Change.RELAPSED, active, now)
            ]
        change, changed = None, ()
        if joined:
            change, changed = Change.JOINED, joined
        elif left:
            change, changed = Change.LEFT, left
        elif grown.impact is not incident.impact and _IMPACTS.index(grown.impact) > _IMPACTS.index(
            incident.impact
        ):
            change, changed = Change.WORSE, active
        if change is not None:
            events.append(self._write(grown, incident.state, incident.state, change, changed, now))
        else:
            self.records[grown.id] = grown
        identified = self._identify(self.records[grown.id], now)
        if identified is not None:
            events.append(identified)
        return events

    def _identify(self, incident: Incident, now: datetime) -> IncidentEvent | None:
        wait = timedelta(seconds=self.settings.identify_after)
        if incident.state is not IncidentState.INVESTIGATING or incident.cause is Cause.UNKNOWN:
            return None
        if now - incident.detected_at < wait:
            return None
        return self._write(
            incident,
            IncidentState.INVESTIGATING,
            IncidentState.IDENTIFIED,
            Change.IDENTIFIED,
            incident.active_models,
            now,
        )

    def _quiet(self, incident: Incident, now: datetime) -> list[IncidentEvent]:
        if incident.state in _OPEN:
            calm = replace(incident, active_models=(), monitoring_since=now)
            return [
                self._write(
                    calm,
                    incident.state,
                    IncidentState.MONITORING,
                    Change.MONITORING,
                    incident.active_models,
                    now,
                )
            ]
        if incident.state is not IncidentState.MONITORING or incident.monitoring_since is None:
            raise TransitionError(f"incident {incident.id}: cannot resolve from {incident.state}")
        if now - incident.monitoring_since < timedelta(seconds=self.settings.resolve_after):
            return []
        done = replace(incident, resolved_at=now)
        del self._open[(incident.provider, incident.cause)]
        return [
            self._write(
                done, IncidentState.MONITORING, IncidentState.RESOLVED, Change.RESOLVED, (), now
            )
        ]

    def _write(
        self,
        incident: Incident,
        expected: IncidentState | None,
        state: IncidentState,
        change: Change,
        models: Sequence[str],
        now: datetime,
    ) -> IncidentEvent:
        """Compare-and-set: the stored record must still be in `expected` (None: new)."""
        stored = self.records.get(incident.id)
        if (stored.state if stored is not None else None) is not expected:
            raise TransitionError(
                f"incident {incident.id}: expected {expected}, found "
                f"{stored.state if stored else None}"
            )
        moved = replace(incident, state=state)
        update = Update(now, state, self.narrator.body(moved, change, tuple(models), now))
        moved = replace(moved, updates=(*moved.updates, update))
        self.records[moved.id] = moved
        kind = EventKind.OPENED if expected is None else EventKind.UPDATED
        if state is IncidentState.RESOLVED:
            kind = EventKind.RESOLVED
        return IncidentEvent(kind, moved, update, expected)


_IMPACTS = list(Impact)
