"""Page views: pick a builder, render its view model. No logic here.

Each view reads through one `SiteData` (web/queries/site_data.py) and is served through
the response cache (web/caching.py). Unknown models and incidents get the 404
page, never a traceback.
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, render_template, request

from web.caching import PAGE, as_given, cached
from web.queries.incidents import incident_page, incidents_page
from web.queries.model import model_page, range_key
from web.queries.overview import overview, overview_days
from web.queries.provider import provider_page
from web.queries.rollup_cache import ROLLUP_CACHES
from web.queries.site_data import SiteData
from web.queries.viewmodels import ErrorPage

pages = Blueprint("pages", __name__)

Rendered = str | tuple[str, int]
# Page numbers and incident ids are ASCII digits; anything else is simply not found.
_NUMBER = re.compile(r"[0-9]{1,12}")


def site_data(only: str | None = None) -> SiteData:
    config = current_app.config
    return SiteData(
        config["AISTATUS_SETTINGS"],
        config["AISTATUS_STORE"],
        config["AISTATUS_CLOCK"].now(),
        current_app.extensions[ROLLUP_CACHES],
        only=only,
    )


def not_found(title: str, message: str) -> tuple[str, int]:
    return render_template("404.html", page=ErrorPage(404, title, message)), 404


@pages.get("/")
@cached(PAGE)
def overview_page() -> Rendered:
    return render_template("index.html", page=overview(site_data()))


@pages.get("/days/<provider>/<path:model>")
@cached(PAGE)
def model_days(provider: str, model: str) -> Rendered:
    """The overview's details on demand: one model's days, each with its tip."""
    target = f"{provider}/{model}"
    fragment = overview_days(site_data(only=target), target)
    if fragment is None:
        return not_found("No such model", f"No daily status of {provider}/{model}.")
    return render_template("_days.html", fragment=fragment)


@pages.get("/models/<provider>/<path:model>")
@cached(PAGE, query={"range": range_key})
def model(provider: str, model: str) -> Rendered:
    page = model_page(site_data(), f"{provider}/{model}", request.args.get("range"))
    if page is None:
        return not_found("No such model", f"Nothing is monitored as {provider}/{model}.")
    return render_template("model.html", page=page)


@pages.get("/incidents")
@cached(PAGE, query={"page": as_given})
def incidents() -> Rendered:
    number = request.args.get("page", "1")
    if not _NUMBER.fullmatch(number) or int(number) < 1:
        return not_found("No such page", "Incident history pages are numbered from 1.")
    return render_template("incidents.html", page=incidents_page(site_data(), int(number)))


@pages.get("/incidents/<incident_id>")
@cached(PAGE)
def incident(incident_id: str) -> Rendered:
    page = incident_page(site_data(), incident_id) if _NUMBER.fullmatch(incident_id) else None
    if page is None:
        return not_found("No such incident", "There is no public incident with this number.")
    return render_template("incident.html", page=page)


@pages.get("/providers/<provider>")
@cached(PAGE)
def provider(provider: str) -> Rendered:
    page = provider_page(site_data(), provider)
    if page is None:
        return not_found("No such provider", f"No provider is monitored as {provider}.")
    return render_template("provider.html", page=page)
