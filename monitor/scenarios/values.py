"""The checks a scenario file's values go through (monitor/scenarios/spec.py reads the
tables): each takes the raw TOML value and returns it typed, or raises `Invalid`
with what is wrong, which the reader reports under the key's full path."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from monitor.config import MAX_MODEL_ID
from monitor.durations import parse_duration
from monitor.text import CONTROL

NAME = re.compile(r"^[a-z0-9-]+$")
REGION = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MODEL_ID = re.compile(r"^([a-z0-9][a-z0-9_.-]*)/(\S+)$")


class Invalid(ValueError):
    """One key's value is unusable; the reader records it and goes on to the next key."""


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"expected a string, got {value!r}")
    return value


def word(value: Any) -> str:
    text = string(value).strip()
    if not text:
        raise Invalid("must not be empty")
    return text


def name(value: Any) -> str:
    text = string(value)
    if not NAME.match(text):
        raise Invalid(f"{text!r} must use only a-z, 0-9 and '-'")
    return text


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"expected an integer, got {value!r}")
    return value


def number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"expected a number, got {value!r}")
    return float(value)


def non_negative(value: Any) -> float:
    return number_within(value, 0.0, math.inf, "must not be negative")


def positive(value: Any) -> float:
    return number_within(value, math.ulp(0.0), math.inf, "must be greater than 0")


def share(value: Any) -> float:
    return number_within(value, 0.0, 1.0, "must be between 0 and 1")


def number_within(value: Any, low: float, high: float, problem: str) -> float:
    found = number(value)
    if not low <= found <= high:
        raise Invalid(f"{problem}, got {found:g}")
    return found


def positive_duration(value: Any) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise Invalid("must be longer than 0s")
    return seconds


def http_status(value: Any) -> int:
    status = integer(value)
    if not 400 <= status <= 599:
        raise Invalid(f"expected an HTTP error status (400-599), got {status}")
    return status


def start(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(f"expected a time like '2026-06-07T00:00:00Z', got {value!r}") from None
    if not isinstance(value, datetime):
        raise Invalid(f"expected a time like '2026-06-07T00:00:00Z', got {value!r}")
    if value.tzinfo is None:
        raise Invalid("needs a time zone; write UTC times with a trailing 'Z'")
    return value.astimezone(UTC)


def string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Invalid("expected a non-empty list of strings")
    return tuple(value)


def regions(value: Any) -> tuple[str, ...]:
    regions = string_list(value)
    for region in regions:
        if not REGION.match(region):
            raise Invalid(f"region {region!r} must use only a-z, 0-9 and '-'")
    if len(set(regions)) != len(regions):
        raise Invalid("lists a region twice")
    return regions


def model_id(value: Any) -> str:
    text = string(value)
    if not MODEL_ID.match(text):
        raise Invalid(f"expected 'provider/model', got {text!r}")
    if CONTROL.search(text):
        raise Invalid(f"{text!r} has a control character; model ids have none")
    if len(text) > MAX_MODEL_ID:
        raise Invalid(f"is {len(text)} characters; the store keeps at most {MAX_MODEL_ID}")
    return text
