"""Incidents and their updates, translated to and from rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from monitor.judging.incidents import Impact, Incident, IncidentState, Update
from monitor.judging.status import Cause, ComponentStatus

_LISTS = ("models", "regions", "signals")  # only ever grow while an incident lives


def body_hash(body: str) -> str:
    """What the unique key of an update holds instead of its body, which may be long."""
    return hashlib.sha256(body.encode()).hexdigest()


def new_incident_row(incident: Incident, changed_at: datetime) -> dict[str, Any]:
    """The row for an incident seen for the first time; its natural key is fixed here."""
    row = _engine_fields(incident, changed_at)
    row.update(
        provider=incident.provider,
        cause=incident.cause.value,
        key_started_at=incident.started_at,
        detected_at=incident.detected_at,
        title_override=incident.title_override,
        **{name: sorted(getattr(incident, name)) for name in _LISTS},
    )
    return row


def moved_incident_row(
    stored: Mapping[str, Any], incident: Incident, changed_at: datetime
) -> dict[str, Any]:
    """The values an engine event writes over a stored incident.

    Never the operator's overrides, the natural key or when it was first detected.
    The lists and the start are merged rather than replaced: an engine rebuilt from
    a shorter history knows less of the incident than the store does.
    """
    row = _engine_fields(incident, changed_at)
    row["started_at"] = min(stored["started_at"], incident.started_at)
    for name in _LISTS:
        row[name] = sorted({*stored[name], *getattr(incident, name)})
    return row


def _engine_fields(incident: Incident, changed_at: datetime) -> dict[str, Any]:
    return {
        # Configuration and vantage incidents are ours: private whatever the record says.
        "public": incident.public and incident.cause.public,
        "impact": incident.impact.value,
        "state": incident.state.value,
        "active_models": sorted(incident.active_models),
        "started_at": incident.started_at,
        "resolved_at": incident.resolved_at,
        "monitoring_since": incident.monitoring_since,
        "title": incident.title,
        "worst": incident.worst.value,
        "changed_at": changed_at,
    }


def update_row(incident_id: int, position: int, update: Update) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "position": position,
        "at": update.at,
        "status": update.status.value,
        "body": update.body,
        "body_hash": body_hash(update.body),
        "body_override": update.body_override,
    }


def row_to_update(row: Mapping[str, Any]) -> Update:
    return Update(
        at=row["at"],
        status=IncidentState(row["status"]),
        body=row["body"],
        body_override=row["body_override"],
    )


def row_to_incident(row: Mapping[str, Any], updates: Iterable[Update]) -> Incident:
    """The incident with its stored (public) id, its overrides and `updates`."""
    return Incident(
        id=str(row["id"]),
        provider=row["provider"],
        cause=Cause(row["cause"]),
        public=row["public"],
        impact=Impact(row["impact"]),
        state=IncidentState(row["state"]),
        models=tuple(row["models"]),
        active_models=tuple(row["active_models"]),
        regions=tuple(row["regions"]),
        signals=tuple(row["signals"]),
        started_at=row["started_at"],
        detected_at=row["detected_at"],
        resolved_at=row["resolved_at"],
        title=row["title"],
        updates=tuple(updates),
        worst=ComponentStatus(row["worst"]),
        monitoring_since=row["monitoring_since"],
        title_override=row["title_override"],
    )
