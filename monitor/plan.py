"""The probe plan: which models the status engine wants probed more often, until when.

The status engine publishes a plan (plain data) after it evaluates; the scheduler reads
the latest plan when it schedules. Neither calls the other: in the worker a `PlanBoard`
sits between them, and replay reads the engine's plan in its own loop. Probes made for
a plan are ordinary probes: stored and counted like any other, never a hidden retry.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Confirmation:
    """Probe `target` every `interval_s` seconds until `until`, because of `reason`."""

    target: str
    until: datetime
    interval_s: float
    reason: str  # "a failure", "a slow/wrong answer", "recovering", "no history yet"


@dataclass(frozen=True, slots=True)
class ProbePlan:
    confirmations: tuple[Confirmation, ...] = ()

    def due(self, target: str, now: datetime) -> Confirmation | None:
        """The confirmation that asks for more probes of `target` at `now`, if any."""
        for confirmation in self.confirmations:
            if confirmation.target == target and now < confirmation.until:
                return confirmation
        return None

    def __bool__(self) -> bool:
        return bool(self.confirmations)


class PlanBoard:
    """The latest plan, shared between the evaluator's thread and the prober's."""

    def __init__(self) -> None:
        self._plan = ProbePlan()
        self._lock = threading.Lock()

    def publish(self, plan: ProbePlan) -> None:
        with self._lock:
            self._plan = plan

    def current(self) -> ProbePlan:
        with self._lock:
            return self._plan
