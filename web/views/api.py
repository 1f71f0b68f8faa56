"""JSON: the Statuspage-compatible `/api/v2/*.json`, aistatus's own `/api/v1/*`, and
`/api/openapi.json` describing both. Each document is one builder over one
`SiteSnapshot` (web/queries/snapshot_builder.py); errors are JSON too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request

from monitor.judging.advice import AVOID
from web.api import statuspage
from web.api import v1 as api_v1
from web.api.openapi import openapi_document
from web.caching import API, HEALTH, as_given, cached
from web.queries.snapshot_builder import site_snapshot
from web.queries.snapshots import SiteSnapshot
from web.views.pages import site_data

api = Blueprint("api", __name__)

Document = dict[str, Any]

STATUSPAGE: dict[str, Callable[[SiteSnapshot], Document]] = {
    "summary.json": statuspage.summary,
    "status.json": statuspage.status,
    "components.json": statuspage.components,
    "incidents.json": statuspage.incidents,
    "incidents/unresolved.json": statuspage.unresolved_incidents,
    "scheduled-maintenances.json": lambda s: statuspage.scheduled_maintenances(s, "all"),
    "scheduled-maintenances/upcoming.json": lambda s: statuspage.scheduled_maintenances(
        s, "upcoming"
    ),
    "scheduled-maintenances/active.json": lambda s: statuspage.scheduled_maintenances(s, "active"),
}


def json_response(document: Document, status: int = 200) -> Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, content_type="application/json; charset=utf-8")


def _statuspage_view(build: Callable[[SiteSnapshot], Document]) -> Callable[[], Response]:
    return lambda: json_response(build(site_snapshot(site_data())))


for _path, _build in STATUSPAGE.items():
    api.add_url_rule(
        f"/api/v2/{_path}",
        endpoint="v2_" + _path.removesuffix(".json").replace("/", "_"),
        view_func=cached(API)(_statuspage_view(_build)),
    )


@api.get("/api/v1/models")
@cached(API)
def models() -> Response:
    return json_response(api_v1.models_document(site_snapshot(site_data(), detail=True)))


# Avoid answers ask a health check to come back after the next judgement (every minute).
AVOID_RETRY_AFTER_S = 60


@api.get("/api/v1/models/<provider>/<path:model>/health")
@cached(HEALTH)
def model_health(provider: str, model: str) -> Response:
    """200 on `use`, 503 with Retry-After on `avoid`: a gateway's HTTP health check acts
    on the status code alone."""
    target = f"{provider}/{model}"
    data = site_data()
    if data.target(target) is None:
        return json_response({"error": "no such model", "id": target}, 404)
    document = api_v1.health_document(site_snapshot(data, detail=True), target)
    if document["recommendation"] == AVOID:
        response = json_response(document, 503)
        response.headers["Retry-After"] = str(AVOID_RETRY_AFTER_S)
        return response
    return json_response(document)


@api.get("/api/v1/routing")
@cached(API)
def routing() -> Response:
    return json_response(api_v1.routing_document(site_snapshot(site_data(), detail=True)))


@api.get("/api/v1/models/<provider>/<path:model>")
@cached(API)
def model(provider: str, model: str) -> Response:
    target = f"{provider}/{model}"
    data = site_data()
    if data.target(target) is None:
        return json_response({"error": "no such model", "id": target}, 404)
    snapshot = site_snapshot(data, detail=True, target=target)
    return json_response(api_v1.model_document(snapshot, target))


@api.get("/api/v1/providers")
@cached(API)
def providers() -> Response:
    return json_response(api_v1.providers_document(site_snapshot(site_data())))


@api.get("/api/v1/incidents")
@cached(API, query={"status": as_given})
def incidents() -> Response:
    status = request.args.get("status", "all")
    if status not in ("all", "open"):
        return json_response({"error": "status must be open or all"}, 400)
    snapshot = site_snapshot(site_data())
    return json_response(api_v1.incidents_document(snapshot, open_only=status == "open"))


@api.get("/api/openapi.json")
@cached(API, config_only=True)
def openapi() -> Response:
    return json_response(openapi_document(current_app.config["AISTATUS_SETTINGS"].site))
