import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import settings_from_dict
from monitor.probing.scheduler import (
    CONFIRM_TICK_S,
    DEFAULT_SUITE,
    Prober,
    check_for_round,
    phase_offset,
    probe_round,
    probe_targets,
)
from monitor.results import FailureClass, TimeoutKind


def settings_for(base_url: str, **probe):
    return settings_from_dict(
        {
            "probe": {
                "interval": "10s",
                "connect_timeout": 1,
                "first_token_timeout": 1,
                "stall_timeout": 1,
                "total_timeout": 3,
                **probe,
            },
            "providers": [
                {"id": "anthropic", "kind": "anthropic", "base_url": f"{base_url}/anthropic"},
                {"id": "openai", "kind": "openai", "base_url": f"{base_url}/openai/v1"},
                {
                    "id": "keyed",
                    "kind": "openai",
                    "base_url": f"{base_url}/openai/v1",
                    "api_key_env": "AISTATUS_TEST_UNSET_KEY",
                },
            ],
            "models": [
                {"provider": "anthropic", "model": "claude-test"},
                {"provider": "openai", "model": "gpt-test"},
                {"provider": "openai", "model": "gpt-off", "enabled": False},
                {"provider": "keyed", "model": "gpt-test"},
            ],
        }
    )


def test_a_hundred_models_do_not_fire_in_the_same_second():
    slots = Counter(int(phase_offset(f"p/m{i}", "us-east", 60.0)) for i in range(100))
    assert max(slots.values()) <= 6
    assert all(0 <= s < 60 for s in slots)


def test_a_model_keeps_its_slot_across_restarts_but_regions_differ():
    assert phase_offset("a/b", "us-east", 60) == phase_offset("a/b", "us-east", 60)
    assert phase_offset("a/b", "us-east", 60) != phase_offset("a/b", "eu-west", 60)


@pytest.mark.parametrize(
    ("round_no", "expected"),
    [
        (0, "arithmetic"),
        (8, "arithmetic"),
        (9, "parity"),
        (19, "format"),
        (29, "script"),
        (39, "parity"),
        (40, "arithmetic"),
    ],
)
def test_one_probe_in_ten_asks_the_next_suite_item(round_no, expected):
    assert check_for_round(round_no, ("parity", "format", "script"), 10) == expected


def test_the_default_suite_asks_for_exact_form_one_probe_in_forty():
    asked = [check_for_round(n, DEFAULT_SUITE, 10) for n in range(400)]
    assert asked.count("strict_format") == 10
    assert asked.count("arithmetic") == 360
    assert {"parity", "format", "script"} <= set(asked)


def test_disabled_models_and_models_without_their_key_are_not_probed():
    settings = settings_for("http://127.0.0.1:1")
    ids = [m.id for m in probe_targets(settings, environ={})]
    assert ids == ["anthropic/claude-test", "openai/gpt-test"]
    keyed = probe_targets(settings, environ={"AISTATUS_TEST_UNSET_KEY": "k"})
    assert "keyed/gpt-test" in [m.id for m in keyed]


def test_the_prober_schedules_each_model_once_and_never_drops_a_late_run():
    settings = settings_for("http://127.0.0.1:1")
    prober = Prober(settings, lambda result: None, region="us-east", environ={})
    prober.start()
    try:
        jobs = prober.jobs()
    finally:
        prober.stop()
    assert sorted(j.target for j in jobs) == ["anthropic/claude-test", "openai/gpt-test"]
    now = datetime.now(UTC)
    for job in jobs:
        assert job.misfire_grace_s is None  # APScheduler's 1 s default would drop late runs
        assert job.max_instances == 1
        assert job.next_run_at is not None
        assert job.next_run_at - now <= timedelta(seconds=10)


def test_a_hanging_model_does_not_delay_another(simulator, scenario_dict):
    raw = scenario_dict(faults=[{"models": ["anthropic/claude-test"], "kind": "timeout"}])
    sim = simulator(raw)
    settings = settings_for(sim.base_url)
    models = probe_targets(settings, environ={})
    results = {
        r.target: r
        for r in asyncio.run(probe_round(settings, models, region="us-east", environ={}))
    }
    hanging, healthy = results["anthropic/claude-test"], results["openai/gpt-test"]
    assert hanging.timeout is TimeoutKind.FIRST_TOKEN
    assert hanging.failure_class is FailureClass.AMBIGUOUS
    assert healthy.failure_class is FailureClass.OK
    assert healthy.total_ms is not None and healthy.total_ms < 900


def test_the_probe_plan_brings_extra_probes_of_the_models_it_names_only():
    from monitor.plan import Confirmation, ProbePlan
    from monitor.results import Outcome, ProbeResult

    settings = settings_for("http://127.0.0.1:1")
    models = probe_targets(settings, environ={})
    opus = models[0]
    until = datetime.now(UTC) + timedelta(minutes=5)
    plan = ProbePlan((Confirmation(opus.id, until, 10.0, "a failure"),))
    sunk: list[ProbeResult] = []
    prober = Prober(settings, sunk.append, region="us-east", environ={}, plan=lambda: plan)

    async def probe(model):
        prober._last_start[model.id] = datetime.now(UTC)
        return ProbeResult(
            target=model.id, region="us-east", started_at=datetime.now(UTC), outcome=Outcome.OK
        )

    prober.probe = probe  # no network: what matters is which models the plan makes due

    async def two_reads() -> None:
        prober.arrange_slots(models)  # as start-up does: confirmations share the slots
        await prober._confirm_due(models)
        await asyncio.gather(*prober._extra.values())
        await prober._confirm_due(models)  # read again at once: not due again yet
        await asyncio.gather(*prober._extra.values())

    asyncio.run(two_reads())
    assert [r.target for r in sunk] == [opus.id]  # stored like any other result
    assert prober.stats.confirmations == 1


@pytest.mark.parametrize(("models", "most_at_the_read"), [(5, 5), (300, 30)])
def test_a_crowd_of_confirmations_is_spread_over_the_time_to_the_next_read(
    models, most_at_the_read
):
    """A fresh install asks to confirm every model: a few start at once, hundreds are
    spread over the 5 s to the next plan read instead of hitting the provider together."""
    from monitor.plan import Confirmation, ProbePlan
    from monitor.results import Outcome, ProbeResult

    settings = settings_from_dict(
        {
            "probe": {"interval": "60s", "total_timeout": 5},
            "providers": [{"id": "p", "kind": "openai", "base_url": "http://127.0.0.1:1/v1"}],
            "models": [{"provider": "p", "model": f"m{i}"} for i in range(models)],
        }
    )
    targets = probe_targets(settings, environ={})
    until = datetime.now(UTC) + timedelta(minutes=5)
    plan = ProbePlan(tuple(Confirmation(m.id, until, 20.0, "no history yet") for m in targets))
    started: list[str] = []
    prober = Prober(settings, lambda r: None, region="us-east", environ={}, plan=lambda: plan)

    async def probe(model):
        started.append(model.id)
        return ProbeResult(
            target=model.id, region="us-east", started_at=datetime.now(UTC), outcome=Outcome.OK
        )

    prober.probe = probe  # no network: what matters is when each confirmation starts

    async def one_read() -> int:
        prober.arrange_slots(targets)
        await prober._confirm_due(targets)
        for _ in range(5):  # let every probe that is not waiting for its turn start
            await asyncio.sleep(0)
        at_once = len(started)
        waiting = [task for task in prober._extra.values() if not task.done()]
        for task in waiting:
            task.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        return at_once

    at_once = asyncio.run(one_read())
    # A few of the crowd have offsets of a few milliseconds, which pass while it starts.
    assert at_once == models if models <= 10 else at_once <= most_at_the_read


def test_a_spread_confirmation_keeps_its_interval():
    """Spreading a crowd delays each start by a stable offset; the next confirmation of
    that model is still due one plan interval after the read, not a read later."""
    from monitor.clock import FakeClock
    from monitor.plan import Confirmation, ProbePlan

    settings = settings_from_dict(
        {
            "probe": {"interval": "60s", "total_timeout": 5},
            "providers": [{"id": "p", "kind": "openai", "base_url": "http://127.0.0.1:1/v1"}],
            "models": [{"provider": "p", "model": f"m{i}"} for i in range(50)],
        }
    )
    targets = probe_targets(settings, environ={})
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    until = clock.now() + timedelta(minutes=5)
    plan = ProbePlan(tuple(Confirmation(m.id, until, 10.0, "no history yet") for m in targets))
    prober = Prober(
        settings, lambda r: None, region="us-east", clock=clock, environ={}, plan=lambda: plan
    )

    async def reads() -> list[int]:
        prober.arrange_slots(targets)
        due_at_reads = []
        for _ in range(3):  # reads at 0, 5 and 10 s
            await prober._confirm_due(targets)
            tasks = list(prober._extra.values())
            due_at_reads.append(len(tasks))
            await asyncio.sleep(0)  # each now waits for its turn in the spread
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for task_model in targets[: len(tasks)]:  # ...and started as late as spread
                delay = timedelta(seconds=prober._spread_s[task_model.id])
                prober._last_start[task_model.id] = clock.now() + delay
            clock.advance(CONFIRM_TICK_S)
        return due_at_reads

    assert asyncio.run(reads()) == [50, 0, 50]
