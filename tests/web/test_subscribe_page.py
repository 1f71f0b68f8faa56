"""The Subscribe page: reached from every model and provider, CSRF-protected, and
answered like the API."""

from __future__ import annotations

import re

from tests.web.seed import OPUS
from web import public_paths

FORM = {"channel": "email", "address": "ops@example.org", "model": [OPUS]}


def csrf_of(client) -> str:
    page = client.get("/subscribe")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_every_model_page_links_to_subscribing_to_it_and_to_its_provider(client):
    page = client.get(public_paths.model_page(OPUS)).text
    assert 'href="/subscribe?model=anthropic/claude-opus-4-7"' in page
    assert 'href="/subscribe?provider=anthropic"' in page


def test_every_provider_on_the_overview_links_to_subscribing_to_its_models(client):
    overview = client.get("/").text
    assert overview.count('class="subscribe-link"') == 3  # Anthropic, OpenAI, Gemini


def test_a_link_arrives_with_its_model_chosen(client):
    page = client.get(f"/subscribe?model={OPUS}").text
    assert re.search(rf'value="{OPUS}" checked', page)
    assert page.count(" checked") == 1 + 1  # the model, and "email"


def test_a_form_sent_with_its_token_is_accepted(client):
    token = csrf_of(client)
    response = client.post("/subscribe", data={**FORM, "csrf": token})
    assert response.status_code == 200
    assert "a confirmation is on its way" in response.text
    assert response.headers["Cache-Control"] == "no-store"


def test_a_form_from_another_site_is_refused(client):
    csrf_of(client)  # the visitor has a cookie, but the forged form cannot know it
    response = client.post("/subscribe", data={**FORM, "csrf": "guessed"})
    assert response.status_code == 400 and "expired" in response.text
    client.delete_cookie("aistatus_csrf", path="/subscribe")
    assert client.post("/subscribe", data={**FORM, "csrf": ""}).status_code == 400


def test_a_bad_address_is_explained_on_the_page(client):
    token = csrf_of(client)
    response = client.post("/subscribe", data={**FORM, "address": "nope", "csrf": token})
    assert response.status_code == 400 and "Email is not a mail address." in response.text
    assert 'value="nope"' in response.text  # what was typed stays
