"""Hand-made view models for the template and chart tests and the site preview.

Each builder takes keyword overrides, so a test states only what it is about.
Everything is derived from a fixed `NOW` and a seeded random generator: the
same page every run.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from web.queries.viewmodels import (
    Banner,
    ChartPoint,
    FailureBucket,
    FailureCount,
    FailureSeries,
    HistoryMonth,
    IncidentPage,
    IncidentsPage,
    IncidentSummary,
    IncidentUpdateView,
    LatencySeries,
    Link,
    ModelPage,
    ModelRow,
    OverviewPage,
    ProviderGroup,
    QualityView,
    RegionRow,
    UptimeDay,
    range_tabs,
)

NOW = datetime(2026, 3, 14, 15, 42, 7, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"


def uptime_days(
    seed: int = 1,
    bad_days: dict[int, str] | None = None,
    count: int = 90,
    incident: Link | None = None,
    probed_days: int = 90,
) -> tuple[UptimeDay, ...]:
    """`count` days ending today; `bad_days` maps days-ago to a status; no data before
    `probed_days` ago (a model added lately)."""
    rng = random.Random(seed)
    bad_days = bad_days or {}
    today = NOW.date()
    days = []
    for ago in range(count - 1, -1, -1):
        if ago >= probed_days:
            days.append(UptimeDay(today - timedelta(days=ago), "no_data", None))
            continue
        status = bad_days.get(ago, "operational")
        probes = 2880
        failed = {
            "operational": rng.randint(0, 3),
            "degraded_performance": 40,
            "partial_outage": 160,
            "major_outage": 900,
        }.get(status, 0)
        failures = (
            (
                FailureCount("infrastructure", failed * 2 // 3),
                FailureCount("capacity", failed - failed * 2 // 3),
            )
            if failed
            else ()
        )
        failures = tuple(f for f in failures if f.count)
        incidents = (incident,) if incident and status != "operational" else ()
        days.append(
            UptimeDay(
                today - timedelta(days=ago),
                status,
                100 * (probes - failed) / probes,
                probes,
                failures,
                incidents,
            )
        )
    return tuple(days)


def model_row(**overrides: Any) -> ModelRow:
    fields: dict[str, Any] = {
        "id": "anthropic/claude-opus-4-7",
        "name": "Claude Opus 4.7",
        "url": "/models/anthropic/claude-opus-4-7",
        "status": "operational",
        "ttft_ms": 612.0,
        "total_ms": 2140.0,
        "answers_ok": True,
        "answers_pass_percent": 99.8,
        "uptime_percent": 99.97,
        "uptime_days": uptime_days(),
    }
    fields.update(overrides)
    # As the overview sets it: a model with a bar has its days on demand.
    fields.setdefault("days_url", f"/days/{fields['id']}" if fields["uptime_days"] else None)
    return ModelRow(**fields)


def incident(**overrides: Any) -> IncidentSummary:
    fields: dict[str, Any] = {
        "id": "inc-42",
        "url": "/incidents/inc-42",
        "title": "Elevated errors on Claude Opus 4.7",
        "status": "investigating",
        "impact": "major",
        "cause": "infrastructure",
        "started_at": NOW - timedelta(minutes=38),
        "duration_s": 38 * 60.0,
        "affected": (Link("Claude Opus 4.7", "/models/anthropic/claude-opus-4-7"),),
        "latest_update": "Errors (HTTP 529 overloaded) from every region since 15:04 UTC.\n"
        "Canary answers that do come back are correct: infrastructure, "
        "not model quality.",
        "latest_update_at": NOW - timedelta(minutes=12),
    }
    fields.update(overrides)
    return IncidentSummary(**fields)


def overview(**overrides: Any) -> OverviewPage:
    opus_incident = Link("Elevated errors on Claude Opus 4.7", "/incidents/inc-42")
    anthropic = ProviderGroup(
        "Anthropic",
        "partial_outage",
        (
            model_row(
                status="partial_outage",
                ttft_ms=1840.0,
                total_ms=6320.0,
                uptime_percent=99.41,
                uptime_days=uptime_days(
                    2,
                    {0: "partial_outage", 17: "degraded_performance", 52: "major_outage"},
                    incident=opus_incident,
                ),
            ),
            model_row(
                id="anthropic/claude-sonnet-4-6",
                name="Claude Sonnet 4.6",
                url="/models/anthropic/claude-sonnet-4-6",
                ttft_ms=421.0,
                total_ms=1630.0,
                uptime_days=uptime_days(3, {33: "degraded_performance"}),
            ),
        ),
    )
    openai = ProviderGroup(
        "OpenAI",
        "operational",
        (
            model_row(
                id="openai/gpt-5.1",
                name="GPT-5.1",
                url="/models/openai/gpt-5.1",
                ttft_ms=388.0,
                total_ms=1210.0,
                answers_pass_percent=100.0,
                uptime_days=uptime_days(4, {71: "major_outage", 70: "degraded_performance"}),
            ),
        ),
    )
    gemini = ProviderGroup(
        "Google Gemini",
        "not_configured",
        (
            model_row(
                id="gemini/gemini-2.5-pro",
                name="Gemini 2.5 Pro",
                url="/models/gemini/gemini-2.5-pro",
                status="not_configured",
                ttft_ms=None,
                total_ms=None,
                answers_ok=None,
                answers_pass_percent=None,
                uptime_percent=None,
                uptime_days=(),
            ),
        ),
        missing_key="GEMINI_API_KEY",
    )
    demo = ProviderGroup(
        "Demo (simulated)",
        "degraded_performance",
        (
            model_row(
                id="sim-anthropic/claude-demo-opus",
                name="Claude Opus (simulated)",
                url="/models/sim-anthropic/claude-demo-opus",
                simulated=True,
                status="degraded_performance",
                answers_ok=False,
                answers_pass_percent=71.5,
                uptime_days=uptime_days(5, {0: "degraded_performance", 1: "no_data"}),
            ),
            model_row(
                id="sim-openai/gpt-demo",
                name="GPT (simulated)",
                url="/models/sim-openai/gpt-demo",
                simulated=True,
                ttft_ms=95.0,
                total_ms=310.0,
                uptime_days=uptime_days(6, {}, probed_days=12),
            ),
        ),
        simulated=True,
    )
    fields: dict[str, Any] = {
        "generated_at": NOW,
        "banner": Banner("partial_outage", model_count=5, affected_count=2, probed_count=5),
        "groups": (anthropic, openai, gemini, demo),
        "active_incidents": (incident(),),
        "recent_incidents": (
            incident(
                id="inc-41",
                url="/incidents/inc-41",
                title="Slow first token on GPT-5.1",
                status="resolved",
                impact="minor",
                cause="capacity",
                affected=(Link("GPT-5.1", "/models/openai/gpt-5.1"),),
                started_at=NOW - timedelta(days=2, hours=3),
                resolved_at=NOW - timedelta(days=2, hours=1, minutes=48),
                duration_s=4500.0,
            ),
        ),
    }
    fields.update(overrides)
    return OverviewPage(**fields)


def latency_series(
    title: str = "Time to first token",
    base_ms: float = 600.0,
    seed: int = 7,
    hours: int = 24,
    step_min: int = 15,
    spike_at: int | None = 70,
    gap: range = range(40, 44),
) -> LatencySeries:
    rng = random.Random(seed)
    start = NOW - timedelta(hours=hours)
    points = []
    for i in range(hours * 60 // step_min):
        at = start + timedelta(minutes=i * step_min)
        if i in gap:
            points.append(ChartPoint(at, None, None))
            continue
        boost = 3.2 if spike_at is not None and spike_at <= i <= spike_at + 12 else 1.0
        p50 = base_ms * boost * rng.uniform(0.9, 1.12)
        points.append(ChartPoint(at, p50, p50 * rng.uniform(1.6, 2.3)))
    return LatencySeries(title, start, NOW, tuple(points))


def failure_series(hours: int = 24, seed: int = 9, quiet: bool = False) -> FailureSeries:
    rng = random.Random(seed)
    start = NOW - timedelta(hours=hours)
    buckets = []
    for i in range(hours):
        failures: list[FailureCount] = []
        if not quiet:
            if rng.random() < 0.3:
                failures.append(FailureCount("ambiguous", rng.randint(1, 2)))
            if 17 <= i <= 20:
                failures += [
                    FailureCount("infrastructure", rng.randint(20, 45)),
                    FailureCount("capacity", rng.randint(5, 15)),
                ]
            if i == 8:
                failures.append(FailureCount("vantage", 6))
        buckets.append(FailureBucket(start + timedelta(hours=i), 120, tuple(failures)))
    return FailureSeries(start, NOW, "per hour", tuple(buckets))


def model_page(**overrides: Any) -> ModelPage:
    fields: dict[str, Any] = {
        "id": "anthropic/claude-opus-4-7",
        "name": "Claude Opus 4.7",
        "url": "/models/anthropic/claude-opus-4-7",
        "provider": Link("Anthropic", "/#anthropic"),
        "status": "partial_outage",
        "generated_at": NOW,
        "ttft": latency_series(),
        "total": latency_series("Total latency", base_ms=2100.0, seed=8),
        "failures": failure_series(),
        "quality": QualityView(
            "ok",
            99.6,
            99.8,
            2754,
            "Errors are elevated while canary answers stay correct: "
            "infrastructure, not model quality.",
        ),
        "ttft_ms": 1840.0,
        "total_ms": 6320.0,
        "uptime_percent": 99.41,
        "uptime_days": uptime_days(2, {0: "partial_outage", 52: "major_outage"}),
        "regions": (
            RegionRow("eu-west", "partial_outage", 1440, 71.2, 1910.0, 6400.0, NOW),
            RegionRow("us-east", "partial_outage", 1440, 69.8, 1770.0, 6210.0, NOW),
            RegionRow(
                "ap-south",
                "operational",
                1380,
                99.1,
                702.0,
                2380.0,
                NOW - timedelta(seconds=40),
                note="failing from this vantage point only earlier today",
            ),
        ),
        "incidents": (incident(),),
        "tabs": range_tabs("24h"),
    }
    fields.update(overrides)
    return ModelPage(**fields)


def incident_page(**overrides: Any) -> IncidentPage:
    fields: dict[str, Any] = {
        "incident": incident(),
        "updates": (
            IncidentUpdateView(
                NOW - timedelta(minutes=12),
                "identified",
                "Errors (HTTP 529 overloaded) from every region.\n\n"
                "Answers that come back are correct.",
            ),
            IncidentUpdateView(
                NOW - timedelta(minutes=38),
                "investigating",
                "Failure rate 31% over 10 minutes against a baseline of 0.4%.",
            ),
        ),
        "regions": ("eu-west", "us-east"),
        "evidence": "2,210 probes since 15:04 UTC; 684 failed (31%).\n"
        "Baseline for this model: 0.4% failures.\n\n"
        "Every region agrees; canary answers 99.6% correct.",
        "generated_at": NOW,
    }
    fields.update(overrides)
    return IncidentPage(**fields)


def incidents_page(**overrides: Any) -> IncidentsPage:
    resolved = incident(
        status="resolved", resolved_at=NOW - timedelta(minutes=2), duration_s=36 * 60.0
    )
    fields: dict[str, Any] = {
        "months": (
            HistoryMonth(
                date(2026, 3, 1),
                (
                    resolved,
                    replace(
                        resolved,
                        id="inc-41",
                        url="/incidents/inc-41",
                        title="Slow first token on GPT-5.1",
                        impact="minor",
                        cause="capacity",
                        started_at=NOW - timedelta(days=9),
                    ),
                ),
            ),
            HistoryMonth(date(2026, 2, 1), ()),
            HistoryMonth(
                date(2026, 1, 1),
                (
                    replace(
                        resolved,
                        id="inc-30",
                        url="/incidents/inc-30",
                        impact="critical",
                        title="Gemini 2.5 Pro unreachable",
                        started_at=datetime(2026, 1, 9, 3, 12, tzinfo=UTC),
                    ),
                ),
            ),
        ),
        "generated_at": NOW,
        "older_url": "/incidents?before=2026-01",
    }
    fields.update(overrides)
    return IncidentsPage(**fields)
