"""The 90-day bar's days as HTML: what a visitor and a screen reader get from each day."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tests.web.html import parse
from web.queries.viewmodels import FailureCount, Link, UptimeDay
from web.render.uptime_markup import uptime_days

HOSTILE = '<script>alert("x")</script> & "quoted"'
DAY = UptimeDay(
    date(2026, 3, 14),
    "major_outage",
    68.75,
    2880,
    (FailureCount("infrastructure", 600), FailureCount("capacity", 300)),
    (Link("Elevated errors", "/incidents/42"),),
)
QUIET = UptimeDay(date(2026, 3, 13), "operational", 100.0, 2880)
UNPROBED = UptimeDay(date(2026, 3, 12), "no_data", None)


def attributes(html: str, css_class: str) -> list[dict[str, str | None]]:
    return [e.attrs for e in parse(html).elements if css_class in (e.attrs.get("class") or "")]


def test_each_day_is_named_by_its_date_status_and_uptime():
    html = uptime_days((UNPROBED, QUIET, DAY), "m1")
    assert [a["aria-label"] for a in attributes(html, "uptime__seg")] == [
        "12 Mar 2026: No data yet",
        "13 Mar 2026: Operational, 100% uptime",
        "14 Mar 2026: Major outage, 68.75% uptime",
    ]


def test_each_day_is_described_by_its_details_which_its_tip_shows():
    html = uptime_days((QUIET, DAY), "m1")
    page = parse(html)
    assert [a["aria-describedby"] for a in attributes(html, "uptime__seg")] == ["m1-1", "m1-2"]
    assert "m1-1" in page.ids() and "m1-2" in page.ids()
    assert page.text == (
        "13 Mar 2026 · Operational 100% uptime · 2,880 probes No failed probes. "
        "14 Mar 2026 · Major outage 68.75% uptime · 2,880 probes "
        "Infrastructure: 600 failures Capacity: 300 failures Elevated errors"
    )
    assert '<a href="/incidents/42">Elevated errors</a>' in html


def test_a_day_without_probes_says_so_and_still_links_its_incident():
    html = uptime_days((replace(UNPROBED, incidents=DAY.incidents),), "m1")
    assert parse(html).text == "12 Mar 2026 · No data yet No probes this day. Elevated errors"


def test_hostile_words_and_incident_titles_stay_text():
    day = replace(
        DAY,
        status=HOSTILE,
        incidents=(Link(HOSTILE, '/incidents/1"><b>'),),
        failures=(FailureCount(HOSTILE, 1),),
    )
    html = uptime_days((day,), 'x"><script>')
    page = parse(html)
    assert [e.tag for e in page.elements if e.tag != "br"] == [
        "li",
        "span",
        "span",
        "b",
        "span",
        "span",
        "a",
    ]  # nothing the data wrote
    assert page.text.count(HOSTILE) == 3  # the status, the failure class, the title
    name = attributes(html, "uptime__seg")[0]["aria-label"]
    assert name == f"14 Mar 2026: {HOSTILE}, 68.75% uptime"
    assert [e.attrs["href"] for e in page.all("a")] == ['/incidents/1"><b>']


def test_a_bar_seen_before_shows_a_day_that_changed_since():
    uptime_days((QUIET, DAY), "m2")
    again = uptime_days((QUIET, replace(DAY, uptime_percent=50.0)), "m2")
    assert again == uptime_days((QUIET, replace(DAY, uptime_percent=50.0)), "m3").replace(
        "m3-", "m2-"
    )
    assert "50% uptime" in again and "68.75% uptime" not in again
