"""Small SVG building blocks for the server-rendered charts: escaped tags, scales, ticks.

Every tag goes through `tag()`, which escapes attribute values and text, so no
caller can interpolate a name into markup by accident.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup

from monitor.text import for_markup


def num(value: float) -> str:
    """A coordinate: one decimal is finer than a pixel and keeps the markup short."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def tag(name: str, content: str | Markup | None = None, /, **attrs: object) -> Markup:
    """`<name attr="...">content</name>`; `class_` → class, `aria_label` → aria-label."""
    rendered = Markup("").join(
        Markup(' {}="{}"').format(Markup(_attr_name(key)), _value(v))
        for key, v in attrs.items()
        if v is not None
    )
    if content is None:
        return Markup("<{}{}/>").format(Markup(name), rendered)
    return Markup("<{0}{1}>{2}</{0}>").format(Markup(name), rendered, _value(content))


def _value(value: object) -> object:
    if isinstance(value, float):
        return num(value)
    # A control character in a model's name would make the whole SVG malformed XML.
    if isinstance(value, str) and not isinstance(value, Markup):
        return for_markup(value)
    return value


def _attr_name(key: str) -> str:
    if key == "viewBox":
        return key
    return key.rstrip("_").replace("_", "-")


def join(parts: Iterable[Markup]) -> Markup:
    return Markup("").join(parts)


@dataclass(frozen=True, slots=True)
class Frame:
    """The plot area inside a chart's viewBox, and the value ranges it shows."""

    start: datetime
    end: datetime
    y_max: float
    width: float = 440
    height: float = 220
    left: float = 72  # room for "1.5 s" tick labels beside the rotated axis title
    right: float = 12
    top: float = 14
    bottom: float = 42

    @property
    def x0(self) -> float:
        return self.left

    @property
    def x1(self) -> float:
        return self.width - self.right

    @property
    def y0(self) -> float:
        """The baseline (value zero)."""
        return self.height - self.bottom

    @property
    def y1(self) -> float:
        return self.top

    def x(self, when: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1.0
        share = (when - self.start).total_seconds() / span
        return self.x0 + min(1.0, max(0.0, share)) * (self.x1 - self.x0)

    def y(self, value: float) -> float:
        share = value / self.y_max if self.y_max else 0.0
        return self.y0 - min(1.0, max(0.0, share)) * (self.y0 - self.y1)


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten at least `raw`: readable steps."""
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


def value_ticks(largest: float, count: int = 4, integer: bool = False) -> tuple[float, ...]:
    """Evenly spaced ticks from 0 to a round number at or above `largest`."""
    step = nice_step(largest / count) if largest > 0 else 1.0
    if integer:
        step = max(1.0, math.ceil(step))
    top = step * max(1, math.ceil(largest / step - 1e-9))
    return tuple(step * i for i in range(round(top / step) + 1))


_TIME_STEPS_S = (
    900,
    1800,
    3600,
    7200,
    10800,
    14400,
    21600,
    43200,
    86400,
    2 * 86400,
    7 * 86400,
    14 * 86400,
    28 * 86400,
)


def time_ticks(start: datetime, end: datetime, most: int = 7) -> tuple[datetime, ...]:
    """Round UTC instants between start and end, at most `most` of them."""
    span = (end - start).total_seconds()
    step = next((s for s in _TIME_STEPS_S if span / s <= most), _TIME_STEPS_S[-1])
    first = math.ceil(start.timestamp() / step) * step
    last = end.timestamp()
    return tuple(datetime.fromtimestamp(t, UTC) for t in range(int(first), int(last) + 1, step))


def tick_label(when: datetime, span_s: float) -> str:
    """`14:00` within a day or two, `12 Mar` beyond; midnight names its day."""
    when = when.astimezone(UTC)
    if span_s <= 2 * 86400 and (when.hour, when.minute) != (0, 0):
        return when.strftime("%H:%M")
    return when.strftime("%-d %b")


def axes(frame: Frame, y_ticks: tuple[float, ...], y_text: list[str], y_title: str) -> Markup:
    """Grid lines with value labels, time labels along the bottom, and both axis titles."""
    parts: list[Markup] = []
    for value, text in zip(y_ticks, y_text, strict=True):
        y = frame.y(value)
        parts.append(tag("line", x1=frame.x0, x2=frame.x1, y1=y, y2=y, class_="grid"))
        parts.append(tag("text", text, x=frame.x0 - 6, y=y + 4, class_="tick", text_anchor="end"))
    span = (frame.end - frame.start).total_seconds()
    for when in time_ticks(frame.start, frame.end):
        x = frame.x(when)
        parts.append(tag("line", x1=x, x2=x, y1=frame.y0, y2=frame.y0 + 4, class_="axis"))
        parts.append(
            tag(
                "text",
                tick_label(when, span),
                x=x,
                y=frame.y0 + 17,
                class_="tick",
                text_anchor="middle",
            )
        )
    parts.append(tag("line", x1=frame.x0, x2=frame.x1, y1=frame.y0, y2=frame.y0, class_="axis"))
    parts.append(
        tag(
            "text",
            "Time (UTC)",
            x=(frame.x0 + frame.x1) / 2,
            y=frame.height - 4,
            class_="axis-title",
            text_anchor="middle",
        )
    )
    middle = (frame.y0 + frame.y1) / 2
    parts.append(
        tag(
            "text",
            y_title,
            x=12.0,
            y=middle,
            class_="axis-title",
            text_anchor="middle",
            transform=f"rotate(-90 12 {num(middle)})",
        )
    )
    return join(parts)


def no_data(frame: Frame, message: str) -> Markup:
    return tag(
        "text",
        message,
        x=(frame.x0 + frame.x1) / 2,
        y=(frame.y0 + frame.y1) / 2,
        class_="empty",
        text_anchor="middle",
    )
