"""The README's webhook receiver, run as written against real signed deliveries: it
learns its secret from the verification POST, turns Opus off while aistatus says
avoid and on again after, and refuses a POST that is not signed."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from http.server import HTTPServer
from pathlib import Path

import httpx
import pytest

from monitor.clock import FakeClock
from monitor.notify.deliverer import Deliverer, DeliveryPolicy
from monitor.notify.subscriptions import Request, WebhookVerifier, subscribe
from monitor.store.notifications import Notifications
from tests.monitor.notify.test_deliverer import KEY
from tests.monitor.store.engine_output import OPUS, two_outages_and_a_bad_key
from tests.web.seed import SETTINGS

README = Path(__file__).resolve().parents[3] / "README.md"
POLICY = DeliveryPolicy(timeout_s=2, concurrency=4, allow_private_targets=True)


def receiver_snippet() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### A webhook receiver that turns a model off and on") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def snippet(monkeypatch):
    monkeypatch.delenv("AISTATUS_WEBHOOK_SECRET", raising=False)
    namespace: dict = {"__name__": "readme_receiver"}
    exec(compile(receiver_snippet(), "README.md", "exec"), namespace)
    server = HTTPServer(("127.0.0.1", 0), namespace["Hook"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield namespace, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_the_readme_receiver_turns_opus_off_during_its_outage_and_on_after(store, snippet):
    namespace, url = snippet
    # Signatures carry the clock's time and the receiver checks it against its own.
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    notifications = Notifications(store)
    subscribe(
        notifications, Request("webhook", url, models=(OPUS,)), clock.now(), allow_private=True
    )
    client = httpx.Client()
    assert WebhookVerifier(notifications, KEY, clock, client, POLICY).verify_pending() == 1
    assert namespace["secret"]

    deliverer = Deliverer(notifications, SETTINGS, KEY, clock, POLICY)
    seen: list[bool] = []
    try:
        for changes in two_outages_and_a_bad_key().changes:
            store.record_engine_changes(changes)
            while deliverer.run_once():
                assert deliverer.wait_idle()
                seen.append(OPUS in namespace["disabled"])
    finally:
        deliverer.close()
    assert {d["state"] for d in notifications.deliveries()} == {"sent"}
    assert True in seen  # off during each outage
    assert seen[-1] is False  # and on again after the last
    assert seen.count(True) < len(seen)

    forged = client.post(
        url,
        json={"aistatus": {"recommendation": {OPUS: "avoid"}}},
        headers={
            "Aistatus-Timestamp": str(int(clock.now().timestamp())),
            "Aistatus-Signature": "v1=" + "0" * 64,
        },
    )
    assert forged.status_code == 401
    assert OPUS not in namespace["disabled"]
    client.close()
