"""A fresh install at one vantage point, 31 minutes in, while the engine still weighs
the evidence: the case of issue 9, seeded straight into a real store.

Claude Opus (simulated) answers for ten minutes, then fails two probes in three with
HTTP 529; its sibling Sonnet answers every probe. Both are probed once a minute from
region "local" and have no history before today. The engine has judged both
`operational` (its first verdict) and nothing since, as a slow engine would have:
whatever the engine decides, the page must tell one story from what it holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from monitor.config import Settings, settings_from_dict
from monitor.judging.engine import EngineChanges
from monitor.judging.status import ComponentStatus, StatusChange, SubjectKind
from monitor.results import ProbeResult
from monitor.store import Store
from tests.monitor.synthetic import OVERLOADED, ok

START = datetime(2026, 6, 7, 9, 0, tzinfo=UTC)
MINUTES = 31
NOW = START + timedelta(minutes=MINUTES, seconds=5)
FAULT_FROM = 10
REGION = "local"
OPUS = "sim-anthropic/claude-demo-opus"
SONNET = "sim-anthropic/claude-demo-sonnet"
GPT = "sim-openai/gpt-demo"

SETTINGS: Settings = settings_from_dict(
    {
        "site": {"title": "aistatus", "public_url": "http://127.0.0.1:8181"},
        "providers": [
            {
                "id": "sim-anthropic",
                "display_name": "Simulated Anthropic",
                "kind": "anthropic",
                "base_url": "http://127.0.0.1:8788/anthropic",
                "simulated": True,
            },
            {
                "id": "sim-openai",
                "display_name": "Simulated OpenAI",
                "kind": "openai",
                "base_url": "http://127.0.0.1:8788/openai/v1",
                "simulated": True,
            },
        ],
        "models": [
            {
                "provider": "sim-anthropic",
                "model": "claude-demo-opus",
                "display_name": "Claude Opus (simulated)",
                "group": "Demo (simulated)",
            },
            {
                "provider": "sim-anthropic",
                "model": "claude-demo-sonnet",
                "display_name": "Claude Sonnet (simulated)",
                "group": "Demo (simulated)",
            },
            {
                "provider": "sim-openai",
                "model": "gpt-demo",
                "display_name": "GPT (simulated)",
                "group": "Demo (simulated)",
            },
        ],
    }
)


def results(minutes: int = MINUTES) -> Iterator[ProbeResult]:
    for minute in range(minutes):
        at = START + timedelta(minutes=minute, seconds=1)
        opus_fails = minute >= FAULT_FROM and minute % 3 != 0
        yield (OVERLOADED if opus_fails else ok)(OPUS, REGION, at)
        yield ok(SONNET, REGION, at)
        yield ok(GPT, REGION, at)


def seed(store: Store, *, judged: bool = True, minutes: int = MINUTES) -> Store:
    """The store at NOW; `judged`: the engine's first verdicts (operational) are stored;
    `minutes`: how many minutes from START were probed (10 or fewer: no fault yet)."""
    store.upgrade()
    store.sync_targets(SETTINGS, {})
    store.record_results(list(results(minutes)))
    if judged:
        first = START + timedelta(minutes=1)
        store.record_engine_changes(
            EngineChanges(
                status_changes=tuple(
                    StatusChange(
                        target, SubjectKind.MODEL, ComponentStatus.OPERATIONAL, first, "first"
                    )
                    for target in (OPUS, SONNET, GPT)
                )
            )
        )
    return store


VANTAGE_REGIONS = ("local", "far", "east")


def seed_vantage(store: Store) -> Store:
    """Three regions; from "far" every probe of Opus fails from minute 10 (our network
    there), the other two see it answer. The engine has judged everything operational."""
    store.upgrade()
    store.sync_targets(SETTINGS, {})
    batch = []
    for minute in range(MINUTES):
        for index, region in enumerate(VANTAGE_REGIONS):
            at = START + timedelta(minutes=minute, seconds=1 + 2 * index)
            broken = region == "far" and minute >= FAULT_FROM
            batch.append((OVERLOADED if broken else ok)(OPUS, region, at))
            batch.append(ok(SONNET, region, at))
    store.record_results(batch)
    store.record_engine_changes(
        EngineChanges(
            status_changes=tuple(
                StatusChange(
                    target,
                    SubjectKind.MODEL,
                    ComponentStatus.OPERATIONAL,
                    START + timedelta(minutes=1),
                    "first",
                )
                for target in (OPUS, SONNET)
            )
        )
    )
    return store
