"""The response cache as a browser, a CDN and a status aggregator see it."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

import pytest

from tests.web.html import parse
from tests.web.seed import NOW, OPUS, one_more_result
from web import public_paths
from web.caching import EXTENSION, Entry, ResponseCache

PAGES = ["/", public_paths.model_page(OPUS), "/incidents", "/incidents/2"]
FEEDS = ["/history.rss", "/history.atom"]


def nonces(csp: str) -> set[str]:
    return set(re.findall(r"'nonce-([^']+)'", csp))


@pytest.mark.parametrize("path", [*PAGES, *FEEDS, "/api/v2/summary.json", "/metrics"])
def test_a_client_holding_the_current_etag_gets_304_without_a_body(client, path):
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_client_holding_the_page_since_it_last_changed_gets_304(client):
    first = client.get("/")
    again = client.get("/", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 304


def test_a_new_result_gives_pages_a_new_etag_and_new_content(client, store, clock):
    before = client.get("/api/v1/models").json
    etag = client.get("/").headers["ETag"]
    clock.advance(20)
    store.record_results([one_more_result(clock.now() - timedelta(seconds=5))])
    after = client.get("/", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    sonnet = {m["id"]: m for m in client.get("/api/v1/models").json["models"]}
    assert sonnet["anthropic/claude-sonnet-4-6"]["last_hour"]["probes"] == (
        {m["id"]: m for m in before["models"]}["anthropic/claude-sonnet-4-6"]["last_hour"]["probes"]
        + 1
    )


def test_an_unchanged_page_is_served_without_reading_it_again(client, counting_store, clock):
    client.get("/")
    reads = dict(counting_store.calls)
    client.get("/")
    assert counting_store.calls == reads  # the version was read less than a second ago
    clock.advance(1)
    client.get("/")
    assert counting_store.calls == {**reads, "data_version": reads["data_version"] + 1}


def test_a_cached_page_still_moves_on_with_time(client, clock):
    first = parse(client.get("/").text).text
    clock.advance(60)  # past the page's max-age, and into the next minute
    later = parse(client.get("/").text).text
    assert "checked 00:45 UTC" in first and "checked 00:45 UTC" not in later


@pytest.mark.parametrize("path", [*PAGES, *FEEDS, "/api/v1/models"])
def test_gzip_is_served_to_clients_that_ask_for_it(client, path):
    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Vary"] == plain.headers["Vary"] == "Accept-Encoding"
    assert packed.headers["ETag"] != plain.headers["ETag"]


def test_gzip_refused_with_q_zero_is_not_sent(client):
    response = client.get("/", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in response.headers


@pytest.mark.parametrize(
    ("path", "max_age"),
    [
        ("/", 30),
        (public_paths.model_page(OPUS), 30),
        ("/history.rss", 60),
        ("/history.atom", 60),
        ("/api/v1/models", 30),
        (public_paths.badge(OPUS), 60),
    ],
)
def test_responses_say_how_long_they_may_be_kept(client, path, max_age):
    assert client.get(path).headers["Cache-Control"] == f"public, max-age={max_age}"


def test_a_cached_page_never_repeats_an_earlier_nonce_in_its_csp(fresh_client):
    seen: set[str] = set()
    for _ in range(3):
        response = fresh_client().get("/")
        found = nonces(response.headers["Content-Security-Policy"])
        assert not found & seen
        seen |= found
        assert "nonce" not in response.text


def test_the_pages_scripts_are_same_origin_files_the_csp_allows(client):
    response = client.get("/")
    scripts = [e for e in parse(response.text).all("script")]
    assert [e.attrs.get("src") for e in scripts] == ["/static/overview.js", "/static/local-time.js"]
    assert all(client.get(e.attrs["src"]).status_code == 200 for e in scripts)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_404_is_not_cached(client, counting_store):
    client.get("/incidents/999")
    client.get("/incidents/999")
    assert counting_store.calls["incident"] == 2


def entry(size: int) -> Entry:
    return Entry("1", b"x" * size, False, "text/plain", '"e"', NOW, NOW)


def test_the_cache_keeps_at_most_its_number_of_entries_dropping_the_least_used():
    cache = ResponseCache(max_entries=2)
    for path in ("/a", "/b"):
        cache.put((path, b"", False), entry(10))
    cache.get(("/a", b"", False))
    cache.put(("/c", b"", False), entry(10))
    assert len(cache) == 2
    assert cache.get(("/b", b"", False)) is None
    assert cache.get(("/a", b"", False)) is not None


def test_the_cache_keeps_at_most_its_number_of_bytes():
    cache = ResponseCache(max_bytes=1000)
    for n in range(10):
        cache.put((f"/{n}", b"", False), entry(200))
    assert len(cache) == 5
    cache.put(("/huge", b"", False), entry(600))  # over a quarter of the cache: not kept
    assert cache.get(("/huge", b"", False)) is None


def test_head_gets_the_same_headers_as_get_without_the_body(client):
    get, head = client.get("/"), client.head("/")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


@pytest.mark.parametrize("path", ["/", "/api/v2/summary.json", public_paths.model_page(OPUS)])
def test_a_query_string_the_view_does_not_read_is_served_from_the_same_entry(
    app, client, counting_store, path
):
    client.get(path)
    reads = dict(counting_store.calls)
    for n in range(50):
        sep = "&" if "?" in path else "?"
        assert client.get(f"{path}{sep}r={n}").status_code == 200
    assert counting_store.calls == reads
    assert len(app.extensions[EXTENSION]) == 1


def test_range_values_the_model_page_treats_alike_share_one_entry(app, client):
    page = public_paths.model_page(OPUS)
    default = client.get(page).data
    assert client.get(f"{page}?range=nonsense").data == default
    assert client.get(f"{page}?range=7d").data != default
    assert len(app.extensions[EXTENSION]) == 2


def test_the_pages_a_view_reads_from_its_query_keep_their_own_entries(client):
    first = client.get("/incidents?page=1&utm=x").data
    assert client.get("/incidents").data == first
    assert client.get("/incidents?page=2").data != first


def test_the_cache_keeps_at_most_its_number_of_variants_of_one_path():
    cache = ResponseCache(max_variants=3)
    cache.put(("/other", b"", False), entry(10))
    for page in range(10):
        cache.put(("/incidents", f"page={page}".encode(), False), entry(10))
    assert len(cache) == 4
    assert cache.get(("/other", b"", False)) is not None
    assert cache.get(("/incidents", b"page=9", False)) is not None
    assert cache.get(("/incidents", b"page=6", False)) is None
