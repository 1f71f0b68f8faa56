"""The Subscribe page (`/subscribe`): the whole site, providers or models, by email or webhook.

`?model=provider/model` and `?provider=id` (repeatable) pre-select what a model's
or provider's "Subscribe" link chose. The form posts to the same URL and is
answered like the API (web/views/subscriptions.py): the same page whether the
address is new or known.

CSRF: the GET sets a random token in a `SameSite=Strict`, HttpOnly cookie and in
a hidden field; a POST is accepted only when both are present and equal. Another
site can neither read the cookie nor make the browser send it. The page is never
cached: each visitor has their own token.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, make_response, render_template, request

from monitor.config import Settings
from web.views.subscriptions import ACCEPTED, MAX_BODY, Refused, accept

subscribe_page = Blueprint("subscribe_page", __name__)

CSRF_COOKIE = "aistatus_csrf"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Choice:
    id: str
    name: str
    checked: bool


@dataclass(frozen=True)
class ProviderChoice:
    id: str
    name: str
    checked: bool
    models: tuple[Choice, ...]


@dataclass(frozen=True)
class SubscribePage:
    providers: tuple[ProviderChoice, ...]
    channel: str = "email"
    address: str = ""
    message: str | None = None
    error: str | None = None


@subscribe_page.get("/subscribe")
def show() -> Response:
    return _render(_page(request.args.getlist("provider"), request.args.getlist("model")))


@subscribe_page.post("/subscribe")
def submit() -> Response:
    form = request.form
    chosen_providers, chosen_models = form.getlist("provider"), form.getlist("model")
    channel = form.get("channel", "email")
    address = form.get("address", "").strip()
    page = _page(chosen_providers, chosen_models, channel, address)
    if (request.content_length or 0) > MAX_BODY:
        return _render(_with(page, error="The form is too large."), 413)
    cookie, field = request.cookies.get(CSRF_COOKIE, ""), form.get(CSRF_FIELD, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), field.encode()):
        return _render(_with(page, error="This form has expired: please send it again."), 400)
    if channel not in ("email", "webhook"):
        return _render(_with(page, error="Choose email or webhook."), 400)
    try:
        accept({channel: address, "providers": chosen_providers, "models": chosen_models})
    except Refused as refused:
        return _render(_with(page, error=_sentence(str(refused))), refused.status)
    return _render(_with(page, message=ACCEPTED["message"]))


def _page(
    providers: list[str], models: list[str], channel: str = "email", address: str = ""
) -> SubscribePage:
    settings: Settings = current_app.config["AISTATUS_SETTINGS"]
    choices = tuple(
        ProviderChoice(
            provider.id,
            provider.display_name or provider.id,
            provider.id in providers,
            tuple(
                Choice(m.id, m.display_name or m.model, m.id in models)
                for m in settings.models
                if m.provider == provider.id and m.enabled
            ),
        )
        for provider in settings.providers
    )
    return SubscribePage(choices, channel, address)


def _with(page: SubscribePage, **changes: str) -> SubscribePage:
    return SubscribePage(page.providers, page.channel, page.address, **changes)


def _render(page: SubscribePage, status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = make_response(render_template("subscribe.html", page=page, csrf=token), status)
    secure = current_app.config["AISTATUS_SETTINGS"].site.public_url.startswith("https://")
    response.set_cookie(
        CSRF_COOKIE, token, path="/subscribe", httponly=True, samesite="Strict", secure=secure
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."
