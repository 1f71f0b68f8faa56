"""The prober in its own process: results reach the worker, the status engine's plan
reaches the prober, a Ctrl-C leaves the stopping to the worker, and stop is orderly.
Real processes, real HTTP to the simulated provider on loopback."""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime, timedelta

from monitor.config import settings_from_dict
from monitor.plan import Confirmation, ProbePlan
from monitor.results import ProbeResult
from monitor.worker.prober_process import ProberProcess

MODELS = ["anthropic/claude-test", "openai/gpt-test"]


def test_results_come_back_and_the_plan_brings_confirmation_probes(simulator, scenario_dict):
    sim = simulator(
        scenario_dict(models=[{"id": m, "ttft_ms": 20, "latency_ms": 40} for m in MODELS])
    )
    settings = settings_from_dict(
        {
            "probe": {"interval": "10s", "total_timeout": 5},
            "providers": [
                {"id": "anthropic", "kind": "anthropic", "base_url": f"{sim.base_url}/anthropic"},
                {"id": "openai", "kind": "openai", "base_url": f"{sim.base_url}/openai/v1"},
            ],
            "models": [{"provider": m.split("/")[0], "model": m.split("/")[1]} for m in MODELS],
        }
    )
    plan = ProbePlan(
        (Confirmation(MODELS[0], datetime.now(UTC) + timedelta(minutes=5), 2.0, "a failure"),)
    )
    received: list[ProbeResult] = []
    enough = threading.Event()

    def sink(result: ProbeResult) -> None:
        received.append(result)
        targets = [r.target for r in received]
        if targets.count(MODELS[0]) >= 2 and MODELS[1] in targets:
            enough.set()

    prober = ProberProcess(settings, sink, region="us-east", plan=lambda: plan)
    prober.start()
    try:
        assert prober.pid != os.getpid()
        os.kill(prober.pid, signal.SIGINT)  # a Ctrl-C reaches the whole process group
        assert enough.wait(timeout=30), [r.target for r in received]
    finally:
        prober.stop()
    assert prober._process.exitcode == 0  # it stopped when told, not at the Ctrl-C
    assert all(r.ok and r.region == "us-east" for r in received)
    assert prober.stats.confirmations >= 1  # the child's own count, sent as it stopped
    assert prober.stats.finished + prober.stats.confirmations == len(received)


def test_a_prober_process_that_dies_is_started_again(simulator, scenario_dict):
    sim = simulator(scenario_dict(models=[{"id": MODELS[1], "ttft_ms": 20, "latency_ms": 40}]))
    settings = settings_from_dict(
        {
            "probe": {"interval": "10s", "total_timeout": 5},
            "providers": [
                {"id": "openai", "kind": "openai", "base_url": f"{sim.base_url}/openai/v1"}
            ],
            "models": [{"provider": "openai", "model": MODELS[1].split("/")[1]}],
        }
    )
    received: list[ProbeResult] = []
    arrived = threading.Event()

    def sink(result: ProbeResult) -> None:
        received.append(result)
        if prober.restarts:  # read after the restart: the new process's
            arrived.set()

    prober = ProberProcess(settings, sink, region="us-east")
    prober.restart_delay_s = 0.1
    prober.start()
    try:
        first = prober.pid
        os.kill(first, signal.SIGKILL)  # as the kernel's OOM killer would
        assert arrived.wait(timeout=30)  # the new one probes on its own schedule
        assert prober.pid != first and prober.restarts == 1
    finally:
        prober.stop()
    assert prober._process.exitcode == 0
    assert received and all(r.ok for r in received)


def test_a_stop_signal_during_the_start_waits_for_the_child_to_have_what_it_runs(
    monkeypatch, capfd
):
    # The race a service manager's stop can hit: the child is spawned, and the signal
    # arrives before the parent has written the child what to run. Raised there, the
    # stop left the child reading an empty pipe ("Ran out of input", a traceback).
    from multiprocessing import util

    spawn = util.spawnv_passfds

    def spawned_then_stopped(*args: object) -> int:
        pid = spawn(*args)
        signal.raise_signal(signal.SIGTERM)
        return pid

    def stopped(number: int, frame: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(util, "spawnv_passfds", spawned_then_stopped)
    previous = signal.signal(signal.SIGTERM, stopped)
    prober = ProberProcess(settings_from_dict({}), lambda result: None)
    try:
        try:
            prober.start()
        except KeyboardInterrupt:
            pass  # the stop, once the child had what it needed
        else:
            raise AssertionError("the stop signal was lost")
        assert prober.pid is not None  # started in full: stop() can reach it
    finally:
        signal.signal(signal.SIGTERM, previous)
        monkeypatch.undo()
        prober.stop()
    assert prober._process.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err
