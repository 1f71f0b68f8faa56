"""When the store cannot be read, the site keeps serving what it last built, and says so.

    request ──► ResponseCache.data_version() (web/caching.py)
                  │ the store answers            │ unreachable (monitor.store.is_unavailable),
                  ▼                              │ or a view's read fails the same way
             the normal cache                    ▼
                                     StorageHealth: down since T, logged once; one request
                                     per RETRY_S tries the store again, the rest never wait
                                                 │
                               the last response built for this URL?
                     yes ─► 200, its body with a notice:     no ─► 503 + Retry-After:
                            HTML: a banner (base.html)              JSON under /api/, the
                            JSON: a "notice" field                  error page for pages,
                            /metrics: aistatus_storage_up 0         plain text otherwise
                            feeds, badges: a header only
                                  (their formats have no place for it)

"Data as of" is the last time the store confirmed the data behind that response: the
last successful read if the response was built from the version read then, else when
it was built. Recovery is logged once too, with how many responses were served stale.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, render_template

from monitor.clock import utc_iso
from monitor.store import describe_error
from web.queries.viewmodels import ErrorPage

log = logging.getLogger(__name__)

# While the store is down, one request in this many seconds tries it again; the others are
# served from the cache at once instead of each waiting out a connection timeout.
RETRY_S = 2.0
RETRY_AFTER_S = 10  # what a 503 asks clients to wait
MARKER = b"<!--storage-notice-->"  # where base.html lets a notice in
HEADER = "Aistatus-Storage"
_JSON = "application/json"
_METRICS = "text/plain; version=0.0.4"


@dataclass(frozen=True, slots=True)
class Notice:
    """What a response served without the store says about itself."""

    since: datetime  # when the store was found unreachable
    data_as_of: datetime | None  # None: nothing kept to serve
    now: datetime

    @property
    def as_of_text(self) -> str:
        return _clock_text(self.data_as_of, self.now) if self.data_as_of else ""

    @property
    def text(self) -> str:
        if self.data_as_of is None:
            return (
                f"Our storage is unreachable since {_clock_text(self.since, self.now)}; "
                "nothing is kept to show here yet."
            )
        return f"Data as of {self.as_of_text}: our storage is unreachable."

    def document(self) -> dict[str, Any]:
        """The JSON `notice` field (web/api/schemas.py `StorageNotice`)."""
        return {
            "storage": "unreachable",
            "since": utc_iso(self.since),
            "data_as_of": utc_iso(self.data_as_of) if self.data_as_of else None,
            "text": self.text,
        }

    def header(self) -> str:
        as_of = f"; data-as-of={utc_iso(self.data_as_of)}" if self.data_as_of else ""
        return f"unreachable; since={utc_iso(self.since)}{as_of}"


def _duration_text(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _clock_text(when: datetime, now: datetime) -> str:
    if when.date() == now.date():
        return when.strftime("%H:%M UTC")
    return when.strftime("%-d %b %H:%M UTC")


class StorageHealth:
    """Whether the store answered lately, for one site process. Thread-safe."""

    def __init__(self, retry_s: float = RETRY_S) -> None:
        self.retry_s = retry_s
        self._lock = threading.Lock()
        self._down_since: datetime | None = None
        self._down_at: float = 0.0  # monotonic, for the recovery line
        self._next_try = 0.0
        self._trying = False  # an attempt is on its way (while down)
        self._answered = Counter[bool]()  # while down: kept response (True) or 503
        self._last_good: tuple[datetime, str] | None = None  # (read at, data version)

    @property
    def down_since(self) -> datetime | None:
        return self._down_since

    def may_try(self, at: float) -> bool:
        """Always while the store is up; while it is down, True for one caller per retry_s,
        and never while another's attempt is still waiting for an answer (a host that drops
        packets holds each attempt for the whole connect timeout). Call `tried()` after."""
        with self._lock:
            if self._down_since is None:
                return True
            if at < self._next_try or self._trying:
                return False
            self._next_try, self._trying = at + self.retry_s, True
            return True

    def tried(self) -> None:
        with self._lock:
            self._trying = False

    def failed(self, error: BaseException, now: datetime, at: float) -> None:
        with self._lock:
            self._next_try = at + self.retry_s
            if self._down_since is not None:
                return
            self._down_since, self._down_at = now, at
            self._answered.clear()
        log.error(
            "storage unreachable, serving the last good responses until it answers: %s",
            describe_error(error),
        )

    def answered(self, version: str, now: datetime, at: float) -> None:
        with self._lock:
            self._last_good = (now, version)
            if self._down_since is None:
                return
            self._down_since = None
            down_for, kept, none = at - self._down_at, self._answered[True], self._answered[False]
        log.warning(
            "storage reachable again after %s; meanwhile %d responses were served as "
            "last built and %d got a 503",
            _duration_text(down_for),
            kept,
            none,
        )

    def notice(self, version: str | None, built_at: datetime | None, now: datetime) -> Notice:
        """The notice for a response built at `built_at` from data `version` (None: none)."""
        with self._lock:
            self._answered[built_at is not None] += 1
            since, last_good = self._down_since or now, self._last_good
        as_of = built_at
        if last_good is not None and version == last_good[1]:
            as_of = max(last_good[0], built_at or last_good[0])
        return Notice(since, as_of, now)


def with_notice(body: bytes, content_type: str, notice: Notice) -> bytes:
    """`body` as last built, saying it is served without the store where its format can."""
    if content_type.startswith("text/html"):
        banner = render_template("_storage_notice.html", storage_notice=notice)
        return body.replace(MARKER, banner.encode(), 1)
    if content_type.startswith(_JSON):
        document = json.loads(body)
        if isinstance(document, dict):
            document["notice"] = notice.document()
            return json_bytes(document)
        return body
    if content_type.startswith(_METRICS):
        return body + _metrics_lines(notice).encode()
    return body  # feeds and badges: the header says it


def unavailable(errors: str, notice: Notice) -> Response:
    """503 for a URL with nothing kept to serve: JSON, the error page or plain text."""
    if errors == "json":
        document = {"error": "storage unreachable", "notice": notice.document()}
        response = Response(json_bytes(document), 503, content_type=f"{_JSON}; charset=utf-8")
    elif errors == "html":
        page = ErrorPage(
            503,
            "Status data is unavailable for a moment",
            "Our storage is unreachable and this page was not kept from before. "
            "The probes keep running and nothing they find is lost; "
            "try again in a minute.",
        )
        response = Response(render_template("503.html", page=page, storage_notice=notice), 503)
    else:
        response = Response(notice.text + "\n", 503, content_type="text/plain; charset=utf-8")
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return mark(response, notice)


def mark(response: Response, notice: Notice) -> Response:
    """Headers of every response served without the store: never kept by caches."""
    response.headers[HEADER] = notice.header()
    response.headers["Cache-Control"] = "no-store"
    return response


def json_bytes(document: Any) -> bytes:
    """The site's JSON encoding (compact, UTF-8)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _metrics_lines(notice: Notice) -> str:
    as_of = notice.data_as_of.timestamp() if notice.data_as_of else 0.0
    return (
        "# HELP aistatus_storage_up Whether the site could read its database; 0: the "
        "metrics above are the last good ones\n"
        "# TYPE aistatus_storage_up gauge\n"
        "aistatus_storage_up 0.0\n"
        "# HELP aistatus_data_as_of_seconds When the metrics above were last confirmed "
        "(Unix time)\n"
        "# TYPE aistatus_data_as_of_seconds gauge\n"
        f"aistatus_data_as_of_seconds {as_of!r}\n"
    )
