"""The site and the result writer while a real PostgreSQL server is stopped and started
(a throwaway cluster of the test's own: tests/pg_cluster.py)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from monitor.clock import FakeClock
from monitor.store import ResultWriter, Store
from tests.monitor.synthetic import ok
from tests.pg_cluster import PostgresCluster
from tests.web.html import parse
from tests.web.outage import HTML, JSON, KEPT_URLS
from tests.web.seed import NOW, SETTINGS, SONNET, seed
from web import create_app, outage

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    problem = PostgresCluster.problem()
    if problem and os.environ.get("CI"):
        pytest.fail(f"{problem} (CI is set, so PostgreSQL tests must run)")
    if problem:
        pytest.skip(problem)
    cluster = PostgresCluster.create()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def store(cluster: PostgresCluster) -> Iterator[Store]:
    store = Store(cluster.url())
    store.upgrade()
    seed(store)
    yield store
    store.dispose()


def sonnet_probes(client: FlaskClient) -> int:
    models = {m["id"]: m for m in client.get("/api/v1/models").json["models"]}
    return int(models[SONNET]["last_hour"]["probes"])


def test_a_stopped_server_leaves_every_url_answering_with_its_last_good_data(
    cluster, store, caplog
):
    clock = FakeClock(NOW)
    client = create_app(SETTINGS, store, clock=clock).test_client()
    for url in KEPT_URLS:
        assert client.get(url).status_code == 200, url
    caplog.set_level(logging.INFO)

    cluster.stop()
    clock.advance(1)
    for url in KEPT_URLS:
        assert client.get(url).status_code == 200, url
    clock.advance(300)
    for url, kind in KEPT_URLS.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers[outage.HEADER].startswith("unreachable"), url
        if kind == HTML:
            assert (
                "Data as of 00:45 UTC: our storage is unreachable" in parse(response.text).text
            ), url
        if kind == JSON:
            assert response.json["notice"]["data_as_of"] == "2026-06-07T00:45:10Z", url
    never_built = client.get(
        "/api/v2/incidents/unresolved.json?x=1", headers={"Accept-Encoding": "identity"}
    )
    assert never_built.status_code == 200  # the query string it does not read: same entry
    assert client.get("/api/v1/models/openai/gpt-5.1").status_code == 503

    cluster.start()
    clock.advance(outage.RETRY_S)
    response = client.get("/")
    assert response.status_code == 200 and outage.HEADER not in response.headers
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("web")]
    assert len(messages) == 2, messages
    assert messages[0].startswith("storage unreachable, serving the last good responses")
    assert messages[1].startswith("storage reachable again after 5 min")
    # Nothing else complained: no traceback, no error from the pool or the driver.
    assert not [
        r
        for r in caplog.records
        if r.exc_info or (r.levelno >= logging.ERROR and not r.name.startswith("web"))
    ]


def test_results_probed_while_the_server_is_stopped_appear_once_after_it_returns(cluster, store):
    clock = FakeClock(NOW)
    client = create_app(SETTINGS, store, clock=clock).test_client()
    before = sonnet_probes(client)
    writer = ResultWriter(store, clock=clock)

    cluster.stop()
    results = [ok(SONNET, "eu-west", NOW - timedelta(seconds=30 - s)) for s in range(10)]
    for result in results:
        writer.submit(result)
    assert writer.flush() == 0 and writer.buffered == 10
    clock.advance(60)
    assert sonnet_probes(client) == before  # the last good document, with its notice

    cluster.start()
    assert writer.flush() == 10
    writer.submit(results[0])  # sent again, as after an acknowledgement lost in the restart
    writer.flush()
    clock.advance(outage.RETRY_S)
    assert sonnet_probes(client) == before + 10
    assert writer.dropped == 0
