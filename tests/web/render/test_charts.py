"""Server-rendered SVG charts: drawn from the view model, readable without sight or JavaScript."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from tests.web import factories as f
from web.queries.viewmodels import (
    ChartPoint,
    FailureBucket,
    FailureCount,
    FailureSeries,
    LatencySeries,
)
from web.render.charts import failure_chart, failure_legend, latency_chart

SVG = "{http://www.w3.org/2000/svg}"


def _tree(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def _series(*values: tuple[float | None, float | None]) -> LatencySeries:
    start = f.NOW - timedelta(hours=len(values))
    points = tuple(
        ChartPoint(start + timedelta(hours=i), p50, p95) for i, (p50, p95) in enumerate(values)
    )
    return LatencySeries("Time to first token", start, f.NOW, points)


def test_latency_chart_is_an_image_named_by_its_title_and_summary():
    root = _tree(latency_chart(f.latency_series(), "ttft"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "ttft-title ttft-desc"
    assert root.find(f"{SVG}title").text == "Time to first token: p50 and p95"
    assert root.find(f"{SVG}desc").get("id") == "ttft-desc"


def test_latency_summary_names_the_range_the_median_and_the_worst_p95():
    chart = _tree(latency_chart(_series((500.0, 900.0), (700.0, 4200.0), (600.0, 1000.0)), "c"))
    desc = chart.find(f"{SVG}desc").text
    assert "From 14 Mar 12:42 UTC to 14 Mar 15:42 UTC." in desc
    assert "Median (p50) between 500 ms and 700 ms." in desc
    assert "Highest p95 4.20 s at 14 Mar 13:42 UTC." in desc


def test_a_single_hour_gives_one_median_not_a_range_from_it_to_itself():
    desc = _tree(latency_chart(_series((None, None), (595.0, 877.0)), "c")).find(f"{SVG}desc")
    assert "Median (p50) 595 ms." in desc.text
    assert "between" not in desc.text


def test_a_gap_in_the_data_is_a_gap_in_the_line():
    chart = _tree(
        latency_chart(
            _series((500.0, 900.0), (510.0, 910.0), (None, None), (520.0, 920.0), (530.0, 930.0)),
            "c",
        )
    )
    p50_paths = [p for p in chart.iter(f"{SVG}path") if "p50" in p.get("class", "")]
    assert len(p50_paths) == 2


def test_a_lone_measurement_between_gaps_is_still_drawn():
    chart = _tree(latency_chart(_series((None, None), (500.0, 900.0), (None, None)), "c"))
    assert [c.get("class") for c in chart.iter(f"{SVG}circle")] == ["dot p95", "dot p50"]


def test_latency_axis_is_labelled_in_round_units():
    labels = _texts(_tree(latency_chart(_series((500.0, 900.0), (2100.0, 5400.0)), "c")))
    assert {"0", "2 s", "4 s", "6 s"} <= set(labels)
    assert {"Latency", "Time (UTC)"} <= set(labels)


def test_a_day_long_chart_labels_hours_and_names_midnight_by_its_day():
    labels = _texts(_tree(latency_chart(f.latency_series(hours=24), "c")))
    assert {"16:00", "20:00", "14 Mar", "04:00"} <= set(labels)


def test_a_ninety_day_chart_labels_dates():
    series = f.latency_series(hours=90 * 24, step_min=24 * 60, spike_at=None, gap=range(0))
    labels = _texts(_tree(latency_chart(series, "c")))
    assert [label for label in labels if re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}", label)]
    assert not [label for label in labels if re.fullmatch(r"\d\d:\d\d", label)]


def test_an_empty_range_says_there_is_no_data_instead_of_drawing_nothing():
    root = _tree(latency_chart(_series((None, None), (None, None)), "c"))
    assert "No latency data in this range" in _texts(root)
    assert "No latency measured" in root.find(f"{SVG}desc").text


def test_every_point_shows_its_exact_values_on_hover():
    chart = latency_chart(
        _series(
            (512.0, 1904.0),
        ),
        "c",
    )
    assert "14 Mar 14:42 UTC: p50 512 ms, p95 1.90 s" in chart


def test_a_hostile_title_is_escaped_inside_the_svg():
    series = _series((500.0, 900.0))
    chart = latency_chart(
        LatencySeries(f.HOSTILE, series.start, series.end, series.points), 'x"><script>'
    )
    assert "<script>" not in chart
    assert _tree(chart).find(f"{SVG}title").text == f"{f.HOSTILE}: p50 and p95"


def _failures(*buckets: dict[str, int]) -> FailureSeries:
    start = f.NOW - timedelta(hours=len(buckets))
    return FailureSeries(
        start,
        f.NOW,
        "per hour",
        tuple(
            FailureBucket(
                start + timedelta(hours=i),
                100,
                tuple(FailureCount(k, v) for k, v in counts.items()),
            )
            for i, counts in enumerate(buckets)
        ),
    )


def _bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if "fc " in r.get("class", "") + " "]


def test_failure_bars_stack_by_class_in_proportion():
    root = _tree(failure_chart(_failures({}, {"capacity": 10, "infrastructure": 20}), "fail"))
    bars = {r.get("class"): float(r.get("height")) for r in _bars(root)}
    assert set(bars) == {"fc fc-infrastructure", "fc fc-capacity"}
    assert bars["fc fc-infrastructure"] == pytest.approx(2 * bars["fc fc-capacity"], abs=0.2)


def test_infrastructure_sits_at_the_bottom_of_the_stack():
    root = _tree(failure_chart(_failures({"vantage": 5, "infrastructure": 5}), "fail"))
    by_class = {r.get("class"): float(r.get("y")) for r in _bars(root)}
    assert by_class["fc fc-infrastructure"] > by_class["fc fc-vantage"]


def test_failure_summary_counts_every_class_and_the_worst_hour():
    desc = (
        _tree(failure_chart(_failures({"capacity": 3}, {"infrastructure": 9}), "c"))
        .find(f"{SVG}desc")
        .text
    )
    assert "12 failed of 200 probes." in desc
    assert "By class: infrastructure 9, capacity 3." in desc
    assert "Most at 14 Mar 14:42 UTC (9)." in desc


def test_a_quiet_range_says_no_probe_failed():
    root = _tree(failure_chart(_failures({}, {}), "c"))
    assert "No failed probes in this range" in _texts(root)
    assert not _bars(root)


def test_an_unknown_failure_class_is_drawn_in_a_neutral_colour_and_escaped():
    chart = failure_chart(_failures({f.HOSTILE: 4}), "c")
    assert [r.get("class") for r in _bars(_tree(chart))] == ["fc fc-other"]
    assert "<script>" not in chart


def test_legend_lists_only_the_classes_in_the_chart():
    legend = failure_legend(_failures({"capacity": 2}, {"vantage": 1}))
    assert re.findall(r"</span>([^<]+)</li>", legend) == [
        "Capacity",
        "Our network (one vantage point)",
    ]


def test_charts_use_no_inline_styles_and_fetch_nothing():
    for chart in (latency_chart(f.latency_series(), "a"), failure_chart(f.failure_series(), "b")):
        assert "style=" not in chart
        assert "href" not in chart
