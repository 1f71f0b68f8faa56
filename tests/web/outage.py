"""What the outage tests request and check: every kind of URL the site serves, and a
SQLite file another program holds an exclusive lock on.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.web.seed import OPUS, SONNET
from web import public_paths

HTML = "text/html"
JSON = "application/json"

# Every kind of URL, each with what its body is.
KEPT_URLS: dict[str, str] = {
    "/": HTML,
    public_paths.model_page(OPUS): HTML,
    public_paths.model_page(OPUS) + "?range=7d": HTML,
    "/incidents": HTML,
    "/incidents/2": HTML,
    "/api/v1/models": JSON,
    public_paths.model_api(SONNET): JSON,
    "/api/v1/providers": JSON,
    "/api/v1/incidents?status=open": JSON,
    "/api/v2/summary.json": JSON,
    "/api/v2/status.json": JSON,
    "/api/v2/components.json": JSON,
    "/api/v2/incidents.json": JSON,
    "/api/v2/incidents/unresolved.json": JSON,
    "/api/v2/scheduled-maintenances.json": JSON,
    "/history.rss": "application/rss+xml",
    "/history.atom": "application/atom+xml",
    "/providers/anthropic/history.atom": "application/atom+xml",
    public_paths.badge(OPUS): "image/svg+xml",
    public_paths.badge(OPUS) + "?uptime=1": "image/svg+xml",
    "/metrics": "text/plain",
}
# Built from the config and the package alone: served whatever the database does.
NEVER_NEED_THE_DATABASE = ["/api/openapi.json", "/static/site.css", "/static/local-time.js"]


class SqliteLock:
    """Another program holding the database file in exclusive locking mode: every new
    connection gets "database is locked" until it lets go."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._holder: sqlite3.Connection | None = None

    def take(self) -> None:
        holder = sqlite3.connect(self.path, isolation_level=None)
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        self._holder = holder

    def release(self) -> None:
        if self._holder is not None:
            self._holder.execute("ROLLBACK")
            self._holder.close()
            self._holder = None
