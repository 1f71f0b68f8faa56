"""The incident history (three months a page) and one incident's page.

Only public incidents are read: operator-only ones (our key, our network) are
filtered in the store's query, so these pages cannot show what they never get.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from monitor.judging.incidents import Incident
from web import public_paths
from web.queries.parts import display_names, feed_links, incident_summary, simulated_targets
from web.queries.site_data import SiteData
from web.queries.viewmodels import HistoryMonth, IncidentPage, IncidentsPage, IncidentUpdateView
from web.render.formatting import label

MONTHS_PER_PAGE = 3
_SIGNAL_WORDS = {
    "availability": "errors",
    "latency": "slow responses",
    "quality": "wrong answers",
    "configuration": "configuration errors",
    "vantage": "network errors at our vantage points",
}


def incidents_page(data: SiteData, page: int) -> IncidentsPage:
    """Page 1 holds this month and the two before it; quiet months are shown empty."""
    months = [
        _month_back(_month_of(data.now), (page - 1) * MONTHS_PER_PAGE + n)
        for n in range(MONTHS_PER_PAGE)
    ]
    every = data.incidents()
    names = display_names(data.targets())
    simulated = simulated_targets(data.targets())
    placed: dict[date, list[Incident]] = defaultdict(list)
    for incident in every:
        placed[_month_of(incident.started_at)].append(incident)
    history = tuple(
        HistoryMonth(
            month,
            tuple(incident_summary(i, names, data.now, simulated) for i in placed.get(month, ())),
        )
        for month in months
    )
    older = any(_month_of(i.started_at) < months[-1] for i in every)
    return IncidentsPage(
        months=history,
        generated_at=data.now,
        newer_url=f"?page={page - 1}" if page > 1 else None,
        older_url=f"?page={page + 1}" if older else None,
        feeds=feed_links(public_paths.site_feed),
    )


def incident_page(data: SiteData, incident_id: str) -> IncidentPage | None:
    """None for an unknown (or operator-only) incident."""
    incident = data.incident(incident_id)
    if incident is None:
        return None
    names = display_names(data.targets())
    return IncidentPage(
        incident=incident_summary(incident, names, data.now, simulated_targets(data.targets())),
        updates=tuple(
            IncidentUpdateView(u.at, u.status.value, u.text) for u in reversed(incident.updates)
        ),
        regions=incident.regions,
        evidence=evidence(incident, names),
        generated_at=data.now,
    )


def evidence(incident: Incident, names: dict[str, str]) -> str:
    """What the engine recorded about the incident, as plain sentences."""
    seen = [_SIGNAL_WORDS.get(s, s) for s in incident.signals]
    lines = [
        f"Signals: {' and '.join(seen) or 'none recorded'}.",
        f"Worst status: {label(incident.worst.value).lower()}.",
        f"First failing probe at {_stamp(incident.started_at)}; "
        f"incident opened at {_stamp(incident.detected_at)}.",
    ]
    if incident.is_open and incident.active_models:
        still = ", ".join(names.get(t, t) for t in incident.active_models)
        lines.append(f"Still affected: {still}.")
    return "\n".join(lines)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%-d %b %Y, %H:%M UTC")


def _month_of(when: datetime | date) -> date:
    if isinstance(when, datetime):
        when = when.astimezone(UTC).date()
    return date(when.year, when.month, 1)


def _month_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)
