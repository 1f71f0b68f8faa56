"""Latency error as a user sees it: the real `aistatus worker` (or `run`), read back
from its database, beside the prober alone and Prometheus's blackbox_exporter.

One simulated provider (`aistatus simulate`, its own process) serves N models, each
with an injected 150 ms to first token and 300 ms in total, no jitter. Against it, in
turn and in the same run:

  1. `prober`:   the prober alone, in its own process (bench/probe_capacity.py);
  2. `worker` or `run`: the command a user runs (`python -m monitor.cli --config ...
     worker`), writer, status engine, notifications and (for `run`) the site live in
     the same service, a SQLite database in a temporary folder; the site (`run`) is
     read every 2 s as a visitor would. It is stopped with SIGTERM once the database
     holds `rounds` probes of every model, and the latency error is computed from the
     stored results: `total_ms` minus 300;
  3. `exporter`: the blackbox_exporter probing the same requests (bench/blackbox.py).

CPU is user + system time from /proc of each process, per 1,000 probes: for the
service, the prober's child and the service's own process (writer, engine, site)
apart. Conditions other programs put on a machine can be imposed on all three alike:

  --cpus 0       every process of the bench pinned to one core (`taskset`'s effect:
                 an instance half as fast in cores);
  --hog 2        that many busy-looping processes beside it for the whole run (an
                 instance whose cores other work keeps busy);
  --warmup 300   count only the probes that start 300 s into the service's life: a fresh
                 install's first minutes are its own (the status engine's first look
                 asks to confirm every model);
  --simulator-cpus 1
                 the simulated provider on other cores than the rest: with `--cpus 0`,
                 a provider elsewhere whose own timing this machine's load does not
                 touch. Without it the simulator shares the loaded cores, its timers fire
                 late too, and that lateness is in every prober's figure, the exporter's
                 included: it is the provider's latency as far as any prober can tell.

    .venv/bin/python -m bench.service_latency --models 1000 --rounds 3 [--role run]
        [--warmup 300]
        [--cpus 0 [--simulator-cpus 1]] [--hog 2] [--skip prober exporter]

Goal (issue 13): at 1,000 models and 60 s, latency error p99 < 5 ms.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import blackbox
from bench.probe_capacity import TOTAL_MS, TOTAL_TIMEOUT_S, free_port, percentile, running_simulator
from bench.probe_capacity import measure as measure_prober


def service_config(tmp: Path, sim_port: int, web_port: int, n: int, interval: float) -> Path:
    models = "".join(f'\n[[models]]\nprovider = "bench"\nmodel = "m{i:04d}"\n' for i in range(n))
    path = tmp / "bench.toml"
    path.write_text(
        f"""
[storage]
url = "sqlite:///{tmp / "bench.db"}"

[probe]
region = "bench"
interval = "{interval:g}s"
total_timeout = "{TOTAL_TIMEOUT_S}s"
concurrency = 256

[web]
host = "127.0.0.1"
port = {web_port}

[[providers]]
id = "bench"
kind = "openai_compatible"
base_url = "http://127.0.0.1:{sim_port}/bench/v1"
"""
        + models
    )
    return path


def stored_count(db: Path, since: str = "") -> int:
    """Results stored that started at `since` or later (the store's text form of a time)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
            query = "select count(*) from probe_results where started_at >= ?"
            return connection.execute(query, (since,)).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or locked by the writer
        return 0


def stored_results(db: Path) -> list[tuple[str, float | None, str, float | None]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return connection.execute(
            "select outcome, total_ms, started_at, connect_ms from probe_results"
            " order by started_at"
        ).fetchall()


def prober_child(pid: int) -> int:
    """The service's prober process (not multiprocessing's resource tracker)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in command:
                return int(child)
    raise RuntimeError("no prober process found")


def measure_service(
    role: str, n: int, rounds: int, interval: float, sim_port: int, warmup_s: float = 0.0
) -> dict[str, float]:
    """Run the service until its database holds `rounds` probes of every model, counting
    only probes that started `warmup_s` seconds or more after the first was stored."""
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        web_port = free_port()
        config = service_config(tmp, sim_port, web_port, n, interval)
        cli = [sys.executable, "-m", "monitor.cli", "--config", str(config), "--log-level"]
        subprocess.run([*cli, "WARNING", "db", "upgrade"], check=True, capture_output=True)
        log = (tmp / "service.log").open("w")
        service = subprocess.Popen([*cli, "WARNING", role], stdout=log, stderr=log)
        db, expected = tmp / "bench.db", n * rounds
        visits = _Visitor(web_port) if role == "run" else None
        try:
            deadline = time.monotonic() + 120
            while stored_count(db) == 0:  # the first probe stored: start-up is over
                if service.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{role} did not start:\n{(tmp / 'service.log').read_text()}"
                    )
                time.sleep(0.5)
            prober_pid = prober_child(service.pid)
            time.sleep(warmup_s)
            since = str(datetime.now(UTC).replace(tzinfo=None)) if warmup_s else ""
            cpu0 = blackbox.cpu_seconds(service.pid), blackbox.cpu_seconds(prober_pid)
            wall0 = time.monotonic()
            deadline = wall0 + interval * (rounds + 1) + 60
            while stored_count(db, since) < expected and time.monotonic() < deadline:
                time.sleep(2)
            wall = time.monotonic() - wall0
            cpu1 = blackbox.cpu_seconds(service.pid), blackbox.cpu_seconds(prober_pid)
        finally:
            if visits is not None:
                visits.stop()
            service.send_signal(signal.SIGTERM)
            service.wait(timeout=60)
        rows = [row for row in stored_results(db) if row[2] >= since]
    probes = len(rows)
    ok = [(started, total, connect) for outcome, total, started, connect in rows if outcome == "ok"]
    errors = [total - TOTAL_MS for _, total, _ in ok]
    connects = [connect for _, _, connect in ok if connect is not None]
    return {
        "probes": probes,
        "failed": probes - len(errors),
        "errors_ms": errors,  # type: ignore[dict-item]
        "prober_cpu_s_per_1000": (cpu1[1] - cpu0[1]) / max(1, probes) * 1000,
        "service_cpu_s_per_1000": (cpu1[0] - cpu0[0]) / max(1, probes) * 1000,
        "core_share": (cpu1[0] - cpu0[0] + cpu1[1] - cpu0[1]) / wall,
        "site_reads": 0 if visits is None else visits.count,
        "connect_p50_p99_ms": summary(connects),  # type: ignore[dict-item]
        "by_start": ok,  # type: ignore[dict-item]
    }


class _Visitor:
    """Reads the overview and the summary API every 2 s, as people and widgets do."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30) as client:
            while not self._stop.wait(2.0):
                for path in ("/", "/api/v2/summary.json"):
                    try:
                        client.get(path)
                        self.count += 1
                    except httpx.HTTPError:
                        pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


@contextmanager
def hogs(count: int) -> Iterator[None]:
    """`count` processes that only compute, for as long as the block runs."""
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_spin, daemon=True) for _ in range(count)]
    for process in processes:
        process.start()
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
            process.join()


def _spin() -> None:
    while True:
        pass


def summary(errors: list[float]) -> tuple[float, float]:
    if not errors:
        return float("nan"), float("nan")
    return statistics.median(errors), percentile(errors, 0.99)


def row(name: str, probes: float, failed: float, errors: list[float], cpu: str) -> str:
    p50, p99 = summary(errors)
    return f"{name:>9} {probes:>7.0f} {failed:>6.0f} {p50:>9.2f}ms {p99:>9.2f}ms  {cpu}"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--role", choices=["worker", "run"], default="worker")
    parser.add_argument("--cpus", help="pin the bench and all it starts to these cores: 0 or 0,1")
    parser.add_argument(
        "--simulator-cpus",
        help="the simulated provider on these cores instead: a provider elsewhere, whose "
        "timing this machine's load does not touch (`--cpus 0 --simulator-cpus 1`)",
    )
    parser.add_argument("--hog", type=int, default=0, help="busy processes beside it")
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.0,
        help="seconds the service runs before its probes count (a fresh install's first "
        "minutes are its own: the status engine's first look confirms every model)",
    )
    parser.add_argument("--skip", nargs="*", default=[], choices=["prober", "exporter"])
    parser.add_argument("--exporter", help="blackbox_exporter binary (default: found on PATH)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.cpus:
        os.sched_setaffinity(0, {int(c) for c in args.cpus.split(",")})
    exporter = None if "exporter" in args.skip else blackbox.find_exporter(args.exporter)
    n, rounds, interval = args.models, args.rounds, args.interval
    sim_cpus = {int(c) for c in args.simulator_cpus.split(",")} if args.simulator_cpus else None
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average {load_average()}; "
        f"{os.cpu_count()} cores, bench on cores {sorted(os.sched_getaffinity(0))}; "
        f"simulated provider on {f'cores {sorted(sim_cpus)}' if sim_cpus else 'the same'}; "
        f"{args.hog} busy processes beside it; {n} models at {interval:g} s, {rounds} rounds; "
        f"injected total {TOTAL_MS} ms"
    )
    print(
        f"{'':>9} {'probes':>7} {'failed':>6} {'err p50':>11} {'err p99':>11}  CPU s / 1,000 probes"
    )
    figures: dict[str, object] = {"load_before": load_average()}
    with hogs(args.hog), running_simulator(n, sim_cpus) as sim_port:
        if "prober" not in args.skip:
            alone = measure_prober(n, rounds, interval, sim_port)
            errors = alone.pop("errors_ms")  # type: ignore[arg-type]
            connects = summary(alone.pop("connect_ms"))  # type: ignore[arg-type]
            cpu = (
                f"{alone['cpu_s_per_1000']:.2f} (prober), "
                f"{alone['receiver_s_per_1000']:.2f} (recv); "
                "connect p50 {:.2f} ms, p99 {:.2f} ms".format(*connects)
            )
            print(row("prober", alone["probes"], alone["failed"], errors, cpu), flush=True)
            figures["prober"] = {**alone, "p50_p99": summary(errors)}
        served = measure_service(args.role, n, rounds, interval, sim_port, args.warmup)
        errors = served.pop("errors_ms")  # type: ignore[arg-type]
        cpu = (
            f"{served['prober_cpu_s_per_1000']:.2f} (prober), "
            f"{served['service_cpu_s_per_1000']:.2f} (rest of the service); "
            "connect p50 {:.2f} ms, p99 {:.2f} ms".format(*served["connect_p50_p99_ms"])
        )
        print(row(args.role, served["probes"], served["failed"], errors, cpu), flush=True)
        figures[args.role] = {**served, "p50_p99": summary(errors)}
        if exporter is not None:
            theirs = blackbox.measure(
                exporter, sim_port, free_port(), n, rounds, interval, TOTAL_TIMEOUT_S
            )
            errors = [s * 1000 - TOTAL_MS for s in theirs.pop("durations_s")]  # type: ignore[union-attr]
            cpu = f"{theirs['cpu_s_per_1000']:.2f}"
            print(row("exporter", theirs["probes"], theirs["failed"], errors, cpu))
            figures["exporter"] = {**theirs, "p50_p99": summary(errors)}
    figures["load_after"] = load_average()
    print(f"load average at the end: {figures['load_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
