"""`POST /api/v1/subscriptions`: subscribe an email address or a webhook URL.

    {"email": "a@example.org"}  or  {"webhook": "https://..."}
    optional "models": ["provider/model", ...], "providers": ["anthropic", ...]
    (neither: the whole site)

202 with the same body whether the address is new or known: the answer tells
nobody who is subscribed. Nothing is sent to the address until it is confirmed
(email: a signed, expiring link; webhook: a verification POST answered with a
2xx), which the worker does. Refused with 400: a malformed request, an unknown
model or provider, a webhook URL on a loopback, private or link-local address
(unless `[notifications] allow_private_targets`); 429 past the per-IP or
per-address limit.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from monitor.config import Settings
from monitor.notify import signing
from monitor.notify.subscriptions import (
    ACTIVE,
    EMAIL,
    PENDING,
    REMOVED,
    WEBHOOK,
    Request,
    SubscriptionRefused,
    subscribe,
)
from monitor.store.notifications import Notifications
from web.limits import WindowLimit
from web.views.api import json_response

subscriptions = Blueprint("subscriptions", __name__)

PER_IP = (20, timedelta(hours=1))
PER_ADDRESS = (3, timedelta(hours=24))
LIMITS = "aistatus_subscription_limits"  # the app.extensions key
MAX_BODY = 16 * 1024
MAX_CHOICES = 200
_EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]{1,253}\.[A-Za-z]{2,63}$")
TOO_MANY = "too many subscription requests; try again later"
ACCEPTED = {
    "status": "accepted",
    "message": "If the address can receive our messages, a confirmation is on its way; "
    "nothing else is sent until it is confirmed.",
}


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@subscriptions.post("/api/v1/subscriptions")
def create() -> Response:
    if (request.content_length or 0) > MAX_BODY:
        return json_response({"error": "request too large"}, 413)
    try:
        accept(request.get_json(silent=True))
    except Refused as refused:
        response = json_response({"error": str(refused)}, refused.status)
        if refused.status == 429:
            response.headers["Retry-After"] = "3600"
        return response
    return json_response(ACCEPTED, 202)


def accept(body: Any) -> None:
    """Store the subscription `body` asks for (the API's JSON, or the form's fields);
    Refused with the status and reason otherwise. Known addresses pass silently."""
    settings: Settings = current_app.config["AISTATUS_SETTINGS"]
    now = current_app.config["AISTATUS_CLOCK"].now()
    per_ip, per_address = _limits()
    if not per_ip.allow(request.remote_addr or "?", now):
        raise Refused(429, TOO_MANY)
    try:
        wanted = parse(body, settings)
    except ValueError as problem:
        raise Refused(400, str(problem)) from None
    # The address's hash, not the address, keys the limit: the table holds no addresses.
    if not per_address.allow(hashlib.sha256(wanted.address.lower().encode()).hexdigest(), now):
        raise Refused(429, TOO_MANY)
    store = Notifications(current_app.config["AISTATUS_STORE"])
    try:
        subscribe(store, wanted, now, allow_private=settings.notifications.allow_private_targets)
    except SubscriptionRefused as problem:
        raise Refused(400, f"webhook refused: {problem}") from None


def parse(body: Any, settings: Settings) -> Request:
    """The request, or ValueError saying what is wrong with it."""
    if not isinstance(body, dict):
        raise ValueError('send a JSON object: {"email": "..."} or {"webhook": "https://..."}')
    unknown = set(body) - {EMAIL, WEBHOOK, "models", "providers"}
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    kinds = [kind for kind in (EMAIL, WEBHOOK) if kind in body]
    if len(kinds) != 1 or not isinstance(body[kinds[0]], str):
        raise ValueError("give exactly one of email or webhook, as a string")
    kind, address = kinds[0], body[kinds[0]].strip()
    if kind == EMAIL and not _EMAIL.match(address):
        raise ValueError("email is not a mail address")
    if kind == WEBHOOK and len(address) > 2000:
        raise ValueError("webhook URL is too long")
    models = _choices(body, "models", {m.id for m in settings.models})
    providers = _choices(body, "providers", {p.id for p in settings.providers})
    return Request(kind, address, providers, models)


def _choices(body: dict[str, Any], key: str, known: set[str]) -> tuple[str, ...]:
    chosen = body.get(key, [])
    if (
        not isinstance(chosen, list)
        or len(chosen) > MAX_CHOICES
        or not all(isinstance(item, str) for item in chosen)
    ):
        raise ValueError(f"{key} must be a list of ids")
    strangers = [item for item in chosen if item not in known]
    if strangers:
        raise ValueError(f"no such {key[:-1]}: {strangers[0][:100]}")
    return tuple(chosen)


def _limits() -> tuple[WindowLimit, WindowLimit]:
    """Per app: two sites in one process (the tests) count apart."""
    return current_app.extensions.setdefault(  # type: ignore[no-any-return]
        LIMITS, (WindowLimit(*PER_IP), WindowLimit(*PER_ADDRESS))
    )


# -- links from the mails -----------------------------------------------------------------
# A GET only shows a button: mail scanners that follow links change nothing. The POST
# acts; a mail client's one-click unsubscribe (RFC 8058) POSTs to the same URL. The
# token in the URL is the authority, no cookie is involved, so no CSRF token is needed.


@dataclass(frozen=True)
class ActionPage:
    title: str
    message: str
    button: str | None = None


@subscriptions.route(
    "/subscriptions/confirm/<int:subscription_id>/<int:expires>/<token>", methods=["GET", "POST"]
)
def confirm(subscription_id: int, expires: int, token: str) -> tuple[str, int]:
    now = current_app.config["AISTATUS_CLOCK"].now()
    row, key = _subscription(subscription_id)
    good = (
        row is not None
        and key is not None
        and signing.same(token, signing.confirm_token(key, subscription_id, row["salt"], expires))
    )
    if not good or now.timestamp() > expires:
        return _page(
            ActionPage(
                "This link does not work", "It is wrong or older than a day. Subscribe again."
            ),
            404,
        )
    if request.method == "GET":
        return _page(
            ActionPage(
                "Confirm your subscription", f"Start notifications to {row['address']}?", "Confirm"
            )
        )
    Notifications(current_app.config["AISTATUS_STORE"]).set_subscription_state(
        subscription_id, ACTIVE, now, only_from=(PENDING,)
    )
    return _page(ActionPage("Subscribed", "You will hear when something changes."))


@subscriptions.route("/unsubscribe/<int:subscription_id>/<token>", methods=["GET", "POST"])
def unsubscribe(subscription_id: int, token: str) -> tuple[str, int]:
    now = current_app.config["AISTATUS_CLOCK"].now()
    row, key = _subscription(subscription_id)
    if (
        row is None
        or key is None
        or not signing.same(token, signing.unsubscribe_token(key, subscription_id, row["salt"]))
    ):
        return _page(ActionPage("This link does not work", "Nothing was changed."), 404)
    if request.method == "GET":
        return _page(
            ActionPage(
                "Unsubscribe", f"Stop every notification to {row['address']}?", "Unsubscribe"
            )
        )
    Notifications(current_app.config["AISTATUS_STORE"]).set_subscription_state(
        subscription_id, REMOVED, now
    )
    return _page(ActionPage("Unsubscribed", "Nothing more will be sent to this address."))


def _subscription(subscription_id: int) -> tuple[Any, bytes | None]:
    settings: Settings = current_app.config["AISTATUS_SETTINGS"]
    key = os.environ.get(settings.notifications.key_env, "")
    row = Notifications(current_app.config["AISTATUS_STORE"]).subscription(subscription_id)
    return row, (key.encode() if key else None)


def _page(page: ActionPage, status: int = 200) -> tuple[str, int]:
    return render_template("subscription_action.html", page=page), status
