"""Server-rendered SVG charts for the model page, readable without JavaScript.

Each chart is an `<svg role="img">` with a `<title>` and a `<desc>` that says
in words what the chart shows (a screen reader hears the summary; the page
also offers the numbers as a table). Colours come from site.css classes, so
the charts follow the light and dark themes; nothing is fetched from outside.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

from markupsafe import Markup

from web.queries.viewmodels import (
    ChartPoint,
    FailureBucket,
    FailureCount,
    FailureSeries,
    LatencySeries,
)
from web.render.formatting import label, latency, plural
from web.render.svg import Frame, axes, join, no_data, num, tag, value_ticks

# Bottom to top in a stacked bar: the provider's own faults first, ours last.
FAILURE_ORDER = ("infrastructure", "capacity", "configuration", "quality", "ambiguous", "vantage")


def _svg(chart_id: str, title: str, desc: str, body: Markup, frame: Frame) -> Markup:
    return tag(
        "svg",
        join(
            [
                tag("title", title, id=f"{chart_id}-title"),
                tag("desc", desc, id=f"{chart_id}-desc"),
                body,
            ]
        ),
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {num(frame.width)} {num(frame.height)}",
        role="img",
        class_="chart",
        id=chart_id,
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
    )


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%-d %b %H:%M UTC")


# --- latency ---------------------------------------------------------------


def _line(frame: Frame, points: tuple[ChartPoint, ...], attr: str, css: str) -> Markup:
    """A path through the known values; a gap in the data is a gap in the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        value = getattr(point, attr)
        if value is None:
            runs.append([])
        else:
            runs[-1].append((frame.x(point.at), frame.y(value)))
    parts: list[Markup] = []
    for run in filter(None, runs):
        if len(run) == 1:
            parts.append(tag("circle", cx=run[0][0], cy=run[0][1], r=2.5, class_=f"dot {css}"))
        else:
            d = "M" + " L".join(f"{num(x)} {num(y)}" for x, y in run)
            parts.append(tag("path", d=d, class_=f"line {css}"))
    return join(parts)


def _latency_hits(frame: Frame, points: tuple[ChartPoint, ...]) -> Markup:
    """Invisible columns whose <title> gives the exact values on hover."""
    if not points:
        return Markup("")
    width = (frame.x1 - frame.x0) / len(points)
    return join(
        tag(
            "rect",
            tag("title", f"{_stamp(p.at)}: p50 {latency(p.p50_ms)}, p95 {latency(p.p95_ms)}"),
            x=frame.x(p.at) - width / 2,
            y=frame.y1,
            width=width,
            height=frame.y0 - frame.y1,
            class_="hit",
        )
        for p in points
    )


def _latency_desc(series: LatencySeries) -> str:
    p50 = [p.p50_ms for p in series.points if p.p50_ms is not None]
    peaks = [p for p in series.points if p.p95_ms is not None]
    if not p50 and not peaks:
        return f"No latency measured between {_stamp(series.start)} and {_stamp(series.end)}."
    text = f"From {_stamp(series.start)} to {_stamp(series.end)}."
    if p50:
        low, high = latency(min(p50)), latency(max(p50))
        # One hour of data (a fresh install) read "between 595 ms and 595 ms".
        text += (
            f" Median (p50) {low}." if low == high else f" Median (p50) between {low} and {high}."
        )
    if peaks:
        worst = max(peaks, key=lambda p: p.p95_ms or 0.0)
        text += f" Highest p95 {latency(worst.p95_ms)} at {_stamp(worst.at)}."
    return text


def _tick_text(ms: float) -> str:
    """Axis labels are round numbers: `0`, `500 ms`, `2 s`, `2.5 s`."""
    if ms == 0:
        return "0"
    return f"{ms / 1000:g} s" if ms >= 1000 else f"{ms:g} ms"


def _legend(frame: Frame) -> Markup:
    x = frame.x0
    return join(
        [
            tag("line", x1=x, x2=x + 18, y1=6.0, y2=6.0, class_="line p50"),
            tag("text", "p50 (median)", x=x + 22, y=10.0, class_="tick"),
            tag("line", x1=x + 110, x2=x + 128, y1=6.0, y2=6.0, class_="line p95"),
            tag("text", "p95", x=x + 132, y=10.0, class_="tick"),
        ]
    )


def latency_chart(series: LatencySeries, chart_id: str) -> Markup:
    """p50 and p95 lines over time, y axis in ms or s."""
    values = [v for p in series.points for v in (p.p50_ms, p.p95_ms) if v is not None]
    ticks = value_ticks(max(values, default=0.0))
    frame = Frame(series.start, series.end, ticks[-1], top=22)
    body = [axes(frame, ticks, [_tick_text(t) for t in ticks], "Latency"), _legend(frame)]
    if values:
        body += [
            _line(frame, series.points, "p95_ms", "p95"),
            _line(frame, series.points, "p50_ms", "p50"),
            _latency_hits(frame, series.points),
        ]
    else:
        body.append(no_data(frame, "No latency data in this range"))
    title = f"{series.title}: p50 and p95"
    return _svg(chart_id, title, _latency_desc(series), join(body), frame)


# --- failures ----------------------------------------------------------------


def _total(bucket: FailureBucket) -> int:
    return sum(f.count for f in bucket.failures)


def _css_class(failure_class: str) -> str:
    return f"fc-{failure_class}" if failure_class in FAILURE_ORDER else "fc-other"


def _stack_order(failures: tuple[FailureCount, ...]) -> list[FailureCount]:
    def rank(item: FailureCount) -> int:
        cls = item.failure_class
        return FAILURE_ORDER.index(cls) if cls in FAILURE_ORDER else len(FAILURE_ORDER)

    return sorted((f for f in failures if f.count > 0), key=rank)


def _bucket_seconds(series: FailureSeries) -> float:
    starts = [b.start for b in series.buckets]
    gaps = [(b - a).total_seconds() for a, b in pairwise(starts)]
    positive = [g for g in gaps if g > 0]
    span = (series.end - series.start).total_seconds()
    return min(positive) if positive else span / max(1, len(starts))


def _bucket_title(bucket: FailureBucket) -> str:
    failed = _total(bucket)
    detail = ", ".join(
        f"{f.count} {label(f.failure_class).lower()}" for f in _stack_order(bucket.failures)
    )
    text = f"{_stamp(bucket.start)}: {failed} failed of {plural(bucket.probes, 'probe')}"
    return f"{text} ({detail})" if detail else text


def _bar(frame: Frame, bucket: FailureBucket, slot: float) -> Markup:
    # The current bucket is partial: the chart ends now, and so does its bar's slot.
    slot = max(1.0, min(slot, frame.x1 - frame.x(bucket.start)))
    width = max(1.0, slot * 0.72)
    x = frame.x(bucket.start) + (slot - width) / 2
    rects: list[Markup] = []
    stacked = 0
    for item in _stack_order(bucket.failures):
        top = frame.y(stacked + item.count)
        rects.append(
            tag(
                "rect",
                x=x,
                y=top,
                width=width,
                height=frame.y(stacked) - top,
                class_=f"fc {_css_class(item.failure_class)}",
            )
        )
        stacked += item.count
    hit = tag(
        "rect",
        x=frame.x(bucket.start),
        y=frame.y1,
        width=slot,
        height=frame.y0 - frame.y1,
        class_="hit",
    )
    return tag("g", join([tag("title", _bucket_title(bucket)), hit, *rects]))


def _failure_desc(series: FailureSeries) -> str:
    probes = sum(b.probes for b in series.buckets)
    totals: dict[str, int] = {}
    for bucket in series.buckets:
        for item in bucket.failures:
            totals[item.failure_class] = totals.get(item.failure_class, 0) + item.count
    failed = sum(totals.values())
    text = (
        f"From {_stamp(series.start)} to {_stamp(series.end)}: "
        f"{failed:,} failed of {plural(probes, 'probe')}."
    )
    if failed:
        ordered = _stack_order(tuple(FailureCount(k, v) for k, v in totals.items()))
        text += (
            " By class: "
            + ", ".join(f"{label(f.failure_class).lower()} {f.count:,}" for f in ordered)
            + "."
        )
        worst = max(series.buckets, key=_total)
        text += f" Most at {_stamp(worst.start)} ({_total(worst):,})."
    return text


def failure_chart(series: FailureSeries, chart_id: str) -> Markup:
    """Failed probes per bucket, stacked by failure class."""
    largest = max((_total(b) for b in series.buckets), default=0)
    ticks = value_ticks(float(largest), integer=True)
    frame = Frame(series.start, series.end, ticks[-1])
    y_text = [f"{int(t):,}" for t in ticks]
    body = [axes(frame, ticks, y_text, f"Failed probes {series.bucket_label}")]
    if largest:
        slot = (
            (frame.x1 - frame.x0)
            * _bucket_seconds(series)
            / ((series.end - series.start).total_seconds() or 1.0)
        )
        body += [_bar(frame, b, slot) for b in series.buckets if _total(b) or b.probes]
    else:
        body.append(no_data(frame, "No failed probes in this range"))
    title = f"Failed probes {series.bucket_label}, by failure class"
    return _svg(chart_id, title, _failure_desc(series), join(body), frame)


def failure_legend(series: FailureSeries) -> Markup:
    """An HTML legend of the classes the chart shows (HTML wraps on a phone; SVG text would not)."""
    present = {f.failure_class for b in series.buckets for f in b.failures if f.count}
    shown = [c for c in FAILURE_ORDER if c in present] or list(FAILURE_ORDER)
    items = (
        tag(
            "li",
            join(
                [
                    tag("span", "", class_=f"swatch {_css_class(c)}", aria_hidden="true"),
                    Markup("{}").format(label(c)),
                ]
            ),
        )
        for c in shown
    )
    return tag("ul", join(items), class_="legend")
