"""Synthetic probe results for the status and incident engine tests.

A `World` probes every model from every region once a minute on a virtual
clock, draws each probe from the first matching fault (else background noise),
feeds the engine and evaluates it after every round, recording what changed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

from monitor.clock import FakeClock
from monitor.config import StatusSettings
from monitor.judging.engine import EngineChanges, StatusEngine, TargetInfo
from monitor.judging.incidents import Incident
from monitor.judging.status import ComponentStatus
from monitor.results import FailureClass, Outcome, ProbeResult, TimeoutKind

START = datetime(2026, 6, 7, tzinfo=UTC)
REGIONS = ("us-east", "eu-west", "ap-southeast")
_ids = count()

Make = Callable[[str, str, datetime], ProbeResult]


def ok(
    target: str, region: str, at: datetime, total_ms: float = 1100.0, check: str = "arithmetic"
) -> ProbeResult:
    return ProbeResult(
        target=target,
        region=region,
        started_at=at,
        outcome=Outcome.OK,
        check=check,
        ttft_ms=total_ms * 0.5,
        total_ms=total_ms,
        http_status=200,
        answer_correct=True,
        id=str(next(_ids)),
    )


def http(
    status: int,
    error_type: str | None = None,
    cls: FailureClass | None = None,
    retry_after: float | None = None,
) -> Make:
    if cls is None:
        cls = FailureClass.INFRASTRUCTURE if status >= 500 else FailureClass.CONFIGURATION

    def make(target: str, region: str, at: datetime) -> ProbeResult:
        return ProbeResult(
            target=target,
            region=region,
            started_at=at,
            outcome=Outcome.HTTP_ERROR,
            failure_class=cls,
            http_status=status,
            error_type=error_type,
            retry_after_s=retry_after,
            total_ms=300.0,
            id=str(next(_ids)),
        )

    return make


def failing(
    outcome: Outcome,
    cls: FailureClass,
    timeout: TimeoutKind | None = None,
    error_type: str | None = None,
) -> Make:
    def make(target: str, region: str, at: datetime) -> ProbeResult:
        return ProbeResult(
            target=target,
            region=region,
            started_at=at,
            outcome=outcome,
            failure_class=cls,
            timeout=timeout,
            error_type=error_type,
            http_status=200 if outcome is Outcome.STREAM_ERROR else None,
            id=str(next(_ids)),
        )

    return make


def wrong_answer(target: str, region: str, at: datetime) -> ProbeResult:
    return ProbeResult(
        target=target,
        region=region,
        started_at=at,
        outcome=Outcome.WRONG_ANSWER,
        failure_class=FailureClass.QUALITY,
        ttft_ms=550.0,
        total_ms=1100.0,
        http_status=200,
        answer_correct=False,
        id=str(next(_ids)),
    )


def slow(factor: float) -> Make:
    def make(target: str, region: str, at: datetime) -> ProbeResult:
        return ok(target, region, at, total_ms=1100.0 * factor)

    return make


TIMEOUT = failing(Outcome.TIMEOUT, FailureClass.AMBIGUOUS, TimeoutKind.FIRST_TOKEN)
STREAM_ERROR = failing(
    Outcome.STREAM_ERROR, FailureClass.INFRASTRUCTURE, error_type="overloaded_error"
)
DNS = failing(Outcome.DNS, FailureClass.VANTAGE)
OVERLOADED = http(529, "overloaded_error")
UNAVAILABLE = http(503)
UNAUTHORIZED = http(401, "authentication_error")
RATE_LIMITED = http(429, "rate_limit_error", FailureClass.CAPACITY, retry_after=30.0)


@dataclass(frozen=True)
class Fault:
    models: frozenset[str]
    start: int  # minute offsets from START
    end: int
    make: Make
    rate: float = 1.0
    regions: frozenset[str] | None = None
    up_down: tuple[int, int] | None = None  # (minutes down, minutes up), repeating

    def hits(self, target: str, region: str, minute: int, rng: random.Random) -> bool:
        if target not in self.models or not self.start <= minute < self.end:
            return False
        if self.regions is not None and region not in self.regions:
            return False
        if self.up_down is not None:
            down, up = self.up_down
            if (minute - self.start) % (down + up) >= down:
                return False
        return self.rate >= 1.0 or rng.random() < self.rate


def fault(
    models: Iterable[str],
    start: int,
    end: int,
    make: Make,
    rate: float = 1.0,
    regions: Iterable[str] | None = None,
    up_down: tuple[int, int] | None = None,
) -> Fault:
    return Fault(
        frozenset(models),
        start,
        end,
        make,
        rate,
        frozenset(regions) if regions is not None else None,
        up_down,
    )


def targets(*ids: str) -> list[TargetInfo]:
    infos = []
    for tid in ids:
        provider, model = tid.split("/", 1)
        name = " ".join(part.capitalize() for part in model.split("-"))
        infos.append(TargetInfo(tid, provider, _display(model, name), provider.capitalize()))
    return infos


def _display(model: str, fallback: str) -> str:
    # claude-opus-4-7 -> Claude Opus 4.7
    parts = model.split("-")
    if len(parts) >= 2 and parts[-1].isdigit() and parts[-2].isdigit():
        return " ".join(p.capitalize() for p in parts[:-2]) + f" {parts[-2]}.{parts[-1]}"
    return fallback


@dataclass
class World:
    models: Sequence[TargetInfo]
    regions: Sequence[str] = REGIONS
    noise: float = 0.001  # background share of HTTP 500s
    noise_by_model: dict[str, float] = field(default_factory=dict)
    faults: Sequence[Fault] = ()
    seed: int = 7
    settings: StatusSettings = field(default_factory=StatusSettings)
    engine: StatusEngine = field(init=False)
    clock: FakeClock = field(init=False)
    changes: list[EngineChanges] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engine = StatusEngine(self.settings, self.models, self.regions)
        self.clock = FakeClock(START)
        self.rng = random.Random(self.seed)

    def run(self, minutes: int, start: int = 0) -> World:
        noise_error = http(500, "api_error")
        for minute in range(start, start + minutes):
            round_start = START + timedelta(minutes=minute)
            batch = []
            for index, region in enumerate(self.regions):
                at = round_start + timedelta(seconds=2 * index)
                for info in self.models:
                    batch.append(self._probe(info.id, region, at, minute, noise_error))
            self.engine.ingest(batch)
            self.clock.set(round_start + timedelta(seconds=50))
            changes = self.engine.evaluate(self.clock.now())
            if changes:
                self.changes.append(changes)
        return self

    def _probe(
        self, target: str, region: str, at: datetime, minute: int, noise_error: Make
    ) -> ProbeResult:
        for item in reversed(self.faults):
            if item.hits(target, region, minute, self.rng):
                return item.make(target, region, at)
        rate = self.noise_by_model.get(target, self.noise)
        if rate and self.rng.random() < rate:
            return noise_error(target, region, at)
        return ok(target, region, at)

    # -- what happened --------------------------------------------------------------------

    def incidents(self, public: bool | None = None) -> list[Incident]:
        found = self.engine.incidents()
        return [i for i in found if public is None or i.public is public]

    def statuses(self, subject: str) -> list[ComponentStatus]:
        return [change.status for change in self.engine.history()[subject]]


def at(minute: float) -> datetime:
    return START + timedelta(minutes=minute)
