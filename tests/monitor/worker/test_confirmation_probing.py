"""Confirmation probing end to end: the real prober, over real HTTP to the loopback
simulated provider, reads the plan the real status engine publishes each minute. Time is
a FakeClock shared by the prober, the simulator and the engine; the test steps it in the
prober's own 5-second plan reads, so nothing waits for the wall clock."""

import asyncio
from datetime import timedelta

from monitor.clock import FakeClock
from monitor.config import settings_from_dict
from monitor.judging.engine import StatusEngine, TargetInfo
from monitor.plan import PlanBoard
from monitor.probing.client import make_client
from monitor.probing.scheduler import CONFIRM_TICK_S, Prober, probe_targets
from monitor.results import ProbeResult

FAULTY, HEALTHY = "anthropic/claude-test", "openai/gpt-test"
FAULT_AT = timedelta(minutes=20)  # after a new model's first close look has ended


def outage_scenario(scenario_dict):
    return scenario_dict(
        regions=["us-east"],
        faults=[
            {
                "models": [FAULTY],
                "kind": "http_error",
                "status": 529,
                "error_type": "overloaded_error",
                "from": "+20m",
            }
        ],
    )


def settings_for(base_url: str, **status):
    return settings_from_dict(
        {
            "probe": {
                "interval": "60s",
                "region": "us-east",
                "connect_timeout": 2,
                "first_token_timeout": 2,
                "stall_timeout": 2,
                "total_timeout": 5,
            },
            "status": status,
            "providers": [
                {"id": "anthropic", "kind": "anthropic", "base_url": f"{base_url}/anthropic"},
                {"id": "openai", "kind": "openai", "base_url": f"{base_url}/openai/v1"},
            ],
            "models": [
                {"provider": "anthropic", "model": "claude-test"},
                {"provider": "openai", "model": "gpt-test"},
            ],
        }
    )


class Loop:
    """One worker's prober and status engine, stepped on the injected clock."""

    def __init__(self, settings, clock: FakeClock) -> None:
        self.clock = clock
        self.board = PlanBoard()
        self.stored: list[ProbeResult] = []
        self.inbox: list[ProbeResult] = []
        self.prober = Prober(
            settings, self._sink, region="us-east", clock=clock, environ={}, plan=self.board.current
        )
        self.models = probe_targets(settings, environ={})
        targets = [TargetInfo(m.id, m.provider, m.model) for m in self.models]
        self.engine = StatusEngine(settings.status, targets, ("us-east",))
        self.engine.evaluate(clock.now())

    def _sink(self, result: ProbeResult) -> None:
        self.stored.append(result)
        self.inbox.append(result)

    async def run(self, minutes: int) -> None:
        prober = self.prober
        prober._client = make_client(prober.settings.probe)
        prober.arrange_slots(self.models)
        for model in self.models:
            prober._due[model.id] = self.clock.now()
        steps = round(60 / CONFIRM_TICK_S)
        try:
            for _ in range(minutes):
                for model in self.models:  # the scheduled probe, once a minute
                    await prober._probe_job(model)
                for _ in range(steps):
                    await prober._confirm_due(self.models)  # as the prober's plan chore does
                    await asyncio.gather(*prober._extra.values())
                    self.clock.advance(CONFIRM_TICK_S)
                self.engine.ingest(self.inbox)  # the worker's evaluator, on the minute
                self.inbox.clear()
                self.engine.evaluate(self.clock.now())
                self.board.publish(self.engine.probe_plan(self.clock.now()))
        finally:
            await prober._client.aclose()

    def detected_after_fault(self, start) -> timedelta | None:
        opened = [i.detected_at for i in self.engine.incidents() if FAULTY in i.models]
        return min(opened) - (start + FAULT_AT) if opened else None

    def probes_of(self, target: str, since, until) -> int:
        return sum(1 for r in self.stored if r.target == target and since <= r.started_at < until)


def run_loop(simulator, scenario_dict, minutes: int, **status) -> tuple[Loop, object]:
    sim = simulator(outage_scenario(scenario_dict))
    loop = Loop(settings_for(sim.base_url, **status), sim.clock)
    start = sim.clock.now()
    asyncio.run(loop.run(minutes))
    return loop, start


def test_one_vantage_point_at_60s_confirms_an_outage_in_minutes_with_extra_probes(
    simulator, scenario_dict
):
    loop, start = run_loop(simulator, scenario_dict, 26)

    detected = loop.detected_after_fault(start)
    assert detected is not None and detected <= timedelta(minutes=3)
    fault = start + FAULT_AT
    # The extra probes went out over HTTP, were stored like any other result, and only for
    # the model under suspicion: about one every 10 s, not one a minute.
    assert loop.probes_of(FAULTY, fault, fault + timedelta(minutes=3)) >= 10
    assert loop.probes_of(HEALTHY, fault, fault + timedelta(minutes=3)) <= 3
    assert loop.prober.stats.confirmations >= 10
    assert all(
        r.http_status == 529 for r in loop.stored if r.target == FAULTY and r.started_at >= fault
    )


def test_without_confirmation_probing_the_same_outage_takes_the_scheduled_probes(
    simulator, scenario_dict
):
    loop, start = run_loop(simulator, scenario_dict, 26, confirm_for="0s")

    detected = loop.detected_after_fault(start)
    assert detected is not None and detected > timedelta(minutes=3)
    assert loop.prober.stats.confirmations == 0
