"""Control characters in text the config did not vet (a database an older version filled,
an operator's override, a provider's error) reach pages and badges as visible escapes,
never raw: a raw one is an HTML parse error, malformed XML in an SVG, and on a
terminal an instruction."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from flask.testing import FlaskClient

from monitor.config import ModelSettings
from monitor.store import Store
from tests.web.html import parse
from tests.web.seed import EVIL, MISSING_KEYS, SETTINGS
from web import public_paths

NAME = "Evil\x1b[2J\x00\x07 model\x85"
SHOWN = "Evil\\x1b[2J\\x00\\x07 model\\x85"
TITLE = "Key rotated\x1b]0;pwned\x07"
BODY = "We rotated\x08\x08 the key.\x0c\nProbes recover shortly."
# What HTML calls a control-character parse error and XML 1.0 cannot hold (tab, LF, CR are fine).
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@pytest.fixture
def hostile_store(store: Store) -> Store:
    models = tuple(
        ModelSettings.model_construct(**{**m.model_dump(), "display_name": NAME})
        if m.id == EVIL
        else m
        for m in SETTINGS.models
    )
    store.sync_targets(SETTINGS.model_copy(update={"models": models}), MISSING_KEYS)
    store.override_incident("4", title=TITLE, update_position=0, body=BODY)  # EVIL's incident
    return store


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/incidents",
        "/incidents/4",
        public_paths.model_page(EVIL),
        public_paths.model_days(EVIL),
    ],
)
def test_control_characters_reach_a_page_as_visible_escapes(hostile_store, client, path):
    page = client.get(path).text
    assert not RAW_CONTROL.search(page)
    text = parse(page).text
    assert SHOWN in text or "Key rotated\\x1b]0;pwned\\x07" in text


def test_an_overridden_update_keeps_its_lines_and_shows_its_controls(hostile_store, client):
    text = parse(client.get("/incidents/4").text).text
    assert "Key rotated\\x1b]0;pwned\\x07" in text
    assert "We rotated\\x08\\x08 the key.\\x0c" in text and "Probes recover shortly." in text


def test_a_badge_of_a_name_with_control_characters_is_well_formed_xml(
    hostile_store, client: FlaskClient
):
    badge = client.get(public_paths.badge(EVIL))
    root = ET.fromstring(badge.data)  # raises on malformed XML
    assert root.get("aria-label", "").startswith(SHOWN)
