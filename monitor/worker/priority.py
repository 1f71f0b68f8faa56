"""The worker's own heavy work yields the cores to its prober.

The prober (its own process, monitor/worker/prober_process.py) times what it reads; the
status engine's minute evaluation, retention and notifications are work whose minutes
can slip by milliseconds unnoticed. On a machine whose cores are busy, Linux shares them
by nice value, and an unprivileged program can only raise its own (lower its priority),
never lower it again. So the threads that run the worker's chores raise theirs to
`CHORE_NICE`; the prober keeps the nice the worker started with, as does every thread
that may start a prober again (the main thread, the prober's result reader). On Linux,
nice is per thread: `setpriority(PRIO_PROCESS, 0, ...)` changes the calling thread only.
"""

from __future__ import annotations

import contextlib
import os
import sys

CHORE_NICE = 5  # a busy core gives a nice-0 thread ~3x the time of a nice-5 one


def lower_this_thread(nice: int = CHORE_NICE) -> None:
    """Give the calling thread a lower priority (a higher nice), if it is not lower yet."""
    if not sys.platform.startswith("linux"):
        return  # elsewhere the call would lower the whole process, the site with it
    with contextlib.suppress(OSError):
        if os.getpriority(os.PRIO_PROCESS, 0) < nice:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
