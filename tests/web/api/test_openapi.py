"""The OpenAPI document promises every answer the API gives, errors included."""

from __future__ import annotations

import pytest

from web.api.schema_check import validate

# url the site answers, the OpenAPI path it falls under, the status it answers with
ANSWERS = [
    ("/api/v1/incidents?status=AAA", "/api/v1/incidents", 400),
    ("/api/v1/incidents?status=open", "/api/v1/incidents", 200),
    ("/api/v1/models/nobody/nothing", "/api/v1/models/{provider}/{model}", 404),
    ("/api/v1/models/anthropic/claude-opus-4-7", "/api/v1/models/{provider}/{model}", 200),
    ("/api/v2/summary.json", "/api/v2/summary.json", 200),
    (
        "/api/v1/models/anthropic/claude-opus-4-7/health",
        "/api/v1/models/{provider}/{model}/health",
        503,
    ),
    (
        "/api/v1/models/anthropic/claude-sonnet-4-6/health",
        "/api/v1/models/{provider}/{model}/health",
        200,
    ),
    ("/api/v1/models/nobody/nothing/health", "/api/v1/models/{provider}/{model}/health", 404),
    ("/api/v1/routing", "/api/v1/routing", 200),
]


@pytest.mark.parametrize(("url", "path", "status"), ANSWERS)
def test_every_answer_of_the_api_is_declared_with_its_body(client, url, path, status):
    document = client.get("/api/openapi.json").json
    response = client.get(url)
    assert response.status_code == status
    declared = document["paths"][path]["get"]["responses"][str(status)]
    validate(response.json, declared["content"]["application/json"]["schema"], document)


def test_every_json_path_declares_the_503_it_gives_while_the_database_is_unreachable(client):
    document = client.get("/api/openapi.json").json
    for path, item in document["paths"].items():
        if "get" not in item:
            continue  # POST /api/v1/subscriptions: a write, no kept answer to serve
        unavailable = item["get"]["responses"]["503"]
        assert "Retry-After" in unavailable["headers"], path
