"""Documents shaped like Statuspage's public `/api/v2/*.json`, so existing status
aggregators and client libraries can read aistatus unchanged.

Mapping:

- each judged model (provider configured, probed at least once) is a component;
  each provider with judged models is a component group (`group: true`,
  `components: [child ids]`) whose status is derived from its models
  (monitor/judging/status.py `provider_status`). Models without a status yet, and
  providers without an API key, are left out: Statuspage has no word for "not
  watched", and `operational` would be a claim we cannot back.
- the component's `description` is the target id (`anthropic/claude-opus-4-7`),
  so a client can map components back to models.
- ids are opaque and stable: 12 hex digits of a hash of the target id, the
  provider id or the incident id (`stable_id`).
- only public incidents appear; operator-only causes (configuration, vantage)
  never do. `incidents` lists the 50 newest, updates newest first.
- no scheduled maintenances exist: those lists are always empty.

The page indicator is the worst of the components and of the impact of the
public incidents still being worked on (investigating, identified):

    worst component status    indicator     description
    major_outage              critical      Major Service Outage
    partial_outage            major         Partial System Outage
    degraded_performance      minor         Minor Service Outage
    under_maintenance only    maintenance   Service Under Maintenance
    all operational           none          All Systems Operational
    no model judged yet       none          No models judged yet

An incident's impact (none/minor/major/critical) is itself an indicator.
Incidents in `monitoring` do not raise the indicator: the models are back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from monitor.clock import utc_iso
from monitor.judging.incidents import Incident, IncidentState
from monitor.judging.status import ComponentStatus
from web import public_paths
from web.queries.snapshots import ModelSnapshot, ProviderSnapshot, SiteSnapshot

MaintenanceKind = Literal["all", "upcoming", "active"]
INCIDENT_LIMIT = 50
TIME_ZONE = "Etc/UTC"
INDICATORS = ("none", "minor", "major", "critical")
DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
    "maintenance": "Service Under Maintenance",
}
NOT_JUDGED = "No models judged yet"
_INDICATOR_OF = {
    ComponentStatus.OPERATIONAL: "none",
    ComponentStatus.UNDER_MAINTENANCE: "none",
    ComponentStatus.DEGRADED_PERFORMANCE: "minor",
    ComponentStatus.PARTIAL_OUTAGE: "major",
    ComponentStatus.MAJOR_OUTAGE: "critical",
}
_WORKING = frozenset({IncidentState.INVESTIGATING, IncidentState.IDENTIFIED})

Document = dict[str, Any]


def stable_id(kind: str, key: str) -> str:
    return hashlib.blake2s(f"{kind}:{key}".encode(), digest_size=6).hexdigest()


# -- documents --------------------------------------------------------------------------


def summary(snapshot: SiteSnapshot) -> Document:
    return {
        "page": page(snapshot),
        "components": components_list(snapshot),
        "incidents": _incidents(snapshot, _unresolved(snapshot)),
        "scheduled_maintenances": [],
        "status": status_object(snapshot),
    }


def status(snapshot: SiteSnapshot) -> Document:
    return {"page": page(snapshot), "status": status_object(snapshot)}


def components(snapshot: SiteSnapshot) -> Document:
    return {"page": page(snapshot), "components": components_list(snapshot)}


def incidents(snapshot: SiteSnapshot) -> Document:
    recent = snapshot.public_incidents[:INCIDENT_LIMIT]
    return {"page": page(snapshot), "incidents": _incidents(snapshot, recent)}


def unresolved_incidents(snapshot: SiteSnapshot) -> Document:
    return {"page": page(snapshot), "incidents": _incidents(snapshot, _unresolved(snapshot))}


def scheduled_maintenances(snapshot: SiteSnapshot, kind: MaintenanceKind = "all") -> Document:
    """aistatus schedules no maintenance; the lists exist so clients find them."""
    if kind not in ("all", "upcoming", "active"):
        raise ValueError(f"kind must be all, upcoming or active, got {kind!r}")
    return {"page": page(snapshot), "scheduled_maintenances": []}


# -- parts ------------------------------------------------------------------------------


def page(snapshot: SiteSnapshot) -> Document:
    site = snapshot.site
    return {
        "id": stable_id("page", site.public_url),
        "name": site.title,
        "url": site.public_url,
        "time_zone": TIME_ZONE,
        "updated_at": utc_iso(_page_updated(snapshot)),
    }


def status_object(snapshot: SiteSnapshot) -> Document:
    word = indicator(snapshot)
    if word == "none" and not any(p.judged for p in snapshot.providers):
        # Statuspage's indicator has no word for "not judged", but its description is
        # free text: "All Systems Operational" over no component would be the claim the
        # overview refuses to make in the first minutes ("probed, not judged yet").
        return {"indicator": word, "description": NOT_JUDGED}
    return {"indicator": word, "description": DESCRIPTIONS[word]}


def indicator(snapshot: SiteSnapshot) -> str:
    """The page indicator (module docstring's table)."""
    judged = [m.shown for p in snapshot.providers for m in p.judged if m.shown is not None]
    words = [_INDICATOR_OF[s] for s in judged]
    words += [i.impact.value for i in _unresolved(snapshot) if i.state in _WORKING]
    worst = max(words, key=INDICATORS.index, default="none")
    if worst == "none" and ComponentStatus.UNDER_MAINTENANCE in judged:
        return "maintenance"
    return worst


def components_list(snapshot: SiteSnapshot) -> list[Document]:
    page_id = stable_id("page", snapshot.site.public_url)
    listed: list[Document] = []
    for provider in snapshot.providers:
        children = [
            _component(m, provider, page_id, snapshot.generated_at) for m in provider.judged
        ]
        if children:
            listed.append(_group(provider, children, page_id))
            listed.extend(children)
    for position, component in enumerate(listed, start=1):
        component["position"] = position
    return listed


def _component(
    model: ModelSnapshot, provider: ProviderSnapshot, page_id: str, now: datetime
) -> Document:
    created = model.first_seen_at or model.status_since or now
    updated = model.status_since or created
    return {
        "id": stable_id("component", model.id),
        "name": model.target.display_name,
        "status": provider.model_word(model),
        "created_at": utc_iso(created),
        "updated_at": utc_iso(updated),
        "position": 0,
        "description": model.id,
        "showcase": True,
        "start_date": created.astimezone(UTC).date().isoformat(),
        "group_id": stable_id("group", provider.info.id),
        "page_id": page_id,
        "group": False,
        "only_show_if_degraded": False,
    }


def _group(provider: ProviderSnapshot, children: list[Document], page_id: str) -> Document:
    return {
        "id": stable_id("group", provider.info.id),
        "name": provider.info.display_name,
        "status": provider.status_word,
        "created_at": min(c["created_at"] for c in children),
        "updated_at": max(c["updated_at"] for c in children),
        "position": 0,
        "description": provider.info.id,
        "showcase": False,
        "start_date": min(c["start_date"] for c in children),
        "group_id": None,
        "page_id": page_id,
        "group": True,
        "only_show_if_degraded": False,
        "components": [c["id"] for c in children],
    }


def _incidents(snapshot: SiteSnapshot, chosen: Iterable[Incident]) -> list[Document]:
    by_target = {c["description"]: c for c in components_list(snapshot) if not c["group"]}
    return [_incident(snapshot, incident, by_target) for incident in chosen]


def _incident(
    snapshot: SiteSnapshot, incident: Incident, by_target: dict[str, Document]
) -> Document:
    incident_id = stable_id("incident", incident.id)
    return {
        "id": incident_id,
        "name": incident.display_title,
        "status": incident.state.value,
        "created_at": utc_iso(incident.detected_at),
        "updated_at": utc_iso(_last_change(incident)),
        "monitoring_at": _iso(_monitoring_at(incident)),
        "resolved_at": _iso(incident.resolved_at),
        "impact": incident.impact.value,
        "shortlink": public_paths.absolute(snapshot.site, public_paths.incident_page(incident.id)),
        "started_at": utc_iso(incident.started_at),
        "page_id": stable_id("page", snapshot.site.public_url),
        "incident_updates": _updates(incident, incident_id),
        "components": [by_target[t] for t in incident.models if t in by_target],
    }


def _updates(incident: Incident, incident_id: str) -> list[Document]:
    updates = [
        {
            "id": stable_id("update", f"{incident.id}/{index}"),
            "status": update.status.value,
            "body": update.text,
            "incident_id": incident_id,
            "created_at": utc_iso(update.at),
            "updated_at": utc_iso(update.at),
            "display_at": utc_iso(update.at),
            "affected_components": None,
            "deliver_notifications": True,
            "custom_tweet": None,
            "tweet_id": None,
        }
        for index, update in enumerate(incident.updates)
    ]
    return updates[::-1]


# -- times ------------------------------------------------------------------------------


def _unresolved(snapshot: SiteSnapshot) -> list[Incident]:
    return [i for i in snapshot.public_incidents if i.is_open]


def _last_change(incident: Incident) -> datetime:
    return max((u.at for u in incident.updates), default=incident.detected_at)


def _monitoring_at(incident: Incident) -> datetime | None:
    if incident.state not in (IncidentState.MONITORING, IncidentState.RESOLVED):
        return None
    times = [u.at for u in incident.updates if u.status is IncidentState.MONITORING]
    return max(times, default=incident.monitoring_since)


def _page_updated(snapshot: SiteSnapshot) -> datetime:
    """The latest change the page shows, so an unchanged page keeps its time."""
    times: Iterable[datetime | None] = (
        *(m.status_since for p in snapshot.providers for m in p.judged),
        *(_last_change(i) for i in snapshot.public_incidents[:INCIDENT_LIMIT]),
    )
    return max((t for t in times if t is not None), default=snapshot.generated_at)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else utc_iso(when)
