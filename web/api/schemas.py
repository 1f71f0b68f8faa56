"""JSON Schemas (OpenAPI 3.1 = JSON Schema 2020-12) of every JSON document the site
serves: aistatus's `/api/v1` and the Statuspage-compatible `/api/v2`.

Objects are closed (`additionalProperties: false`): a field a builder adds
without a schema fails the tests instead of going undocumented. Every document
may carry a `notice` (`StorageNotice`): only while the site cannot read its
database and serves the document as it last built it (web/outage.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from monitor.judging.incidents import Impact, IncidentState
from monitor.judging.quality import QualityVerdict
from monitor.judging.status import Cause, ComponentStatus
from monitor.results import FailureClass
from web.queries.snapshots import STATUS_WORDS

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
TIME: Schema = {"type": "string", "format": "date-time"}
URI: Schema = {"type": "string", "format": "uri"}
COUNT: Schema = {"type": "integer", "minimum": 0}
BOOL: Schema = {"type": "boolean"}
SHARE: Schema = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
MS: Schema = {"type": ["number", "null"], "minimum": 0}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def words(values: Iterable[object], description: str | None = None) -> Schema:
    schema: Schema = {"type": "string", "enum": [str(v) for v in values]}
    if description:
        schema["description"] = description
    return schema


def closed(
    properties: dict[str, Schema], description: str | None = None, optional: tuple[str, ...] = ()
) -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


NOTICE = "notice"


def document(properties: dict[str, Schema], description: str | None = None) -> Schema:
    """A top-level document: its properties, and the storage notice an outage adds."""
    return closed({**properties, NOTICE: ref("StorageNotice")}, description, optional=(NOTICE,))


def common_schemas() -> dict[str, Schema]:
    return {
        "StorageNotice": closed(
            {
                "storage": words(("unreachable",)),
                "since": TIME,
                "data_as_of": nullable(TIME),
                "text": STRING,
            },
            "Present only while the site cannot read its database: the document is the "
            "last good one, as of data_as_of (null: none was kept, the response is a 503)",
        ),
        "Error": closed(
            {"error": STRING, "id": STRING, NOTICE: ref("StorageNotice")}, optional=("id", NOTICE)
        ),
    }


_INCIDENT_STATES = words(IncidentState)
_IMPACTS = words(Impact)
_PUBLIC_CAUSES = words(c for c in Cause if c.public)
_COMPONENT_STATUSES = words(ComponentStatus)


_RECOMMENDATION = words(
    ("use", "avoid"),
    "avoid on outage, maintenance, significant errors "
    "at an outage's share or degraded answer quality; use otherwise",
)
_REASONS = array(
    words(
        (
            ComponentStatus.MAJOR_OUTAGE,
            ComponentStatus.PARTIAL_OUTAGE,
            ComponentStatus.UNDER_MAINTENANCE,
            "elevated_errors",
            "quality_degraded",
        )
    )
)


def _routing_fields() -> dict[str, Schema]:
    return {
        "id": {"type": "string", "description": "provider/model"},
        "recommendation": _RECOMMENDATION,
        "reasons": _REASONS,
        "status": words(STATUS_WORDS),
        "since": {**nullable(TIME), "description": "When the model's status last changed"},
        "open_incidents": array(STRING),
        "url": URI,
    }


def v1_schemas() -> dict[str, Schema]:
    latency = closed({"p50_ms": MS, "p95_ms": MS, "samples": COUNT})
    return {
        "Latency": latency,
        "Quality": closed(
            {
                "verdict": words(QualityVerdict, "correct, degraded, or unknown (too few answers)"),
                "pass_rate": SHARE,
                "baseline_pass_rate": {
                    **SHARE,
                    "description": "the model's usual pass rate over "
                    "its days before today; null with no history yet",
                },
                "answers": COUNT,
                "baseline_answers": {**COUNT, "description": "answers behind the baseline"},
            },
            "Canary answers of the last hour against the model's own baseline",
        ),
        "Form": closed(
            {
                "verdict": words(
                    QualityVerdict,
                    "correct (the form is kept as usual), degraded (less often than usual), "
                    "or unknown (too few answers)",
                ),
                "pass_rate": {
                    **SHARE,
                    "description": "share in the exact form asked for; null with no answer",
                },
                "baseline_pass_rate": {
                    **SHARE,
                    "description": "the model's usual share over its days before today; "
                    "null with no history yet",
                },
                "answers": COUNT,
                "baseline_answers": {**COUNT, "description": "answers behind the baseline"},
            },
            "Answers to the exact-form canary item (strict_format) of today (UTC) against "
            "the model's own baseline. Counted apart: the right value in other words is a "
            "correct answer under `quality` and an ok probe, and moves neither status nor "
            "recommendation",
        ),
        "RegionState": closed(
            {
                "region": STRING,
                "status": words((*ComponentStatus, "no_data")),
                "probes": COUNT,
                "failures": COUNT,
                "last_probe_at": nullable(TIME),
            }
        ),
        "Model": closed(
            {
                "id": {"type": "string", "description": "provider/model"},
                "provider": STRING,
                "model": STRING,
                "name": STRING,
                "status": words(STATUS_WORDS),
                "status_since": nullable(TIME),
                "status_note": nullable(
                    {
                        **STRING,
                        "description": (
                            "why the status is not yet the engine's (e.g. elevated errors, "
                            "confirming), or what it waits for; null otherwise"
                        ),
                    }
                ),
                "recommendation": _RECOMMENDATION,
                "recommendation_reasons": _REASONS,
                "simulated": BOOL,
                "last_probe_at": nullable(TIME),
                "last_hour": closed(
                    {
                        "probes": COUNT,
                        "by_class": closed({f.value: COUNT for f in FailureClass}),
                    },
                    "Probes of the last hour by failure class",
                ),
                "latency": closed({"ttft": ref("Latency"), "total": ref("Latency")}),
                "quality": ref("Quality"),
                "form": ref("Form"),
                "regions": array(ref("RegionState")),
                "open_incidents": array(STRING),
                "links": closed({"page": URI, "api": URI, "badge": URI}),
            }
        ),
        "Provider": closed(
            {
                "id": STRING,
                "name": STRING,
                "status": words(STATUS_WORDS),
                "configured": BOOL,
                "simulated": BOOL,
                "models_total": COUNT,
                "models_affected": COUNT,
                "models": array(STRING),
            }
        ),
        "IncidentUpdate": closed({"at": TIME, "status": _INCIDENT_STATES, "text": STRING}),
        "Incident": closed(
            {
                "id": STRING,
                "title": STRING,
                "status": _INCIDENT_STATES,
                "impact": _IMPACTS,
                "cause": _PUBLIC_CAUSES,
                "provider": STRING,
                "models": array(STRING),
                "active_models": array(STRING),
                "regions": array(STRING),
                "signals": array(STRING),
                "started_at": TIME,
                "detected_at": TIME,
                "resolved_at": nullable(TIME),
                "url": URI,
                "updates": array(ref("IncidentUpdate")),
            }
        ),
        "Routing": closed(
            _routing_fields(),
            "A gateway's routing advice for one model, from the same judgement as Model",
        ),
        "HealthDocument": document(
            {"generated_at": TIME, **_routing_fields()}, "200 on use; 503 with Retry-After on avoid"
        ),
        "RoutingDocument": document({"generated_at": TIME, "models": array(ref("Routing"))}),
        "SubscriptionRequest": {
            **closed(
                {
                    "email": STRING,
                    "webhook": {**URI, "description": "https; signed POSTs (see the README)"},
                    "models": array({"type": "string", "description": "provider/model"}),
                    "providers": array(STRING),
                },
                "Exactly one of email or webhook; neither models nor providers: the whole site",
                optional=("email", "webhook", "models", "providers"),
            ),
        },
        "SubscriptionAccepted": closed({"status": words(("accepted",)), "message": STRING}),
        "ModelsDocument": document({"generated_at": TIME, "models": array(ref("Model"))}),
        "ModelDocument": document(
            {
                "generated_at": TIME,
                "model": ref("Model"),
                "incidents": array(ref("Incident")),
            }
        ),
        "ProvidersDocument": document({"generated_at": TIME, "providers": array(ref("Provider"))}),
        "IncidentsDocument": document({"generated_at": TIME, "incidents": array(ref("Incident"))}),
    }


def statuspage_schemas() -> dict[str, Schema]:
    component = {
        "id": STRING,
        "name": STRING,
        "status": _COMPONENT_STATUSES,
        "created_at": TIME,
        "updated_at": TIME,
        "position": COUNT,
        "description": {"type": ["string", "null"]},
        "showcase": BOOL,
        "start_date": nullable({"type": "string", "format": "date"}),
        "group_id": {"type": ["string", "null"]},
        "page_id": STRING,
        "group": BOOL,
        "only_show_if_degraded": BOOL,
        "components": array(STRING),
    }
    page = {"page": ref("SpPage")}
    return {
        "SpPage": closed(
            {
                "id": STRING,
                "name": STRING,
                "url": URI,
                "time_zone": STRING,
                "updated_at": TIME,
            }
        ),
        "SpStatus": closed(
            {
                "indicator": words(("none", "minor", "major", "critical", "maintenance")),
                "description": STRING,
            }
        ),
        "SpComponent": closed(
            component,
            "A model, or a provider as a group (group: true, with the ids of its components)",
            optional=("components",),
        ),
        "SpIncidentUpdate": closed(
            {
                "id": STRING,
                "status": _INCIDENT_STATES,
                "body": STRING,
                "incident_id": STRING,
                "created_at": TIME,
                "updated_at": TIME,
                "display_at": TIME,
                "affected_components": {"type": ["array", "null"]},
                "deliver_notifications": BOOL,
                "custom_tweet": {"type": ["string", "null"]},
                "tweet_id": {"type": ["string", "null"]},
            }
        ),
        "SpIncident": closed(
            {
                "id": STRING,
                "name": STRING,
                "status": _INCIDENT_STATES,
                "created_at": TIME,
                "updated_at": TIME,
                "monitoring_at": nullable(TIME),
                "resolved_at": nullable(TIME),
                "impact": _IMPACTS,
                "shortlink": URI,
                "started_at": TIME,
                "page_id": STRING,
                "incident_updates": array(ref("SpIncidentUpdate")),
                "components": array(ref("SpComponent")),
            }
        ),
        "SpSummary": document(
            {
                **page,
                "components": array(ref("SpComponent")),
                "incidents": array(ref("SpIncident")),
                "scheduled_maintenances": array({"type": "object"}),
                "status": ref("SpStatus"),
            }
        ),
        "SpStatusDocument": document({**page, "status": ref("SpStatus")}),
        "SpComponents": document({**page, "components": array(ref("SpComponent"))}),
        "SpIncidents": document({**page, "incidents": array(ref("SpIncident"))}),
        "SpScheduledMaintenances": document(
            {
                **page,
                "scheduled_maintenances": array({"type": "object"}),
            }
        ),
    }
