"""Subscribing: an address and what it wants to hear about, confirmed before anything is sent.

    subscribe(...)            a pending subscription (or the existing one: same answer)
    EmailConfirmations        (the worker) one mail with a signed link that expires in
                              24 h; following it (web/views/subscriptions.py) activates
    WebhookVerifier           (the worker) a signed verification POST to each pending
                              webhook, carrying its secret; a 2xx makes it active.
                              Tried again with back-off, given up after a day.

A webhook's secret reaches its owner only in that verification POST, to the URL
they gave; the 202 of the API says nothing that differs between a new and a known
address.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from monitor.clock import Clock, utc_iso
from monitor.config import Settings
from monitor.notify import signing
from monitor.notify.deliverer import DeliveryPolicy, post, send_mail
from monitor.notify.mail import Mailer, confirmation_mail
from monitor.notify.targets import unsafe_target
from monitor.store.notifications import Notifications
from monitor.store.rows.outbox import ACTIVE, DISABLED, PENDING, REMOVED, SENT

EMAIL, WEBHOOK = "email", "webhook"
__all__ = ["ACTIVE", "DISABLED", "EMAIL", "PENDING", "REMOVED", "WEBHOOK"]  # states for the web
VERIFY_FOR = timedelta(hours=24)
VERIFY_FIRST_RETRY = timedelta(seconds=30)


class SubscriptionRefused(ValueError):
    """The request names something aistatus will not send to; the message says what."""


@dataclass(frozen=True, slots=True)
class Request:
    kind: str
    address: str
    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()


def address_hash(kind: str, address: str) -> str:
    return hashlib.sha256(f"{kind}:{normalise(kind, address)}".encode()).hexdigest()


def normalise(kind: str, address: str) -> str:
    address = address.strip()
    return address.lower() if kind == EMAIL else address


def subscription_row(request: Request, now: datetime) -> dict[str, Any]:
    return {
        "kind": request.kind,
        "address": normalise(request.kind, request.address),
        "address_hash": address_hash(request.kind, request.address),
        "providers": sorted(set(request.providers)),
        "models": sorted(set(request.models)),
        "state": PENDING,
        "salt": signing.new_salt(),
        "created_at": now,
        "confirmed_at": None,
        "permanent_failures": 0,
        "disabled_reason": None,
    }


def subscribe(
    notifications: Notifications, request: Request, now: datetime, *, allow_private: bool
) -> tuple[int, bool]:
    """The subscription's id and whether it is new; SubscriptionRefused for a URL
    aistatus will not call."""
    if request.kind == WEBHOOK:
        problem = unsafe_target(request.address, allow_private=allow_private)
        if problem:
            raise SubscriptionRefused(problem)
    return notifications.add_subscription(subscription_row(request, now))


class WebhookVerifier:
    def __init__(
        self,
        notifications: Notifications,
        operator_key: bytes,
        clock: Clock,
        client: httpx.Client,
        policy: DeliveryPolicy,
    ) -> None:
        self.notifications = notifications
        self.operator_key = operator_key
        self.clock = clock
        self.client = client
        self.policy = policy

    def verify_pending(self) -> int:
        """Send the due verification POSTs; returns how many webhooks became active."""
        now = self.clock.now()
        activated = 0
        for row in self.notifications.pending(WEBHOOK):
            tries = row["permanent_failures"]  # counts verification tries while pending
            if now - row["created_at"] > VERIFY_FOR:
                self.notifications.set_subscription_state(
                    row["id"], DISABLED, now, only_from=(PENDING,)
                )
                continue
            if now < row["created_at"] + VERIFY_FIRST_RETRY * (2**tries - 1):
                continue
            if self._verify(row, now):
                activated += self.notifications.set_subscription_state(
                    row["id"], ACTIVE, now, only_from=(PENDING,)
                )
            else:
                self.notifications.count_verification_try(row["id"])
        return activated

    def _verify(self, row: Any, now: datetime) -> bool:
        secret = signing.subscription_secret(self.operator_key, row["id"], row["salt"])
        event_id = f"verify.{row['id']}"
        body = json.dumps(
            {
                "aistatus": {
                    "type": "subscription_verification",
                    "event_id": event_id,
                    "subscription_id": row["id"],
                    "secret": secret,
                    "providers": row["providers"],
                    "models": row["models"],
                    "generated_at": utc_iso(now),
                },
            },
            separators=(",", ":"),
        ).encode()
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            signing.EVENT_HEADER: event_id,
            signing.TIMESTAMP_HEADER: str(timestamp),
            signing.SIGNATURE_HEADER: signing.sign(secret, timestamp, body),
        }
        return post(self.client, row["address"], body, headers, self.policy).state == SENT


def confirm_url(settings: Settings, operator_key: bytes, row: Any) -> str:
    expires = int((row["created_at"] + VERIFY_FOR).timestamp())
    token = signing.confirm_token(operator_key, row["id"], row["salt"], expires)
    base = settings.site.public_url.rstrip("/")
    return f"{base}/subscriptions/confirm/{row['id']}/{expires}/{token}"


def unsubscribe_url(
    settings: Settings, operator_key: bytes, subscription_id: int, salt: str
) -> str:
    token = signing.unsubscribe_token(operator_key, subscription_id, salt)
    return f"{settings.site.public_url.rstrip('/')}/unsubscribe/{subscription_id}/{token}"


def scope_text(row: Any) -> str:
    chosen = [*row["providers"], *row["models"]]
    return "every model it watches" if not chosen else ", ".join(chosen)


class EmailConfirmations:
    """Sends each pending address its one confirmation mail; pending past a day: removed."""

    def __init__(
        self,
        notifications: Notifications,
        settings: Settings,
        operator_key: bytes,
        clock: Clock,
        mailer: Mailer,
    ) -> None:
        self.notifications = notifications
        self.settings = settings
        self.operator_key = operator_key
        self.clock = clock
        self.mailer = mailer

    def send_pending(self) -> int:
        now = self.clock.now()
        sent = 0
        for row in self.notifications.pending(EMAIL):
            if now - row["created_at"] > VERIFY_FOR:
                self.notifications.set_subscription_state(
                    row["id"], DISABLED, now, only_from=(PENDING,)
                )
                continue
            if row["permanent_failures"]:  # counts confirmation mails sent while pending
                continue
            message = confirmation_mail(
                self.settings,
                row["address"],
                confirm_url(self.settings, self.operator_key, row),
                scope_text(row),
            )
            if send_mail(self.mailer, message, now).state == SENT:
                self.notifications.count_verification_try(row["id"])
                sent += 1
        return sent
