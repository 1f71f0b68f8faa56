"""Short pauses from Python's cycle collector in the long-running roles.

A full (generation 2) collection walks every tracked object, and CPython starts
one whenever enough objects have survived since the last. The site keeps 90 days
of rollups and the uptime bars built from them in memory (about 200,000 objects
at 100 models), so on a bench of uncached overview requests one request in
thirty stopped for 70-90 ms. The worker's status engine holds a day of results;
its collections stop the prober's thread too (they hold the GIL), and a probe
waiting on them measures the pause as provider latency.

Nearly all of those objects live a long while: the site's until the next full
re-read of a cache (every 10 minutes for minutes, hourly for hours and days),
the engine's for hours as it replaces results minute by minute. So `settle`
collects once and moves every survivor into the permanent generation
(`gc.freeze`), which later collections skip: they then walk only what was made
since, a few milliseconds. The site settles after sending the response of a
request that refilled its caches; the worker after start-up and after each
engine rebuild. A settle is itself one full collection (~80 ms for the site at
100 models; ~200 ms for an engine holding 25 hours of 100 models from 3
regions, 1.5 million objects), and every thread waits for it.

The worker does not re-settle on a timer: in steady state the engine keeps so
few new objects that no full collection started in 120 simulated minutes of
ingesting and evaluating, so a timer would add pauses, not remove them; and
what it replaces is freed by reference counting, frozen or not.

Frozen objects are still freed by reference counting when dropped; only cycles
among them wait for the next `settle`, which unfreezes and collects first. (If
another thread's collection is running finalizers at that moment, `gc.collect`
returns at once and this settle freezes its garbage until the next.)
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()


def settle() -> None:
    """Collect everything once, then spare what survives from later collections."""
    with _lock:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
