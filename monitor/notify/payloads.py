"""Outbox facts as Statuspage-shaped webhook bodies, so existing consumers work unchanged.

    incident:  {meta, page, incident: {id, name, status, impact, created_at, updated_at,
                resolved_at, shortlink, incident_updates (newest first), components},
                aistatus}
    component: {meta, page, component: {id, name, status, ...},
                component_update: {old_status, new_status, created_at, component_id},
                aistatus}

Ids are the ones `/api/v2` serves (the same stable hashes), so a consumer can match a
webhook to the JSON API. aistatus's own evidence (cause, failure shares per class,
the quality verdict, signals, regions, the recommendation per model; for a
component, the reason behind its status) sits under `aistatus`, a key Statuspage
consumers ignore (monitor/notify/evidence.py). `event_id` there is stable: a
receiver de-duplicates on it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import quote

from monitor.clock import utc_iso
from monitor.config import Settings
from monitor.judging.advice import advise
from monitor.judging.status import ComponentStatus
from monitor.notify import evidence

Document = dict[str, Any]

DOCUMENTATION = "https://github.com/aistatus/aistatus#webhooks"
_INDICATOR = {"none": "none", "minor": "minor", "major": "major", "critical": "critical"}
_DESCRIPTION = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}


def stable_id(kind: str, key: str) -> str:
    """The id `/api/v2` gives the same thing (web/api/statuspage.py)."""
    return hashlib.blake2s(f"{kind}:{key}".encode(), digest_size=6).hexdigest()


def payload(
    settings: Settings,
    kind: str,
    event_id: str,
    event: Document,
    now: datetime,
    unsubscribe_url: str,
) -> Document:
    meta = {
        "unsubscribe": unsubscribe_url,
        "documentation": DOCUMENTATION,
        "generated_at": utc_iso(now),
    }
    if kind == "incident":
        return incident_payload(settings, event_id, event, meta)
    return component_payload(settings, event_id, event, meta)


def incident_payload(
    settings: Settings, event_id: str, facts: Document, meta: Document
) -> Document:
    incident_id = stable_id("incident", facts["id"])
    updates = facts["updates"]
    open_ = facts["state"] != "resolved"
    impact = facts["impact"] if open_ else "none"
    models = facts["models"]
    return {
        "meta": meta,
        "page": _page(settings, impact),
        "incident": {
            "id": incident_id,
            "name": facts["title"],
            "status": facts["state"],
            "impact": facts["impact"],
            "created_at": facts["detected_at"],
            "updated_at": updates[-1]["at"],
            "resolved_at": facts["resolved_at"] if not open_ else None,
            "shortlink": _absolute(settings, f"/incidents/{quote(facts['id'], safe='')}"),
            "incident_updates": [
                {
                    "id": stable_id("update", f"{facts['id']}/{u['position']}"),
                    "incident_id": incident_id,
                    "status": u["status"],
                    "body": u["body"],
                    "created_at": u["at"],
                    "updated_at": u["at"],
                    "display_at": u["at"],
                    "affected_components": [
                        {
                            "code": stable_id("component", m),
                            "name": _name(settings, m),
                            "new_status": _status_in(facts, m, u["status"]),
                        }
                        for m in models
                    ],
                }
                for u in reversed(updates)
            ],
            "components": [
                _component(settings, m, _status_in(facts, m, facts["state"])) for m in models
            ],
        },
        "aistatus": {
            "event_id": event_id,
            "incident_id": facts["id"],
            "public": facts["public"],
            "signals": facts["signals"],
            "regions": facts["regions"],
            "models": models,
            "active_models": facts["active_models"],
            "worst": facts["worst"],
            "started_at": facts["started_at"],
            **evidence.document(facts),  # cause, probes, failure_shares, quality, recommendation
        },
    }


def component_payload(
    settings: Settings, event_id: str, facts: Document, meta: Document
) -> Document:
    subject, new = facts["subject"], facts["new_status"]
    model = facts["subject_kind"] == "model"
    component_id = stable_id("component" if model else "group", subject)
    component = (
        _component(settings, subject, new)
        if model
        else {
            **_component(settings, subject, new),
            "id": component_id,
            "group": True,
            "group_id": None,
        }
    )
    severity = {
        "major_outage": "critical",
        "partial_outage": "major",
        "degraded_performance": "minor",
    }.get(new, "none")
    return {
        "meta": meta,
        "page": _page(settings, severity),
        "component": component,
        "component_update": {
            "old_status": facts["old_status"],
            "new_status": new,
            "created_at": facts["at"],
            "component_id": component_id,
        },
        "aistatus": {
            "event_id": event_id,
            "subject": subject,
            "reason": facts["reason"],
            "recommendation": advise(ComponentStatus(new), None, answers_worse=False)[0],
        },
    }


def _page(settings: Settings, impact: str) -> Document:
    """The indicator this event implies; the page's own, across all models, is at
    /api/v2/status.json."""
    return {
        "id": stable_id("page", settings.site.public_url),
        "status_indicator": _INDICATOR.get(impact, "none"),
        "status_description": _DESCRIPTION.get(impact, _DESCRIPTION["none"]),
    }


def _component(settings: Settings, target: str, status: str) -> Document:
    provider = target.split("/", 1)[0]
    return {
        "id": stable_id("component", target),
        "name": _name(settings, target),
        "status": status,
        "description": target,
        "group": False,
        "group_id": stable_id("group", provider),
        "page_id": stable_id("page", settings.site.public_url),
    }


def _status_in(facts: Document, model: str, state: str) -> str:
    if state == "resolved" or model not in facts["active_models"]:
        return "operational"
    worst: str = facts["worst"]
    return "degraded_performance" if worst == "operational" else worst


def _name(settings: Settings, target: str) -> str:
    for model in settings.models:
        if f"{model.provider}/{model.model}" == target:
            return model.display_name or model.model
    for provider in settings.providers:
        if provider.id == target:
            return provider.display_name or provider.id
    return target


def _absolute(settings: Settings, path: str) -> str:
    return settings.site.public_url.rstrip("/") + path
