"""What each public page shows, as plain frozen data.

`web/queries/site_data.py` builds these from the store; templates only format them
(docs/architecture.md). So every number a page prints is already computed here:
counts, percentages, durations, URLs. Words such as statuses are the
project's own words (`operational`, `major_outage`, `investigating`,
`infrastructure`...); the `label` and `tone` filters turn them into text and
colour. Besides the component statuses, models may carry `no_data` (never
probed yet) or `not_configured` (provider has no API key).

Operator-only incidents never reach these objects: the page cannot leak what
it is never given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# Range keys the model page accepts in `?range=`, with their tab labels.
RANGES: tuple[tuple[str, str], ...] = (
    ("24h", "24 h"),
    ("7d", "7 d"),
    ("30d", "30 d"),
    ("90d", "90 d"),
)
DEFAULT_RANGE = "24h"


@dataclass(frozen=True, slots=True)
class Link:
    """Something a page links to: a model, an incident."""

    name: str
    url: str


@dataclass(frozen=True, slots=True)
class FailureCount:
    failure_class: str  # infrastructure, capacity, ... (never "ok")
    count: int


@dataclass(frozen=True, slots=True)
class UptimeDay:
    """One segment of the 90-day bar: a UTC day and its worst status."""

    day: date
    status: str  # worst component status that day, or "no_data"
    uptime_percent: float | None  # None: no probes that day
    probes: int = 0
    failures: tuple[FailureCount, ...] = ()
    incidents: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    """An incident as a card or a list entry."""

    id: str
    url: str
    title: str
    status: str  # investigating / identified / monitoring / resolved
    impact: str  # none / minor / major / critical
    cause: str  # infrastructure/capacity/quality/configuration/unknown
    started_at: datetime
    resolved_at: datetime | None = None
    duration_s: float | None = None  # start to resolution, or to now while open
    affected: tuple[Link, ...] = ()  # the models
    latest_update: str | None = None  # newest update's text, shown on cards
    latest_update_at: datetime | None = None
    simulated: bool = False


@dataclass(frozen=True, slots=True)
class ModelRow:
    """One model on the overview."""

    id: str  # "provider/model"
    name: str
    url: str
    status: str
    ttft_ms: float | None  # current time to first token (recent p50)
    total_ms: float | None  # current total latency (recent p50)
    answers_ok: bool | None  # canary answers correct lately; None: no answers yet
    answers_pass_percent: float | None
    uptime_percent: float | None  # over the days in `uptime_days`
    # Oldest first, always the full 90 days: days before the first probe are "no_data",
    # so every bar has the same scale.
    uptime_days: tuple[UptimeDay, ...] = ()
    simulated: bool = False
    status_note: str | None = None  # e.g. "Elevated errors: 14 of 31 ...; confirming"
    answers: int = 0  # canary answers of the last hour
    uptime_span: str = "over 90 days"  # over how long uptime_percent runs
    provider: Link | None = None  # in a config group's section: the model's provider
    days_url: str | None = None  # its days as an HTML fragment, fetched on demand


@dataclass(frozen=True, slots=True)
class ProviderGroup:
    """A section of the overview (a config group, or a provider) and the models in it."""

    name: str
    status: str  # derived from its models
    models: tuple[ModelRow, ...]
    simulated: bool = False
    missing_key: str | None = None  # the env variable to set, e.g. "ANTHROPIC_API_KEY"
    url: str | None = None  # a provider's page; None for a config group
    # Shown open: on a short page always; on a long one only while a model in it is not
    # operational, so a failure is never folded away.
    open: bool = True


@dataclass(frozen=True, slots=True)
class Banner:
    """The overall line at the top of the overview."""

    status: str  # worst status among probed models
    model_count: int  # probed models; 0 while none is judged yet
    affected_count: int  # of those, not operational
    probed_count: int = 0  # probed in the last hour or judged


@dataclass(frozen=True, slots=True)
class OverviewPage:
    generated_at: datetime
    banner: Banner
    groups: tuple[ProviderGroup, ...]
    active_incidents: tuple[IncidentSummary, ...] = ()
    recent_incidents: tuple[IncidentSummary, ...] = ()  # resolved lately
    feeds: tuple[Link, ...] = ()  # the site's incident feeds (RSS, Atom)
    # A long page: groups fold unless something in them is wrong, and a filter box shows.
    long: bool = False


@dataclass(frozen=True, slots=True)
class DaysFragment:
    """One model's days, each with its details: fetched by the overview on demand."""

    name: str
    id_prefix: str  # the tips' ids, unique on the overview
    days: tuple[UptimeDay, ...]


@dataclass(frozen=True, slots=True)
class ProviderPage:
    """One provider: its models, its status derived from theirs, its incidents."""

    id: str
    name: str
    url: str
    status: str  # derived from its models' stories
    summary: str | None  # "1 of 3 models affected"; None: nothing judged
    generated_at: datetime
    models: tuple[ModelRow, ...]
    active_incidents: tuple[IncidentSummary, ...] = ()
    past_incidents: tuple[IncidentSummary, ...] = ()  # resolved, newest first
    simulated: bool = False
    missing_key: str | None = None
    feeds: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One time bucket of a latency chart; None where no probe answered."""

    at: datetime
    p50_ms: float | None
    p95_ms: float | None


@dataclass(frozen=True, slots=True)
class LatencySeries:
    title: str  # "Time to first token"
    start: datetime  # the x axis spans start..end even with gaps
    end: datetime
    points: tuple[ChartPoint, ...]


@dataclass(frozen=True, slots=True)
class FailureBucket:
    start: datetime
    probes: int
    failures: tuple[FailureCount, ...]


@dataclass(frozen=True, slots=True)
class FailureSeries:
    start: datetime
    end: datetime
    bucket_label: str  # "per hour", "per day": the y axis unit
    buckets: tuple[FailureBucket, ...]


@dataclass(frozen=True, slots=True)
class RegionRow:
    region: str
    status: str
    probes: int
    success_percent: float | None
    ttft_p50_ms: float | None
    total_p50_ms: float | None
    last_probe_at: datetime | None
    note: str | None = None  # e.g. "failing from this vantage point only"


@dataclass(frozen=True, slots=True)
class QualityView:
    """Canary answers: the pass rate in the range against the model's own baseline."""

    verdict: str  # ok / degraded / no_data
    pass_percent: float | None
    baseline_percent: float | None
    answers: int  # canary answers scored in the range
    explanation: str | None = None  # the engine's wording, e.g. "errors up, answers correct"


@dataclass(frozen=True, slots=True)
class RangeTab:
    key: str
    label: str
    url: str
    current: bool


def range_tabs(selected: str) -> tuple[RangeTab, ...]:
    """The four range links of the model page; relative, so they keep the page's path."""
    return tuple(RangeTab(key, label, f"?range={key}", key == selected) for key, label in RANGES)


@dataclass(frozen=True, slots=True)
class ModelPage:
    id: str
    name: str
    url: str
    provider: Link
    status: str
    generated_at: datetime
    ttft: LatencySeries
    total: LatencySeries
    failures: FailureSeries
    quality: QualityView
    ttft_ms: float | None = None  # current, as on the overview
    total_ms: float | None = None
    uptime_percent: float | None = None
    uptime_days: tuple[UptimeDay, ...] = ()
    regions: tuple[RegionRow, ...] = ()
    incidents: tuple[IncidentSummary, ...] = ()
    simulated: bool = False
    missing_key: str | None = None
    tabs: tuple[RangeTab, ...] = field(default_factory=lambda: range_tabs(DEFAULT_RANGE))
    status_note: str | None = None  # e.g. "Elevated errors: ...; confirming"
    uptime_span: str = "over 90 days"  # over how long uptime_percent runs
    answers_percent: float | None = None  # correct in the last hour; None: no verdict yet
    answers_count: int = 0  # canary answers of the last hour
    feeds: tuple[Link, ...] = ()  # this model's incident feeds (RSS, Atom)
    # The exact-form item's answers in the range, apart from `quality`; None: none asked.
    form: QualityView | None = None


@dataclass(frozen=True, slots=True)
class IncidentUpdateView:
    at: datetime
    status: str
    body: str  # plain text; shown escaped, blank lines → paragraphs


@dataclass(frozen=True, slots=True)
class IncidentPage:
    incident: IncidentSummary
    updates: tuple[IncidentUpdateView, ...]  # newest first
    regions: tuple[str, ...] = ()
    evidence: str = ""  # plain text from the incident engine
    generated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class HistoryMonth:
    month: date  # first day of the month
    incidents: tuple[IncidentSummary, ...]  # newest first; empty: a quiet month


@dataclass(frozen=True, slots=True)
class IncidentsPage:
    months: tuple[HistoryMonth, ...]  # newest first
    generated_at: datetime
    newer_url: str | None = None
    older_url: str | None = None
    feeds: tuple[Link, ...] = ()


@dataclass(frozen=True, slots=True)
class ErrorPage:
    code: int
    title: str
    message: str
