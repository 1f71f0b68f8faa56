"""Status and incident engine output for store tests: real runs, and hand-made events."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.judging.engine import EngineChanges, StatusEngine
from monitor.judging.incidents import (
    EventKind,
    Impact,
    Incident,
    IncidentEvent,
    IncidentState,
    Update,
)
from monitor.judging.status import Cause, ComponentStatus
from monitor.results import ProbeResult
from tests.monitor.synthetic import START, UNAUTHORIZED, UNAVAILABLE, World, fault, targets

OPUS = "anthropic/claude-opus-4-7"
SONNET = "anthropic/claude-sonnet-4-6"
GPT = "openai/gpt-5-1"
MODELS = targets(OPUS, SONNET, GPT)


@dataclass(frozen=True)
class Story:
    """What a live engine produced, and the results it saw (to rebuild one from)."""

    changes: tuple[EngineChanges, ...]
    results: tuple[ProbeResult, ...]
    engine: StatusEngine
    now: datetime

    def incident(self, cause: Cause, started_minute: int) -> Incident:
        """The engine's own record of the incident that started at that minute."""
        started = START + timedelta(minutes=started_minute)
        [found] = [
            i for i in self.engine.incidents() if (i.cause, i.started_at) == (cause, started)
        ]
        return found

    def changes_until(self, when: datetime) -> list[EngineChanges]:
        return [c for c in self.changes if _time_of(c) <= when]


def run_world(world: World, minutes: int) -> Story:
    seen: list[ProbeResult] = []
    ingest = world.engine.ingest

    def keep(results):
        batch = list(results)
        seen.extend(batch)
        return ingest(batch)

    world.engine.ingest = keep
    world.run(minutes)
    return Story(tuple(world.changes), tuple(seen), world.engine, world.clock.now())


@functools.cache
def two_outages_and_a_bad_key() -> Story:
    """Opus fails at 02:00 and again at 03:20 (two public incidents, both resolved);
    our key for GPT is refused from 02:10 (a private configuration incident)."""
    world = World(
        MODELS,
        faults=[
            fault([OPUS], 120, 150, UNAVAILABLE),
            fault([GPT], 130, 160, UNAUTHORIZED),
            fault([OPUS], 200, 230, UNAVAILABLE),
        ],
    )
    return run_world(world, 260)


def _time_of(changes: EngineChanges) -> datetime:
    times = [c.at for c in changes.status_changes] + [e.update.at for e in changes.incident_events]
    return min(times)


def at(minute: float) -> datetime:
    return START + timedelta(minutes=minute)


def incident_event(
    state: IncidentState,
    previous: IncidentState | None,
    minute: float,
    *,
    started_minute: float = 0,
    models: tuple[str, ...] = (OPUS,),
    engine_id: str = "1",
    cause: Cause = Cause.INFRASTRUCTURE,
    body: str | None = None,
) -> IncidentEvent:
    """A hand-made event: the incident moved from `previous` to `state` at `minute`."""
    provider = models[0].split("/")[0]
    update = Update(at(minute), state, body or f"{state.value} at minute {minute}")
    resolved = state is IncidentState.RESOLVED
    incident = Incident(
        id=engine_id,
        provider=provider,
        cause=cause,
        public=cause.public,
        impact=Impact.MAJOR if cause.public else Impact.NONE,
        state=state,
        models=tuple(sorted(models)),
        active_models=() if resolved else tuple(sorted(models)),
        regions=("eu-west", "us-east"),
        signals=("availability",),
        started_at=at(started_minute),
        detected_at=at(started_minute + 2),
        resolved_at=update.at if resolved else None,
        title=f"Elevated errors on {', '.join(models)}",
        updates=(update,),
        worst=ComponentStatus.PARTIAL_OUTAGE,
    )
    kind = EventKind.UPDATED
    if previous is None:
        kind = EventKind.OPENED
    elif resolved:
        kind = EventKind.RESOLVED
    return IncidentEvent(kind, incident, update, previous)


def only(*events: IncidentEvent) -> EngineChanges:
    return EngineChanges(incident_events=events)
