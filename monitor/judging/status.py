"""Status words, and how a provider's status follows from its models'.

A model's status comes from its own probes only (monitor/judging/health.py judges them);
a provider's status is *derived* from its models and never pushes back down:
one failing model never marks its siblings.

How the engine decides (defaults in monitor/config/status.py `StatusSettings`):

- windows 5m, 15m, 1h (each plus the current minute), every region pooled:
  5m catches a big fault within a few rounds, 1h a small share failing.
- false_alarm_rate 1e-6 per window test, binomial tail against the model's
  baseline (beta-binomial while the baseline is young): models are tested
  every minute, ~5 million tests per 10 models a year; a week of 1-2 % noise
  on 10 models raised nothing in 10 of 10 simulated weeks.
- min_failures 3: one or two bad probes never change a status.
- min_effect 0.05: besides being surprising, the share must be 5 points above
  the baseline; a real 0.3 % -> 0.6 % drift is not an outage.
- baseline_window 24h: a day covers a daily cycle; the baseline leaves out bad
  episodes and holds back minutes while the 1h window looks suspicious, so a slow
  fault does not become the new normal (a 12 h incident resolves as fast as a
  12 min one).
- prior_failure_rate 1 %, prior_support 200: until a model has history it is judged
  against what LLM APIs normally do, as if known from 200 probes, not against its
  first uncertain minutes; a model whose normal is 4 % moves its baseline there
  within hours (3 days of 1-4 % noise from a fresh start raised nothing).
- outage_share 0.5 over outage_min_probes 6: a share no LLM API has as its normal
  is an outage whatever the baseline learnt (still surprising at the prior's share,
  so 3 of 6 at a noisy model is not).
- confirm_interval 10s for confirm_for 5m, confirm_alpha 0.05: a model that looks
  odd for itself, a model clean for longer than its failing share explains, and a
  model with no history are probed more often (monitor/judging/confirm.py); once
  those probes make it odder than confirm_alpha squared (1 in 400), every
  confirm_fast_interval 5s for another 5m: a 25 % fault at one vantage point at 60 s
  is confirmed within ~5 minutes of its first failed probe, while a noisy model's
  passing suspicions stay at 10 s. confirming_alpha (off: equal to false_alarm_rate)
  shows degraded on weaker evidence while those probes come in.
- while a suspicion's probes come in (and until its first minute leaves it), the 5m
  window starts where the suspicion did: the probes that raised it were
  picked for looking bad, and counted with the many probes they brought a chance
  streak grew into an incident (one in 20 simulated weeks of 1-2 % noise at three
  regions). Only what comes after confirms it.
- partial_outage_share 0.20, major_outage_share 0.80, level_window 15m, z 1.64:
  a level goes up when the share's lower bound passes its threshold, down when
  the upper bound over twice the window falls below it: no flapping between
  levels while a share hovers near a threshold.
- recovery_window 10m, recovery_min_probes 20, recovery_alpha 0.001: leaving
  needs a stretch that is plausible under the baseline and implausible under
  the share the episode failed at: ten quiet minutes end a 35 % fault, a 10 %
  fault needs 20-40.
- region_odds 10: blame goes to our network (or the provider) only when that
  explains the per-region counts ten times better; until then the engine waits.
- vantage_confirm 5m: the longest wait, both for an undecided pattern and
  before an operator-only vantage incident; a provider fault spreads to every
  region within that time.
- slow_factor 2, latency_min_effect 0.30, latency_min_history 50, prior 5 %:
  a probe is slow beyond twice the model's usual median; 30 points more slow
  probes than usual is degraded_performance; not judged before 50 latencies.
- quality_min_sample 20, quality_min_effect 0.10, prior 2 %: wrong answers are
  judged in windows with 20 or more answers and need a 10-point rise.
- incidents.identify_after 5m, incidents.resolve_after 3m: "identified" once a
  few more rounds agree on the cause; resolved 3 minutes after every model has
  recovered, so a model must be good ~13 minutes before its incident closes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    UNDER_MAINTENANCE = "under_maintenance"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @property
    def affected(self) -> bool:
        return self.severity > 0


_SEVERITY = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 0,
    ComponentStatus.DEGRADED_PERFORMANCE: 1,
    ComponentStatus.PARTIAL_OUTAGE: 2,
    ComponentStatus.MAJOR_OUTAGE: 3,
}


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    return max(statuses, key=lambda status: status.severity, default=ComponentStatus.OPERATIONAL)


def level_for_share(share: float, partial: float, major: float) -> ComponentStatus:
    """The status a failing share earns on its own (at least degraded: it was significant)."""
    if share >= major:
        return ComponentStatus.MAJOR_OUTAGE
    if share >= partial:
        return ComponentStatus.PARTIAL_OUTAGE
    return ComponentStatus.DEGRADED_PERFORMANCE


def next_level(
    current: ComponentStatus, lower: float, upper: float, partial: float, major: float
) -> ComponentStatus:
    """Move a level up when the share's lower bound passes a threshold, down when its
    upper bound falls below one; in between, keep it (hysteresis between levels)."""
    up = level_for_share(lower, partial, major)
    if up.severity > current.severity:
        return up
    down = level_for_share(upper, partial, major)
    if down.severity < current.severity:
        return down
    return current


class Cause(StrEnum):
    """Why a model is failing, from the evidence. Configuration and vantage are ours."""

    INFRASTRUCTURE = "infrastructure"  # 5xx, overloaded, timeouts, mid-stream errors, slowness
    CAPACITY = "capacity"  # 429 with a time to come back
    QUALITY = "quality"  # answers wrong more often than usual
    CONFIGURATION = "configuration"  # our key, quota or model name
    VANTAGE = "vantage"  # our network at some vantage points
    UNKNOWN = "unknown"  # only timeouts/resets, from a single vantage point

    @property
    def public(self) -> bool:
        return self not in (Cause.CONFIGURATION, Cause.VANTAGE)


class SubjectKind(StrEnum):
    MODEL = "model"
    PROVIDER = "provider"


@dataclass(frozen=True, slots=True)
class StatusChange:
    subject: str  # a target id ("anthropic/claude-opus-4-7") or a provider id
    kind: SubjectKind
    status: ComponentStatus
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    status: ComponentStatus
    affected: int  # models not operational (maintenance is not "affected")
    total: int

    @property
    def summary(self) -> str:
        if not self.affected:
            return f"all {self.total} models operational" if self.total != 1 else "operational"
        noun = "model" if self.total == 1 else "models"
        return f"{self.affected} of {self.total} {noun} affected"


def provider_status(models: Iterable[ComponentStatus]) -> ProviderStatus:
    """A provider's status, from its models' statuses only.

    Every model in major outage -> major_outage; any model in an outage -> partial_outage
    (part of the provider is out); otherwise the worst of degraded/operational. A
    provider whose every model is under maintenance is under maintenance.
    """
    statuses = list(models)
    affected = [status for status in statuses if status.affected]
    total = len(statuses)
    if statuses and all(s is ComponentStatus.UNDER_MAINTENANCE for s in statuses):
        return ProviderStatus(ComponentStatus.UNDER_MAINTENANCE, 0, total)
    if not affected:
        return ProviderStatus(ComponentStatus.OPERATIONAL, 0, total)
    if len(affected) == total and all(s is ComponentStatus.MAJOR_OUTAGE for s in affected):
        status = ComponentStatus.MAJOR_OUTAGE
    elif any(s.severity >= ComponentStatus.PARTIAL_OUTAGE.severity for s in affected):
        status = ComponentStatus.PARTIAL_OUTAGE
    else:
        status = ComponentStatus.DEGRADED_PERFORMANCE
    return ProviderStatus(status, len(affected), total)
