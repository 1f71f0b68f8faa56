"""Plain-text formatting of the project's words and numbers, shared by filters and charts.

No markup here: `filters.py` wraps these for templates, `charts.py` uses them in
SVG labels. Missing values (None) are written as an em dash.
"""

from __future__ import annotations

import math

MISSING = "—"

_LABELS: dict[str, str] = {
    # component status
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
    "no_data": "No data yet",
    "not_configured": "Not configured",
    # incident status
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    # impact
    "none": "None",
    "minor": "Minor",
    "major": "Major",
    "critical": "Critical",
    # cause and failure class
    "ok": "OK",
    "infrastructure": "Infrastructure",
    "capacity": "Capacity",
    "configuration": "Configuration",
    "vantage": "Our network (one vantage point)",
    "quality": "Answer quality",
    "ambiguous": "Ambiguous (timeouts, resets)",
    "unknown": "Unknown",
    # quality verdict
    "degraded": "Degraded",
}

# Tones are colour families in site.css (`tone-ok`, `tone-major`, ...).
_TONES: dict[str, str] = {
    "operational": "ok",
    "degraded_performance": "minor",
    "partial_outage": "partial",
    "major_outage": "major",
    "under_maintenance": "maint",
    "investigating": "major",
    "identified": "partial",
    "monitoring": "maint",
    "resolved": "ok",
    "minor": "minor",
    "major": "partial",
    "critical": "major",
    "ok": "ok",
    "degraded": "major",
    "infrastructure": "major",
    "capacity": "partial",
    "quality": "minor",
    "configuration": "maint",
}


def label(word: object) -> str:
    """A project word (`major_outage`) as a reader sees it (`Major outage`)."""
    if word is None:
        return MISSING
    text = str(word)
    return _LABELS.get(text, text.replace("_", " ").capitalize())


def tone(word: object) -> str:
    """The colour family of a status, impact or class word; `neutral` when it has none."""
    return _TONES.get(str(word), "neutral")


_DURATION_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def duration(seconds: float | None) -> str:
    """`2 h 14 min`: the two largest units, because more precision is noise on a status page."""
    if seconds is None:
        return MISSING
    remaining = max(0, int(seconds))
    if remaining < 1:
        return "under 1 s"
    parts: list[str] = []
    for unit, size in _DURATION_UNITS:
        amount, remaining = divmod(remaining, size)
        if amount or parts:
            parts.append(f"{amount} {unit}")
        if len(parts) == 2:
            break
    return " ".join(part for part in parts if not part.startswith("0 "))


def percent(value: float | None, places: int = 2) -> str:
    """`99.94%`, truncated rather than rounded: 99.996% of uptime is not 100%."""
    if value is None:
        return MISSING
    scale = 10**places
    truncated = math.floor(value * scale) / scale
    return f"{truncated:.{places}f}".rstrip("0").rstrip(".") + "%"


def latency(ms: float | None) -> str:
    """`820 ms` below a second, `1.24 s` above it."""
    if ms is None:
        return MISSING
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 10_000:
        return f"{ms / 1000:.2f} s"
    return f"{ms / 1000:.1f} s"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 probe`, `1,204 probes`."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"
