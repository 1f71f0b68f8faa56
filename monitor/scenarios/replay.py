"""`aistatus replay`: the real classification, status and incident engines run on a
virtual clock against a scenario's simulated behaviour, in-process.

Each model is probed from each region every scenario interval, in the slot the
live scheduler would give it (`phase_offset`); each probe is the `virtual_probe`
of that instant. The engine sees a result once the probe has finished and is
evaluated once per virtual minute, as the live worker does after probe rounds.
Deterministic for a scenario's seed. The output is the public JSON document of
docs/scenarios.md. A large replay uses the machine's other cores for the same decisions:
its providers split over processes (`shards.py`), or for a single provider its scheduled
probes drawn in a second process ahead of the engine (`probes_ahead.py`).
"""

from __future__ import annotations

import gc
import heapq
import math
import os
import random
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.clock import utc_iso
from monitor.config import Settings
from monitor.judging.engine import StatusEngine, TargetInfo
from monitor.judging.incidents import Incident
from monitor.judging.status import StatusChange, SubjectKind
from monitor.judging.tally import TallyBook
from monitor.names import display_name_for, provider_name_for
from monitor.plan import ProbePlan
from monitor.probing.scheduler import phase_offset
from monitor.results import FailureClass, ProbeResult
from monitor.scenarios.probes_ahead import drawn_apart
from monitor.scenarios.shards import Share, provider_shares, replay_shares
from monitor.scenarios.spec import Scenario
from monitor.scenarios.virtual_probe import Answered, Drawn, VirtualProber

EVALUATE_EVERY = timedelta(minutes=1)
# Scheduled probes from which replay draws them in a second process: below, a replay takes
# seconds and is not worth a process (a day of 100 models in 3 regions holds 432,000).
APART_FROM = 200_000
# Result ids of healthy answers: as random as uuid4's, without a system call each.
_ids = random.Random(int.from_bytes(os.urandom(16)))


@dataclass(frozen=True)
class ReplayOutcome:
    scenario: Scenario
    probes: int
    incidents: list[Incident]
    history: dict[str, list[StatusChange]]
    engine: StatusEngine | None = None  # what it ended with (bench/engine_memory.py weighs it)


def replay(
    scenario: Scenario, settings: Settings | None = None, apart: bool | None = None
) -> ReplayOutcome:
    """`apart`: use the machine's other cores (the same results; by default for scenarios
    of `APART_FROM` probes or more): the providers split over as many processes
    (shards.py), or where there is one provider, its scheduled probes simulated in a
    second process ahead of the engine (probes_ahead.py)."""
    settings = settings or Settings()
    cores = os.cpu_count() or 1
    if apart is None:
        apart = _scheduled_count(scenario) >= APART_FROM and cores > 1
    if not apart:
        return replay_here(scenario, settings)
    shares = provider_shares(scenario, max(cores, 2))
    if len(shares) > 1:
        whole = replay_shares(shares, settings, _share)
        return ReplayOutcome(scenario, whole.probes, whole.incidents, whole.history)
    probe = VirtualProber(scenario, settings.probe)
    with drawn_apart(scenario, settings.probe, scheduled) as schedule:
        return _replay(scenario, settings, probe, schedule)


def replay_here(scenario: Scenario, settings: Settings) -> ReplayOutcome:
    """The replay in this process alone."""
    probe = VirtualProber(scenario, settings.probe)
    return _replay(scenario, settings, probe, _drawn_here(scenario, probe))


def _share(scenario: Scenario, settings: Settings) -> Share:
    outcome = replay_here(scenario, settings)
    return Share(outcome.probes, outcome.incidents, outcome.history)


def _replay(
    scenario: Scenario,
    settings: Settings,
    probe: VirtualProber,
    schedule: Iterator[tuple[datetime, str, str, Drawn]],
) -> ReplayOutcome:
    with _no_cycle_collection():
        return _replay_minutes(scenario, settings, probe, schedule)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Without the cyclic garbage collector while replay runs: replay makes millions of
    short-lived tuples and next to no cycles (ten hours of 500 models leave it under a
    thousand objects to free), and its passes over the engine's growing state cost a few
    percent of a large replay. Reference counting frees everything else as before."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _replay_minutes(
    scenario: Scenario,
    settings: Settings,
    probe: VirtualProber,
    schedule: Iterator[tuple[datetime, str, str, Drawn]],
) -> ReplayOutcome:
    engine = StatusEngine(settings.status, _targets(scenario, settings), scenario.regions)
    engine.evaluate(scenario.start)  # every model starts on record, at `start`
    count = _Counting(engine, probe)
    # Probes under way, by completion time then draw order: sorted once a minute (they
    # come nearly in order, and a sort of them costs less than a heap's steps for each).
    finished: list[tuple[datetime, int, Pending]] = []
    probes = 0
    now = scenario.start
    upcoming = next(schedule, None)
    plan = ProbePlan()
    while now < scenario.end:
        previous, now = now, min(now + EVALUATE_EVERY, scenario.end)
        # The scheduler reads the engine's latest plan: extra probes until the next minute.
        extra = _confirmations(scenario, plan, previous, now)
        while upcoming is not None and upcoming[0] < now:
            if extra and extra[0] <= upcoming[:3]:
                at, target, region = heapq.heappop(extra)
                drawn = probe.draw(target, region, at)
            else:
                at, target, region, drawn = upcoming
                upcoming = next(schedule, None)
            if drawn.__class__ is tuple:  # _pending, inline: once a probe
                done = at + timedelta(0, 0, 0, drawn[1] or 0.0)  # milliseconds, positional
                finished.append((done, probes, (target, region, at, drawn)))
            else:
                done, pending = _pending(target, region, at, drawn)
                finished.append((done, probes, pending))
            probes += 1
        for at, target, region in sorted(extra):
            done, pending = _pending(target, region, at, probe.draw(target, region, at))
            finished.append((done, probes, pending))
            probes += 1
        finished.sort()  # (done, probes) are never equal: nothing further is compared
        due = bisect_right(finished, (now, math.inf))  # those done by now
        count([item[2] for item in finished[:due]])
        del finished[:due]
        engine.evaluate(now)
        plan = engine.probe_plan(now)
    return ReplayOutcome(scenario, probes, engine.incidents(), engine.history(), engine)


# A probe until it has finished: its result, or for a healthy answer what the engine
# counts of it (target, region, start, and `Answered`); replay makes millions, and most
# of them never need a result object.
Pending = ProbeResult | tuple[str, str, datetime, Answered]


def _pending(target: str, region: str, at: datetime, drawn: Drawn) -> tuple[datetime, Pending]:
    """When the probe finishes, and what replay holds of it until then."""
    if isinstance(drawn, ProbeResult):
        return at + timedelta(milliseconds=drawn.total_ms or 0.0), drawn
    return at + timedelta(milliseconds=drawn[1] or 0.0), (target, region, at, drawn)


class _Counting:
    """`engine.ingest` of finished probes, in order; healthy answers counted straight into
    their books (`TallyBook.add_answer`: what counting their results would do).

    Model by model: each model's probes in their order, which is all a model's book keeps
    (books are apart); one book's arrays at a time stay in the CPU's caches, where
    hundreds of books in turn would not."""

    def __init__(self, engine: StatusEngine, probe: VirtualProber) -> None:
        self.engine, self.probe = engine, probe
        self._books: dict[str, tuple[TallyBook, FailureClass]] = {}

    def __call__(self, ready: list[Pending]) -> None:
        by_model: dict[str, list[Pending]] = {}
        for item in ready:
            target = item[0] if item.__class__ is tuple else item.target  # type: ignore[union-attr]
            same = by_model.get(target)
            if same is None:
                by_model[target] = [item]
            else:
                same.append(item)
        for target, items in by_model.items():
            self._count(target, items)

    def _count(self, target: str, items: list[Pending]) -> None:
        engine, ok, answers = self.engine, FailureClass.OK, None
        for item in items:
            if item.__class__ is not tuple:
                engine.ingest((item,))  # type: ignore[arg-type]
                continue
            _, region, at, drawn = item  # type: ignore[misc]
            if answers is None:
                answers = self._books.get(target) or self._book(target)
            book, answered = answers
            if answered is not ok:  # never so far: kept as a problem, whole
                engine.ingest((self.probe.result(target, region, at, drawn),))
                continue
            key = _ids.getrandbits(128).to_bytes(16)  # a uuid4's worth of randomness
            book.add_answer(region, at.timestamp(), answered, drawn[1], key)

    def _book(self, target: str) -> tuple[TallyBook, FailureClass]:
        known = self._books[target] = (
            self.engine.health(target).book,
            self.probe.answered_class(target),
        )
        return known


def _scheduled_count(scenario: Scenario) -> float:
    rounds = scenario.duration_s / max(scenario.interval_s, 1e-9)
    return rounds * len(scenario.models) * len(scenario.regions)


def _drawn_here(
    scenario: Scenario, probe: VirtualProber
) -> Iterator[tuple[datetime, str, str, Drawn]]:
    draw = probe.draw
    for at, target, region, text in _scheduled_named(scenario):
        yield at, target, region, draw(target, region, at, text)


def _scheduled_named(scenario: Scenario) -> Iterator[tuple[datetime, str, str, str | None]]:
    """`scheduled`, each probe with its start as `isoformat()` writes it (its dice are seeded
    with it) where that is known without writing it anew, else None."""
    firsts = _firsts(scenario)
    step = timedelta(seconds=scenario.interval_s)
    if firsts and firsts[-1][0] - firsts[0][0] < step and _named_rounds_fit(firsts, step):
        return _named_rounds(firsts, step, scenario.end)
    return ((at, target, region, None) for at, target, region in scheduled(scenario))


def scheduled(scenario: Scenario) -> Iterator[tuple[datetime, str, str]]:
    """Every probe of the scenario in start order: (when, target, region)."""
    interval = scenario.interval_s
    firsts = _firsts(scenario)
    step = timedelta(seconds=interval)
    if firsts and firsts[-1][0] - firsts[0][0] < step:
        return _rounds(firsts, step, scenario.end)
    streams = [
        _every(first, interval, scenario.end, target, region) for first, target, region in firsts
    ]
    return heapq.merge(*streams)


def _firsts(scenario: Scenario) -> list[tuple[datetime, str, str]]:
    """Every stream's first probe, (when, target, region), in start order."""
    interval = scenario.interval_s
    return sorted(
        (
            scenario.start + timedelta(seconds=phase_offset(model.id, region, interval)),
            model.id,
            region,
        )
        for model in scenario.models
        for region in scenario.regions
    )


_MINUTE = timedelta(minutes=1)


def _named_rounds_fit(firsts: list[tuple[datetime, str, str]], step: timedelta) -> bool:
    """Whether a start's text is its minute's and its stream's first's seconds (UTC, and a
    step of whole minutes: the seconds never change within a stream)."""
    return step % _MINUTE == timedelta(0) and all(first.tzinfo is UTC for first, _, _ in firsts)


def _named_rounds(
    firsts: list[tuple[datetime, str, str]], step: timedelta, end: datetime
) -> Iterator[tuple[datetime, str, str, str]]:
    """`_rounds` with each start's `isoformat()`: "YYYY-MM-DDTHH:MM" of its minute (one text
    a minute, for every stream) and ":SS.ffffff+00:00" of its stream (`_named_rounds_fit`)."""
    base = firsts[0][0].replace(second=0, microsecond=0)
    streams = []
    for first, target, region in firsts:
        text = first.isoformat()
        streams.append((first, target, region, (first - base) // _MINUTE, text[16:]))
    minutes: list[str] = []
    shift, moved = timedelta(0), 0
    per_step, reach = step // _MINUTE, max(stream[3] for stream in streams)
    while True:
        while len(minutes) <= moved + reach:
            minutes.append((base + _MINUTE * len(minutes)).isoformat()[:16])
        for first, target, region, offset, seconds in streams:
            at = first + shift
            if at >= end:
                return  # the rounds only go later
            yield at, target, region, minutes[moved + offset] + seconds
        shift += step
        moved += per_step


def _rounds(
    firsts: list[tuple[datetime, str, str]], step: timedelta, end: datetime
) -> Iterator[tuple[datetime, str, str]]:
    """Every stream's k-th probe before any one's (k+1)-th, each round in the order of the
    first: what merging the streams gives when all first probes fall within one `step`
    (the phase offsets always do), without a heap."""
    shift = timedelta(0)
    while True:
        for first, target, region in firsts:
            at = first + shift
            if at >= end:
                return  # the rounds only go later
            yield at, target, region
        shift += step


def _confirmations(
    scenario: Scenario, plan: ProbePlan, since: datetime, until: datetime
) -> list[tuple[datetime, str, str]]:
    """The extra probes `plan` asks for between `since` and `until`, from every region, each
    on its own grid of the confirmation interval (as the live scheduler spreads them)."""
    probes = []
    for confirmation in plan.confirmations:
        step = confirmation.interval_s
        end = min(until, confirmation.until, scenario.end)
        for region in scenario.regions:
            phase = phase_offset(confirmation.target, region, step)
            offset = (since - scenario.start).total_seconds() - phase
            k = max(0, -int(-offset // step))  # the first grid point at or after `since`
            at = scenario.start + timedelta(seconds=phase + k * step)
            while at < end:
                probes.append((at, confirmation.target, region))
                at += timedelta(seconds=step)
    return sorted(probes)


def _every(
    first: datetime, interval_s: float, end: datetime, target: str, region: str
) -> Iterator[tuple[datetime, str, str]]:
    step = timedelta(seconds=interval_s)
    at = first
    while at < end:
        yield at, target, region
        at += step


def _targets(scenario: Scenario, settings: Settings) -> list[TargetInfo]:
    """Display names from the config where it has the model, else made from the id."""
    configured = {m.id: m.name for m in settings.models if m.display_name}
    providers = {p.id: p.name for p in settings.providers}
    return [
        TargetInfo(
            id=model.id,
            provider=model.provider,
            display_name=configured.get(model.id) or display_name_for(model.model),
            provider_name=providers.get(model.provider) or provider_name_for(model.provider),
        )
        for model in scenario.models
    ]


def replay_document(outcome: ReplayOutcome) -> dict[str, Any]:
    scenario = outcome.scenario
    models = {m.id for m in scenario.models}
    return {
        "scenario": scenario.name,
        "start": utc_iso(scenario.start),
        "end": utc_iso(scenario.end),
        "probes": outcome.probes,
        "incidents": [incident_document(i) for i in outcome.incidents],
        "statuses": _changes(outcome.history, SubjectKind.MODEL, models),
        "providers": _changes(
            outcome.history, SubjectKind.PROVIDER, {m.provider for m in scenario.models}
        ),
    }


def incident_document(incident: Incident) -> dict[str, Any]:
    """One incident as the replay JSON (and `aistatus incidents --json`) shows it."""
    return {
        "id": incident.id,
        "public": incident.public,
        "cause": str(incident.cause),
        "impact": str(incident.impact),
        "models": list(incident.models),
        "regions": sorted(incident.regions),
        "started_at": utc_iso(incident.started_at),
        "detected_at": utc_iso(incident.detected_at),
        "resolved_at": utc_iso(incident.resolved_at) if incident.resolved_at else None,
        "title": incident.display_title,
        "updates": [
            {"at": utc_iso(u.at), "status": str(u.status), "body": u.text} for u in incident.updates
        ],
    }


def _changes(
    history: dict[str, list[StatusChange]], kind: SubjectKind, subjects: set[str]
) -> dict[str, list[dict[str, str]]]:
    return {
        subject: [{"from": utc_iso(c.at), "status": str(c.status)} for c in changes]
        for subject, changes in sorted(history.items())
        if subject in subjects and changes and changes[0].kind is kind
    }
