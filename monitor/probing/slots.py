"""Concurrency slots for probes, so hung models cannot starve healthy ones.

`probe.concurrency` slots bound the probes working at once. A probe to a model that
hangs holds its slot until its own timeout (first token, stall, total): with 80 such
models and 20 slots, the healthy models waited and lost half their probes. So a probe
holds a slot for at most its model's *share* of the pool, and past that carries on
outside it, still ended by its own timeouts:

    share = interval * concurrency / models     (slot-seconds each model may use per
                                                 interval: together they fit the pool)

    acquire slot ──► probe runs ──► done within its share ──► slot freed, result
                                    │ not yet
                                    ▼
                          slot freed now; the probe goes on outside the pool until it
                          ends (max_instances = 1 keeps it to one per model)

Probes in flight are then at most `concurrency` plus one overtime probe per model.
When a share is longer than the total timeout nothing changes: every probe ends
within it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def slot_share_s(interval_s: float, concurrency: int, models: int) -> float:
    """How long one probe of a model may hold a slot (see the module docstring)."""
    return interval_s * concurrency / max(1, models)


class ProbeSlots:
    """`concurrency` slots, each held for at most the share a caller names. Use from one
    asyncio loop."""

    def __init__(self, concurrency: int) -> None:
        self._free = asyncio.Semaphore(concurrency)
        self.overtime = 0  # probes running outside the pool right now
        self.overtime_total = 0  # probes that ever outlived their share

    async def run(self, work: Coroutine[Any, Any, T], share_s: float) -> T:
        """Run `work` in a slot held for at most `share_s` seconds; return its result."""
        try:
            await self._free.acquire()
        except BaseException:
            work.close()  # never started: no "coroutine was never awaited" warning
            raise
        task = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=share_s)
        except BaseException:  # cancelled (shutdown): the probe goes too
            task.cancel()
            raise
        finally:
            self._free.release()
        if done:
            return task.result()
        self.overtime += 1
        self.overtime_total += 1
        try:
            return await task  # a cancellation here cancels the task with it
        finally:
            self.overtime -= 1
