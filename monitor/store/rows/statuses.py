"""Status changes: a row per change of a model's or provider's status, appended with a guard.

A change is stored only when it is later than the subject's latest stored change
and says something different. So the stored history only ever grows forward: a
rebuilt engine that regenerates the last day of changes, or a second engine,
adds nothing and never makes an old status the latest again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select

from monitor.judging.status import ComponentStatus, StatusChange, SubjectKind
from monitor.store.rows.dialects import insert_for, value_in
from monitor.store.rows.schema import STATUS_CHANGES


def record_status_changes(
    connection: Connection,
    changes: Iterable[StatusChange],
    stored: list[tuple[StatusChange, ComponentStatus | None]] | None = None,
) -> int:
    """Append the changes that pass the guard; returns how many were stored, and adds
    each to `stored` with the status it replaced (None: the subject's first)."""
    changes = sorted(changes, key=lambda change: change.at)
    if not changes:
        return 0
    subjects = sorted({change.subject for change in changes})
    latest = {change.subject: change for change in _latest(connection, subjects)}
    fresh = []
    for change in changes:
        last = latest.get(change.subject)
        if last is None or (change.at > last.at and change.status != last.status):
            fresh.append(change)
            latest[change.subject] = change
            if stored is not None:
                stored.append((change, last.status if last else None))
    if fresh:
        statement = insert_for(connection.dialect.name)(STATUS_CHANGES).on_conflict_do_nothing(
            index_elements=["subject", "at"]
        )
        connection.execute(statement, [_to_row(change) for change in fresh])
    return len(fresh)


def read_current_statuses(connection: Connection) -> dict[str, StatusChange]:
    return {change.subject: change for change in _latest(connection)}


def read_status_changes(
    connection: Connection,
    subject: str | None,
    since: datetime | None,
    until: datetime | None,
) -> list[StatusChange]:
    """Changes with `since <= at < until`, oldest first."""
    columns = STATUS_CHANGES.c
    query = select(STATUS_CHANGES)
    if subject is not None:
        query = query.where(columns.subject == subject)
    if since is not None:
        query = query.where(columns.at >= since)
    if until is not None:
        query = query.where(columns.at < until)
    rows = connection.execute(query.order_by(columns.at, columns.id)).mappings()
    return [_from_row(row) for row in rows]


def _latest(connection: Connection, subjects: Sequence[str] | None = None) -> list[StatusChange]:
    """The newest change of each subject (of these `subjects`, or of all)."""
    rows = connection.execute(_latest_query(subjects, connection.dialect.name)).mappings()
    return [_from_row(row) for row in rows]


def _latest_query(subjects: Sequence[str] | None, dialect: str) -> Select[Any]:
    columns = STATUS_CHANGES.c
    rank = func.row_number().over(
        partition_by=columns.subject, order_by=(columns.at.desc(), columns.id.desc())
    )
    ranked = select(STATUS_CHANGES, rank.label("rank"))
    if subjects is not None:
        ranked = ranked.where(value_in(columns.subject, subjects, dialect))
    inner = ranked.subquery()
    return (
        select(*(inner.c[column.name] for column in STATUS_CHANGES.c))
        .where(inner.c.rank == 1)
        .order_by(inner.c.subject)
    )


def _to_row(change: StatusChange) -> dict[str, Any]:
    return {
        "subject": change.subject,
        "kind": change.kind.value,
        "status": change.status.value,
        "at": change.at,
        "reason": change.reason,
    }


def _from_row(row: Mapping[str, Any]) -> StatusChange:
    return StatusChange(
        subject=row["subject"],
        kind=SubjectKind(row["kind"]),
        status=ComponentStatus(row["status"]),
        at=row["at"],
        reason=row["reason"],
    )
