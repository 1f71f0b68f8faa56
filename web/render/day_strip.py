"""The overview's 90-day bar as one small inline SVG per model: the `day_strip` filter.

The overview used to write every day as a focusable segment with its own tip: 9,000
of them at 100 models, 3.65 MB of HTML a phone had to lay out. Here a model's days
are one `<svg>` with one `<path>` per colour, each path a horizontal line over that
colour's runs of days (`M3 .5h2`: days 4 and 5). site.css draws the line with a dash
pattern of period 1, so every day is a block with a gap after it whatever the width:

    <svg class="strip" viewBox="0 0 90 1" preserveAspectRatio="none" aria-hidden="true">
      <path class="tone-ok" d="M0 .5h87M88 .5h2"/><path class="tone-major" d="M87 .5h1"/></svg>

The picture is decoration for sighted readers; its words (`day_counts`) name every
status and how many days had it, and the days themselves come on demand
(templates/_day_strip.html, static/overview.js, the `/days/...` fragment). SVG
presentation needs no inline style, so the page keeps `style-src 'self'`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import groupby
from operator import attrgetter

from markupsafe import Markup, escape

from web.queries.viewmodels import UptimeDay
from web.render.formatting import label, plural, tone

# Worst first, as a reader wants them named.
_ORDER = (
    "major_outage",
    "partial_outage",
    "degraded_performance",
    "under_maintenance",
    "operational",
    "no_data",
)


def day_strip(days: Sequence[UptimeDay]) -> Markup:
    """One `<svg>` for all the days, oldest first; a path per tone."""
    return _strip(tuple(map(_status, days)))


def day_counts(days: Sequence[UptimeDay]) -> str:
    """How many days had each status, worst first: "2 days Major outage, 88 days
    Operational"."""
    return _counts(tuple(map(_status, days)))


# Most models' days read alike from one request to the next (only today moves), and
# many models' alike: the markup is kept per sequence of statuses.
_status = attrgetter("status")


@lru_cache(maxsize=4096)
def _strip(statuses: tuple[str, ...]) -> Markup:
    runs: dict[str, list[str]] = {}
    start = 0
    for shade, run in groupby(map(tone, statuses)):
        length = sum(1 for _ in run)
        runs.setdefault(shade, []).append(f"M{start} .5h{length}")
        start += length
    paths = "".join(
        f'<path class="tone-{escape(shade)}" d="{"".join(parts)}"/>'
        for shade, parts in runs.items()
    )
    return Markup(
        f'<svg class="strip" viewBox="0 0 {len(statuses)} 1" preserveAspectRatio="none"'
        f' aria-hidden="true" focusable="false">{paths}</svg>'
    )


@lru_cache(maxsize=4096)
def _counts(statuses: tuple[str, ...]) -> str:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    ranked = sorted(counts, key=lambda s: (_ORDER.index(s) if s in _ORDER else -1, s))
    return ", ".join(f"{plural(counts[s], 'day')} {label(s)}" for s in ranked)
