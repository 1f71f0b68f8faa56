"""Use or avoid: the one rule behind every recommendation aistatus gives a gateway.

    avoid  while the model is in an outage or under maintenance, while its errors of the
           last 15 minutes (since it was back to normal, if later: `recent_since`) are
           significant and at an outage's share (the engine may still be confirming
           them), or while its answers are worse than usual
    use    otherwise

The site (web/queries/story.py: /api/v1, /api/v1/routing, the health endpoint) and
notifications (monitor/notify/evidence.py: webhooks, mails, operator channels) both
ask `advise`, so a webhook never says "use" while the routing signal says "avoid".

"Significant" is the engine's own test (monitor/judging/quality.py's binomial rule
with the availability thresholds of `StatusSettings`): at least `min_failures` failed
probes, a share `min_effect` above the baseline, and a tail probability under
`false_alarm_rate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.config import StatusSettings
from monitor.judging.quality import AnswerEvidence, QualityRule, QualityVerdict, answer_verdict
from monitor.judging.status import ComponentStatus, StatusChange, level_for_share

# What "now" is for advice, on the site and in notifications alike.
RECENT_WINDOW = timedelta(minutes=15)
MONITORING_STARTED = "monitoring started"  # the reason of a model's first status
USE = "use"
AVOID = "avoid"
ELEVATED_ERRORS = "elevated_errors"
QUALITY_DEGRADED = "quality_degraded"
AVOID_STATUSES = frozenset(
    {
        ComponentStatus.MAJOR_OUTAGE,
        ComponentStatus.PARTIAL_OUTAGE,
        ComponentStatus.UNDER_MAINTENANCE,
    }
)


@dataclass(frozen=True, slots=True)
class Errors:
    """Probes the provider answers for in a window (up or down), the failed ones among
    them, and the model's usual failed share."""

    probes: int
    failed: int
    baseline: float  # the usual failed share, the prior blended in
    history: int = 0  # probes behind the baseline; 0: the prior alone

    @property
    def share(self) -> float | None:
        return self.failed / self.probes if self.probes else None


def recent_since(now: datetime, change: StatusChange | None) -> datetime:
    """Where "now" begins for a model's errors: RECENT_WINDOW back, or where the engine
    last said it is operational again, if later. The errors before that are judged and
    over: counting them again kept a recovered model "confirming" elevated errors for up
    to 15 minutes after the engine, its incident and its webhooks said it was back."""
    start = now - RECENT_WINDOW
    if (
        change is not None
        and change.status is ComponentStatus.OPERATIONAL
        and not change.reason.startswith(MONITORING_STARTED)
        and change.at > start
    ):
        return change.at
    return start


def errors_level(seen: Errors, settings: StatusSettings) -> ComponentStatus | None:
    """The level these errors earn on their own: None without probes, `operational` unless
    they are significant (module docstring), else the level of their share."""
    if not seen.probes:
        return None
    rule = QualityRule(
        settings.min_failures,
        settings.min_effect,
        settings.false_alarm_rate,
        settings.level_confidence_z,
    )
    test = AnswerEvidence(seen.probes, seen.failed, seen.baseline)
    if seen.failed < settings.min_failures or answer_verdict(test, rule) is not (
        QualityVerdict.DEGRADED
    ):
        return ComponentStatus.OPERATIONAL
    return level_for_share(
        seen.failed / seen.probes, settings.partial_outage_share, settings.major_outage_share
    )


def advise(
    status: ComponentStatus | None, errors: ComponentStatus | None, answers_worse: bool
) -> tuple[str, list[str]]:
    """`use` or `avoid`, and the words behind an `avoid`: `status` is the engine's,
    `errors` the level of the last 15 minutes' errors (`errors_level`)."""
    reasons: list[str] = []
    if status is not None and status in AVOID_STATUSES:
        reasons.append(status.value)
    elif errors is not None and errors.severity >= ComponentStatus.PARTIAL_OUTAGE.severity:
        reasons.append(ELEVATED_ERRORS)
    if answers_worse:
        reasons.append(QUALITY_DEGRADED)
    return (AVOID if reasons else USE), reasons
