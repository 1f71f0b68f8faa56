from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from monitor.judging.incidents import Impact, IncidentState
from monitor.judging.status import Cause, ComponentStatus
from tests.web.snapshot_factories import (
    HOSTILE,
    SECRET_ENV,
    incident,
    scene,
    single_model_site,
    with_state,
)
from web.api import statuspage
from web.api.openapi import openapi_document, response_schema
from web.api.schema_check import validate
from web.queries.snapshots import SiteSnapshot

# Field names of Statuspage's public /api/v2 objects, written out here independently of
# web/api/schemas.py so a mistake there cannot hide a mistake in the builders.
PAGE_FIELDS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_FIELDS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
INCIDENT_FIELDS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
}
UPDATE_FIELDS = {
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
}

BUILDERS: list[tuple[str, Callable[[SiteSnapshot], dict[str, Any]]]] = [
    ("/api/v2/summary.json", statuspage.summary),
    ("/api/v2/status.json", statuspage.status),
    ("/api/v2/components.json", statuspage.components),
    ("/api/v2/incidents.json", statuspage.incidents),
    ("/api/v2/incidents/unresolved.json", statuspage.unresolved_incidents),
    ("/api/v2/scheduled-maintenances.json", statuspage.scheduled_maintenances),
    (
        "/api/v2/scheduled-maintenances/upcoming.json",
        lambda s: statuspage.scheduled_maintenances(s, "upcoming"),
    ),
    (
        "/api/v2/scheduled-maintenances/active.json",
        lambda s: statuspage.scheduled_maintenances(s, "active"),
    ),
]


def components_by_description(snapshot: SiteSnapshot) -> dict[str, dict[str, Any]]:
    return {c["description"]: c for c in statuspage.components(snapshot)["components"]}


def aggregator_view(summary: dict[str, Any]) -> dict[str, Any]:
    """What a status aggregator reads from any *.statuspage.io summary."""
    by_id = {c["id"]: c for c in summary["components"]}
    broken = sorted(
        c["name"] for c in summary["components"] if not c["group"] and c["status"] != "operational"
    )
    groups = {
        c["name"]: [by_id[i]["name"] for i in c["components"]]
        for c in summary["components"]
        if c["group"]
    }
    return {
        "indicator": summary["status"]["indicator"],
        "broken": broken,
        "groups": groups,
        "incidents": [i["name"] for i in summary["incidents"]],
    }


@pytest.mark.parametrize(("path", "builder"), BUILDERS)
def test_every_document_matches_its_published_schema(path, builder):
    document = openapi_document(scene().site)
    validate(builder(scene()), response_schema(document, path), document)


def test_objects_carry_exactly_the_statuspage_fields():
    summary = statuspage.summary(scene())
    assert set(summary) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert set(summary["page"]) == PAGE_FIELDS
    assert set(summary["status"]) == {"indicator", "description"}
    for component in summary["components"]:
        extra = {"components"} if component["group"] else set()
        assert set(component) == COMPONENT_FIELDS | extra
    for record in statuspage.incidents(scene())["incidents"]:
        assert set(record) == INCIDENT_FIELDS
        for update in record["incident_updates"]:
            assert set(update) == UPDATE_FIELDS


def test_an_aggregator_reads_models_as_components_under_provider_groups():
    view = aggregator_view(statuspage.summary(scene()))
    assert view["indicator"] == "critical"
    assert view["broken"] == sorted(["Opus", HOSTILE])
    assert view["groups"] == {"Anthropic": ["Opus", "Sonnet"], "Openai": ["Gpt", HOSTILE]}
    assert view["incidents"] == ["Errors on Opus"]


def test_a_failing_model_does_not_mark_its_sibling():
    listed = components_by_description(scene())
    assert listed["anthropic/opus"]["status"] == "major_outage"
    assert listed["anthropic/sonnet"]["status"] == "operational"
    assert listed["anthropic"]["status"] == "partial_outage"


def test_unprobed_models_and_providers_without_a_key_are_left_out():
    listed = components_by_description(scene())
    assert "anthropic/haiku" not in listed
    assert "gemini" not in listed and "gemini/flash" not in listed
    assert SECRET_ENV not in json.dumps(statuspage.summary(scene()))


def test_component_ids_are_stable_opaque_and_children_point_to_their_group():
    first, second = components_by_description(scene()), components_by_description(scene())
    assert {k: c["id"] for k, c in first.items()} == {k: c["id"] for k, c in second.items()}
    opus, group = first["anthropic/opus"], first["anthropic"]
    assert opus["group_id"] == group["id"] and opus["id"] in group["components"]
    assert len({c["id"] for c in first.values()}) == len(first)
    assert all(c["id"].isalnum() and "/" not in c["id"] for c in first.values())
    assert [c["position"] for c in first.values()] == list(range(1, len(first) + 1))


@pytest.mark.parametrize(
    ("model_status", "indicator", "description"),
    [
        (ComponentStatus.OPERATIONAL, "none", "All Systems Operational"),
        (ComponentStatus.DEGRADED_PERFORMANCE, "minor", "Minor Service Outage"),
        (ComponentStatus.PARTIAL_OUTAGE, "major", "Partial System Outage"),
        (ComponentStatus.MAJOR_OUTAGE, "critical", "Major Service Outage"),
        (ComponentStatus.UNDER_MAINTENANCE, "maintenance", "Service Under Maintenance"),
        (None, "none", "No models judged yet"),
    ],
)
def test_the_indicator_follows_the_worst_model(model_status, indicator, description):
    status = statuspage.status(single_model_site(model_status))["status"]
    assert status == {"indicator": indicator, "description": description}


@pytest.mark.parametrize(
    ("state", "indicator"),
    [
        (IncidentState.INVESTIGATING, "major"),
        (IncidentState.IDENTIFIED, "major"),
        (IncidentState.MONITORING, "none"),
        (IncidentState.RESOLVED, "none"),
    ],
)
def test_an_incident_being_worked_on_raises_the_indicator(state, indicator):
    record = with_state(incident("1", impact=Impact.MAJOR), state)
    site = single_model_site(ComponentStatus.OPERATIONAL, record)
    assert statuspage.status(site)["status"]["indicator"] == indicator


def test_operator_only_incidents_never_appear():
    for builder in (statuspage.summary, statuspage.incidents, statuspage.unresolved_incidents):
        text = json.dumps(builder(scene()))
        assert "Bad key for Gemini" not in text
    private = incident("6", cause=Cause.VANTAGE, title="Our network")
    site = single_model_site(ComponentStatus.OPERATIONAL, private)
    assert statuspage.status(site)["status"]["indicator"] == "none"


def test_incidents_list_resolved_ones_and_unresolved_lists_only_open_ones():
    every = [i["name"] for i in statuspage.incidents(scene())["incidents"]]
    open_ = [i["name"] for i in statuspage.unresolved_incidents(scene())["incidents"]]
    assert every == ["Errors on Opus", "Slow Sonnet"]
    assert open_ == ["Errors on Opus"]


def test_an_incident_carries_its_updates_newest_first_and_its_components():
    record = statuspage.incidents(scene())["incidents"][1]
    assert [u["status"] for u in record["incident_updates"]] == [
        "resolved",
        "monitoring",
        "identified",
        "investigating",
    ]
    assert {u["incident_id"] for u in record["incident_updates"]} == {record["id"]}
    assert record["monitoring_at"] == record["incident_updates"][1]["created_at"]
    assert record["resolved_at"] == record["incident_updates"][0]["created_at"]
    assert [c["description"] for c in record["components"]] == ["anthropic/sonnet"]
    assert record["shortlink"] == "https://status.example.org/incidents/5"


def test_the_page_names_the_site_and_dates_its_latest_change():
    page = statuspage.page(scene())
    assert page["name"] == "AI status" and page["url"] == "https://status.example.org"
    assert page["time_zone"] == "Etc/UTC"
    newest_update = max(u.at for i in scene().incidents if i.public for u in i.updates)
    assert page["updated_at"] == newest_update.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_scheduled_maintenances_exist_and_are_empty():
    for kind in ("all", "upcoming", "active"):
        assert statuspage.scheduled_maintenances(scene(), kind)["scheduled_maintenances"] == []
    with pytest.raises(ValueError, match="kind"):
        statuspage.scheduled_maintenances(scene(), "past")  # type: ignore[arg-type]
