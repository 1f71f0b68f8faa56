"""How many models can one prober keep on schedule?

Runs N models (default: 100, then 1,000) against the simulated provider in a
separate process, with a known injected latency and no jitter, for a few
probe rounds, and prints per N:
  - share of probes started within 1 s of their slot,
  - measured-minus-injected total latency, p50 and p99,
  - CPU seconds of the prober process per 1,000 probes (and as share of a core),
  - peak memory (RSS) of the prober process,
  - CPU seconds this process spent receiving the results over the pipe (`recv`),
The prober runs as the worker runs it, in a process of its own; `--in-process`
runs it in this one, as before.
and then, in the same run against the same simulated models, the same figures for
Prometheus's blackbox_exporter (bench/blackbox.py) and our CPU per probe as a
multiple of its. Without the exporter installed it says how to install it.
Goal on the 2-core reference machine: 1,000 models at a 60 s interval, >= 99.9 %
on time, latency error p99 < 5 ms, under a third of one core.

    .venv/bin/python -m bench.probe_capacity --models 100 1000 --rounds 3 [--exporter PATH]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import blackbox
from monitor.config import settings_from_dict
from monitor.probing.scheduler import Prober
from monitor.results import ProbeResult
from monitor.worker import heap
from monitor.worker.prober_process import ProberProcess

TTFT_MS = 150
TOTAL_MS = 300
TOTAL_TIMEOUT_S = 20


def scenario_toml(n: int) -> str:
    lines = [
        'name = "bench"',
        'start = "2026-06-07T00:00:00Z"',
        'duration = "30d"',
        'interval = "60s"',
        "seed = 1",
    ]
    for i in range(n):
        lines += [
            "[[models]]",
            f'id = "bench/m{i:04d}"',
            f"ttft_ms = {TTFT_MS}",
            f"latency_ms = {TOTAL_MS}",
            "jitter = 0",
            "error_rate = 0",
        ]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("simulator did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def running_simulator(n: int, cpus: set[int] | None = None) -> Iterator[int]:
    """The simulated provider serving `n` bench models in its own process, on `cpus` if
    given (every thread of it); yields its port."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(scenario_toml(n))
        sim = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "monitor.cli",
                "simulate",
                "--scenario",
                str(path),
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            if cpus:
                for task in Path(f"/proc/{sim.pid}/task").iterdir():
                    os.sched_setaffinity(int(task.name), cpus)
            yield port
        finally:
            sim.terminate()
            sim.wait(timeout=10)


def run(
    n: int, rounds: int, interval: float, exporter: str | None, in_process: bool = False
) -> tuple[dict[str, float], dict[str, float] | None]:
    """Our prober, then (if installed) the exporter, against one simulator process."""
    with running_simulator(n) as port:
        ours = measure(n, rounds, interval, port, in_process)
        if exporter is None:
            return ours, None
        theirs = blackbox.measure(exporter, port, free_port(), n, rounds, interval, TOTAL_TIMEOUT_S)
        return ours, theirs


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(
    n: int, rounds: int, interval: float, port: int, in_process: bool = False
) -> dict[str, float]:
    settings = settings_from_dict(
        {
            "probe": {"interval": interval, "total_timeout": TOTAL_TIMEOUT_S, "concurrency": 256},
            "providers": [
                {
                    "id": "bench",
                    "kind": "openai_compatible",
                    "base_url": f"http://127.0.0.1:{port}/bench/v1",
                }
            ],
            "models": [{"provider": "bench", "model": f"m{i:04d}"} for i in range(n)],
        }
    )
    results: list[ProbeResult] = []
    done = threading.Event()
    expected = n * rounds

    def sink(result: ProbeResult) -> None:
        results.append(result)
        if len(results) >= expected:
            done.set()

    # As the worker runs it: in a process of its own (monitor/worker/prober_process.py),
    # results back over a pipe; its CPU is the child's, the pipe's far end is ours.
    prober: Prober | ProberProcess = (
        Prober(settings, sink) if in_process else ProberProcess(settings, sink)
    )
    prober.start()
    if in_process:
        heap.settle()  # as the prober's process does after start-up
    pid = os.getpid() if isinstance(prober, Prober) else prober.pid
    assert pid is not None
    cpu_before, here_before = blackbox.cpu_seconds(pid), blackbox.cpu_seconds(os.getpid())
    wall_before = time.monotonic()
    done.wait(timeout=interval * (rounds + 1) + 30)
    wall = time.monotonic() - wall_before
    cpu = blackbox.cpu_seconds(pid) - cpu_before
    here = blackbox.cpu_seconds(os.getpid()) - here_before
    peak_mb = peak_rss_mb(pid)
    prober.stop()

    lateness = prober.stats.lateness_s
    ok = [r for r in results if r.ok and r.total_ms is not None]
    errors = [r.total_ms - TOTAL_MS for r in ok]  # type: ignore[operator]
    return {
        "models": n,
        "probes": len(results),
        "failed": len(results) - len(ok),
        "on_time_share": sum(1 for x in lateness if x <= 1.0) / max(1, len(lateness)),
        "lateness_p99_ms": percentile(lateness, 0.99) * 1000 if lateness else float("nan"),
        "latency_error_p50_ms": statistics.median(errors) if errors else float("nan"),
        "latency_error_p99_ms": percentile(errors, 0.99) if errors else float("nan"),
        "cpu_s_per_1000": cpu / max(1, len(results)) * 1000,
        "core_share": cpu / wall,
        "receiver_s_per_1000": 0.0 if in_process else here / max(1, len(results)) * 1000,
        "peak_rss_mb": peak_mb,
        "errors_ms": errors,  # type: ignore[dict-item]
        "connect_ms": [r.connect_ms for r in ok if r.connect_ms is not None],  # type: ignore[dict-item]
    }


HEADER = (
    f"{'prober':>9} {'models':>6} {'probes':>7} {'failed':>6} {'on time':>8} {'late p99':>9} "
    f"{'lat err p50':>11} {'lat err p99':>11} {'cpu s/1k':>8} {'core':>6} {'peak MB':>8} "
    f"{'recv s/1k':>9}"
)


def ours_row(r: dict[str, float]) -> str:
    return (
        f"{'aistatus':>9} {r['models']:>6.0f} {r['probes']:>7.0f} {r['failed']:>6.0f} "
        f"{r['on_time_share']:>8.2%} {r['lateness_p99_ms']:>7.1f}ms "
        f"{r['latency_error_p50_ms']:>9.2f}ms {r['latency_error_p99_ms']:>9.2f}ms "
        f"{r['cpu_s_per_1000']:>8.2f} {r['core_share']:>6.1%} {r['peak_rss_mb']:>8.0f} "
        f"{r['receiver_s_per_1000']:>9.2f}"
    )


def exporter_row(n: int, r: dict[str, float]) -> str:
    errors = [s * 1000 - TOTAL_MS for s in r["durations_s"]]  # type: ignore[attr-defined]
    p50 = statistics.median(errors) if errors else float("nan")
    p99 = percentile(errors, 0.99) if errors else float("nan")
    return (
        f"{'exporter':>9} {n:>6} {r['probes']:>7.0f} {r['failed']:>6.0f} {'':>8} {'':>9} "
        f"{p50:>9.2f}ms {p99:>9.2f}ms {r['cpu_s_per_1000']:>8.2f} {r['core_share']:>6.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--exporter", help="blackbox_exporter binary (default: found on PATH)")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the prober in this process, as before it had its own",
    )
    args = parser.parse_args()
    exporter = blackbox.find_exporter(args.exporter)
    print(
        f"machine: {os.cpu_count()} cores; injected latency ttft {TTFT_MS} ms, "
        f"total {TOTAL_MS} ms; interval {args.interval:g} s; {args.rounds} rounds"
    )
    if exporter is None:
        print(blackbox.INSTALL_HINT)
    print(HEADER)
    for n in args.models:
        ours, theirs = run(n, args.rounds, args.interval, exporter, args.in_process)
        print(ours_row(ours))
        if theirs is not None:
            print(exporter_row(n, theirs))
            ratio = ours["cpu_s_per_1000"] / max(1e-9, theirs["cpu_s_per_1000"])
            print(f"{'':>9} {n:>6} CPU per probe, aistatus / exporter: {ratio:.2f}x")


if __name__ == "__main__":
    main()
