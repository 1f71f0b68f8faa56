"""A small monitored site in a real store, its engine output from the real engine.

`SETTINGS` configures three providers: Anthropic (Opus failing with HTTP 529
from minute 20, Sonnet healthy, Haiku answering 401 from minute 30: our key,
an operator-only incident), OpenAI (a model failing from minute 5 to 12, whose
incident resolves, and a model with a hostile display name failing from minute
36, so its name reaches an incident title) and Gemini (no API
key: not configured). `seed(store)` probes every model from two regions once a
minute for `MINUTES` minutes on a virtual clock, writes each round's results,
runs `monitor.judging.engine.StatusEngine` over them and stores what it decided, as the
worker does. Three earlier days of day rollups give the uptime bars a history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from monitor.config import Settings, settings_from_dict
from monitor.histogram import LatencyHistogram
from monitor.judging.engine import StatusEngine, TargetInfo
from monitor.results import ProbeResult
from monitor.rollups import Resolution, Rollup
from monitor.store import Store
from tests.monitor.synthetic import OVERLOADED, START, UNAUTHORIZED, UNAVAILABLE, ok

HOSTILE = "<script>alert(1)</script>"
MINUTES = 45
REGIONS = ("eu-west", "us-east")
NOW = START + timedelta(minutes=MINUTES, seconds=10)

OPUS = "anthropic/claude-opus-4-7"
SONNET = "anthropic/claude-sonnet-4-6"
HAIKU = "anthropic/claude-haiku-4-5"
GPT = "openai/gpt-5.1"
EVIL = "openai/evil"
FLASH = "gemini/gemini-2.5-flash"

RAW_SETTINGS = {
    "site": {"title": "AI status", "public_url": "https://status.example.org"},
    "providers": [
        {
            "id": "anthropic",
            "kind": "anthropic",
            "base_url": "https://api.anthropic.com",
            "api_key_env": "ANTHROPIC_API_KEY",
            "display_name": "Anthropic",
        },
        {
            "id": "openai",
            "kind": "openai",
            "base_url": "https://api.openai.com",
            "api_key_env": "OPENAI_API_KEY",
            "display_name": "OpenAI",
        },
        {
            "id": "gemini",
            "kind": "gemini",
            "base_url": "https://generativelanguage.googleapis.com",
            "api_key_env": "GEMINI_API_KEY",
            "display_name": "Google Gemini",
        },
    ],
    "models": [
        {"provider": "anthropic", "model": "claude-opus-4-7", "display_name": "Claude Opus 4.7"},
        {
            "provider": "anthropic",
            "model": "claude-sonnet-4-6",
            "display_name": "Claude Sonnet 4.6",
        },
        {"provider": "anthropic", "model": "claude-haiku-4-5", "display_name": "Claude Haiku 4.5"},
        {"provider": "openai", "model": "gpt-5.1", "display_name": "GPT-5.1"},
        {"provider": "openai", "model": "evil", "display_name": HOSTILE},
        {"provider": "gemini", "model": "gemini-2.5-flash", "display_name": "Gemini 2.5 Flash"},
    ],
}
SETTINGS: Settings = settings_from_dict(RAW_SETTINGS)
MISSING_KEYS = {"gemini": "GEMINI_API_KEY"}
PROBED = (OPUS, SONNET, HAIKU, GPT, EVIL)

Make = Callable[[str, str, datetime], ProbeResult]


def probe(target: str, region: str, at: datetime, minute: int) -> ProbeResult:
    make: Make = ok
    if target == OPUS and minute >= 20:
        make = OVERLOADED
    elif target == HAIKU and minute >= 30:
        make = UNAUTHORIZED
    elif (target == GPT and 5 <= minute < 12) or (target == EVIL and minute >= 36):
        make = UNAVAILABLE
    return make(target, region, at)


def target_infos() -> list[TargetInfo]:
    names = {p.id: p.name for p in SETTINGS.providers}
    return [
        TargetInfo(m.id, m.provider, m.name, names[m.provider])
        for m in SETTINGS.models
        if m.id in PROBED
    ]


def seed(store: Store) -> StatusEngine:
    """The store as the worker would have left it at `NOW`; returns the engine."""
    store.sync_targets(SETTINGS, MISSING_KEYS)
    store.record_rollups(history())
    engine = StatusEngine(SETTINGS.status, target_infos(), REGIONS)
    for minute in range(MINUTES):
        round_start = START + timedelta(minutes=minute)
        batch = [
            probe(target, region, round_start + timedelta(seconds=2 * index), minute)
            for index, region in enumerate(REGIONS)
            for target in PROBED
        ]
        store.record_results(batch)
        engine.ingest(batch)
        changes = engine.evaluate(round_start + timedelta(seconds=50))
        if changes:
            store.record_engine_changes(changes)
    return engine


def history(days: int = 3) -> list[Rollup]:
    """Day rollups of the days before `START`: a bad day for Opus two days ago."""
    rollups = []
    for ago in range(1, days + 1):
        day = START - timedelta(days=ago)
        for target in PROBED:
            failed = 300 if (target == OPUS and ago == 2) else 2
            for region in REGIONS:
                rollups.append(
                    Rollup(
                        target,
                        region,
                        Resolution.DAY,
                        day,
                        ok=1440 - failed,
                        infrastructure=failed,
                        answers_checked=1440 - failed,
                        answers_correct=1440 - failed,
                        ttft_hist=LatencyHistogram([550.0] * 10),
                        total_hist=LatencyHistogram([1100.0] * 10),
                    )
                )
    return rollups


def one_more_result(at: datetime) -> ProbeResult:
    return ok(SONNET, REGIONS[0], at)
