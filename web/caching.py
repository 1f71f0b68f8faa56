"""Rendered responses cached in-process, keyed by the request and the data version.

    GET /path?query  ──► key (path, the query parameters the view reads, gzip or not)
                             │ store.data_version(): one cheap query, at most once a second
                             │   (unreachable: web/outage.py serves the last entry for the key)
                             ▼
        entry for key and version, younger than max_age?  ── yes ──► 200 or 304
                             │ no
                             ▼
        run the view; keep the body (gzipped once if the client accepts it)

Only a view's answers are kept: a 200, and the statuses its policy names besides
(a health check's 503 on `avoid`, with its Retry-After); a 304 revalidates a 200
only. Every write to the store moves the data version, so a cached response is never
older than the data; `max_age` also bounds it in time, because a page states
"now" (durations, the 90-day window) too. Responses carry a strong ETag from
version, path, query and content coding, Last-Modified (when that version of the
response was first built), `Cache-Control: public, max-age=...` and
`Vary: Accept-Encoding`; If-None-Match / If-Modified-Since get a 304.

Pages carry no per-request nonce: base.html loads its one script from
/static/local-time.js under `script-src 'self'`, so a cached body is the same
for everyone and a cache hit's CSP names no nonce at all.

The cache holds at most `max_entries` responses and `max_bytes` of bodies,
least recently used out first, and at most `max_variants` of one path. A view
names the query parameters it reads (`cached(PAGE, query={"range": range_key})`):
any other parameter is ignored, so `/?r=1` is served from the entry of `/`
instead of building (and keeping) one more; values the view treats alike (an
unknown range is the default one) share an entry. One view runs at a time per
key: requests that miss together wait for the first to build the entry instead
of all building it.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask, Response, current_app, make_response, request

from monitor.clock import Clock
from monitor.store import Store, is_unavailable
from web import outage

MAX_ENTRIES = 1024
# Variants of one path (query values, content codings) kept at once: `/incidents?page=N`
# for every N must not push every other page out.
MAX_VARIANTS = 16
MAX_BYTES = 64 * 1024 * 1024
GZIP_AT_LEAST = 512  # smaller bodies gain nothing from compression
GZIP_LEVEL = 5  # most of level 9's saving at a fraction of its time
# The data version is read at most once a second: a cached hit then costs no query, and
# a write shows a second later at worst.
VERSION_TTL_S = 1.0
EXTENSION = "aistatus_cache"
# The version of responses built from the config alone (the OpenAPI document).
CONFIG_ONLY = "config"

Key = tuple[str, bytes, bool]
View = TypeVar("View", bound=Callable[..., Any])
# What of a query parameter's value the view acts on: values it treats alike share an entry.
Normalise = Callable[[str | None], object]


def as_given(value: str | None) -> object:
    return value


@dataclass(frozen=True, slots=True)
class Policy:
    max_age_s: int
    cors: bool = False  # public data that status aggregators fetch cross-origin
    errors: str = "text"  # how a 503 answers: "html" page, "json" document or "text"
    # Statuses that are the view's answer, cached like a 200 (a health check's 503 on
    # `avoid` is as much the answer as its 200); any other passes through uncached.
    answers: tuple[int, ...] = (200,)

    @property
    def cache_control(self) -> str:
        return f"public, max-age={self.max_age_s}"


PAGE = Policy(30, errors="html")
FEED = Policy(60, cors=True)
API = Policy(30, cors=True, errors="json")
HEALTH = Policy(30, cors=True, errors="json", answers=(200, 503))
# Headers of an answer that the cache keeps with its body (a 503's Retry-After).
KEPT_HEADERS = ("Retry-After",)
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
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


class ResponseCache:
    def __init__(
        self,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        max_variants: int = MAX_VARIANTS,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_variants = max_variants
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._building: dict[Key, threading.Lock] = {}
        self._version: tuple[float, str] | None = None  # (read at, version)
        self.health = outage.StorageHealth()

    def data_version(self, store: Store, clock: Clock) -> str | None:
        """The store's data version, read at most once a second; None while it is
        unreachable (then read at most once per `health.retry_s`)."""
        at, memo = clock.monotonic(), self._version
        if memo is not None and 0 <= at - memo[0] < VERSION_TTL_S:
            return memo[1]
        if not self.health.may_try(at):
            return None
        try:
            version = store.data_version()
        except Exception as error:
            if not is_unavailable(error):
                raise
            self.unreachable(error, clock)
            return None
        finally:
            self.health.tried()
        self._version = (at, version)
        self.health.answered(version, clock.now(), at)
        return version

    def unreachable(self, error: BaseException, clock: Clock) -> None:
        """The store failed to answer: serve from the cache until it does again."""
        self._version = None
        self.health.failed(error, clock.now(), clock.monotonic())

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
            if old is None:
                self._drop_variant_over(key[0])
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def _drop_variant_over(self, path: str) -> None:
        # Called with self._lock held, before a new key of `path` goes in.
        variants = [key for key in self._entries if key[0] == path]
        if len(variants) >= self.max_variants:
            self._bytes -= len(self._entries.pop(variants[0]).body)  # its least recently used

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
    # `is None`, not `or`: an empty cache has len() 0 and would be swapped for another.
    app.extensions[EXTENSION] = cache if cache is not None else ResponseCache()


def cached(
    policy: Policy, *, query: Mapping[str, Normalise] | None = None, config_only: bool = False
) -> Callable[[View], View]:
    """Serve the view through the response cache (module docstring). `query`: the query
    parameters the view reads (by `request.args.get`), the only ones in the cache key,
    each through what the view makes of it (`as_given`, or e.g. unknown values as the
    default). `config_only`: the response depends on the config alone, never the store."""
    query = query or {}

    def wrap(view: View) -> View:
        @wraps(view)
        def serve(**kwargs: Any) -> Response:
            return _serve(policy, lambda: make_response(view(**kwargs)), query, config_only)

        return serve  # type: ignore[return-value]

    return wrap


def _serve(
    policy: Policy,
    render: Callable[[], Response],
    query: Mapping[str, Normalise],
    config_only: bool,
) -> Response:
    config = current_app.config
    cache: ResponseCache = current_app.extensions[EXTENSION]
    clock: Clock = config["AISTATUS_CLOCK"]
    wants_gzip = request.accept_encodings.quality("gzip") > 0
    key: Key = (request.path, _query_key(query), wants_gzip)
    version = CONFIG_ONLY if config_only else cache.data_version(config["AISTATUS_STORE"], clock)
    now = clock.now()
    if version is None:
        return _stale(cache, key, policy, now)
    entry = _fresh(cache.get(key), version, now, policy)
    if entry is None:
        with cache.building(key):
            entry = _fresh(cache.get(key), version, now, policy)
            if entry is None:
                try:
                    response = render()
                except Exception as error:
                    if not is_unavailable(error):
                        raise
                    cache.unreachable(error, clock)
                    return _stale(cache, key, policy, now)
                if response.status_code not in policy.answers:
                    return _finish(response, policy)
                entry = _entry(response, key, version, now, cache.get(key))
                cache.put(key, entry)
    return _respond(entry, policy)


def _query_key(query: Mapping[str, Normalise]) -> bytes:
    pairs = [(name, str(normalise(request.args.get(name)))) for name, normalise in query.items()]
    return urlencode(pairs).encode()


def _stale(cache: ResponseCache, key: Key, policy: Policy, now: datetime) -> Response:
    """The last response built for `key` (either content coding), with a storage notice."""
    path, query, wants_gzip = key
    entry = cache.get(key) or cache.get((path, query, not wants_gzip))
    if entry is None:
        notice = cache.health.notice(None, None, now)
        return _finish(outage.unavailable(policy.errors, notice), policy)
    notice = cache.health.notice(entry.version, entry.built_at, now)
    body = gzip.decompress(entry.body) if entry.gzipped else entry.body
    body = outage.with_notice(body, entry.content_type, notice)
    response = Response(
        body, status=entry.status, content_type=entry.content_type, headers=list(entry.headers)
    )
    response.last_modified = entry.last_modified
    return _finish(outage.mark(response, notice), policy)


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
    status = str(response.status_code).encode()
    digest = hashlib.blake2s(
        b"\0".join([version.encode(), path.encode(), query, coding.encode(), status]),
        digest_size=12,
    ).hexdigest()
    # The same data re-rendered (max_age passed) keeps the time it first changed.
    same = previous is not None and previous.version == version
    modified = previous.last_modified if same and previous else now.replace(microsecond=0)
    kept = tuple(
        (name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers
    )
    return Entry(
        version,
        body,
        gzipped,
        response.content_type or "application/octet-stream",
        f'"{digest}"',
        modified,
        now,
        response.status_code,
        kept,
    )


def _respond(entry: Entry, policy: Policy) -> Response:
    # 304 revalidates a 200 only: a health check asking again after a 503 gets the 503.
    if entry.status == 200 and _not_modified(entry):
        response = Response(status=304)
    else:
        response = Response(
            entry.body,
            status=entry.status,
            content_type=entry.content_type,
            headers=list(entry.headers),
        )
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
    cacheable = response.status_code in (*policy.answers, 304)
    if cacheable and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = policy.cache_control
    if policy.cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response
