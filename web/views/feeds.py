"""RSS and Atom feeds of incident updates: the whole site, one provider, one model.

Each feed holds the newest 50 updates of public incidents (`recent_updates`,
filtered in the store's query). Links are absolute, built from
`web/public_paths.py`; an unknown provider or model is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Blueprint, Response, current_app

from monitor.config import SiteSettings
from monitor.judging.incidents import Incident, Update
from web import public_paths
from web.caching import FEED, cached
from web.queries.site_data import SiteData
from web.render.feeds import FEED_SIZE, incident_feed
from web.views.pages import site_data

feeds = Blueprint("feeds", __name__)

KINDS = "<any(rss, atom):kind>"
_CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}


@feeds.get(f"/history.{KINDS}")
@cached(FEED)
def site_history(kind: str) -> Response:
    data = site_data()
    title = f"{data.settings.site.title} incidents"
    return _feed(data, data.recent_updates(limit=FEED_SIZE), title, f"/history.{kind}", "/", kind)


@feeds.get(f"/providers/<provider>/history.{KINDS}")
@cached(FEED)
def provider_history(provider: str, kind: str) -> Response:
    data = site_data()
    info = data.provider(provider)
    if info is None:
        return _missing()
    title = f"{data.settings.site.title} incidents: {info.display_name}"
    updates = data.recent_updates(limit=FEED_SIZE, provider=provider)
    return _feed(
        data,
        updates,
        title,
        public_paths.provider_feed(provider, kind),
        public_paths.provider_page(provider),
        kind,
    )


@feeds.get(f"/models/<provider>/<path:model>/history.{KINDS}")
@cached(FEED)
def model_history(provider: str, model: str, kind: str) -> Response:
    data = site_data()
    target = data.target(f"{provider}/{model}")
    if target is None:
        return _missing()
    title = f"{data.settings.site.title} incidents: {target.display_name}"
    page = public_paths.model_page(target.id)
    updates = data.recent_updates(limit=FEED_SIZE, target=target.id)
    return _feed(data, updates, title, f"{page}/history.{kind}", page, kind)


def incident_url(site: SiteSettings) -> Callable[[Incident], str]:
    return lambda incident: public_paths.absolute(site, public_paths.incident_page(incident.id))


def _feed(
    data: SiteData,
    updates: Sequence[tuple[Incident, Update]],
    title: str,
    self_path: str,
    alternate_path: str,
    kind: str,
) -> Response:
    site = data.settings.site
    documents = incident_feed(
        updates,
        site=site,
        title=title,
        self_url=public_paths.absolute(site, self_path),
        alternate_url=public_paths.absolute(site, alternate_path),
        incident_url=incident_url(site),
        generated_at=data.now,  # an empty feed was built now, not in 1970
    )
    body = documents.rss() if kind == "rss" else documents.atom()
    return Response(body, content_type=_CONTENT_TYPES[kind])


def _missing() -> Response:
    return current_app.response_class(
        "No such feed.\n", status=404, content_type="text/plain; charset=utf-8"
    )
