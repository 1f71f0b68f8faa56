"""Outbox rows, deliveries and subscriptions: the statements behind `Notifications`.

    engine change ──same transaction──► outbox row (facts as they were, event id)
    fan_out:  outbox row ──► a delivery per matching active subscription; operator-only
              incidents to operator channels only (`wants`)
    claim:    due deliveries, leased for a while: a crashed worker's lease runs out;
              a subscriber's oldest pending one only, so it hears events in order
    finish:   sent | retried later | failed for good | given up, many in one statement
    lanes:    a receiver that timed out is served in the slow lane until it answers

An outbox row's `event_id` is unique: an engine replaying changes (a rebuild, a
second engine) adds no second notification. A delivery is unique per (outbox row,
subscription): fanning out twice after a crash adds nothing either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, func, or_, select, update

from monitor.judging.incidents import IncidentEvent
from monitor.judging.status import ComponentStatus, StatusChange, SubjectKind
from monitor.store import incident_queries
from monitor.store.incident_queries import Visible
from monitor.store.rows.dialects import insert_for
from monitor.store.rows.schema import DELIVERIES, OUTBOX, SUBSCRIPTIONS

Row = Mapping[str, Any]

PENDING, SENT, FAILED, GAVE_UP = "pending", "sent", "failed", "gave_up"
ACTIVE, DISABLED, REMOVED = "active", "disabled", "removed"
OPERATOR = "operator"  # a subscription kind: an operator channel from the config
PUBLIC_INCIDENTS, OPERATOR_INCIDENTS = "public_incidents", "operator_incidents"
COMPONENT_CHANGES = "component_changes"
EVENTS = (PUBLIC_INCIDENTS, OPERATOR_INCIDENTS, COMPONENT_CHANGES)
SUBSCRIBER_EVENTS = (PUBLIC_INCIDENTS, COMPONENT_CHANGES)


# -- written with the engine's changes ------------------------------------------------


def enqueue(
    connection: Connection,
    statuses: Iterable[tuple[StatusChange, ComponentStatus | None]],
    incidents: Iterable[tuple[int, IncidentEvent]],
) -> int:
    """Outbox rows for the status changes and incident events just stored."""
    rows = [_component_row(change, old) for change, old in statuses if old is not None]
    for incident_id, event in incidents:
        row = _incident_row(connection, incident_id, event)
        if row is not None:
            rows.append(row)
    if not rows:
        return 0
    statement = insert_for(connection.dialect.name)(OUTBOX).on_conflict_do_nothing(
        index_elements=["event_id"]
    )
    return int(connection.execute(statement, rows).rowcount or 0)


def _component_row(change: StatusChange, old: ComponentStatus) -> dict[str, Any]:
    model = change.kind is SubjectKind.MODEL
    return {
        "event_id": f"component.{change.subject}.{_stamp(change.at)}",
        "kind": "component",
        "provider": change.subject.split("/", 1)[0] if model else change.subject,
        "models": [change.subject] if model else [],
        "public": True,
        "at": change.at,
        "event": {
            "subject": change.subject,
            "subject_kind": change.kind.value,
            "old_status": old.value,
            "new_status": change.status.value,
            "at": _iso(change.at),
            "reason": change.reason,
        },
        "fanned_out": False,
    }


def _incident_row(connection: Connection, incident_id: int, event: IncidentEvent) -> Row | None:
    incident = incident_queries.read_incident(connection, incident_id, Visible(True))
    if incident is None:
        return None
    # The updates up to this event's: a late delivery still says what was said then.
    updates = []
    for update_ in incident.updates:
        updates.append(update_)
        if update_.at == event.update.at and update_.status is event.update.status:
            break
    facts = {
        "id": incident.id,
        "provider": incident.provider,
        "cause": incident.cause.value,
        "public": incident.public,
        "impact": incident.impact.value,
        "state": updates[-1].status.value,
        "title": incident.display_title,
        "models": list(incident.models),
        "active_models": list(event.incident.active_models),
        "regions": list(incident.regions),
        "signals": list(incident.signals),
        "worst": event.incident.worst.value,
        # What the probes showed then (monitor/judging/summary.py); None from an
        # operator's override, which changes words, not evidence.
        "evidence": dict(event.evidence) if event.evidence is not None else None,
        "started_at": _iso(incident.started_at),
        "detected_at": _iso(incident.detected_at),
        "resolved_at": _iso(event.incident.resolved_at),
        "updates": [
            {"position": n, "at": _iso(u.at), "status": u.status.value, "body": u.text}
            for n, u in enumerate(updates)
        ],
    }
    return {
        "event_id": f"incident.{incident.id}.{len(updates) - 1}.{_stamp(event.update.at)}",
        "kind": "incident",
        "provider": incident.provider,
        "models": list(incident.models),
        "public": incident.public,
        "at": event.update.at,
        "event": facts,
        "fanned_out": False,
    }


# -- fan-out ------------------------------------------------------------------------------


def fan_out(connection: Connection, now: datetime, limit: int = 100) -> int:
    """Deliveries for up to `limit` outbox rows not fanned out yet; returns how many."""
    pending = list(
        connection.execute(
            select(OUTBOX).where(OUTBOX.c.fanned_out.is_(False)).order_by(OUTBOX.c.id).limit(limit)
        ).mappings()
    )
    if not pending:
        return 0
    active = list(
        connection.execute(select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.state == ACTIVE)).mappings()
    )
    created = 0
    for row in pending:
        chosen = [s["id"] for s in active if wants(s, row)]
        if chosen:
            statement = insert_for(connection.dialect.name)(DELIVERIES).on_conflict_do_nothing(
                index_elements=["outbox_id", "subscription_id"]
            )
            result = connection.execute(
                statement,
                [
                    {
                        "outbox_id": row["id"],
                        "subscription_id": sid,
                        "state": PENDING,
                        "attempts": 0,
                        "created_at": now,
                        "next_attempt_at": now,
                    }
                    for sid in chosen
                ],
            )
            created += int(result.rowcount or 0)
        connection.execute(update(OUTBOX).where(OUTBOX.c.id == row["id"]).values(fanned_out=True))
    return created


def event_of(outbox: Row) -> str:
    """Which of EVENTS an outbox row is."""
    if outbox["kind"] == "component":
        return COMPONENT_CHANGES
    return PUBLIC_INCIDENTS if outbox["public"] else OPERATOR_INCIDENTS


def wants(subscription: Row, outbox: Row) -> bool:
    """Operator-only incidents (our key, our network) reach operator channels only,
    whatever else a row says; then the events it chose, then its providers and models."""
    event = event_of(outbox)
    if event == OPERATOR_INCIDENTS and subscription["kind"] != OPERATOR:
        return False
    return event in (subscription["events"] or SUBSCRIBER_EVENTS) and matches(subscription, outbox)


def matches(subscription: Row, outbox: Row) -> bool:
    """Nothing chosen: the whole site; else one of its providers or models is touched."""
    providers, models = subscription["providers"], subscription["models"]
    if not providers and not models:
        return True
    return outbox["provider"] in providers or bool(set(models) & set(outbox["models"]))


# -- deliveries ---------------------------------------------------------------------------


def claim(
    connection: Connection,
    now: datetime,
    until: datetime,
    limit: int,
    channel: str | None = None,
    *,
    slow: bool | None = None,
) -> list[Row]:
    """Up to `limit` due deliveries of active subscriptions (of one `channel`, email or
    webhook, if given; of receivers in the slow lane or not, if `slow` says), leased to
    the caller until `until`, each with its outbox row and subscription; oldest due first.

    Two statements whatever `limit`: one UPDATE takes the batch, one SELECT reads it
    (a compare-and-set per delivery made a 10,000-mail fan-out wait on its claims)."""
    columns = DELIVERIES.c
    # The batch is chosen from an alias: a subquery naming `deliveries` itself would be
    # correlated to the UPDATE's row, and take every row instead of `limit`.
    candidate = DELIVERIES.alias("candidate")
    free = or_(candidate.c.claimed_until.is_(None), candidate.c.claimed_until <= now)
    # One subscriber hears its events in order, one at a time: only its oldest pending
    # delivery is ever due (a receiver failing on it gets nothing newer meanwhile).
    earlier = DELIVERIES.alias("earlier")
    older_pending = exists().where(
        earlier.c.subscription_id == candidate.c.subscription_id,
        earlier.c.state == PENDING,
        earlier.c.outbox_id < candidate.c.outbox_id,
    )
    due = (
        select(candidate.c.id)
        .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == candidate.c.subscription_id)
        .where(
            candidate.c.state == PENDING,
            candidate.c.next_attempt_at <= now,
            free,
            SUBSCRIPTIONS.c.state == ACTIVE,
            ~older_pending,
        )
        .order_by(candidate.c.next_attempt_at, candidate.c.id)
        .limit(limit)
    )
    if channel is not None:
        due = due.where(SUBSCRIPTIONS.c.kind == channel)
    if slow is not None:
        slowed = SUBSCRIPTIONS.c.slow_until > now
        due = due.where(slowed if slow else or_(SUBSCRIPTIONS.c.slow_until.is_(None), ~slowed))
    if connection.dialect.name == "postgresql":
        # Two workers claiming at once take different rows instead of queueing on the
        # same ones. SQLite has one writer at a time (BEGIN IMMEDIATE): the UPDATE
        # below runs alone, which is as safe.
        due = due.with_for_update(skip_locked=True, of=candidate)
    # A CTE, chosen once: as a plain `IN (subquery)` PostgreSQL took every due row,
    # not `limit`. The state is asked again in the UPDATE: a row another worker leased
    # between the SELECT and here is not taken twice.
    batch = due.cte("batch")
    still_free = or_(columns.claimed_until.is_(None), columns.claimed_until <= now)
    taken = list(
        connection.execute(
            update(DELIVERIES)
            .where(columns.id.in_(select(batch.c.id)), columns.state == PENDING, still_free)
            .values(claimed_until=until)
            .returning(columns.id)
        ).scalars()
    )
    if not taken:
        return []
    query = (
        select(
            columns.id,
            columns.attempts,
            columns.created_at,
            OUTBOX.c.event_id,
            OUTBOX.c.kind,
            OUTBOX.c.event,
            OUTBOX.c.at,
            SUBSCRIPTIONS.c.id.label("subscription_id"),
            SUBSCRIPTIONS.c.kind.label("channel"),
            SUBSCRIPTIONS.c.address,
            SUBSCRIPTIONS.c.salt,
        )
        .join(OUTBOX, OUTBOX.c.id == columns.outbox_id)
        .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == columns.subscription_id)
        .where(columns.id.in_(taken))
        .order_by(columns.next_attempt_at, columns.id)
    )
    return list(connection.execute(query).mappings())


def finish_many(connection: Connection, endings: Sequence[Mapping[str, Any]]) -> None:
    """Record attempts: one statement executed for many rows (`delivery_id`, `state`,
    `at`, `next_attempt_at`, `error`). A retried one keeps its `next_attempt_at` unless
    given; only a sent one gets `sent_at`."""
    if not endings:
        return
    columns = DELIVERIES.c
    statement = (
        update(DELIVERIES)
        .where(columns.id == bindparam("b_id"))
        .values(
            state=bindparam("b_state"),
            attempts=columns.attempts + 1,
            claimed_until=None,
            last_error=bindparam("b_error"),
            sent_at=func.coalesce(
                bindparam("b_sent_at", type_=columns.sent_at.type), columns.sent_at
            ),
            next_attempt_at=func.coalesce(
                bindparam("b_next_at", type_=columns.next_attempt_at.type), columns.next_attempt_at
            ),
        )
    )
    connection.execute(
        statement,
        [
            {
                "b_id": end["delivery_id"],
                "b_state": end["state"],
                "b_error": end["error"],
                "b_sent_at": end["at"] if end["state"] == SENT else None,
                "b_next_at": end["next_attempt_at"],
            }
            for end in endings
        ],
    )


def receivers_answered(
    connection: Connection, subscription_ids: Iterable[int], *, delivered: bool
) -> None:
    """These receivers answered: out of the slow lane; and if they took the delivery,
    their count of permanent failures in a row starts again."""
    columns = SUBSCRIPTIONS.c
    values: dict[str, Any] = {"slow_until": None}
    changed = columns.slow_until.is_not(None)
    if delivered:
        values["permanent_failures"] = 0
        changed = or_(changed, columns.permanent_failures > 0)
    for ids in _chunks(subscription_ids):
        connection.execute(update(SUBSCRIPTIONS).where(columns.id.in_(ids), changed).values(values))


def receivers_slowed(connection: Connection, until: Mapping[int, datetime]) -> None:
    """These receivers (subscription id: until when) timed out: their deliveries go
    through the slow lane until then. One statement, executed for each."""
    if until:
        connection.execute(
            update(SUBSCRIPTIONS)
            .where(SUBSCRIPTIONS.c.id == bindparam("b_id"))
            .values(slow_until=bindparam("b_until", type_=SUBSCRIPTIONS.c.slow_until.type)),
            [{"b_id": subscription_id, "b_until": at} for subscription_id, at in until.items()],
        )


def _chunks(ids: Iterable[int], size: int = 1000) -> Iterator[list[int]]:
    """Sorted, without repeats, in lists short enough for any driver's parameter limit."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def subscription_answered(
    connection: Connection,
    subscription_id: int,
    *,
    permanent_failure: bool,
    disable_after: int,
    reason: str | None = None,
) -> bool:
    """Count a permanent failure (or reset the count on success); True if now disabled."""
    columns = SUBSCRIPTIONS.c
    where = columns.id == subscription_id
    if not permanent_failure:
        connection.execute(
            update(SUBSCRIPTIONS)
            .where(where, columns.permanent_failures > 0)
            .values(permanent_failures=0)
        )
        return False
    connection.execute(
        update(SUBSCRIPTIONS).where(where).values(permanent_failures=columns.permanent_failures + 1)
    )
    disabled = connection.execute(
        update(SUBSCRIPTIONS)
        .where(where, columns.state == ACTIVE, columns.permanent_failures >= disable_after)
        .values(state=DISABLED, disabled_reason=reason)
    )
    if disabled.rowcount:
        # Nothing more goes to it: its pending deliveries stop here, visibly.
        connection.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.subscription_id == subscription_id, DELIVERIES.c.state == PENDING)
            .values(state=FAILED, last_error="subscription disabled", claimed_until=None)
        )
    return bool(disabled.rowcount)


# -- subscriptions ------------------------------------------------------------------------


def add_subscription(connection: Connection, row: Row) -> tuple[int, bool]:
    """The subscription's id, and whether it is new (an address is subscribed once)."""
    statement = (
        insert_for(connection.dialect.name)(SUBSCRIPTIONS)
        .values(dict(row))
        .on_conflict_do_nothing(index_elements=["address_hash"])
        .returning(SUBSCRIPTIONS.c.id)
    )
    new_id = connection.execute(statement).scalar()
    if new_id is not None:
        return int(new_id), True
    found = connection.execute(
        select(SUBSCRIPTIONS.c.id).where(SUBSCRIPTIONS.c.address_hash == row["address_hash"])
    ).scalar_one()
    return int(found), False


def set_subscription_state(
    connection: Connection,
    subscription_id: int,
    state: str,
    now: datetime,
    *,
    only_from: Sequence[str] = (),
) -> bool:
    columns = SUBSCRIPTIONS.c
    statement = update(SUBSCRIPTIONS).where(columns.id == subscription_id)
    if only_from:
        statement = statement.where(columns.state.in_(only_from))
    values: dict[str, Any] = {"state": state}
    if state == ACTIVE:
        values.update(confirmed_at=now, permanent_failures=0, disabled_reason=None)
    return connection.execute(statement.values(values)).rowcount == 1


def counts(connection: Connection, now: datetime) -> dict[str, dict[str, int]]:
    """Deliveries by state, subscriptions by kind and state (and those served in the slow
    lane at `now`), outbox rows not fanned out."""
    deliveries = dict(
        connection.execute(select(DELIVERIES.c.state, func.count()).group_by(DELIVERIES.c.state))
        .tuples()
        .all()
    )
    subscriptions = {
        f"{kind} {state}": n
        for kind, state, n in connection.execute(
            select(SUBSCRIPTIONS.c.kind, SUBSCRIPTIONS.c.state, func.count()).group_by(
                SUBSCRIPTIONS.c.kind, SUBSCRIPTIONS.c.state
            )
        ).tuples()
    }
    waiting = connection.execute(
        select(func.count()).select_from(OUTBOX).where(OUTBOX.c.fanned_out.is_(False))
    ).scalar_one()
    slow = connection.execute(
        select(func.count()).select_from(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.slow_until > now)
    ).scalar_one()
    return {
        "deliveries": deliveries,
        "subscriptions": subscriptions,
        "outbox": {"not fanned out": int(waiting)},
        "slow_lane": {"webhook receivers": int(slow)},
    }


def recent_failures(connection: Connection, limit: int) -> list[Row]:
    query = (
        select(
            DELIVERIES.c.id,
            DELIVERIES.c.state,
            DELIVERIES.c.attempts,
            DELIVERIES.c.last_error,
            DELIVERIES.c.next_attempt_at,
            OUTBOX.c.event_id,
            SUBSCRIPTIONS.c.kind,
            SUBSCRIPTIONS.c.id.label("subscription_id"),
        )
        .join(OUTBOX, OUTBOX.c.id == DELIVERIES.c.outbox_id)
        .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == DELIVERIES.c.subscription_id)
        .where(and_(DELIVERIES.c.last_error.is_not(None), DELIVERIES.c.state != SENT))
        .order_by(DELIVERIES.c.id.desc())
        .limit(limit)
    )
    return list(connection.execute(query).mappings())


def _stamp(at: datetime) -> str:
    return at.strftime("%Y%m%dT%H%M%S%fZ")


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
