"""`[status]` and `[status.incidents]`: the status engine's thresholds."""

from __future__ import annotations

from typing import Self

from pydantic import Field, field_validator, model_validator

from monitor.config.section import Seconds, Section


class IncidentSettings(Section):
    """How incidents move from `investigating` to `resolved`."""

    # A few more probe rounds must agree on the cause before the page says "identified".
    identify_after: Seconds = 300.0
    # Quiet time in `monitoring` before `resolved`; with status.recovery_window this is the
    # good spell a flapping model must hold before its incident closes (~13 minutes).
    resolve_after: Seconds = 180.0


class StatusSettings(Section):
    """Thresholds of the status engine: windows of probes judged against the model's own
    trailing baseline. monitor/judging/status.py explains each default."""

    windows: tuple[Seconds, ...] = (300.0, 900.0, 3600.0)  # entry windows, pooled regions
    false_alarm_rate: float = Field(default=1e-6, gt=0, lt=0.1)  # per window test
    min_failures: int = Field(default=3, ge=1)  # fewer never change a status
    min_effect: float = Field(default=0.05, gt=0, lt=1)  # share above baseline to matter
    baseline_window: Seconds = Field(default=86400.0, ge=3600)
    prior_failure_rate: float = Field(default=0.01, gt=0, lt=1)  # until there is history
    prior_weight: float = Field(default=20.0, ge=1)  # the prior counts as 20 probes
    partial_outage_share: float = Field(default=0.20, gt=0, lt=1)
    major_outage_share: float = Field(default=0.80, gt=0, le=1)
    level_window: Seconds = 900.0  # level from the last 15 minutes
    level_confidence_z: float = Field(default=1.64, gt=0)  # one-sided 95 % bounds
    recovery_window: Seconds = 600.0  # shortest clean stretch to leave
    recovery_min_probes: int = Field(default=20, ge=1)
    recovery_alpha: float = Field(default=0.001, gt=0, lt=0.5)
    region_odds: float = Field(default=10.0, ge=1)  # evidence needed to blame a side
    vantage_confirm: Seconds = 300.0  # a confined pattern must hold
    slow_factor: float = Field(default=2.0, gt=1)  # slow: beyond 2x the usual median
    latency_min_effect: float = Field(default=0.30, gt=0, lt=1)
    latency_min_history: int = Field(default=50, ge=1)
    prior_slow_rate: float = Field(default=0.05, gt=0, lt=1)
    quality_min_sample: int = Field(default=20, ge=1)
    quality_min_effect: float = Field(default=0.10, gt=0, lt=1)
    prior_wrong_rate: float = Field(default=0.02, gt=0, lt=1)
    incidents: IncidentSettings = IncidentSettings()
    # -- young models, outages and confirmation probing (monitor/judging/status.py) --
    # How sure the prior is of itself: what LLM APIs normally do is known from many of
    # them, so a model without history is tested as if its normal were known from this
    # many probes (its own history adds on top), not from the few minutes it has.
    prior_support: float = Field(default=200.0, ge=1)
    outage_share: float = Field(default=0.5, gt=0, le=1)  # no LLM API's normal...
    outage_min_probes: int = Field(default=6, ge=3)  # ...over at least this many probes
    confirm_interval: Seconds = 10.0  # probe a suspicious model this often...
    confirm_for: Seconds = 300.0  # ...for this long (0: never probe more often)
    confirm_alpha: float = Field(default=0.05, gt=0, lt=0.5)  # how odd is suspicious
    # Once the extra probes make it much odder (below confirm_alpha squared), this often.
    confirm_fast_interval: Seconds = 5.0
    # Above false_alarm_rate: degraded ("confirming") on weaker evidence than an incident
    # needs. Off by default: every such test is a chance of a false status on noise.
    confirming_alpha: float = Field(default=1e-6, gt=0, lt=0.1)

    @field_validator("confirm_interval", "confirm_fast_interval")
    @classmethod
    def _confirm_interval(cls, value: float) -> float:
        if value < 5:
            raise ValueError(f"must be at least 5s, got {value:g}s")
        return value

    @model_validator(mode="after")
    def _confirming(self) -> Self:
        if self.confirming_alpha < self.false_alarm_rate:
            raise ValueError(
                f"confirming_alpha ({self.confirming_alpha:g}) must not be below "
                f"false_alarm_rate ({self.false_alarm_rate:g})"
            )
        return self

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(w < 60 for w in value):
            raise ValueError("give one or more windows, each at least 60s (whole minutes)")
        return tuple(sorted(value))

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.partial_outage_share >= self.major_outage_share:
            raise ValueError(
                f"partial_outage_share ({self.partial_outage_share:g}) must be below "
                f"major_outage_share ({self.major_outage_share:g})"
            )
        return self
