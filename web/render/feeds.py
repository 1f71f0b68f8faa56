"""RSS 2.0 and Atom feeds of incident updates: one entry per update.

Entry ids are tag: URIs that never change between requests, so readers show an
update once:

    tag:<site host>,<incident detected day>:incident/<incident id>/update/<index>

`index` is the update's position in `incident.updates`, which only ever grows.

Text is plain text everywhere. Atom says so (`type="text"`); RSS descriptions
are HTML by convention, so the text is escaped into `<p>` paragraphs first, and
RSS gets no `content:encoded` (readers render it as HTML). Characters XML 1.0
forbids (control characters, lone surrogates, U+FFFE/U+FFFF) are dropped: lxml
would refuse the whole feed over one of them. Operator-only incidents are
dropped too, whatever the caller passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from urllib.parse import quote, urlsplit

from feedgen.entry import FeedEntry as GeneratorEntry
from feedgen.feed import FeedGenerator

from monitor.config import SiteSettings
from monitor.judging.incidents import Incident, Update
from web.render.formatting import label

FEED_SIZE = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", text)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str
    title: str
    url: str
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class FeedDocuments:
    """One feed's entries, ready to render as RSS or Atom."""

    title: str
    description: str
    author: str
    self_url: str
    alternate_url: str
    updated: datetime
    entries: tuple[FeedEntry, ...]  # newest first

    def rss(self) -> bytes:
        feed = self._generator()
        feed.description(self.description)
        for entry in self.entries:
            item = self._entry(feed, entry)
            item.guid(entry.id, permalink=False)
            item.description(_html_paragraphs(entry.text))
        return bytes(feed.rss_str(pretty=True))

    def atom(self) -> bytes:
        feed = self._generator()
        feed.subtitle(self.description)
        for entry in self.entries:
            self._entry(feed, entry).content(entry.text, type="text")
        return bytes(feed.atom_str(pretty=True))

    def _generator(self) -> FeedGenerator:
        feed = FeedGenerator()
        feed.id(self.self_url)
        feed.title(self.title)
        feed.author(name=self.author)
        feed.link(href=self.self_url, rel="self")
        feed.link(href=self.alternate_url, rel="alternate")
        feed.language("en")
        feed.generator(self.author)
        feed.updated(self.updated)
        return feed

    @staticmethod
    def _entry(feed: FeedGenerator, entry: FeedEntry) -> GeneratorEntry:
        item = feed.add_entry(order="append")
        item.id(entry.id)
        item.title(entry.title)
        item.link(href=entry.url)
        item.published(entry.at)
        item.updated(entry.at)
        return item


def incident_feed(
    entries: Sequence[tuple[Incident, Update]],
    *,
    site: SiteSettings,
    title: str,
    self_url: str,
    alternate_url: str,
    incident_url: Callable[[Incident], str],
    generated_at: datetime | None = None,
) -> FeedDocuments:
    """A feed of incident updates, newest first (pass `latest_entries(...)`).

    `self_url` is the URL of the document being served (the RSS or the Atom
    one) and doubles as the Atom feed id. The feed's time is its newest entry's,
    so an unchanged feed is byte-identical; an empty feed takes `generated_at`
    (or the epoch) instead."""
    host = urlsplit(site.public_url).hostname or "localhost"
    built = sorted(
        (
            _entry(incident, update, host, incident_url)
            for incident, update in entries
            if incident.public
        ),
        key=lambda e: (e.at, e.id),
        reverse=True,
    )
    newest = built[0].at if built else (generated_at or _EPOCH)
    return FeedDocuments(
        title=xml_text(title),
        description=xml_text(site.description or site.title),
        author=xml_text(site.title) or "aistatus",
        self_url=xml_text(self_url),
        alternate_url=xml_text(alternate_url),
        updated=newest,
        entries=tuple(built),
    )


def latest_entries(
    incidents: Iterable[Incident], limit: int = FEED_SIZE
) -> list[tuple[Incident, Update]]:
    """The newest `limit` updates of the public incidents, newest first."""
    pairs = [(i, u) for i in incidents if i.public for u in i.updates]
    pairs.sort(key=lambda pair: (pair[1].at, pair[0].id), reverse=True)
    return pairs[:limit]


def entry_id(incident: Incident, update: Update, host: str) -> str:
    day = incident.detected_at.astimezone(UTC).strftime("%Y-%m-%d")
    return (
        f"tag:{host},{day}:incident/{quote(incident.id, safe='')}"
        f"/update/{_index_of(incident, update)}"
    )


def _entry(
    incident: Incident, update: Update, host: str, incident_url: Callable[[Incident], str]
) -> FeedEntry:
    return FeedEntry(
        id=entry_id(incident, update, host),
        title=xml_text(f"{incident.display_title} — {label(update.status)}"),
        url=xml_text(incident_url(incident)),
        at=update.at,
        text=xml_text(update.text),
    )


def _index_of(incident: Incident, update: Update) -> int:
    for index, candidate in enumerate(incident.updates):
        if candidate is update or candidate == update:
            return index
    raise ValueError(f"incident {incident.id}: the update of {update.at} is not among its updates")


def _html_paragraphs(text: str) -> str:
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return "\n".join(
        "<p>" + "<br>".join(escape(line) for line in block.split("\n")) + "</p>"
        for block in blocks
        if block
    )
