"""Durations as people write them in config and scenario files.

A string with units, largest first, each at most once: "90s", "5m", "1h30m",
"1d12h", "2.5h", "500ms" (units d, h, m, s, ms; spaces between parts are
fine). A leading "+" is allowed everywhere, as scenario offsets ("+2h45m")
write it. A TOML number (`30`, `1.5`) is a number of seconds. A quoted number
without a unit ("30") is refused: in a file that mixes "30m" and "30s" it is
more likely a slip than a choice, and the message says how to write either.
"""

from __future__ import annotations

import math
import re

_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|[dhms])\s*")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_EXPECTED = "expected a duration like '60s', '5m', '1h30m' or '1d12h' (units d, h, m, s, ms)"


def parse_duration(value: object) -> float:
    """Seconds from a duration; raises ValueError with a reader-facing message."""
    if isinstance(value, bool):
        raise ValueError(f"{_EXPECTED}, or a number of seconds, got {value!r}")
    if isinstance(value, int | float):
        return _non_negative(float(value), repr(value))
    if not isinstance(value, str):
        raise ValueError(f"{_EXPECTED}, or a number of seconds, got {value!r}")
    text = value.strip()
    if text.startswith("-"):
        seconds = _parse_units(text[1:].lstrip(), value)
        if seconds > 0:
            raise ValueError(f"must be positive, got {value!r}")
        return seconds
    return _parse_units(text.removeprefix("+").lstrip(), value)


def parse_offset(value: object) -> float:
    """Seconds from an offset like "+2h45m" (scenario `from`/`until`); the "+" is optional."""
    return parse_duration(value)


def _parse_units(text: str, original: str) -> float:
    if _NUMBER.match(text):
        raise ValueError(
            f"give a unit, as in '{text}s' or '{text}m', or write a number of seconds "
            f"without quotes ({text}); got {original!r}"
        )
    total = 0.0
    position = 0
    seen: list[str] = []
    for match in _PART.finditer(text):
        if match.start() != position:
            break
        unit = match.group(2)
        order = list(_UNITS)
        if seen and order.index(unit) <= order.index(seen[-1]):
            raise ValueError(
                f"write units largest first, each once (as in '1h30m'), got {original!r}"
            )
        seen.append(unit)
        total += float(match.group(1)) * _UNITS[unit]
        position = match.end()
    if not seen or position != len(text):
        raise ValueError(f"{_EXPECTED}, or a number of seconds, got {original!r}")
    return total


def _non_negative(seconds: float, shown: str) -> float:
    if not math.isfinite(seconds):
        raise ValueError(f"must be a finite number of seconds, got {shown}")
    if seconds < 0:
        raise ValueError(f"must be positive, got {shown}")
    return seconds
