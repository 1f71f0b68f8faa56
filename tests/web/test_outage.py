"""The site while its database is unreachable: a SQLite file locked by another program.
(tests/web/test_outage_postgres.py stops and starts a real PostgreSQL server.)"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from monitor.clock import FakeClock
from monitor.store import Store
from tests.web.conftest import CountingStore
from tests.web.html import parse
from tests.web.outage import HTML, JSON, KEPT_URLS, NEVER_NEED_THE_DATABASE, SqliteLock
from tests.web.seed import NOW, OPUS, SETTINGS, one_more_result
from web import create_app, outage
from web.api.openapi import openapi_document
from web.api.schema_check import validate
from web.caching import EXTENSION


@pytest.fixture
def database(seeded_database: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "aistatus.db"
    shutil.copy(seeded_database, copy)
    return copy


@pytest.fixture
def store(database: Path) -> Iterator[Store]:
    # A short busy timeout: a locked file is found out in 50 ms instead of 5 s.
    store = Store(f"sqlite:///{database}", busy_timeout_ms=50)
    yield store
    store.dispose()


@pytest.fixture
def lock(database: Path, store: Store) -> Iterator[SqliteLock]:
    lock = SqliteLock(database)
    yield lock
    lock.release()


def lock_out(store: Store, lock: SqliteLock) -> None:
    store.dispose()  # the site's pooled connections go (as after a restart of either side)
    lock.take()


@pytest.fixture
def app(counting_store: CountingStore, clock: FakeClock) -> Flask:
    return create_app(SETTINGS, counting_store, clock=clock)  # type: ignore[arg-type]


def visit_all(client: FlaskClient) -> None:
    for url in KEPT_URLS:
        assert client.get(url).status_code == 200, url


def test_every_url_answers_with_its_last_good_response_while_the_database_is_locked(
    client, store, lock, clock
):
    visit_all(client)
    before = {url: client.get(url) for url in KEPT_URLS}
    clock.advance(600)
    lock_out(store, lock)
    for url, kind in KEPT_URLS.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content_type.startswith(kind), url
        assert response.headers["Cache-Control"] == "no-store", url
        assert response.headers[outage.HEADER] == (
            "unreachable; since=2026-06-07T00:55:10Z; data-as-of=2026-06-07T00:45:10Z"
        )
        if kind not in (HTML, JSON) and url != "/metrics":
            assert response.data == before[url].data, url  # feeds and badges: as they were


def test_pages_say_how_old_their_data_is_in_a_visible_banner(client, store, lock, clock):
    visit_all(client)
    clock.advance(600)
    lock_out(store, lock)
    for url, kind in KEPT_URLS.items():
        if kind == HTML:
            page = parse(client.get(url).text)
            banner = next(
                e for e in page.elements if "storage-notice" in (e.attrs.get("class") or "")
            )
            assert banner.attrs["role"] == "status"
            assert "Data as of 00:45 UTC: our storage is unreachable" in page.text, url


def test_json_documents_carry_the_notice_and_still_match_their_published_schema(
    client, store, lock, clock
):
    visit_all(client)
    clock.advance(600)
    lock_out(store, lock)
    schemas = client.get("/api/openapi.json").json
    for url, kind in KEPT_URLS.items():
        if kind == JSON:
            document = client.get(url).json
            assert document["notice"] == {
                "storage": "unreachable",
                "since": "2026-06-07T00:55:10Z",
                "data_as_of": "2026-06-07T00:45:10Z",
                "text": "Data as of 00:45 UTC: our storage is unreachable.",
            }, url
            path = "/api/v1/models/{provider}/{model}" if url.count("/") > 4 else url
            path = path.split("?")[0]
            schema = schemas["paths"][path]["get"]["responses"]["200"]["content"]
            validate(document, schema["application/json"]["schema"], schemas)


def test_metrics_say_storage_is_down_and_since_when_the_data_is(client, store, lock, clock):
    good = client.get("/metrics").text
    clock.advance(60)
    lock_out(store, lock)
    kept = client.get("/metrics").text
    assert kept.startswith(good)
    assert "\naistatus_storage_up 0.0\n" in kept
    assert f"aistatus_data_as_of_seconds {NOW.timestamp()!r}" in kept


def test_a_gzipped_page_is_kept_for_clients_that_do_not_ask_for_gzip(client, store, lock):
    client.get("/", headers={"Accept-Encoding": "gzip"})
    lock_out(store, lock)
    response = client.get("/")
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert "Data as of 00:45 UTC" in parse(response.text).text


def test_json_never_built_before_is_a_503_in_json_with_retry_after(client, store, lock):
    lock_out(store, lock)
    response = client.get("/api/v2/summary.json")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(outage.RETRY_AFTER_S)
    assert response.json["error"] == "storage unreachable"
    assert response.json["notice"]["data_as_of"] is None
    document = openapi_document(SETTINGS.site)
    schema = document["paths"]["/api/v2/summary.json"]["get"]["responses"]["503"]
    validate(response.json, schema["content"]["application/json"]["schema"], document)


def test_a_page_never_built_before_is_a_503_page_with_the_notice(client, store, lock):
    lock_out(store, lock)
    response = client.get("/incidents")
    assert response.status_code == 503 and response.content_type.startswith(HTML)
    assert response.headers["Retry-After"] == str(outage.RETRY_AFTER_S)
    text = parse(response.text).text
    assert "Our storage is unreachable since 00:45 UTC" in text
    assert "500" not in text


@pytest.mark.parametrize("url", ["/history.rss", "/metrics", "/badge/anthropic/x.svg"])
def test_other_urls_never_built_before_are_a_plain_503(client, store, lock, url):
    lock_out(store, lock)
    response = client.get(url)
    assert response.status_code == 503 and response.content_type.startswith("text/plain")
    assert response.headers["Retry-After"] == str(outage.RETRY_AFTER_S)


@pytest.mark.parametrize("url", NEVER_NEED_THE_DATABASE)
def test_static_files_and_the_openapi_document_never_need_the_database(client, store, lock, url):
    lock_out(store, lock)  # before anything was built
    response = client.get(url)
    assert response.status_code == 200
    assert outage.HEADER not in response.headers


def test_an_outage_is_logged_once_and_its_end_once(client, store, lock, clock, caplog):
    visit_all(client)
    caplog.set_level(logging.INFO, logger="web")
    lock_out(store, lock)
    clock.advance(1)  # the data version read a moment ago is not trusted any longer
    for _ in range(20):  # a minute of traffic: the store is tried every RETRY_S meanwhile
        for url in KEPT_URLS:
            client.get(url)
        clock.advance(3)
    lock.release()
    assert "Data as of" not in client.get("/").text
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert lines[0].startswith(
        "storage unreachable, serving the last good responses until "
        "it answers: OperationalError: database is locked"
    )
    assert lines[1] == (
        "storage reachable again after 60 s; meanwhile "
        f"{20 * len(KEPT_URLS)} responses were served as last built and 0 got "
        "a 503"
    )
    assert not any(r.exc_info for r in caplog.records)


def test_while_down_the_store_is_tried_once_per_retry_period_not_per_request(
    client, counting_store, store, lock, clock
):
    client.get("/")
    lock_out(store, lock)
    clock.advance(1)
    tries = counting_store.calls["data_version"]
    for _ in range(50):
        client.get("/")
    assert counting_store.calls["data_version"] == tries + 1
    clock.advance(outage.RETRY_S)
    client.get("/")
    assert counting_store.calls["data_version"] == tries + 2


def test_after_recovery_the_site_shows_what_was_written_meanwhile(client, store, lock, clock):
    def sonnet_probes() -> int:
        models = {m["id"]: m for m in client.get("/api/v1/models").json["models"]}
        return models["anthropic/claude-sonnet-4-6"]["last_hour"]["probes"]

    before = sonnet_probes()
    lock_out(store, lock)
    clock.advance(20)
    assert sonnet_probes() == before
    lock.release()
    store.record_results([one_more_result(clock.now() - timedelta(seconds=5))])
    clock.advance(outage.RETRY_S)
    assert sonnet_probes() == before + 1
    assert "notice" not in client.get("/api/v1/models").json


def test_a_read_failing_while_a_page_is_built_serves_the_kept_page(client, store, lock, clock):
    client.get("/")
    clock.advance(29.5)
    client.get("/api/v1/models")  # the data version is read now, and trusted for a second
    clock.advance(0.6)  # past the page's max-age: it is built again, and its reads fail
    lock_out(store, lock)
    response = client.get("/")
    assert response.status_code == 200
    assert "Data as of 00:45 UTC: our storage is unreachable" in parse(response.text).text


class BrokenStore:
    """A store whose reads (all but the data version) fail with `error`."""

    def __init__(self, store: Store, error: Exception) -> None:
        self.store, self.error = store, error

    def __getattr__(self, name: str) -> object:
        if name == "data_version":
            return self.store.data_version
        raise self.error


def test_a_bug_behind_an_api_document_is_a_json_500_not_an_html_page(store, clock):
    broken = BrokenStore(store, RuntimeError("bug"))
    app = create_app(SETTINGS, broken, clock=clock)  # type: ignore[arg-type]
    api, page = app.test_client().get("/api/v2/summary.json"), app.test_client().get("/")
    assert api.status_code == 500 and api.json == {"error": "internal error"}
    assert page.status_code == 500 and page.content_type.startswith(HTML)


def test_while_one_request_waits_on_the_unreachable_store_the_others_do_not(
    app, client, store, lock, clock
):
    client.get("/")
    lock_out(store, lock)
    clock.advance(1)
    client.get("/")  # finds the store gone
    health = app.extensions[EXTENSION].health
    clock.advance(outage.RETRY_S)
    assert health.may_try(clock.monotonic())  # one request's attempt is on its way ...
    clock.advance(outage.RETRY_S)  # ... still, a whole retry period later
    counting = app.config["AISTATUS_STORE"]
    tries = counting.calls["data_version"]
    assert client.get("/").status_code == 200
    assert counting.calls["data_version"] == tries
    health.tried()
    client.get("/")
    assert counting.calls["data_version"] == tries + 1


def test_a_kept_avoid_answer_stays_a_503_while_the_database_is_locked(client, store, lock, clock):
    assert client.get(f"/api/v1/models/{OPUS}/health").status_code == 503
    clock.advance(600)
    lock_out(store, lock)
    kept = client.get(f"/api/v1/models/{OPUS}/health")
    assert kept.status_code == 503 and kept.json["recommendation"] == "avoid"
    assert kept.headers["Retry-After"] == "60" and kept.headers["Cache-Control"] == "no-store"
    assert kept.json["notice"]["storage"] == "unreachable"
