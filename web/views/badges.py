"""`/badge/<provider>/<model>.svg`: a model's status (the one its page shows), or with
`?uptime=1` its uptime over up to 90 days, saying over how long ("99.5% uptime (12 d)",
"100% uptime (today)"), as a Shields-style SVG for READMEs and dashboards.

Uptime colours: 99.9 % and up operational green, 99 % degraded, 95 % partial,
below that major; no probes in 90 days is `no_data`.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from monitor.rollups import Rollup
from web.caching import BADGE, cached
from web.queries.parts import Totals
from web.queries.site_data import HISTORY_DAYS, SiteData
from web.queries.snapshots import NO_DATA, NOT_CONFIGURED
from web.queries.story import story_of
from web.render.badges import badge_svg
from web.render.formatting import label
from web.views.pages import site_data

badges = Blueprint("badges", __name__)

SVG = "image/svg+xml; charset=utf-8"
_UPTIME_COLOURS = (
    (99.9, "operational"),
    (99.0, "degraded_performance"),
    (95.0, "partial_outage"),
)


@badges.get("/badge/<provider>/<path:model>.svg")
@cached(BADGE, query={"uptime": lambda value: value == "1"})
def badge(provider: str, model: str) -> Response:
    data = site_data()
    target = data.target(f"{provider}/{model}")
    if target is None:
        return Response(badge_svg("aistatus", "no such model", NO_DATA), 404, content_type=SVG)
    word = story_of(data, target.id).word  # what the model's page says
    uptime = _uptime(data, target.id) if request.args.get("uptime") == "1" else None
    if uptime is not None and not (uptime[1] == NO_DATA and word == NOT_CONFIGURED):
        message, colour = uptime
    else:  # a model nobody probes has no uptime coming: "no data yet" would promise one
        colour, message = word, label(word).lower()
    return Response(badge_svg(target.display_name, message, colour), content_type=SVG)


def _uptime(data: SiteData, target_id: str) -> tuple[str, str]:
    days = [r for r in data.day_totals() if r.target == target_id]
    uptime = Totals.of(days, latency=False).uptime
    if uptime is None:
        return "no data yet", NO_DATA
    percent = 100 * uptime
    colour = next((c for floor, c in _UPTIME_COLOURS if percent >= floor), "major_outage")
    return f"{_percent_text(percent)} uptime ({_span(days, data)})", colour


def _span(days: list[Rollup], data: SiteData) -> str:
    """Over how long the figure runs: "90 d" only when there are 90 days of probes."""
    first = min((r.bucket_start for r in days if r.probes), default=data.now).date()
    covered = min((data.now.date() - first).days + 1, HISTORY_DAYS)
    return "today" if covered <= 1 else f"{covered} d"


def _percent_text(percent: float) -> str:
    # Never round up to 100 %: a model that failed once is not perfect.
    text = f"{int(percent * 100) / 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"
