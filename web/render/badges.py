"""Shields-style badges (`aistatus | operational`) as standalone SVG.

The colour is either a status word, mapped to the site's palette (dark enough
for white text), or a hex colour; anything else is refused, so a caller can
never put arbitrary text into an attribute.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from web.render.svg import join, num, tag

STATUS_COLOURS: dict[str, str] = {
    "operational": "#1a7f37",
    "degraded_performance": "#9a6700",
    "partial_outage": "#bc4c00",
    "major_outage": "#cf222e",
    "under_maintenance": "#0969da",
    "no_data": "#57606a",
    "not_configured": "#57606a",
}
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

# Approximate Verdana 11px advance widths: close enough that text never overflows.
_NARROW = set("fijlrtI!.,:;'|() ")
_WIDE = set("mwMW%@")


def _text_width(text: str) -> float:
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 4.0
        elif char in _WIDE:
            width += 10.5
        elif char.isupper() or char.isdigit():
            width += 7.5
        else:
            width += 6.8
    return width


def badge_colour(colour: str) -> str:
    if colour in STATUS_COLOURS:
        return STATUS_COLOURS[colour]
    if _HEX.match(colour):
        return colour
    raise ValueError(f"badge colour must be a status word or #hex, got {colour!r}")


def _text(content: str, x: float) -> Markup:
    return join(
        [
            tag(
                "text", content, x=x, y=15.0, fill="#010101", fill_opacity=".3", aria_hidden="true"
            ),
            tag("text", content, x=x, y=14.0),
        ]
    )


def badge_svg(label: str, message: str, colour: str) -> str:
    """A 20 px high two-part badge; `colour` is a status word or a #hex colour."""
    fill = badge_colour(colour)
    left = _text_width(label) + 12
    right = _text_width(message) + 12
    total = left + right
    spoken = f"{label}: {message}"
    shapes = tag(
        "g",
        join(
            [
                tag("rect", width=left, height=20.0, fill="#555"),
                tag("rect", x=left, width=right, height=20.0, fill=fill),
                tag("rect", width=total, height=20.0, fill="url(#shine)"),
            ]
        ),
        clip_path="url(#round)",
    )
    texts = tag(
        "g",
        join([_text(label, left / 2), _text(message, left + right / 2)]),
        fill="#fff",
        text_anchor="middle",
        font_size="11",
        font_family="Verdana,Geneva,DejaVu Sans,sans-serif",
    )
    gradient = tag(
        "linearGradient",
        join(
            [
                tag("stop", offset="0", stop_color="#bbb", stop_opacity=".1"),
                tag("stop", offset="1", stop_opacity=".1"),
            ]
        ),
        id="shine",
        x2="0",
        y2="100%",
    )
    clip = tag("clipPath", tag("rect", width=total, height=20.0, rx=3.0, fill="#fff"), id="round")
    return tag(
        "svg",
        join([tag("title", spoken), gradient, clip, shapes, texts]),
        xmlns="http://www.w3.org/2000/svg",
        width=num(total),
        height="20",
        role="img",
        aria_label=spoken,
    )
