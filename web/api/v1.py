"""aistatus's own JSON API (`/api/v1/*`): what Statuspage's shape cannot say.

Per model: its status, the last hour's probes by failure class, time to first
token and total latency (p50/p95), the quality verdict with its pass rate and
baseline, per-region statuses, and a `recommendation` a gateway can act on:

    avoid   the engine's status is major_outage, partial_outage or
            under_maintenance; or, before the engine has confirmed it, the last
            15 minutes' errors are significant and at an outage's share
            (`elevated_errors`); or the quality verdict is degraded (fast but
            wrong answers)
    use     otherwise: operational, degraded_performance (slower, still
            answering right), and models without evidence yet (no_data,
            not_configured): aistatus only advises against a model on evidence

`recommendation_reasons` lists the words behind an `avoid` (`major_outage`,
`elevated_errors`, `quality_degraded`, ...); it is empty for `use`. Status,
recommendation and the note beside them come from the model's one story
(web/queries/story.py), the same the pages show.

For gateways, the same recommendation twice more: `health_document` (one model,
`/api/v1/models/<provider>/<model>/health`, answered 503 with `Retry-After` on
`avoid` so a plain HTTP health check can act on it) and `routing_document`
(`/api/v1/routing`, every model at once). `deployment_state` maps it onto
LiteLLM's gauge meaning for `/metrics`.

Shares are 0..1, latencies milliseconds, times UTC ISO 8601 with `Z`. Only
public incidents appear. `web/api/openapi.py` describes every document; tests
validate each against it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.clock import utc_iso
from monitor.judging.advice import USE, advise
from monitor.judging.incidents import Incident
from monitor.judging.quality import QualityVerdict
from monitor.judging.status import ComponentStatus
from monitor.results import FailureClass
from web import public_paths
from web.queries.snapshots import (
    Latency,
    ModelSnapshot,
    ProviderSnapshot,
    Quality,
    RegionState,
    SiteSnapshot,
)

INCIDENT_LIMIT = 50
MODEL_INCIDENT_LIMIT = 20

Document = dict[str, Any]


def recommendation(model: ModelSnapshot, provider: ProviderSnapshot) -> tuple[str, list[str]]:
    """`use` or `avoid`, and the reasons for `avoid` (module docstring)."""
    if model.story is not None:
        return model.story.advice()
    if not provider.info.configured:
        return USE, []
    return advise(model.status, None, model.quality.verdict is QualityVerdict.DEGRADED)


def deployment_state(model: ModelSnapshot, provider: ProviderSnapshot) -> int | None:
    """LiteLLM's `deployment_state`: 0 healthy, 1 partial, 2 outage; None without evidence.

    2 for the statuses a model is unusable in (major outage, maintenance); 1 for one
    that answers only in part or only slowly, or answers wrong (quality degraded)."""
    if not provider.info.configured or model.status is None:
        return None
    if model.status in (ComponentStatus.MAJOR_OUTAGE, ComponentStatus.UNDER_MAINTENANCE):
        return 2
    if (
        model.status in (ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.DEGRADED_PERFORMANCE)
        or model.quality.verdict is QualityVerdict.DEGRADED
    ):
        return 1
    return 0


# -- documents --------------------------------------------------------------------------


def models_document(snapshot: SiteSnapshot) -> Document:
    return {
        "generated_at": utc_iso(snapshot.generated_at),
        "models": [
            model_object(snapshot, provider, model)
            for provider in snapshot.providers
            for model in provider.models
        ],
    }


def model_document(snapshot: SiteSnapshot, target_id: str) -> Document:
    """One model and its public incidents (newest 20); KeyError for an unknown target."""
    provider = snapshot.provider_of(target_id)
    model = snapshot.model(target_id)
    touching = [i for i in snapshot.public_incidents if target_id in i.models]
    return {
        "generated_at": utc_iso(snapshot.generated_at),
        "model": model_object(snapshot, provider, model),
        "incidents": [incident_object(snapshot, i) for i in touching[:MODEL_INCIDENT_LIMIT]],
    }


def health_document(snapshot: SiteSnapshot, target_id: str) -> Document:
    """One model's routing advice; KeyError for an unknown target."""
    return {
        "generated_at": utc_iso(snapshot.generated_at),
        **routing_object(snapshot, snapshot.provider_of(target_id), snapshot.model(target_id)),
    }


def routing_document(snapshot: SiteSnapshot) -> Document:
    return {
        "generated_at": utc_iso(snapshot.generated_at),
        "models": [
            routing_object(snapshot, provider, model)
            for provider in snapshot.providers
            for model in provider.models
        ],
    }


def providers_document(snapshot: SiteSnapshot) -> Document:
    return {
        "generated_at": utc_iso(snapshot.generated_at),
        "providers": [provider_object(p) for p in snapshot.providers],
    }


def incidents_document(
    snapshot: SiteSnapshot, *, open_only: bool = False, limit: int = INCIDENT_LIMIT
) -> Document:
    """Public incidents, newest first; `open_only` leaves out resolved ones."""
    chosen = [i for i in snapshot.public_incidents if i.is_open or not open_only]
    return {
        "generated_at": utc_iso(snapshot.generated_at),
        "incidents": [incident_object(snapshot, i) for i in chosen[:limit]],
    }


# -- objects ----------------------------------------------------------------------------


def model_object(
    snapshot: SiteSnapshot, provider: ProviderSnapshot, model: ModelSnapshot
) -> Document:
    action, reasons = recommendation(model, provider)
    target = model.target
    return {
        "id": model.id,
        "provider": target.provider,
        "model": target.model,
        "name": target.display_name,
        "status": provider.model_word(model),
        "status_since": _iso(model.status_since),
        "status_note": model.story.note if model.story is not None else None,
        "recommendation": action,
        "recommendation_reasons": reasons,
        "simulated": target.simulated,
        "last_probe_at": _iso(model.last_probe_at),
        "last_hour": {
            "probes": model.probes_last_hour,
            "by_class": {failure.value: model.count(failure) for failure in FailureClass},
        },
        "latency": {"ttft": _latency(model.ttft), "total": _latency(model.total)},
        "quality": _quality(model.quality),
        "form": _quality(model.form),
        "regions": [_region(r) for r in model.regions],
        "open_incidents": [
            i.id for i in snapshot.public_incidents if i.is_open and model.id in i.models
        ],
        "links": _links(snapshot, model.id),
    }


def routing_object(
    snapshot: SiteSnapshot, provider: ProviderSnapshot, model: ModelSnapshot
) -> Document:
    """What a gateway needs: the advice, why, and since when the status behind it holds."""
    action, reasons = recommendation(model, provider)
    return {
        "id": model.id,
        "recommendation": action,
        "reasons": reasons,
        "status": provider.model_word(model),
        "since": _iso(model.status_since),
        "open_incidents": [
            i.id for i in snapshot.public_incidents if i.is_open and model.id in i.models
        ],
        "url": public_paths.absolute(snapshot.site, public_paths.model_page(model.id)),
    }


def provider_object(provider: ProviderSnapshot) -> Document:
    status = provider.status
    return {
        "id": provider.info.id,
        "name": provider.info.display_name,
        "status": provider.status_word,
        "configured": provider.info.configured,
        "simulated": provider.info.simulated,
        "models_total": len(provider.models),
        "models_affected": status.affected if status else 0,
        "models": [m.id for m in provider.models],
    }


def incident_object(snapshot: SiteSnapshot, incident: Incident) -> Document:
    return {
        "id": incident.id,
        "title": incident.display_title,
        "status": incident.state.value,
        "impact": incident.impact.value,
        "cause": incident.cause.value,
        "provider": incident.provider,
        "models": list(incident.models),
        "active_models": list(incident.active_models),
        "regions": list(incident.regions),
        "signals": list(incident.signals),
        "started_at": utc_iso(incident.started_at),
        "detected_at": utc_iso(incident.detected_at),
        "resolved_at": _iso(incident.resolved_at),
        "url": public_paths.absolute(snapshot.site, public_paths.incident_page(incident.id)),
        "updates": [
            {"at": utc_iso(u.at), "status": u.status.value, "text": u.text}
            for u in reversed(incident.updates)
        ],
    }


def _latency(latency: Latency) -> Document:
    return {
        "p50_ms": _round(latency.p50_ms, 1),
        "p95_ms": _round(latency.p95_ms, 1),
        "samples": latency.samples,
    }


def _quality(quality: Quality) -> Document:
    return {
        "verdict": quality.verdict.value,
        "pass_rate": _round(quality.pass_rate, 4),
        # Null until the model has answers before today: a prior is not an observation.
        "baseline_pass_rate": _round(quality.observed_baseline, 4),
        "answers": quality.answers,
        "baseline_answers": quality.baseline_answers,
    }


def _region(region: RegionState) -> Document:
    return {
        "region": region.region,
        "status": region.status.value if region.status else "no_data",
        "probes": region.probes,
        "failures": region.failures,
        "last_probe_at": _iso(region.last_probe_at),
    }


def _links(snapshot: SiteSnapshot, target_id: str) -> Document:
    site = snapshot.site
    return {
        "page": public_paths.absolute(site, public_paths.model_page(target_id)),
        "api": public_paths.absolute(site, public_paths.model_api(target_id)),
        "badge": public_paths.absolute(site, public_paths.badge(target_id)),
    }


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else utc_iso(when)
