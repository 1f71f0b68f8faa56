"""`/providers/<id>`: a provider's models, its status derived from theirs, its incidents
and its feeds; and every page pointing at its feeds."""

from __future__ import annotations

from datetime import datetime

import feedparser
import pytest

from monitor.config import settings_from_dict
from monitor.store import Store
from tests.web.html import parse
from tests.web.seed import EVIL, MISSING_KEYS, NOW, OPUS, RAW_SETTINGS
from web import create_app, public_paths

PRIVATE_TITLE = "Configuration problem"  # Haiku's 401s: our key, an operator-only incident


def test_a_provider_page_lists_its_models_and_derives_its_status_from_them(client):
    page = parse(client.get("/providers/anthropic").text)
    assert page.text.count("Claude Opus 4.7") >= 1
    assert "Claude Sonnet 4.6" in page.text and "Claude Haiku 4.5" in page.text
    assert "GPT-5.1" not in page.text.split("Active incidents")[-1]
    head = page.text.split("Anthropic", 2)[2]  # after the breadcrumb and the title
    assert head.startswith(" Partial outage 1 of 3 models affected")


def test_a_provider_page_shows_its_own_incidents_only_and_never_operator_only_ones(client):
    text = parse(client.get("/providers/anthropic").text).text
    assert "Claude Opus 4.7 unavailable" in text
    assert "GPT-5.1 unavailable" not in text
    assert PRIVATE_TITLE not in text
    assert "GPT-5.1 unavailable" in parse(client.get("/providers/openai").text).text


def test_a_provider_without_a_key_says_so_on_its_page(client):
    text = parse(client.get("/providers/gemini").text).text
    assert "Not configured: set GEMINI_API_KEY" in text


def test_an_unknown_provider_is_a_404_page(client):
    response = client.get("/providers/nope")
    assert response.status_code == 404 and "No such provider" in response.text


def test_the_overview_and_model_pages_link_to_the_provider_page(client):
    assert 'href="/providers/anthropic"' in client.get("/").text
    assert 'href="/providers/anthropic"' in client.get(public_paths.model_page(OPUS)).text


@pytest.mark.parametrize(
    ("path", "feed"),
    [
        ("/", "/history"),
        ("/incidents", "/history"),
        ("/providers/openai", "/providers/openai/history"),
        (public_paths.model_page(OPUS), f"{public_paths.model_page(OPUS)}/history"),
    ],
)
def test_every_page_links_to_its_feeds_and_announces_them(client, path, feed):
    page = parse(client.get(path).text)
    alternates = {
        (e.attrs["type"], e.attrs["href"])
        for e in page.all("link")
        if e.attrs.get("rel") == "alternate"
    }
    assert alternates == {
        ("application/rss+xml", f"{feed}.rss"),
        ("application/atom+xml", f"{feed}.atom"),
    }
    visible = {e.attrs["href"] for e in page.all("a")}
    assert {f"{feed}.rss", f"{feed}.atom"} <= visible
    for _, href in alternates:
        assert client.get(href).status_code == 200


def test_a_provider_feed_links_back_to_the_provider_page(client):
    feed = feedparser.parse(client.get("/providers/openai/history.atom").data)
    assert feed.feed.link == "https://status.example.org/providers/openai"
    assert feed.entries and all(PRIVATE_TITLE not in e.title for e in feed.entries)


def test_an_empty_feed_was_built_now_not_in_1970(tmp_path, clock):
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    store.upgrade()
    store.sync_targets(settings_from_dict(RAW_SETTINGS), MISSING_KEYS)
    client = create_app(settings_from_dict(RAW_SETTINGS), store, clock=clock).test_client()
    for path in ("/history.rss", "/history.atom", f"{public_paths.model_page(EVIL)}/history.rss"):
        feed = feedparser.parse(client.get(path).data)
        assert feed.bozo == 0 and not feed.entries
        built = feed.feed.get("updated_parsed")
        assert built is not None, path
        assert datetime(*built[:6]).date() == NOW.date(), path
    store.dispose()
