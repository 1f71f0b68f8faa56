"""Reading rendered pages the way a browser would, for assertions on what a visitor gets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass(frozen=True)
class Element:
    tag: str
    attrs: dict[str, str | None]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs)))
        if tag in ("script", "style", "title", "desc"):
            self._skip += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title", "desc") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


@dataclass(frozen=True)
class Page:
    html: str
    elements: list[Element]
    text: str  # visible text, whitespace collapsed

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    def ids(self) -> set[str]:
        return {e.attrs["id"] or "" for e in self.elements if "id" in e.attrs}


def parse(html: str) -> Page:
    collector = _Collector()
    collector.feed(html)
    # Block boundaries separate words for a reader; a space between text nodes does too.
    text = re.sub(r"\s+", " ", " ".join(collector.text)).strip()
    return Page(html, collector.elements, text)
