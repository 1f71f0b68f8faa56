"""Per-key request limits held in the process: a fixed window per key, on the app's clock.

Several web processes each keep their own counts, so the effective limit is the
per-process limit times the processes; it bounds abuse, it is not an account quota.
At most `max_keys` keys are kept (oldest dropped) so a flood of addresses cannot
grow the table without bound.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta


class WindowLimit:
    def __init__(self, limit: int, window: timedelta, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._counts: OrderedDict[str, tuple[datetime, int]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str, now: datetime) -> bool:
        """Count one request for `key`; False once it is over the limit in this window."""
        with self._lock:
            start, count = self._counts.pop(key, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            count += 1
            self._counts[key] = (start, count)
            while len(self._counts) > self.max_keys:
                self._counts.popitem(last=False)
            return count <= self.limit
