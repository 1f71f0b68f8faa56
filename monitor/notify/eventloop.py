"""An asyncio loop in a thread of its own, for the deliverer's webhooks: hundreds of
POSTs in flight cost a task each, not a thread each."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx


class EventLoop:
    """Runs coroutines handed to it from any thread, each as a task held until done."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="deliver-webhooks", daemon=True
        )
        self._thread.start()

    def start(self, work: Any) -> None:
        """Schedules a coroutine from any thread; returns at once."""
        self._loop.call_soon_threadsafe(self._spawn, work)

    def _spawn(self, work: Any) -> None:
        task = self._loop.create_task(work)
        self._tasks.add(task)  # a task nobody holds may be collected mid-flight
        task.add_done_callback(self._tasks.discard)

    def close(self, grace_s: float) -> None:
        """Lets the POSTs in flight end (each has its deadline), then stops."""
        if self._loop.is_closed():
            return

        async def finish() -> None:
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=grace_s)
            for task in list(self._tasks):
                task.cancel()  # its lease runs out and it is tried again
            await self.client.aclose()

        asyncio.run_coroutine_threadsafe(finish(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
