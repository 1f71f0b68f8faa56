from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from flask import Flask, render_template_string

from web.render.filters import (
    day_label,
    dom_id,
    month_label,
    paragraphs,
    register_filters,
    utc_time,
)

WHEN = datetime(2026, 3, 14, 15, 4, 7, tzinfo=UTC)


def test_times_show_utc_with_the_instant_for_local_time_on_hover():
    assert utc_time(WHEN) == (
        '<time datetime="2026-03-14T15:04:07Z" title="14 Mar 2026, 15:04:07 UTC" data-local>'
        "14 Mar 2026, 15:04 UTC</time>"
    )


def test_a_time_from_another_zone_is_shown_in_utc():
    berlin = WHEN.astimezone(timezone(timedelta(hours=1)))
    assert ">14 Mar 2026, 15:04 UTC<" in utc_time(berlin)


def test_a_naive_time_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_time(datetime(2026, 3, 14, 15, 4))


def test_missing_times_and_days_show_a_dash():
    assert (utc_time(None), day_label(None)) == ("—", "—")


def test_days_and_months_read_as_words():
    assert (day_label(date(2026, 3, 4)), month_label(date(2026, 3, 1))) == (
        "4 Mar 2026",
        "March 2026",
    )


def test_paragraphs_escape_first_then_break_lines():
    text = "<b>Errors</b> from eu-west\nand us-east\n\n\nResolved."
    assert paragraphs(text) == (
        "<p>&lt;b&gt;Errors&lt;/b&gt; from eu-west<br>\nand us-east</p>\n<p>Resolved.</p>"
    )


def test_empty_text_makes_no_paragraph():
    assert paragraphs("  \n ") == ""


def test_dom_ids_are_safe_and_distinct_for_similar_names():
    first, second = dom_id("anthropic/claude opus"), dom_id("anthropic/claude-opus")
    assert first != second
    assert all(c.isalnum() or c == "-" for c in first + second)


def test_registered_filters_are_usable_in_templates_and_keep_autoescaping():
    app = Flask(__name__)
    register_filters(app)
    with app.app_context():
        html = render_template_string(
            "{{ when|utc_time('time') }} {{ text|paragraphs }} {{ s|label }}",
            when=WHEN,
            text="<i>x</i>",
            s="major_outage",
        )
    assert (
        html == '<time datetime="2026-03-14T15:04:07Z" title="14 Mar 2026, 15:04:07 UTC" '
        "data-local>15:04 UTC</time> <p>&lt;i&gt;x&lt;/i&gt;</p> Major outage"
    )
