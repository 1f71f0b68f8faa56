"""The public site: `create_app(settings, store)` registers views, filters and the
response cache, and returns the app. It never starts the prober: probing is its
own role."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, render_template

import templates as templates_package
from monitor.clock import Clock, SystemClock
from monitor.config import Settings
from monitor.store import Store
from web import caching, security
from web.queries.overview import overview
from web.queries.rollup_cache import ROLLUP_CACHES, RollupCaches
from web.render.filters import register_filters
from web.views.api import api
from web.views.badges import badges
from web.views.feeds import feeds
from web.views.metrics import metrics
from web.views.pages import pages, site_data

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

    for blueprint in (pages, feeds, api, badges, metrics):
        app.register_blueprint(blueprint)
    app.context_processor(lambda: {"site": settings.site})
    app.register_error_handler(404, lambda e: (render_template("404.html"), 404))
    app.register_error_handler(500, lambda e: (render_template("500.html"), 500))
    return app


def warm_caches(app: Flask) -> None:
    """Read what the overview needs into the app's rollup caches now: 90 days of rollups
    and every model's uptime bar, ~1 s at 100 models, which the first visitor after a
    start would otherwise wait for. `aistatus web` runs this beside the server."""
    try:
        with app.app_context():
            overview(site_data())  # the data a request's overview reads, from the same caches
    except Exception as error:  # the first request fills them instead; say why not now
        log.warning("could not fill the site's caches at start: %s: %s",
                    type(error).__name__, error)
        return
    settle = app.extensions[SETTLE_HEAP]
    if app.extensions[ROLLUP_CACHES].refilled() and settle is not None:
        settle()
