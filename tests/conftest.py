"""Fixtures shared by every test folder.

`simulator` starts the simulated provider (a real HTTP server on loopback) for a
scenario and stops it after the test; `scenario_dict` builds a small healthy
scenario to start from:

    def test_opus_overload_is_a_529(simulator, scenario_dict):
        raw = scenario_dict(faults=[{"models": ["anthropic/claude-test"],
                                     "kind": "http_error", "status": 529}])
        sim = simulator(raw)                 # FakeClock at the scenario's start
        sim.clock.advance(600)               # ten minutes into the scenario
        httpx.post(sim.base_url + "/anthropic/v1/messages", json=...)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from monitor.clock import Clock, FakeClock
from monitor.scenarios.simulator.server import SimulatorHandle, start_simulator
from monitor.scenarios.spec import Scenario, load_scenario, parse_scenario

# Fast models, no jitter and no background errors: a test adds only what it asserts.
HEALTHY_SCENARIO: dict[str, Any] = {
    "name": "test",
    "description": "Four healthy models, one per protocol family",
    "start": "2026-06-07T00:00:00Z",
    "duration": "1h",
    "interval": "60s",
    "regions": ["us-east", "eu-west"],
    "seed": 7,
    "models": [
        {"id": "anthropic/claude-test", "ttft_ms": 20, "latency_ms": 40, "jitter": 0},
        {"id": "openai/gpt-test", "ttft_ms": 20, "latency_ms": 40, "jitter": 0},
        {"id": "gemini/gemini-test", "ttft_ms": 20, "latency_ms": 40, "jitter": 0},
        {"id": "together/llama-test", "ttft_ms": 20, "latency_ms": 40, "jitter": 0},
    ],
    "faults": [],
}

ScenarioSource = Scenario | Mapping[str, Any] | str | Path


@pytest.fixture
def scenario_dict() -> Callable[..., dict[str, Any]]:
    """`scenario_dict(**overrides)`: the healthy test scenario with top-level keys replaced."""

    def build(**overrides: Any) -> dict[str, Any]:
        return {**copy.deepcopy(HEALTHY_SCENARIO), **overrides}

    return build


@pytest.fixture
def simulator() -> Iterator[Callable[..., SimulatorHandle]]:
    """`simulator(scenario, clock=None, speed=1.0)`: a running simulated provider.

    `scenario` is a Scenario, a dict as TOML would give, a file path or a bundled
    name. Without a clock, a FakeClock at the scenario's start is used; it is
    `handle.clock`, so a test moves the scenario's time with `handle.clock.advance(s)`.
    """
    handles: list[SimulatorHandle] = []

    def start(
        scenario: ScenarioSource, clock: Clock | None = None, speed: float = 1.0
    ) -> SimulatorHandle:
        loaded = _as_scenario(scenario)
        handle = start_simulator(loaded, clock=clock or FakeClock(loaded.start), speed=speed)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


def _as_scenario(source: ScenarioSource) -> Scenario:
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return parse_scenario(source, "test scenario")
    return load_scenario(source)
