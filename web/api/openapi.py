"""The OpenAPI 3.1 document of the site's machine-readable endpoints.

`/api/v1/*` (aistatus's own), `/api/v2/*.json` (Statuspage-compatible),
badges and `/metrics`. `PATHS` names the schema each JSON path returns, so a
test can hold each builder to its path's schema. Only the site's title,
description and public URL come from the config.
"""

from __future__ import annotations

from typing import Any

from monitor.config import SiteSettings
from web.api.schemas import Schema, common_schemas, ref, statuspage_schemas, v1_schemas

API_VERSION = "1.0.0"
STATUSPAGE_TAG = "statuspage-v2"

# path -> (schema name, summary) for every JSON GET endpoint.
JSON_PATHS: dict[str, tuple[str, str]] = {
    "/api/v1/models": ("ModelsDocument", "Every model: status, latency, quality, recommendation"),
    "/api/v1/models/{provider}/{model}": ("ModelDocument", "One model and its incidents"),
    "/api/v1/models/{provider}/{model}/health": (
        "HealthDocument",
        "A gateway health check: 200 use, 503 with Retry-After avoid",
    ),
    "/api/v1/routing": ("RoutingDocument", "Every model's routing advice, why and since when"),
    "/api/v1/providers": ("ProvidersDocument", "Providers, with status derived from models"),
    "/api/v1/incidents": ("IncidentsDocument", "Public incidents, newest first (50)"),
    "/api/v2/summary.json": (
        "SpSummary",
        "Statuspage summary: page, status, components, unresolved incidents",
    ),
    "/api/v2/status.json": ("SpStatusDocument", "Statuspage page indicator"),
    "/api/v2/components.json": ("SpComponents", "Models as components, providers as groups"),
    "/api/v2/incidents.json": ("SpIncidents", "The 50 newest public incidents"),
    "/api/v2/incidents/unresolved.json": ("SpIncidents", "Public incidents not resolved"),
    "/api/v2/scheduled-maintenances.json": ("SpScheduledMaintenances", "Always empty"),
    "/api/v2/scheduled-maintenances/upcoming.json": ("SpScheduledMaintenances", "Always empty"),
    "/api/v2/scheduled-maintenances/active.json": ("SpScheduledMaintenances", "Always empty"),
}

SUBSCRIPTIONS_PATH = "/api/v1/subscriptions"

_JSON_ERROR = {"application/json": {"schema": ref("Error")}}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
# While the database is unreachable, a path answers with its last good response and a
# storage notice; only a path with nothing kept answers 503.
_UNAVAILABLE_DESCRIPTION = "The site cannot read its database and kept nothing for this URL"

_TARGET_PARAMETERS = [
    {
        "name": "provider",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "Provider id, percent-encoded",
    },
    {
        "name": "model",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "Model name at the provider, percent-encoded (may hold '/')",
    },
]


def openapi_document(site: SiteSettings) -> dict[str, Any]:
    paths: dict[str, Any] = {path: _json_path(path, *spec) for path, spec in JSON_PATHS.items()}
    paths["/badge/{provider}/{model}.svg"] = _badge_path()
    paths["/metrics"] = _metrics_path()
    paths[SUBSCRIPTIONS_PATH] = _subscriptions_path()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{site.title} API",
            "description": site.description,
            "version": API_VERSION,
        },
        "servers": [{"url": site.public_url.rstrip("/")}],
        "tags": [
            {"name": "v1", "description": "aistatus's own API: per-model detail"},
            {
                "name": STATUSPAGE_TAG,
                "description": "Compatible with Statuspage's public /api/v2; models are components",
            },
            {"name": "other", "description": "Badges and Prometheus metrics"},
        ],
        "paths": paths,
        "components": {"schemas": {**common_schemas(), **v1_schemas(), **statuspage_schemas()}},
    }


def response_schema(document: dict[str, Any], path: str) -> Schema:
    """The JSON schema a path's 200 response declares."""
    content = document["paths"][path]["get"]["responses"]["200"]["content"]
    return content["application/json"]["schema"]  # type: ignore[no-any-return]


def _json_path(path: str, schema: str, summary: str) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "OK (with a `notice` while the database is unreachable)",
            "content": {"application/json": {"schema": ref(schema)}},
        },
        "503": {
            "description": _UNAVAILABLE_DESCRIPTION,
            "headers": _RETRY_AFTER,
            "content": _JSON_ERROR,
        },
    }
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": ["v1" if path.startswith("/api/v1/") else STATUSPAGE_TAG],
        "responses": responses,
    }
    if "{provider}" in path:
        operation["parameters"] = _TARGET_PARAMETERS
        responses["404"] = {"description": "No such model", "content": _JSON_ERROR}
    if path.endswith("/health"):
        # Both 503s carry Retry-After: "avoid this model" (the health document) and
        # "the database is unreachable" (an error).
        responses["503"] = {
            "description": "avoid this model (HealthDocument), or " + _UNAVAILABLE_DESCRIPTION,
            "headers": _RETRY_AFTER,
            "content": {"application/json": {"schema": {"anyOf": [ref(schema), ref("Error")]}}},
        }
    if path == "/api/v1/incidents":
        responses["400"] = {"description": "status is neither open nor all", "content": _JSON_ERROR}
        operation["parameters"] = [
            {
                "name": "status",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["all", "open"], "default": "all"},
                "description": "open: leave out resolved incidents",
            }
        ]
    return {"get": operation}


def _badge_path() -> dict[str, Any]:
    return {
        "get": {
            "summary": "A status badge for one model (SVG)",
            "tags": ["other"],
            "parameters": _TARGET_PARAMETERS,
            "responses": {
                "200": {
                    "description": "The badge",
                    "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                },
                "404": {"description": "No such model"},
                "503": _text_unavailable(),
            },
        }
    }


def _metrics_path() -> dict[str, Any]:
    return {
        "get": {
            "summary": "Prometheus metrics: probes, latency histograms, model status, incidents",
            "tags": ["other"],
            "responses": {
                "200": {
                    "description": "Prometheus text exposition format 0.0.4; while the database "
                    "is unreachable, the last good metrics and "
                    "`aistatus_storage_up 0`",
                    "content": {"text/plain; version=0.0.4": {"schema": {"type": "string"}}},
                },
                "503": _text_unavailable(),
            },
        }
    }


def _text_unavailable() -> dict[str, Any]:
    return {
        "description": _UNAVAILABLE_DESCRIPTION,
        "headers": _RETRY_AFTER,
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }


def _subscriptions_path() -> dict[str, Any]:
    return {
        "post": {
            "summary": "Subscribe an email address or a webhook URL to the site, providers or "
            "models; nothing is sent until the address is confirmed",
            "tags": ["v1"],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("SubscriptionRequest")}},
            },
            "responses": {
                "202": {
                    "description": "Accepted; the same answer for a known address",
                    "content": {"application/json": {"schema": ref("SubscriptionAccepted")}},
                },
                "400": {
                    "description": "Malformed, an unknown model or provider, or a webhook "
                    "URL aistatus will not call",
                    "content": _JSON_ERROR,
                },
                "413": {"description": "Request body over 16 KiB", "content": _JSON_ERROR},
                "429": {
                    "description": "Too many requests from this address or for this subscriber",
                    "headers": _RETRY_AFTER,
                    "content": _JSON_ERROR,
                },
            },
        }
    }
