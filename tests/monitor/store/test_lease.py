import threading
from datetime import timedelta

import pytest

from monitor.store import Store

from .factories import T0

TTL_S = 180.0


def test_a_held_lease_is_refused_to_others_until_it_expires(store):
    assert store.acquire_lease("status-engine", "worker-a", T0, TTL_S)
    assert not store.acquire_lease("status-engine", "worker-b", T0 + timedelta(seconds=60), TTL_S)
    assert not store.acquire_lease("status-engine", "worker-b", T0 + timedelta(seconds=179), TTL_S)
    assert store.acquire_lease("status-engine", "worker-b", T0 + timedelta(seconds=180), TTL_S)
    assert not store.acquire_lease("status-engine", "worker-a", T0 + timedelta(seconds=181), TTL_S)


def test_the_holder_renewing_keeps_the_lease_past_its_first_expiry(store):
    assert store.acquire_lease("status-engine", "worker-a", T0, TTL_S)
    assert store.acquire_lease("status-engine", "worker-a", T0 + timedelta(seconds=120), TTL_S)

    assert not store.acquire_lease("status-engine", "worker-b", T0 + timedelta(seconds=200), TTL_S)
    assert store.acquire_lease("status-engine", "worker-b", T0 + timedelta(seconds=300), TTL_S)


def test_leases_with_different_names_are_independent(store):
    assert store.acquire_lease("status-engine", "worker-a", T0, TTL_S)
    assert store.acquire_lease("retention", "worker-b", T0, TTL_S)


def test_a_lease_without_a_positive_ttl_is_refused(store):
    with pytest.raises(ValueError, match="ttl_s"):
        store.acquire_lease("status-engine", "worker-a", T0, 0)


@pytest.mark.parametrize("held", [False, True], ids=["free", "expired"])
def test_of_many_workers_racing_for_a_lease_exactly_one_wins(store, database_url, held):
    if held:
        store.acquire_lease("status-engine", "old-worker", T0 - timedelta(hours=1), TTL_S)
    stores = [Store(database_url) for _ in range(4)]
    start = threading.Barrier(len(stores))
    wins: list[str] = []

    def race(index: int) -> None:
        start.wait()
        if stores[index].acquire_lease("status-engine", f"worker-{index}", T0, TTL_S):
            wins.append(f"worker-{index}")

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for other in stores:
        other.dispose()
    assert len(wins) == 1
    assert store.acquire_lease("status-engine", wins[0], T0 + timedelta(seconds=1), TTL_S)


def test_a_released_lease_can_be_taken_at_once_and_only_its_holder_releases_it(store):
    assert store.acquire_lease("status-engine", "worker-a", T0, TTL_S)
    assert not store.release_lease("status-engine", "worker-b")
    assert not store.acquire_lease("status-engine", "worker-b", T0 + timedelta(seconds=1), TTL_S)
    assert store.release_lease("status-engine", "worker-a")
    assert store.acquire_lease("status-engine", "worker-b", T0 + timedelta(seconds=2), TTL_S)
