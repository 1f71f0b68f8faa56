"""The worker's chores (status engine, retention, notifications) yield the cores to the
prober: on a busy machine the prober's process is served first, and what starts probers
keeps the priority the worker started with."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from apscheduler.triggers.interval import IntervalTrigger

from monitor.probing.scheduler import Chore
from monitor.worker.priority import CHORE_NICE
from monitor.worker.roles import start_chores
from tests.monitor.test_cli_start import demo_config
from tests.monitor.worker.test_stop_signal import AISTATUS, free_port, lease_holders


def test_chores_run_at_a_lower_priority_than_the_thread_that_starts_the_prober():
    before = os.getpriority(os.PRIO_PROCESS, 0)
    seen: list[int] = []
    ran = threading.Event()

    def chore() -> None:
        seen.append(os.getpriority(os.PRIO_PROCESS, 0))
        ran.set()

    scheduler = start_chores([Chore("status engine", chore, IntervalTrigger(hours=1), True)])
    try:
        assert ran.wait(timeout=10)
    finally:
        scheduler.shutdown(wait=True)
    assert seen == [max(before, CHORE_NICE)]
    # Not the worker's main thread: a prober it starts (again) must not inherit the nice.
    assert os.getpriority(os.PRIO_PROCESS, 0) == before


def nice_of(pid: int, tid: int | None = None) -> int:
    stat = Path(f"/proc/{pid}/task/{tid or pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])  # field 19: nice


def test_in_a_running_aistatus_run_the_prober_keeps_its_priority_and_the_rest_yields(tmp_path):
    config = demo_config(tmp_path, free_port(), extra=f"[web]\nport = {free_port()}\n")
    database = tmp_path / "status.db"
    subprocess.run(
        [AISTATUS, "--config", str(config), "db", "upgrade"], check=True, capture_output=True
    )
    started_at = os.getpriority(os.PRIO_PROCESS, 0)
    run = subprocess.Popen(
        [AISTATUS, "--config", str(config), "run"], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        # Waits for events (the status engine's first evaluation; the end of start-up,
        # when the service lowers its own threads), not for time.
        deadline = time.monotonic() + 60
        while not lease_holders(database) or nice_of(run.pid) == started_at:
            assert run.poll() is None, run.stderr.read() if run.stderr else ""
            assert time.monotonic() < deadline, "start-up never ended"
            time.sleep(0.2)
        probers = [
            int(child)
            for task in Path(f"/proc/{run.pid}/task").iterdir()
            for child in (task / "children").read_text().split()
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
        ]
        prober_nice = [nice_of(pid) for pid in probers]
        threads = {
            int(t.name): nice_of(run.pid, int(t.name))
            for t in Path(f"/proc/{run.pid}/task").iterdir()
        }
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
    assert prober_nice == [started_at]  # the prober: as the service was started
    assert threads[run.pid] == max(started_at, CHORE_NICE)  # the site, writer, engine...
    # ...but the two that start and feed a prober again (its result reader, plan sender).
    assert sorted(threads.values()).count(started_at) == 2, threads
