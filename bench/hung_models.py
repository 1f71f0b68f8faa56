"""Do hung models starve healthy ones of probe slots?

Runs the prober (real APScheduler, real HTTP) against the simulated provider on
loopback with `--hung` models that never answer (the simulator's `timeout` fault)
and `--healthy` ones, at `probe.concurrency = --concurrency`, for `--seconds`, and
prints how many probes each healthy model got against how many were due, and how
many of them failed (a pool timeout is what starvation looks like).

    .venv/bin/python -m bench.hung_models [--hung 80 --healthy 20 --concurrency 20
                                           --interval 10 --seconds 60] [--plain-semaphore]

`--plain-semaphore` puts back what the prober did before `monitor/probing/slots.py`:
a slot held until the probe ends, and an HTTP pool of `concurrency` connections.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from unittest import mock

from monitor.config import settings_from_dict
from monitor.probing import client as probe_client
from monitor.probing import scheduler
from monitor.probing.scheduler import Prober
from monitor.results import FailureClass, ProbeResult
from monitor.scenarios.simulator.server import start_simulator
from monitor.scenarios.spec import parse_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hung", type=int, default=80)
    parser.add_argument("--healthy", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--plain-semaphore", action="store_true")
    args = parser.parse_args()

    hung = [f"openai/hung-{n}" for n in range(args.hung)]
    healthy = [f"openai/healthy-{n}" for n in range(args.healthy)]
    scenario = parse_scenario(
        {
            "name": "hung",
            "start": "2026-06-07T00:00:00Z",
            "duration": "30d",
            "interval": "60s",
            "seed": 1,
            "models": [
                {"id": m, "ttft_ms": 100, "latency_ms": 200, "jitter": 0} for m in [*hung, *healthy]
            ],
            "faults": [{"models": hung, "kind": "timeout"}],
        },
        "bench",
    )
    sim = start_simulator(scenario)
    interval = args.interval
    settings = settings_from_dict(
        {
            "probe": {
                "interval": f"{interval:g}s",
                "concurrency": args.concurrency,
                "connect_timeout": interval * 0.3,
                "first_token_timeout": interval * 0.8,
                "stall_timeout": interval * 0.5,
                "total_timeout": interval * 0.9,
            },
            "providers": [
                {"id": "openai", "kind": "openai", "base_url": f"{sim.base_url}/openai/v1"}
            ],
            "models": [{"provider": "openai", "model": m.split("/")[1]} for m in [*hung, *healthy]],
        }
    )
    results: list[ProbeResult] = []
    patches = []
    if args.plain_semaphore:
        real_make_client = probe_client.make_client
        patches = [
            mock.patch.object(scheduler, "slot_share_s", lambda *_: math.inf),
            mock.patch.object(scheduler, "make_client", lambda probe, **_: real_make_client(probe)),
        ]
    for patch in patches:
        patch.start()
    prober = Prober(settings, results.append, region="bench", environ={})
    started = time.monotonic()
    prober.start()
    time.sleep(args.seconds)
    prober.stop()
    elapsed = time.monotonic() - started
    for patch in patches:
        patch.stop()
    sim.stop()

    healthy_results = [r for r in results if r.target in healthy]
    due = args.healthy * math.floor(elapsed / interval)
    classes = Counter(r.failure_class for r in healthy_results)
    ok = classes[FailureClass.OK]
    mode = "plain semaphore (before)" if args.plain_semaphore else "slots with shares"
    print(
        f"{mode}: {args.hung} hung + {args.healthy} healthy models, concurrency "
        f"{args.concurrency}, interval {interval:g} s, {elapsed:.0f} s"
    )
    print(
        f"  healthy probes ok: {ok} of ~{due} due ({100 * ok / max(1, due):.0f} %); "
        f"failed: {dict((c.value, n) for c, n in classes.items() if c is not FailureClass.OK)}"
    )
    print(
        f"  hung probes finished: {sum(1 for r in results if r.target in hung)}; "
        f"skipped runs: {prober.stats.skipped}"
    )


if __name__ == "__main__":
    main()
