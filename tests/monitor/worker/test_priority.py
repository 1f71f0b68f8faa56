"""The worker's chores (status engine, retention, notifications) yield the cores to the
prober: on a busy machine the prober's process is served first, and what starts probers
keeps the priority the worker started with."""

from __future__ import annotations

import os
import threading

from apscheduler.triggers.interval import IntervalTrigger

from monitor.probing.scheduler import Chore
from monitor.worker.priority import CHORE_NICE
from monitor.worker.roles import start_chores


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
