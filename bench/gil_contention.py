"""How much does a busy thread in the worker skew what a probe measures?

In `aistatus worker` and `run`, the result writer, the status engine (a minute's
evaluation, a rebuild at start) and the site are Python threads. When the
prober's event loop shared their GIL, a probe whose bytes arrived while another
thread held it waited for the interpreter's switch interval (5 ms), once per
hand-over. The prober now runs in a process of its own
(monitor/worker/prober_process.py). This runs `--models` simulated models
(injected total 300 ms) at a 10 s interval for `--rounds` rounds, with and
without a thread in this process that only computes, with the prober in this
process (as before) and in its own (as now), and prints the latency error
(measured minus injected total) p50 / p99.

    .venv/bin/python -m bench.gil_contention [--models 100 --rounds 2]
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bench.probe_capacity import measure, running_simulator

INTERVAL_S = 25.0


@contextmanager
def busy_thread(busy: bool) -> Iterator[None]:
    """A thread that only computes, as the status engine's evaluation does."""
    stop = threading.Event()

    def compute() -> None:
        total = 0
        while not stop.is_set():
            total += sum(i * i for i in range(10_000))

    worker = threading.Thread(target=compute, daemon=True)
    if busy:
        worker.start()
    try:
        yield
    finally:
        stop.set()
        if busy:
            worker.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(
        f"switch interval {sys.getswitchinterval() * 1000:g} ms; {args.models} models, "
        f"{args.rounds} rounds at {INTERVAL_S:g} s"
    )
    print(f"{'prober':>18} {'busy thread':>12} {'probes':>7} {'err p50':>9} {'err p99':>9}")
    with running_simulator(args.models) as port:
        for in_process, busy in ((True, False), (True, True), (False, True), (False, False)):
            with busy_thread(busy):
                r = measure(args.models, args.rounds, INTERVAL_S, port, in_process)
            where = "in the worker" if in_process else "its own process"
            print(
                f"{where:>18} {'yes' if busy else 'no':>12} {r['probes']:>7.0f} "
                f"{r['latency_error_p50_ms']:>7.2f}ms {r['latency_error_p99_ms']:>7.2f}ms"
            )


if __name__ == "__main__":
    main()
