"""The probe plan as rows: the evaluating worker writes it, every region's worker reads it.

Only the worker holding the status-engine lease judges, so only it knows which models
need confirming; a prober in another region reads the plan from here (monitor/plan.py).
Writing replaces the whole plan in one transaction, so a reader sees one plan or the
next, never half of each. Not a data change: the site's version stays.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from monitor.plan import Confirmation, ProbePlan
from monitor.store.rows.schema import PROBE_PLAN


def replace_plan(connection: Connection, plan: ProbePlan) -> None:
    connection.execute(delete(PROBE_PLAN))
    if plan.confirmations:
        connection.execute(
            insert(PROBE_PLAN),
            [
                {
                    "target": c.target,
                    "until": c.until,
                    "interval_s": c.interval_s,
                    "reason": c.reason,
                }
                for c in plan.confirmations
            ],
        )


def read_plan(connection: Connection, now: datetime) -> ProbePlan:
    columns = PROBE_PLAN.c
    rows = connection.execute(
        select(PROBE_PLAN).where(columns.until > now).order_by(columns.target)
    ).mappings()
    return ProbePlan(
        tuple(Confirmation(r["target"], r["until"], r["interval_s"], r["reason"]) for r in rows)
    )
