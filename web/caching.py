"""Rendered responses cached in-process, keyed by the request and the data version.

    GET /path?query  ──► key (path, query, gzip or not)
                             │ store.data_version(): one cheap query, at most once a second
                             ▼
        entry for key and version, younger than max_age?  ── yes ──► 200 or 304
                             │ no
                             ▼
        run the view; keep the body (gzipped once if the client accepts it)

Every write to the store moves the data version, so a cached response is never
older than the data; `max_age` also bounds it in time, because a page states
"now" (durations, the 90-day window) too. Responses carry a strong ETag from
version, path, query and content coding, Last-Modified (when that version of the
response was first built), `Cache-Control: public, max-age=...` and
`Vary: Accept-Encoding`; If-None-Match / If-Modified-Since get a 304.

Pages carry no per-request nonce: base.html loads its one script from
/static/local-time.js under `script-src 'self'`, so a cached body is the same
for everyone and a cache hit's CSP names no nonce at all.

The cache holds at most `max_entries` responses and `max_bytes` of bodies,
least recently used out first. One view runs at a time per key: requests that
miss together wait for the first to build the entry instead of all building it.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, make_response, request

from monitor.clock import Clock
from monitor.store import Store

MAX_ENTRIES = 256
MAX_BYTES = 64 * 1024 * 1024
GZIP_AT_LEAST = 512          # smaller bodies gain nothing from compression
GZIP_LEVEL = 5               # most of level 9's saving at a fraction of its time
# The data version is read at most once a second: a cached hit then costs no query, and
# a write shows a second later at worst.
VERSION_TTL_S = 1.0
_EXTENSION = "aistatus_cache"

Key = tuple[str, bytes, bool]
View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Policy:
    max_age_s: int
    cors: bool = False       # public data that status aggregators fetch cross-origin

    @property
    def cache_control(self) -> str:
        return f"public, max-age={self.max_age_s}"


PAGE = Policy(30)
FEED = Policy(60, cors=True)
API = Policy(30, cors=True)
BADGE = Policy(60, cors=True)
METRICS = Policy(15)


@dataclass(frozen=True, slots=True)
class Entry:
    version: str
    body: bytes
    gzipped: bool
    content_type: str
    etag: str
    last_modified: datetime
    built_at: datetime


class ResponseCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._building: dict[Key, threading.Lock] = {}
        self._version: tuple[float, str] | None = None   # (read at, version)

    def data_version(self, store: Store, clock: Clock) -> str:
        at, memo = clock.monotonic(), self._version
        if memo is None or not 0 <= at - memo[0] < VERSION_TTL_S:
            memo = self._version = (at, store.data_version())
        return memo[1]

    def get(self, key: Key) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Key, entry: Entry) -> None:
        if len(entry.body) > self.max_bytes // 4:
            return  # one huge body would push out everything else
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes -= len(old.body) if old else 0
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._entries)

    @contextmanager
    def building(self, key: Key) -> Iterator[None]:
        with self._lock:
            lock = self._building.setdefault(key, threading.Lock())
        with lock:
            yield
        with self._lock:
            if not lock.locked():
                self._building.pop(key, None)


def install(app: Flask, cache: ResponseCache | None = None) -> None:
    app.extensions[_EXTENSION] = cache or ResponseCache()


def cached(policy: Policy) -> Callable[[View], View]:
    """Serve the view through the response cache (module docstring)."""

    def wrap(view: View) -> View:
        @wraps(view)
        def serve(**kwargs: Any) -> Response:
            return _serve(policy, lambda: make_response(view(**kwargs)))

        return serve  # type: ignore[return-value]

    return wrap


def _serve(policy: Policy, render: Callable[[], Response]) -> Response:
    config = current_app.config
    cache: ResponseCache = current_app.extensions[_EXTENSION]
    clock: Clock = config["AISTATUS_CLOCK"]
    version = cache.data_version(config["AISTATUS_STORE"], clock)
    now = clock.now()
    wants_gzip = request.accept_encodings.quality("gzip") > 0
    key: Key = (request.path, request.query_string, wants_gzip)
    entry = _fresh(cache.get(key), version, now, policy)
    if entry is None:
        with cache.building(key):
            entry = _fresh(cache.get(key), version, now, policy)
            if entry is None:
                response = render()
                if response.status_code != 200:
                    return _finish(response, policy)
                entry = _entry(response, key, version, now, cache.get(key))
                cache.put(key, entry)
    return _respond(entry, policy)


def _fresh(entry: Entry | None, version: str, now: datetime, policy: Policy) -> Entry | None:
    if entry is None or entry.version != version:
        return None
    if now - entry.built_at >= timedelta(seconds=policy.max_age_s) or now < entry.built_at:
        return None
    return entry


def _entry(
    response: Response, key: Key, version: str, now: datetime, previous: Entry | None
) -> Entry:
    path, query, wants_gzip = key
    body = response.get_data()
    gzipped = wants_gzip and len(body) >= GZIP_AT_LEAST
    if gzipped:
        body = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    coding = "gzip" if gzipped else "identity"
    digest = hashlib.blake2s(
        b"\0".join([version.encode(), path.encode(), query, coding.encode()]), digest_size=12
    ).hexdigest()
    # The same data re-rendered (max_age passed) keeps the time it first changed.
    same = previous is not None and previous.version == version
    modified = previous.last_modified if same and previous else now.replace(microsecond=0)
    return Entry(version, body, gzipped, response.content_type or "application/octet-stream",
                 f'"{digest}"', modified, now)


def _respond(entry: Entry, policy: Policy) -> Response:
    if _not_modified(entry):
        response = Response(status=304)
    else:
        response = Response(entry.body, content_type=entry.content_type)
        if entry.gzipped:
            response.headers["Content-Encoding"] = "gzip"
    response.headers["ETag"] = entry.etag
    response.last_modified = entry.last_modified
    response.headers["Vary"] = "Accept-Encoding"
    return _finish(response, policy)


def _not_modified(entry: Entry) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains_weak(entry.etag.strip('"'))
    since = request.if_modified_since
    return since is not None and entry.last_modified <= since


def _finish(response: Response, policy: Policy) -> Response:
    if response.status_code in (200, 304):
        response.headers["Cache-Control"] = policy.cache_control
    if policy.cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response
