"""Hung models and healthy ones sharing the probe slots, over real HTTP to hung servers
on loopback (the simulator's `timeout` fault: the request is read, nothing comes back)."""

from __future__ import annotations

import asyncio
import random

import pytest

from monitor.clock import SystemClock
from monitor.config import Settings, settings_from_dict
from monitor.probing.client import make_client
from monitor.probing.probe import run_probe
from monitor.probing.slots import ProbeSlots, slot_share_s
from monitor.results import ProbeResult, TimeoutKind

HUNG = [f"openai/hung-{n}" for n in range(4)]
HEALTHY = "openai/healthy"


def settings_for(base_url: str) -> Settings:
    return settings_from_dict(
        {
            "probe": {
                "interval": "10s",
                "connect_timeout": 1,
                "first_token_timeout": 1.5,
                "stall_timeout": 1,
                "total_timeout": 3,
                "concurrency": 2,
            },
            "providers": [{"id": "openai", "kind": "openai", "base_url": f"{base_url}/openai/v1"}],
            "models": [{"provider": "openai", "model": m.split("/")[1]} for m in [*HUNG, HEALTHY]],
        }
    )


@pytest.fixture
def provider(simulator, scenario_dict) -> Settings:
    models = [{"id": m, "ttft_ms": 20, "latency_ms": 40, "jitter": 0} for m in [*HUNG, HEALTHY]]
    sim = simulator(scenario_dict(models=models, faults=[{"models": HUNG, "kind": "timeout"}]))
    return settings_for(sim.base_url)


async def finishing_order(settings: Settings, share_s: float) -> list[ProbeResult]:
    """The hung models' probes take both slots first; then the healthy model's is due."""
    slots = ProbeSlots(settings.probe.concurrency)
    finished: list[ProbeResult] = []
    connections = settings.probe.concurrency + len(settings.models)  # as the prober allows
    async with make_client(settings.probe, max_connections=connections) as client:

        async def probe(target: str) -> None:
            model = next(m for m in settings.models if m.id == target)
            work = run_probe(
                client,
                settings.provider(model.provider),
                model,
                settings.probe,
                region="us-east",
                api_key=None,
                clock=SystemClock(),
                rng=random.Random(1),
            )
            finished.append(await slots.run(work, share_s))

        hung = [asyncio.create_task(probe(target)) for target in HUNG]
        await asyncio.sleep(0)  # let them take the slots first
        await asyncio.gather(*hung, probe(HEALTHY))
    return finished


def test_a_healthy_model_is_probed_while_hung_models_wait_out_their_timeouts(provider):
    share = slot_share_s(10, concurrency=2, models=40)  # 0.5 s: a pool of 40 models
    finished = asyncio.run(finishing_order(provider, share))
    assert finished[0].target == HEALTHY and finished[0].timeout is None
    assert all(r.timeout is TimeoutKind.FIRST_TOKEN for r in finished[1:])
    assert len(finished) == 5


def test_without_a_share_hung_models_keep_the_healthy_one_waiting(provider):
    # What the plain semaphore did: the healthy probe waits for two first-token timeouts.
    finished = asyncio.run(finishing_order(provider, share_s=60))
    assert [r.target for r in finished].index(HEALTHY) >= 2


@pytest.mark.parametrize(
    ("interval", "concurrency", "models", "share"),
    [
        (60, 20, 100, 12.0),  # 100 models share 20 slots: 12 s each per minute
        (60, 64, 10, 384.0),  # more than the total timeout: no probe leaves early
        (30, 1, 1, 30.0),
        (60, 20, 0, 1200.0),  # no models: no division by zero
    ],
)
def test_each_model_may_hold_a_slot_for_its_share_of_the_pool(interval, concurrency, models, share):
    assert slot_share_s(interval, concurrency, models) == share


def test_a_probe_outliving_its_share_is_counted_and_still_returns_its_result():
    async def scenario() -> tuple[list[str], int, int]:
        slots = ProbeSlots(1)
        release = asyncio.Event()

        async def slow() -> str:
            await release.wait()
            return "slow"

        async def quick() -> str:
            return "quick"

        slow_task = asyncio.create_task(slots.run(slow(), share_s=0.01))
        await asyncio.sleep(0)  # it takes the slot
        got = [await slots.run(quick(), share_s=1)]  # the slot was freed for it
        during = slots.overtime
        release.set()
        got.append(await slow_task)
        return got, during, slots.overtime_total

    assert asyncio.run(scenario()) == (["quick", "slow"], 1, 1)


def test_cancelling_a_probe_job_cancels_its_probe_inside_or_outside_the_pool():
    async def scenario() -> list[bool]:
        slots = ProbeSlots(1)
        cancelled: list[bool] = []

        async def forever() -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        for share in (60.0, 0.01):  # cancelled while holding its slot, then in overtime
            job = asyncio.create_task(slots.run(forever(), share))
            await asyncio.sleep(0.05)
            job.cancel()
            await asyncio.gather(job, return_exceptions=True)
        assert slots.overtime == 0
        await asyncio.wait_for(slots.run(asyncio.sleep(0), 1), timeout=1)  # slot is free
        return cancelled

    assert asyncio.run(scenario()) == [True, True]
