"""Durations as people write them in config and scenario files.

"90s", "5m", "24h", "7d", or a plain number of seconds."""

from __future__ import annotations

import re

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(value: object) -> float:
    """Seconds from a duration; raises ValueError with a reader-facing message."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like '60s', '5m', '2h' or a number of seconds")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        match = _PATTERN.match(value)
        if match:
            return float(match.group(1)) * _UNITS[match.group(2)]
    raise ValueError(
        f"expected a duration like '60s', '5m', '2h' or a number of seconds, got {value!r}"
    )


def parse_offset(value: object) -> float:
    """Seconds from an offset like "+2h" (scenario `from`/`until`)."""
    if isinstance(value, str) and value.strip().startswith("+"):
        return parse_duration(value.strip()[1:])
    return parse_duration(value)
