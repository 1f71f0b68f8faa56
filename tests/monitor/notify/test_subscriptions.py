"""A webhook starts only after it answered a verification POST with a 2xx."""

from __future__ import annotations

import httpx
import pytest

from monitor.clock import FakeClock
from monitor.notify import signing
from monitor.notify.deliverer import DeliveryPolicy
from monitor.notify.subscriptions import (
    Request,
    SubscriptionRefused,
    WebhookVerifier,
    subscribe,
)
from monitor.store.notifications import Notifications
from monitor.store.rows.outbox import ACTIVE, DISABLED, PENDING
from tests.monitor.store.engine_output import at

KEY = b"operator key"
POLICY = DeliveryPolicy(timeout_s=0.5, allow_private_targets=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at(0))


@pytest.fixture
def notifications(store) -> Notifications:
    return Notifications(store)


@pytest.fixture
def verifier(notifications, clock):
    with httpx.Client() as client:
        yield WebhookVerifier(notifications, KEY, clock, client, POLICY)


def test_a_webhook_becomes_active_once_it_answers_the_signed_verification(
    notifications, verifier, receiver, clock
):
    subscription_id, new = subscribe(
        notifications, Request("webhook", receiver.url("/ok")), clock.now(), allow_private=True
    )
    assert new and notifications.subscription(subscription_id)["state"] == PENDING
    assert verifier.verify_pending() == 1
    [got] = receiver.at("/ok")
    secret = got.json["aistatus"]["secret"]
    assert secret == signing.subscription_secret(
        KEY, subscription_id, notifications.subscription(subscription_id)["salt"]
    )
    assert signing.verify(
        secret,
        got.headers[signing.TIMESTAMP_HEADER],
        got.body,
        got.headers[signing.SIGNATURE_HEADER],
        clock.now().timestamp(),
    )
    assert notifications.subscription(subscription_id)["state"] == ACTIVE


def test_a_webhook_that_never_answers_2xx_never_starts(notifications, verifier, receiver, clock):
    subscription_id, _ = subscribe(
        notifications, Request("webhook", receiver.url("/fail")), clock.now(), allow_private=True
    )
    for _ in range(200):
        verifier.verify_pending()
        clock.advance(600)
        if notifications.subscription(subscription_id)["state"] != PENDING:
            break
    assert notifications.subscription(subscription_id)["state"] == DISABLED
    assert 3 <= len(receiver.at("/fail")) <= 15  # backed off, not every run


def test_subscribing_twice_keeps_one_subscription(notifications, clock):
    request = Request("email", "Ops@Example.org")
    first, new = subscribe(notifications, request, clock.now(), allow_private=False)
    second, again = subscribe(
        notifications, Request("email", "ops@example.org"), clock.now(), allow_private=False
    )
    assert first == second and new and not again


def test_a_webhook_to_our_own_network_is_refused(notifications, clock):
    with pytest.raises(SubscriptionRefused, match="loopback"):
        subscribe(
            notifications,
            Request("webhook", "https://127.0.0.1:8443/x"),
            clock.now(),
            allow_private=False,
        )
