"""Incident rows moved by the engine's events, each move a compare-and-set.

An event names the incident by its natural key, (provider, cause, started_at),
never by the engine's own id: that is only the engine's counter, restarted by
every rebuild. The store assigns the public id. Finding the row:

    same provider and cause, and started_at is the row's first or current start
      └─ none: the open row of that provider and cause (the engine keeps one open
         per pair; a rebuild over a shorter history sees it start later), for an
         opened event only if the row started no later than the event's
           └─ none: a new incident

Whether an event moves the row (`accepts`), given its stored state S and the
time of the last event applied:

    older than the last event applied        no: a rebuild replaying history
    previous_state == S                      yes: the engine's own next step,
                                                  back included (relapse, reopen)
    previous_state != S, new state after S   yes: catching up past a lost event
    otherwise                                no: already applied, or stale

Under the write lock (SQLite) or an advisory lock (PostgreSQL, see `Store`) no
other writer interleaves; the UPDATE checks the state and time it read anyway,
so a move is never written over one it did not see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select, update

from monitor.judging.incidents import EventKind, Incident, IncidentEvent, IncidentState, Update
from monitor.store.incident_records import (
    body_hash,
    moved_incident_row,
    new_incident_row,
    update_row,
)
from monitor.store.rows.dialects import insert_for, insert_new
from monitor.store.rows.schema import INCIDENT_TARGETS, INCIDENT_UPDATES, INCIDENTS

Row = Mapping[str, Any]
_ORDER = {state: rank for rank, state in enumerate(IncidentState)}


def accepts(stored_state: IncidentState, last_change: datetime, event: IncidentEvent) -> bool:
    """Whether `event` may move an incident stored in `stored_state` (see the module doc)."""
    if event.update.at < last_change:
        return False
    if event.previous_state is stored_state:
        return True
    return _ORDER[event.incident.state] > _ORDER[stored_state]


def record_incident_events(
    connection: Connection,
    events: Iterable[IncidentEvent],
    applied: list[tuple[int, IncidentEvent]] | None = None,
) -> int:
    """Apply the events in order; returns how many rows were written, and adds each
    event that moved an incident to `applied` with the incident's row id."""
    written = 0
    for event in events:
        rows, incident_id = _record(connection, event)
        written += rows
        if incident_id is not None and applied is not None:
            applied.append((incident_id, event))
    return written


def _record(connection: Connection, event: IncidentEvent) -> tuple[int, int | None]:
    """Rows written, and the incident's id if the event moved it."""
    opened = event.kind is EventKind.OPENED
    stored = _find(connection, event.incident, opened)
    if stored is None:
        incident_id = _insert(connection, event.incident, event.update.at)
        if incident_id is not None:
            updates = (*event.incident.updates, event.update)
            added = _add_details(connection, incident_id, updates, event.incident.models)
            return 1 + added, incident_id
        stored = _find(connection, event.incident, opened)  # inserted meanwhile by another
    if stored is None or not accepts(IncidentState(stored["state"]), stored["changed_at"], event):
        return 0, None
    moved = _move(connection, stored, moved_incident_row(stored, event.incident, event.update.at))
    if moved is None:
        return 0, None
    added = _add_details(connection, stored["id"], [event.update], event.incident.models)
    # Nothing new (the same event again) is not a change anyone is told about.
    return moved + added, (stored["id"] if moved + added else None)


def _add_details(
    connection: Connection, incident_id: int, updates: Sequence[Update], models: Iterable[str]
) -> int:
    return _add_updates(connection, incident_id, updates) + _link(connection, incident_id, models)


def _find(connection: Connection, incident: Incident, opened: bool) -> Row | None:
    columns = INCIDENTS.c
    start = incident.started_at
    same = select(INCIDENTS).where(
        columns.provider == incident.provider, columns.cause == incident.cause.value
    )
    exact = same.where(or_(columns.key_started_at == start, columns.started_at == start))
    found = connection.execute(exact.order_by(columns.id).limit(1)).mappings().first()
    if found is not None:
        return found
    still_open = same.where(columns.state != IncidentState.RESOLVED.value)
    if opened:
        still_open = still_open.where(columns.started_at <= start)
    return connection.execute(still_open.order_by(columns.id.desc()).limit(1)).mappings().first()


def _insert(connection: Connection, incident: Incident, at: datetime) -> int | None:
    """The new row's id; None if another writer stored the same natural key first."""
    statement = (
        insert_for(connection.dialect.name)(INCIDENTS)
        .values(new_incident_row(incident, at))
        .on_conflict_do_nothing(index_elements=["provider", "cause", "key_started_at"])
        .returning(INCIDENTS.c.id)
    )
    return connection.execute(statement).scalar()


def _move(connection: Connection, stored: Row, values: Row) -> int | None:
    """Compare-and-set: write `values` over the row if it is still in the state, and at
    the last change, that were read. Returns rows written (0 when nothing differs), or
    None when the row had moved meanwhile."""
    if all(stored[name] == value for name, value in values.items()):
        return 0  # the same event again: nothing to write
    columns = INCIDENTS.c
    statement = (
        update(INCIDENTS)
        .where(
            columns.id == stored["id"],
            columns.state == stored["state"],
            columns.changed_at == stored["changed_at"],
        )
        .values(values)
    )
    return 1 if connection.execute(statement).rowcount == 1 else None


def _add_updates(connection: Connection, incident_id: int, updates: Sequence[Update]) -> int:
    """Append the updates not stored yet, in order; returns how many were new."""
    added = 0
    for item in updates:
        if _has_update(connection, incident_id, item):
            continue
        position = _next_position(connection, incident_id)
        row = update_row(incident_id, position, item)
        connection.execute(INCIDENT_UPDATES.insert().values(row))
        added += 1
    return added


def _has_update(connection: Connection, incident_id: int, item: Update) -> bool:
    columns = INCIDENT_UPDATES.c
    same = and_(
        columns.incident_id == incident_id,
        columns.at == item.at,
        columns.status == item.status.value,
        columns.body_hash == body_hash(item.body),
    )
    return bool(connection.execute(select(exists().where(same))).scalar())


def _next_position(connection: Connection, incident_id: int) -> int:
    columns = INCIDENT_UPDATES.c
    last = select(func.max(columns.position)).where(columns.incident_id == incident_id)
    found = connection.execute(last).scalar()
    return 0 if found is None else found + 1


def _link(connection: Connection, incident_id: int, models: Iterable[str]) -> int:
    """Link the incident to its models; returns how many links were new."""
    rows = [{"incident_id": incident_id, "target": model} for model in sorted(set(models))]
    return len(insert_new(connection, INCIDENT_TARGETS, rows))


def set_title_override(connection: Connection, incident_id: int, title: str | None) -> bool:
    """Whether the incident exists; `None` clears the override."""
    statement = update(INCIDENTS).where(INCIDENTS.c.id == incident_id)
    return connection.execute(statement.values(title_override=title)).rowcount == 1


def set_body_override(
    connection: Connection, incident_id: int, position: int, body: str | None
) -> bool:
    """Whether the update exists; `None` clears the override."""
    columns = INCIDENT_UPDATES.c
    statement = update(INCIDENT_UPDATES).where(
        columns.incident_id == incident_id, columns.position == position
    )
    return connection.execute(statement.values(body_override=body)).rowcount == 1
