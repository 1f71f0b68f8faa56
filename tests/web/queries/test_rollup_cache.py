"""The rollup caches must always tell what the store would: same sums, fresher reads."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from monitor.rollups import Resolution, Rollup
from monitor.store import Store
from tests.monitor.synthetic import OVERLOADED, ok
from tests.web.seed import NOW, OPUS, REGIONS, SETTINGS, SONNET
from web import create_app, warm_caches
from web.queries.rollup_cache import RollupCaches, day_counts

FAR = datetime(9999, 1, 1, tzinfo=NOW.tzinfo)


def stored_days(store: Store) -> list[Rollup]:
    return day_counts(
        store.rollups_between(NOW - timedelta(days=91), FAR, resolution=Resolution.DAY)
    )


def totals(caches: RollupCaches, store: Store, now: datetime) -> list[Rollup]:
    return sorted(
        caches.day_totals(store, now, caches.fresh_minutes(store, now)), key=lambda r: r.key
    )


def write_round(store: Store, at: datetime, make: object = ok) -> None:
    store.record_results([make(t, r, at) for t in (OPUS, SONNET) for r in REGIONS])  # type: ignore[operator]


def test_day_totals_equal_the_stored_day_rollups_summed_over_regions(store):
    assert totals(RollupCaches(), store, NOW) == stored_days(store)


@pytest.mark.parametrize("minutes", [1, 3, 61, 24 * 60])
def test_day_totals_follow_new_results_as_time_goes_on(store, minutes):
    caches = RollupCaches()
    totals(caches, store, NOW)  # fill the caches first
    now = NOW
    for step in range(0, minutes, max(1, minutes // 10)):
        now = NOW + timedelta(minutes=step)
        write_round(store, now - timedelta(seconds=5), OVERLOADED if step % 2 else ok)
        assert totals(caches, store, now) == stored_days(store)


def test_recent_rollups_are_the_stored_minutes_of_the_last_hour(store):
    caches = RollupCaches()
    write_round(store, NOW - timedelta(seconds=3))
    recent = caches.recent(store, NOW, caches.fresh_minutes(store, NOW))
    stored = store.rollups_between(NOW - timedelta(minutes=65), FAR, resolution=Resolution.MINUTE)
    assert sorted(recent, key=lambda r: r.key) == stored


def test_a_request_reads_only_the_unsettled_minutes(store, counting_store):
    caches = RollupCaches()
    totals(caches, counting_store, NOW)  # type: ignore[arg-type]
    counting_store.calls.clear()
    totals(caches, counting_store, NOW + timedelta(seconds=20))  # type: ignore[arg-type]
    assert counting_store.calls == {"rollups_between": 1}


def test_a_late_result_for_a_settled_minute_shows_after_the_refresh(store):
    caches = RollupCaches()
    totals(caches, store, NOW)
    write_round(store, NOW - timedelta(minutes=30))  # long settled when it lands
    assert totals(caches, store, NOW + timedelta(seconds=30)) != stored_days(store)
    later = NOW + timedelta(minutes=11)  # past the minute cache's refresh
    assert totals(caches, store, later) == stored_days(store)


def test_a_request_a_moment_behind_another_neither_rereads_nor_counts_twice(store, counting_store):
    caches = RollupCaches()
    ahead = NOW.replace(second=0) + timedelta(minutes=1, seconds=1)
    totals(caches, counting_store, ahead)  # type: ignore[arg-type]
    counting_store.calls.clear()
    behind = ahead - timedelta(seconds=2)  # the other side of a minute boundary
    assert totals(caches, counting_store, behind) == stored_days(store)  # type: ignore[arg-type]
    assert counting_store.calls == {"rollups_between": 1}


def test_refilled_says_when_a_cache_was_read_in_full_since_it_was_last_asked(store):
    # The served site settles the heap after such a request (monitor/worker/heap.py); after every
    # other request it must not, or each would pay for a full collection.
    caches = RollupCaches()
    assert not caches.refilled()
    totals(caches, store, NOW)
    assert caches.refilled()
    assert not caches.refilled()
    totals(caches, store, NOW + timedelta(minutes=1))  # grows by a minute: no full read
    assert not caches.refilled()
    totals(caches, store, NOW + timedelta(minutes=11))  # the minutes' refresh
    assert caches.refilled()


def test_the_served_site_settles_the_heap_once_the_refilling_response_is_sent(store, clock):
    settled: list[str] = []
    app = create_app(
        SETTINGS, store, clock=clock, settle_heap=lambda: settled.append(clock.now().isoformat())
    )
    client = app.test_client()
    response = client.get("/?first")
    assert response.status_code == 200 and settled == []  # not before the body is sent
    response.close()
    assert settled == [NOW.isoformat()]
    clock.advance(20)
    client.get("/?second").close()  # reads only the newest minutes: nothing to settle
    assert settled == [NOW.isoformat()]


def test_a_request_on_another_thread_does_not_take_the_refilling_requests_turn(store):
    caches = RollupCaches()
    totals(caches, store, NOW)  # this thread read everything
    elsewhere: list[bool] = []
    other = threading.Thread(target=lambda: elsewhere.append(caches.refilled()))
    other.start()
    other.join()
    assert elsewhere == [False]
    assert caches.refilled()


def test_warmed_caches_leave_the_first_visitor_only_the_newest_minutes_to_read(
    counting_store, clock
):
    app = create_app(SETTINGS, counting_store, clock=clock)
    warm_caches(app)
    counting_store.calls.clear()
    assert app.test_client().get("/").status_code == 200
    assert counting_store.calls["rollups_between"] == 1  # the unsettled minutes only


def test_a_database_down_at_start_leaves_the_caches_to_the_first_request(clock, caplog):
    broken = Store("sqlite:////nonexistent/dir/aistatus.db")
    warm_caches(create_app(SETTINGS, broken, clock=clock))
    assert "could not fill the site's caches at start" in caplog.text
