from __future__ import annotations

import pytest

from web.render.formatting import duration, label, latency, percent, plural, tone


@pytest.mark.parametrize(
    ("word", "text", "colour"),
    [
        ("operational", "Operational", "ok"),
        ("degraded_performance", "Degraded performance", "minor"),
        ("partial_outage", "Partial outage", "partial"),
        ("major_outage", "Major outage", "major"),
        ("under_maintenance", "Under maintenance", "maint"),
        ("not_configured", "Not configured", "neutral"),
        ("no_data", "No data yet", "neutral"),
        ("investigating", "Investigating", "major"),
        ("resolved", "Resolved", "ok"),
        ("critical", "Critical", "major"),
        ("vantage", "Our network (one vantage point)", "neutral"),
        ("some_new_word", "Some new word", "neutral"),
    ],
)
def test_status_words_read_as_labels_with_a_colour(word, text, colour):
    assert (label(word), tone(word)) == (text, colour)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.4, "under 1 s"),
        (45, "45 s"),
        (65, "1 min 5 s"),
        (3600, "1 h"),
        (3605, "1 h"),
        (8040, "2 h 14 min"),
        (90000, "1 d 1 h"),
        (86400 * 3 + 59, "3 d"),
    ],
)
def test_durations_show_the_two_largest_units(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (None, 2, "—"),
        (100.0, 2, "100%"),
        (99.996, 2, "99.99%"),
        (99.9, 2, "99.9%"),
        (71.25, 1, "71.2%"),
        (0.0, 2, "0%"),
    ],
)
def test_percentages_are_truncated_so_a_failure_never_rounds_to_100(value, places, text):
    assert percent(value, places) == text


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, "—"),
        (0.4, "0 ms"),
        (612.4, "612 ms"),
        (999.4, "999 ms"),
        (1240.0, "1.24 s"),
        (12_345.0, "12.3 s"),
    ],
)
def test_latency_in_ms_below_a_second_and_seconds_above(ms, text):
    assert latency(ms) == text


def test_plural_counts_with_thousands_separators():
    assert (plural(1, "probe"), plural(1204, "probe")) == ("1 probe", "1,204 probes")
