"""Subscribing over the API: one answer for everyone, refusals that say why, limits."""

from __future__ import annotations

import pytest

from monitor.config import settings_from_dict
from monitor.store.notifications import Notifications
from tests.web.seed import OPUS, RAW_SETTINGS
from web import create_app
from web.api.schema_check import validate

PATH = "/api/v1/subscriptions"


def subscriptions(store) -> list[dict]:
    return [dict(s) for s in _rows(store)]


def _rows(store):
    from sqlalchemy import select

    from monitor.store.rows.schema import SUBSCRIPTIONS

    with store._engine.connect() as connection:
        return list(connection.execute(select(SUBSCRIPTIONS)).mappings())


def test_a_new_and_a_known_address_get_the_same_answer(client, store):
    first = client.post(PATH, json={"email": "ops@example.org", "models": [OPUS]})
    again = client.post(PATH, json={"email": "OPS@example.org "})
    assert first.status_code == again.status_code == 202
    assert first.data == again.data
    [row] = subscriptions(store)
    assert row["state"] == "pending" and row["models"] == [OPUS]


def test_the_answer_is_the_one_the_openapi_document_promises(client):
    document = client.get("/api/openapi.json").json
    operation = document["paths"][PATH]["post"]
    validate(
        {"email": "a@example.org"},
        operation["requestBody"]["content"]["application/json"]["schema"],
        document,
    )
    response = client.post(PATH, json={"webhook": "https://93.184.215.14/hooks"})
    for status, sent in ((202, response), (400, client.post(PATH, json={"email": 3}))):
        assert sent.status_code == status
        schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
        validate(sent.json, schema, document)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"email": "not an address"}, "not a mail address"),
        ({"email": "a@example.org", "webhook": "https://x.example.org"}, "exactly one"),
        ({"email": "a@example.org", "models": ["anthropic/nope"]}, "no such model"),
        ({"email": "a@example.org", "providers": ["nobody"]}, "no such provider"),
        ({"webhook": "http://127.0.0.1:9/x"}, "https"),
        ({"webhook": "https://127.0.0.1/x"}, "loopback, private or link-local"),
        ({"webhook": "https://169.254.169.254/latest"}, "loopback, private or link-local"),
        ({"webhook": "https://10.0.0.1/x"}, "loopback, private or link-local"),
        ({"phone": "123"}, "unknown field"),
    ],
)
def test_a_refused_subscription_says_why_and_stores_nothing(client, store, body, says):
    response = client.post(PATH, json=body)
    assert response.status_code == 400
    assert says in response.json["error"]
    assert subscriptions(store) == []


def test_a_private_webhook_is_accepted_when_the_operator_allows_it(store, clock):
    raw = {**RAW_SETTINGS, "notifications": {"allow_private_targets": True}}
    client = create_app(settings_from_dict(raw), store, clock=clock).test_client()
    assert client.post(PATH, json={"webhook": "http://127.0.0.1:9/x"}).status_code == 202
    assert Notifications(store).pending("webhook")[0]["address"] == "http://127.0.0.1:9/x"


def test_one_address_is_limited_to_a_few_requests_a_day(client, clock):
    answers = [client.post(PATH, json={"email": "a@example.org"}).status_code for _ in range(4)]
    assert answers == [202, 202, 202, 429]
    clock.advance(24 * 3600)
    assert client.post(PATH, json={"email": "a@example.org"}).status_code == 202


def test_one_client_is_limited_across_addresses(client):
    answers = [
        client.post(PATH, json={"email": f"a{n}@example.org"}).status_code for n in range(21)
    ]
    assert answers[-1] == 429 and set(answers[:-1]) == {202}
    assert "Retry-After" in client.post(PATH, json={"email": "z@example.org"}).headers
