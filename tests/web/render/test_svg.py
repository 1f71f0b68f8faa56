from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from web.render.svg import tag, tick_label, time_ticks, value_ticks


@pytest.mark.parametrize(
    ("largest", "integer", "ticks"),
    [
        (0.0, False, (0.0, 1.0)),
        (870.0, False, (0.0, 250.0, 500.0, 750.0, 1000.0)),
        (5400.0, False, (0.0, 2000.0, 4000.0, 6000.0)),
        (1000.0, False, (0.0, 250.0, 500.0, 750.0, 1000.0)),
        (3.0, True, (0.0, 1.0, 2.0, 3.0)),
        (1.0, True, (0.0, 1.0)),
        (57.0, True, (0.0, 20.0, 40.0, 60.0)),
    ],
)
def test_value_axis_ends_on_a_round_number_at_or_above_the_largest_value(largest, integer, ticks):
    assert value_ticks(largest, integer=integer) == ticks


START = datetime(2026, 3, 13, 15, 42, tzinfo=UTC)


@pytest.mark.parametrize(
    ("span", "count", "first"),
    [
        (timedelta(hours=24), 6, "16:00"),
        (timedelta(days=7), 7, "14 Mar"),
        (timedelta(days=30), 4, "19 Mar"),
        (timedelta(days=90), 6, "26 Mar"),
    ],
)
def test_time_axis_has_a_few_round_ticks_for_each_range(span, count, first):
    ticks = time_ticks(START, START + span)
    assert len(ticks) == count
    assert tick_label(ticks[0], span.total_seconds()) == first


def test_tag_escapes_text_and_attribute_values():
    markup = tag("text", "<b>", class_='"><script>', x=1.25)
    assert markup == '<text class="&#34;&gt;&lt;script&gt;" x="1.2">&lt;b&gt;</text>'
