"""The worker's own heavy work yields the cores to its prober.

The prober (its own process, monitor/worker/prober_process.py) times what it reads; the
status engine's minute evaluation, retention and notifications are work whose minutes
can slip by milliseconds unnoticed. On a machine whose cores are busy, Linux shares them
by nice value, and an unprivileged program can only raise its own (lower its priority),
never lower it again. So the threads that run the worker's chores raise theirs to
`CHORE_NICE`, and once the prober runs, so do all the worker's other threads (the
writer, the site's in `aistatus run`: a page render is tens of milliseconds of CPU) but
the prober's own two, its result reader and its plan sender: the reader may start a
prober again, and a process inherits the nice of the thread that starts it. Threads
started later inherit their starter's. On Linux, nice is per thread:
`setpriority(PRIO_PROCESS, tid, ...)` changes that thread only.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Collection
from pathlib import Path

CHORE_NICE = 5  # a busy core gives a nice-0 thread ~3x the time of a nice-5 one


def lower_this_thread(nice: int = CHORE_NICE) -> None:
    """Give the calling thread a lower priority (a higher nice), if it is not lower yet."""
    if not sys.platform.startswith("linux"):
        return  # elsewhere the call would lower the whole process, the site with it
    with contextlib.suppress(OSError):
        if os.getpriority(os.PRIO_PROCESS, 0) < nice:
            os.setpriority(os.PRIO_PROCESS, 0, nice)


def lower_threads_but(keep: Collection[int], nice: int = CHORE_NICE) -> None:
    """Every thread of this process but `keep` (native thread ids) to `nice`, if lower."""
    if not sys.platform.startswith("linux"):
        return
    for task in Path("/proc/self/task").iterdir():
        tid = int(task.name)
        if tid in keep:
            continue
        with contextlib.suppress(OSError):  # a thread that has just ended
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
