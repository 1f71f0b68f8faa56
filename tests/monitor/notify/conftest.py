"""Notification tests run on SQLite and PostgreSQL (the store tests' fixtures), against
a real HTTP receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.monitor.notify.receiver import Receiver
from tests.monitor.notify.smtp_sink import SmtpSink
from tests.monitor.store.conftest import database_url, pg_schema, store  # noqa: F401


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.close()
