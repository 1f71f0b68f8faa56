"""A real site over a real store: SQLite in a temporary folder, seeded by the real
status engine (tests/web/seed.py), served by `create_app` with a FakeClock.

The seeded database is built once per session and copied for each test, so a
test may write to its store freely.

    def test_opus_shows_its_outage(client):
        assert "Major outage" in client.get("/").text
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from monitor.clock import FakeClock
from monitor.store import Store
from tests.web.seed import NOW, SETTINGS, seed
from web import create_app


class CountingStore:
    """The store, counting each method called (a read is one or two SQL statements)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.store, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attribute(*args, **kwargs)

        return counted


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "aistatus.db"
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    seed(store)
    store.dispose()  # the last connection closing folds the WAL into the file
    return path


@pytest.fixture
def store(seeded_database: Path, tmp_path: Path) -> Iterator[Store]:
    copy = tmp_path / "aistatus.db"
    shutil.copy(seeded_database, copy)
    store = Store(f"sqlite:///{copy}")
    yield store
    store.dispose()


@pytest.fixture
def counting_store(store: Store) -> CountingStore:
    return CountingStore(store)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def app(counting_store: CountingStore, clock: FakeClock) -> Flask:
    return create_app(SETTINGS, counting_store, clock=clock)  # type: ignore[arg-type]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def fresh_client(app: Flask) -> Callable[[], FlaskClient]:
    """A new client each call: no cookies or cached state on the client side."""
    return app.test_client
