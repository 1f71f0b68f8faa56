from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta

import feedparser
import pytest

from monitor.judging.incidents import Incident, IncidentState, Update
from monitor.judging.status import Cause
from tests.web.snapshot_factories import HOSTILE, NOW, SITE, incident
from web.render.feeds import FeedDocuments, incident_feed, latest_entries

SELF = "https://status.example.org/feed.atom"
HOME = "https://status.example.org/"


def build(entries: list[tuple[Incident, Update]], **overrides: object) -> FeedDocuments:
    options: dict[str, object] = {
        "site": SITE,
        "title": "AI status incidents",
        "self_url": SELF,
        "alternate_url": HOME,
        "incident_url": lambda i: f"{HOME}incidents/{i.id}",
    }
    options.update(overrides)
    return incident_feed(entries, **options)  # type: ignore[arg-type]


def both(documents: FeedDocuments) -> list[tuple[str, bytes]]:
    return [("rss", documents.rss()), ("atom", documents.atom())]


def parsed(raw: bytes) -> feedparser.FeedParserDict:
    feed = feedparser.parse(raw)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def hostile_incident() -> Incident:
    record = incident("9", title=f"Errors on {HOSTILE}")
    return replace(
        record,
        updates=(Update(NOW, IncidentState.INVESTIGATING, f"Model {HOSTILE} fails.\nA & B"),),
    )


def test_each_incident_update_is_one_entry_in_both_formats():
    entries = latest_entries([incident("1", updates=3), incident("2", updates=2)])
    for _, raw in both(build(entries)):
        assert len(parsed(raw).entries) == 5


@pytest.mark.parametrize("generated_at", [None, NOW])
def test_an_empty_feed_is_still_a_valid_feed(generated_at):
    for _, raw in both(build([], generated_at=generated_at)):
        feed = parsed(raw)
        assert feed.entries == []
        assert feed.feed.title == "AI status incidents"


def test_entry_ids_do_not_change_when_the_incident_gains_updates():
    first = incident("1", updates=2)
    later = incident("1", updates=4, state=IncidentState.RESOLVED)
    for fmt in ("rss", "atom"):
        before = {e.id for e in parsed(getattr(build(latest_entries([first])), fmt)()).entries}
        after = {e.id for e in parsed(getattr(build(latest_entries([later])), fmt)()).entries}
        assert len(before) == 2
        assert before < after


def test_the_same_input_renders_byte_identical_feeds():
    entries = latest_entries([incident("1", updates=3)])
    assert both(build(entries)) == both(build(entries))


def test_hostile_text_reads_as_text_and_never_as_markup():
    entries = latest_entries([hostile_incident()])
    for fmt, raw in both(build(entries)):
        assert b"<script" not in raw
        entry = parsed(raw).entries[0]
        assert '<script>alert("x")</script> ]]> &' in entry.title
        text = entry.content[0].value if fmt == "atom" else html.unescape(entry.summary)
        assert '<script>alert("x")</script> ]]> &' in text
        assert "A & B" in text


def test_control_characters_are_dropped_not_fatal():
    for _, raw in both(build(latest_entries([hostile_incident()]), title="T\x01itle\x0b")):
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", raw)
        assert parsed(raw).feed.title == "Title"


def test_operator_only_incidents_never_reach_a_feed():
    private = incident("6", cause=Cause.CONFIGURATION, title="Bad key")
    entries = [(private, u) for u in private.updates]
    for _, raw in both(build(entries)):
        assert parsed(raw).entries == []
    assert latest_entries([private]) == []


def test_entries_link_to_their_incident_and_the_feed_to_itself():
    for fmt, raw in both(build(latest_entries([incident("3")]))):
        feed = parsed(raw)
        assert feed.entries[0].link == f"{HOME}incidents/3"
        rels = {link.rel: link.href for link in feed.feed.links}
        assert rels["self"] == SELF, fmt


def test_entry_title_names_the_incident_and_its_status():
    entries = latest_entries([incident("1", updates=2, title="Errors on Opus")])
    titles = [e.title for e in parsed(build(entries).atom()).entries]
    assert titles == ["Errors on Opus — Identified", "Errors on Opus — Investigating"]


def test_newest_update_comes_first_and_dates_the_feed():
    old = incident("1", start=NOW - timedelta(days=3))
    new = incident("2", start=NOW - timedelta(hours=1))
    feed = parsed(build(latest_entries([old, new])).atom())
    assert [e.link.rsplit("/", 1)[1] for e in feed.entries] == ["2", "1"]
    assert feed.feed.updated == new.updates[-1].at.isoformat()


def test_an_operator_override_is_what_readers_see():
    record = incident("4")
    update = replace(record.updates[0], body_override="We are on it.")
    record = replace(record, updates=(update,), title_override="Opus is down")
    entry = parsed(build([(record, update)]).atom()).entries[0]
    assert entry.title.startswith("Opus is down")
    assert entry.content[0].value == "We are on it."


def test_latest_entries_keeps_the_newest_fifty():
    many = [incident(str(n), updates=4, start=NOW - timedelta(hours=n)) for n in range(20)]
    kept = latest_entries(many)
    assert len(kept) == 50
    assert kept[0][1].at == max(u.at for i in many for u in i.updates)


def test_an_update_from_another_incident_is_refused():
    with pytest.raises(ValueError, match="not among its updates"):
        build([(incident("1"), incident("2", start=NOW).updates[0])])
