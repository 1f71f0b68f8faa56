"""Jinja filters: how a page writes times, durations, percentages and words.

Templates only format; these small functions are the formatting.
Every filter that returns markup escapes what it was given first, so a
hostile model name or incident text stays text.

Times are always written in UTC. The `<time>` element carries the machine
time; static/local-time.js puts the visitor's local time in its title
(hover), and without JavaScript the title says UTC again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

from monitor.text import for_markup
from web.render import charts, day_strip, formatting, uptime_markup
from web.render.formatting import MISSING


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times shown on pages must be timezone-aware")
    return value.astimezone(UTC)


_TIME_FORMATS = {
    "datetime": "%-d %b %Y, %H:%M UTC",
    "time": "%H:%M UTC",
    "short": "%-d %b, %H:%M UTC",
}


def utc_time(value: datetime | None, style: str = "datetime") -> Markup | str:
    """A `<time>` element showing UTC, with the exact UTC instant in its title."""
    if value is None:
        return MISSING
    when = _utc(value)
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = when.strftime(_TIME_FORMATS[style])
    exact = when.strftime("%-d %b %Y, %H:%M:%S UTC")
    return Markup('<time datetime="{}" title="{}" data-local>{}</time>').format(iso, exact, shown)


def day_label(value: date | None) -> str:
    """A UTC calendar day: `12 Mar 2026`."""
    if value is None:
        return MISSING
    return value.strftime("%-d %b %Y")


def month_label(value: date) -> str:
    return value.strftime("%B %Y")


def paragraphs(text: str | None) -> Markup:
    """Plain text as paragraphs: escaped first, then blank lines → <p>, newlines → <br>."""
    if not text or not text.strip():
        return Markup("")
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return Markup("\n").join(Markup("<p>{}</p>").format(_lines(block)) for block in blocks)


def _lines(block: str) -> Markup:
    return Markup("<br>\n").join(escape(for_markup(line)) for line in block.split("\n"))


def dom_id(text: object) -> str:
    """A safe, unique HTML id from any text (model ids may hold any character)."""
    raw = str(text)
    slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")[:40] or "x"
    digest = hashlib.blake2s(raw.encode(), digest_size=3).hexdigest()
    return f"id-{slug}-{digest}"


FILTERS: dict[str, Callable[..., Any]] = {
    "label": formatting.label,
    "tone": formatting.tone,
    "duration": formatting.duration,
    "percent": formatting.percent,
    "latency": formatting.latency,
    "plural": formatting.plural,
    "utc_time": utc_time,
    "day_label": day_label,
    "month_label": month_label,
    "paragraphs": paragraphs,
    "dom_id": dom_id,
    "latency_chart": charts.latency_chart,
    "failure_chart": charts.failure_chart,
    "failure_legend": charts.failure_legend,
    "uptime_days": uptime_markup.uptime_days,
    "day_strip": day_strip.day_strip,
    "day_counts": day_strip.day_counts,
}


# Templates write ASCII, with entities for the few other characters: Python encodes an
# all-ASCII page by copying it, while one dash anywhere in the 3 MB overview makes it
# transcode the lot (2 ms of a ~37 ms uncached render). This catches the placeholder for a
# missing value, the one non-ASCII word a filter returns. Text from elsewhere (a model's
# name, an operator's override, SVG titles from web/render/charts.py) may still hold any
# character: then the page is merely slower to encode.
_MISSING_HTML = Markup("&mdash;")


def _finalize(value: object) -> object:
    if value is MISSING:
        return _MISSING_HTML
    # Text from elsewhere (a model name from an older database, an operator's override, a
    # provider's error) may hold control characters: shown as escapes, never sent raw.
    # Markup is left alone: the filters that make it escaped their text already.
    if type(value) is str:
        return for_markup(value)
    return value


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.finalize = _finalize
