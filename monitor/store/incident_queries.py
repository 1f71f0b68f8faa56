"""Reading incidents back: lists for pages, one for its own page, updates for feeds.

Private incidents (configuration and vantage: our key, our network) are left out
unless asked for, in the query itself, so no caller can forget the filter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, or_, select

from monitor.judging.incidents import Incident, IncidentState, Update
from monitor.store.incident_records import row_to_incident, row_to_update
from monitor.store.rows.dialects import value_in
from monitor.store.rows.schema import INCIDENT_TARGETS, INCIDENT_UPDATES, INCIDENTS

_RESOLVED = IncidentState.RESOLVED.value


@dataclass(frozen=True, slots=True)
class Visible:
    """Which incidents a reader may see: the filters every incident read shares."""

    include_private: bool = False
    target: str | None = None
    provider: str | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        columns = INCIDENTS.c
        if not self.include_private:
            query = query.where(columns.public.is_(True))
        if self.provider is not None:
            query = query.where(columns.provider == self.provider)
        if self.target is not None:
            links = INCIDENT_TARGETS.c
            linked = select(links.incident_id).where(links.target == self.target)
            query = query.where(columns.id.in_(linked))
        return query


def read_incidents(
    connection: Connection,
    visible: Visible,
    *,
    since: datetime | None = None,
    open_only: bool = False,
    limit: int | None = None,
) -> list[Incident]:
    """Newest first (by started_at); `since` keeps those open or resolved after it."""
    columns = INCIDENTS.c
    query = visible.apply(select(INCIDENTS))
    if open_only:
        query = query.where(columns.state != _RESOLVED)
    if since is not None:
        query = query.where(or_(columns.resolved_at.is_(None), columns.resolved_at >= since))
    query = query.order_by(columns.started_at.desc(), columns.id.desc()).limit(limit)
    return _with_updates(connection, list(connection.execute(query).mappings()))


def read_incident(connection: Connection, incident_id: int, visible: Visible) -> Incident | None:
    query = visible.apply(select(INCIDENTS).where(INCIDENTS.c.id == incident_id))
    return next(iter(_with_updates(connection, list(connection.execute(query).mappings()))), None)


def read_recent_updates(
    connection: Connection, visible: Visible, limit: int
) -> list[tuple[Incident, Update]]:
    """The newest `limit` updates of the visible incidents, newest first, each with its
    incident (which carries all its updates)."""
    updates = INCIDENT_UPDATES.c
    query = visible.apply(
        select(INCIDENT_UPDATES).join(INCIDENTS, INCIDENTS.c.id == updates.incident_id)
    )
    query = query.order_by(
        updates.at.desc(), updates.incident_id.desc(), updates.position.desc()
    ).limit(limit)
    rows = list(connection.execute(query).mappings())
    ids = list(dict.fromkeys(row["incident_id"] for row in rows))
    incidents = dict(zip(ids, _read_by_id(connection, ids), strict=True))
    return [(incidents[row["incident_id"]], row_to_update(row)) for row in rows]


def _read_by_id(connection: Connection, ids: Sequence[int]) -> list[Incident]:
    """The incidents with these ids, in the same order."""
    if not ids:
        return []
    query = select(INCIDENTS).where(value_in(INCIDENTS.c.id, ids, connection.dialect.name))
    rows = {row["id"]: row for row in connection.execute(query).mappings()}
    return _with_updates(connection, [rows[incident_id] for incident_id in ids])


def _with_updates(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> list[Incident]:
    ids = [row["id"] for row in rows]
    updates: dict[int, list[Update]] = {incident_id: [] for incident_id in ids}
    if ids:
        columns = INCIDENT_UPDATES.c
        query = (
            select(INCIDENT_UPDATES)
            .where(value_in(columns.incident_id, ids, connection.dialect.name))
            .order_by(columns.incident_id, columns.position)
        )
        for row in connection.execute(query).mappings():
            updates[row["incident_id"]].append(row_to_update(row))
    return [row_to_incident(row, updates[row["id"]]) for row in rows]
