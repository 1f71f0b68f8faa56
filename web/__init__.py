"""The public site: `create_app(settings, store)` registers views, filters and the
response cache, and returns the app. It never starts the prober: probing is its
own role."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import InternalServerError

import templates as templates_package
from monitor.clock import Clock, SystemClock
from monitor.config import Settings
from monitor.store import Store, is_unavailable
from web import caching, outage, security
from web.queries.overview import overview
from web.queries.rollup_cache import ROLLUP_CACHES, RollupCaches
from web.render.filters import register_filters
from web.views.api import api
from web.views.badges import badges
from web.views.feeds import feeds
from web.views.metrics import metrics
from web.views.pages import pages, site_data
from web.views.subscribe_page import subscribe_page
from web.views.subscriptions import subscriptions

TEMPLATES = Path(templates_package.__file__).parent
log = logging.getLogger(__name__)
SETTLE_HEAP = "aistatus_settle_heap"  # the app.extensions key


def create_app(
    settings: Settings,
    store: Store,
    *,
    clock: Clock | None = None,
    cache: caching.ResponseCache | None = None,
    settle_heap: Callable[[], None] | None = None,
) -> Flask:
    """The site. `settle_heap` (the served site gives `monitor.worker.heap.settle`): called once
    the response of a request that refilled the rollup caches has been sent, to move what
    they hold out of the cycle collector's reach, or full collections pause requests for
    ~80 ms every few dozen renders."""
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES),
        static_folder=str(TEMPLATES / "static"),
    )
    app.config.update(
        AISTATUS_SETTINGS=settings,
        AISTATUS_STORE=store,
        AISTATUS_CLOCK=clock or SystemClock(),
        # Errors render our own page; never a traceback or config.
        PROPAGATE_EXCEPTIONS=False,
    )
    register_filters(app)
    security.install(app)
    caching.install(app, cache)
    rollup_caches = app.extensions[ROLLUP_CACHES] = RollupCaches()
    app.extensions[SETTLE_HEAP] = settle_heap
    if settle_heap is not None:

        @app.after_request
        def _settle_once_sent(response: Response) -> Response:
            if rollup_caches.refilled():
                response.call_on_close(settle_heap)  # after the body went out
            return response

    for blueprint in (pages, feeds, api, badges, metrics, subscriptions, subscribe_page):
        app.register_blueprint(blueprint)
    app.context_processor(lambda: {"site": settings.site})
    app.register_error_handler(404, lambda e: (render_template("404.html"), 404))
    app.register_error_handler(500, _internal_error)
    return app


def _internal_error(error: InternalServerError) -> Response | tuple[str, int]:
    """Never a traceback; JSON where JSON was asked for; 503 when the store is unreachable
    (cached views handle that themselves: this is for anything that slips past them)."""
    original = error.original_exception
    errors = "json" if request.path.startswith("/api/") else "html"
    if original is not None and is_unavailable(original):
        cache: caching.ResponseCache = current_app.extensions[caching.EXTENSION]
        clock: Clock = current_app.config["AISTATUS_CLOCK"]
        cache.unreachable(original, clock)
        return outage.unavailable(errors, cache.health.notice(None, None, clock.now()))
    if errors == "json":
        body = outage.json_bytes({"error": "internal error"})
        return Response(body, 500, content_type="application/json; charset=utf-8")
    return render_template("500.html"), 500


def warm_caches(app: Flask) -> None:
    """Read what the overview needs into the app's rollup caches now: 90 days of rollups
    and every model's uptime bar, ~1 s at 100 models, which the first visitor after a
    start would otherwise wait for. `aistatus web` runs this beside the server."""
    try:
        with app.app_context():
            overview(site_data())  # the data a request's overview reads, from the same caches
    except Exception as error:  # the first request fills them instead; say why not now
        log.warning(
            "could not fill the site's caches at start: %s: %s", type(error).__name__, error
        )
        return
    settle = app.extensions[SETTLE_HEAP]
    if app.extensions[ROLLUP_CACHES].refilled() and settle is not None:
        settle()
