"""Snapshots and incidents for the feed, API and metrics tests.

`scene()` is a small site that has everything at once: a provider with one
model in a major outage and a healthy sibling, a model answering wrong, a
provider without an API key, a model never probed, a model whose name is
hostile, and public, resolved and operator-only incidents.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.config import SiteSettings
from monitor.judging.incidents import Impact, Incident, IncidentState, Update
from monitor.judging.quality import QualityVerdict
from monitor.judging.status import Cause, ComponentStatus
from monitor.results import FailureClass
from monitor.store import ProviderInfo, Target
from web.queries.snapshots import (
    Latency,
    ModelSnapshot,
    ProviderSnapshot,
    Quality,
    RegionState,
    SiteSnapshot,
)

NOW = datetime(2026, 6, 7, 12, 0, tzinfo=UTC)
SITE = SiteSettings(
    title="AI status", description="Per-model health", public_url="https://status.example.org"
)
HOSTILE = '<script>alert("x")</script> ]]> & \x00\x07\x1f'
HOSTILE_MODEL = 'evil"model\\with\nnewline<script>'
SECRET_ENV = "ANTHROPIC_API_KEY_PROD"


def target(target_id: str, **overrides: Any) -> Target:
    provider, _, model = target_id.partition("/")
    fields: dict[str, Any] = {
        "id": target_id,
        "provider": provider,
        "model": model,
        "display_name": model.title(),
        "group": None,
        "enabled": True,
        "simulated": False,
        "interval_s": 60.0,
        "price_input_per_mtok": 15.0,
        "price_output_per_mtok": 75.0,
    }
    fields.update(overrides)
    return Target(**fields)


def provider_info(provider_id: str, *, missing_key: str | None = None) -> ProviderInfo:
    reason = f"set {missing_key}" if missing_key else None
    return ProviderInfo(provider_id, provider_id.title(), "anthropic", False, reason)


def model(
    target_id: str, status: ComponentStatus | None = ComponentStatus.OPERATIONAL, **overrides: Any
) -> ModelSnapshot:
    fields: dict[str, Any] = {
        "target": target(target_id),
        "status": status,
        "status_since": NOW - timedelta(hours=2),
        "first_seen_at": NOW - timedelta(days=30),
        "last_probe_at": NOW - timedelta(seconds=20),
        "failures_last_hour": {FailureClass.OK: 118, FailureClass.CAPACITY: 2},
        "ttft": Latency(612.0, 1480.5, 120),
        "total": Latency(2140.0, 4020.25, 120),
        "quality": Quality(QualityVerdict.CORRECT, 0.99, 0.985, 120, 5000),
        "regions": (
            RegionState("eu-west", ComponentStatus.OPERATIONAL, 60, 1, NOW),
            RegionState("us-east", ComponentStatus.OPERATIONAL, 60, 1, NOW),
        ),
    }
    fields.update(overrides)
    return ModelSnapshot(**fields)


def incident(
    incident_id: str,
    *,
    provider: str = "anthropic",
    models: tuple[str, ...] = ("anthropic/opus",),
    cause: Cause = Cause.INFRASTRUCTURE,
    state: IncidentState = IncidentState.INVESTIGATING,
    title: str = "Errors on Opus",
    start: datetime = NOW - timedelta(minutes=30),
    updates: int = 1,
    **overrides: Any,
) -> Incident:
    states = [
        IncidentState.INVESTIGATING,
        IncidentState.IDENTIFIED,
        IncidentState.MONITORING,
        IncidentState.RESOLVED,
    ]
    written = tuple(
        Update(
            start + timedelta(minutes=5 * (n + 1)),
            states[min(n, 3)],
            f"Update {n} of {incident_id}.\n\nSecond paragraph.",
        )
        for n in range(updates)
    )
    fields: dict[str, Any] = {
        "id": incident_id,
        "provider": provider,
        "cause": cause,
        "public": cause.public,
        "impact": Impact.CRITICAL if cause.public else Impact.NONE,
        "state": state,
        "models": models,
        "active_models": models if state is not IncidentState.RESOLVED else (),
        "regions": ("eu-west", "us-east"),
        "signals": ("availability",),
        "started_at": start,
        "detected_at": start + timedelta(minutes=5),
        "resolved_at": None,
        "title": title,
        "updates": written,
        "worst": ComponentStatus.MAJOR_OUTAGE,
    }
    if state is IncidentState.RESOLVED:
        fields["resolved_at"] = written[-1].at
        fields["monitoring_since"] = written[-1].at - timedelta(minutes=3)
    fields.update(overrides)
    return Incident(**fields)


def scene(**overrides: Any) -> SiteSnapshot:
    anthropic = ProviderSnapshot(
        provider_info("anthropic"),
        (
            model(
                "anthropic/opus",
                ComponentStatus.MAJOR_OUTAGE,
                failures_last_hour={FailureClass.OK: 10, FailureClass.INFRASTRUCTURE: 100},
            ),
            model("anthropic/sonnet"),
            model(
                "anthropic/haiku",
                None,
                status_since=None,
                first_seen_at=None,
                last_probe_at=None,
                failures_last_hour={},
                ttft=Latency(),
                total=Latency(),
                quality=Quality(),
                regions=(),
            ),
        ),
    )
    openai = ProviderSnapshot(
        provider_info("openai"),
        (
            model("openai/gpt", quality=Quality(QualityVerdict.DEGRADED, 0.7, 0.98, 200)),
            model(
                f"openai/{HOSTILE_MODEL}",
                ComponentStatus.DEGRADED_PERFORMANCE,
                target=target(f"openai/{HOSTILE_MODEL}", display_name=HOSTILE),
            ),
        ),
    )
    gemini = ProviderSnapshot(
        provider_info("gemini", missing_key=SECRET_ENV),
        (model("gemini/flash", ComponentStatus.OPERATIONAL),),
    )
    incidents = (
        incident("7", updates=2, state=IncidentState.IDENTIFIED),
        incident(
            "5",
            state=IncidentState.RESOLVED,
            updates=4,
            title="Slow Sonnet",
            models=("anthropic/sonnet",),
            start=NOW - timedelta(days=2),
            impact=Impact.MINOR,
        ),
        incident(
            "6",
            cause=Cause.CONFIGURATION,
            title="Bad key for Gemini",
            provider="gemini",
            models=("gemini/flash",),
        ),
    )
    fields: dict[str, Any] = {
        "site": SITE,
        "generated_at": NOW,
        "providers": (anthropic, openai, gemini),
        "incidents": incidents,
    }
    fields.update(overrides)
    return SiteSnapshot(**fields)


def single_model_site(status: ComponentStatus | None, *incidents: Incident) -> SiteSnapshot:
    provider = ProviderSnapshot(provider_info("anthropic"), (model("anthropic/opus", status),))
    return SiteSnapshot(SITE, NOW, (provider,), tuple(incidents))


def with_state(record: Incident, state: IncidentState) -> Incident:
    return replace(record, state=state)
