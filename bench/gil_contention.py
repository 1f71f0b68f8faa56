"""How much does a busy thread beside the prober skew what a probe measures?

In `aistatus worker` the prober's event loop shares the GIL with the result
writer and the status engine, whose minute's evaluation (and a rebuild at
start) is pure Python. A probe whose bytes arrive while another thread holds
the GIL waits for the interpreter's switch interval, once per hand-over. This
runs sequential probes of one simulated model (injected total 300 ms) with and
without a thread that only computes, at Python's default switch interval and
at the worker's (monitor/worker/roles.py), and prints the latency error (measured
minus injected total) p50 / p90 / max.

    .venv/bin/python -m bench.gil_contention [--probes 100]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import threading

from bench.probe_capacity import TOTAL_MS, percentile, running_simulator
from monitor.clock import SystemClock
from monitor.config import settings_from_dict
from monitor.probing.client import make_client, warm_up
from monitor.probing.probe import run_probe
from monitor.worker.roles import PROBER_SWITCH_INTERVAL_S


async def errors_ms(port: int, probes: int) -> list[float]:
    settings = settings_from_dict({
        "providers": [{"id": "bench", "kind": "openai_compatible",
                       "base_url": f"http://127.0.0.1:{port}/bench/v1"}],
        "models": [{"provider": "bench", "model": "m0000"}],
    })
    provider, model = settings.providers[0], settings.models[0]
    errors = []
    async with make_client(settings.probe) as client:
        await warm_up()
        for n in range(probes):
            result = await run_probe(client, provider, model, settings.probe, region="bench",
                                     api_key=None, clock=SystemClock(), rng=random.Random(n))
            if result.ok and result.total_ms is not None:
                errors.append(result.total_ms - TOTAL_MS)
    return sorted(errors)


def measure(port: int, probes: int, switch_s: float, busy: bool) -> list[float]:
    stop = threading.Event()

    def compute() -> None:  # stands in for the status engine's evaluation
        total = 0
        while not stop.is_set():
            total += sum(i * i for i in range(10_000))

    before = sys.getswitchinterval()
    sys.setswitchinterval(switch_s)
    worker = threading.Thread(target=compute, daemon=True)
    if busy:
        worker.start()
    try:
        return asyncio.run(errors_ms(port, probes))
    finally:
        stop.set()
        if busy:
            worker.join()
        sys.setswitchinterval(before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=100)
    args = parser.parse_args()
    default = sys.getswitchinterval()
    print(f"{'switch interval':>16} {'busy thread':>12} "
          f"{'err p50':>9} {'err p90':>9} {'err max':>9}")
    with running_simulator(1) as port:
        for switch_s, busy in ((default, False), (default, True),
                               (PROBER_SWITCH_INTERVAL_S, True), (PROBER_SWITCH_INTERVAL_S, False)):
            errors = measure(port, args.probes, switch_s, busy)
            p90 = percentile(errors, 0.9)
            print(f"{switch_s * 1000:>13.1f} ms {'yes' if busy else 'no':>12} "
                  f"{statistics.median(errors):>7.2f}ms {p90:>7.2f}ms {errors[-1]:>7.2f}ms")


if __name__ == "__main__":
    main()
