from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from web.render.badges import badge_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_badge_is_a_standalone_svg_that_says_label_and_message():
    root = ET.fromstring(badge_svg("aistatus", "operational", "operational"))
    assert root.get("aria-label") == "aistatus: operational"
    assert [t.text for t in root.iter(f"{SVG}text")][1::2] == ["aistatus", "operational"]


@pytest.mark.parametrize(
    ("colour", "fill"),
    [
        ("operational", "#1a7f37"),
        ("major_outage", "#cf222e"),
        ("#abc", "#abc"),
    ],
)
def test_badge_colour_is_a_status_word_or_a_hex_colour(colour, fill):
    root = ET.fromstring(badge_svg("a", "b", colour))
    assert fill in [r.get("fill") for r in root.iter(f"{SVG}rect")]


@pytest.mark.parametrize("colour", ["red", '#fff" onload="x', "url(#x)"])
def test_anything_else_as_colour_is_refused(colour):
    with pytest.raises(ValueError, match="badge colour"):
        badge_svg("a", "b", colour)


def test_a_longer_message_makes_a_wider_badge():
    short = ET.fromstring(badge_svg("aistatus", "ok", "operational"))
    long = ET.fromstring(badge_svg("aistatus", "degraded performance", "degraded_performance"))
    assert float(long.get("width")) > float(short.get("width")) + 80


def test_badge_text_is_escaped():
    badge = badge_svg("<script>", "a&b", "operational")
    assert "<script>" not in badge
    assert ET.fromstring(badge).get("aria-label") == "<script>: a&b"


def test_control_characters_in_a_badge_are_visible_escapes_in_well_formed_xml():
    badge = badge_svg("Opus\x00\x1b[2J", "down\x0b\x85\ufffe", "major_outage")
    root = ET.fromstring(badge)  # a raw control character here is malformed XML
    assert root.get("aria-label") == "Opus\\x00\\x1b[2J: down\\x0b\\x85\\ufffe"
    assert [t.text for t in root.iter(f"{SVG}text")][1::2] == [
        "Opus\\x00\\x1b[2J",
        "down\\x0b\\x85\\ufffe",
    ]
