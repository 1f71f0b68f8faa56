from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from monitor.histogram import LatencyHistogram
from monitor.judging.incidents import IncidentState
from monitor.judging.status import ComponentStatus
from monitor.results import FailureClass, Outcome, ProbeResult
from monitor.rollups import Resolution, Rollup, combine_regions, rollup
from tests.web.snapshot_factories import (
    HOSTILE_MODEL,
    NOW,
    incident,
    model,
    provider_info,
    scene,
    with_state,
)
from web.api.metrics import CONTENT_TYPE, LATENCY_BUCKETS_S, prometheus_buckets, render_metrics
from web.queries.snapshots import STATUS_WORDS, ProviderSnapshot, SiteSnapshot


def probe(
    target: str,
    region: str,
    failure: FailureClass = FailureClass.OK,
    total_ms: float = 300.0,
    minutes_ago: int = 5,
) -> ProbeResult:
    outcome = Outcome.OK if failure is FailureClass.OK else Outcome.HTTP_ERROR
    return ProbeResult(
        target,
        region,
        NOW - timedelta(minutes=minutes_ago),
        outcome,
        failure,
        ttft_ms=total_ms / 4,
        total_ms=total_ms,
    )


def day_rollups(results: list[ProbeResult]) -> list[Rollup]:
    return rollup(results, Resolution.DAY)


def samples(body: bytes) -> dict[str, list[Sample]]:
    found: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def value(found: dict[str, list[Sample]], name: str, **labels: str) -> float:
    matches = [s.value for s in found[name] if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matches) == 1, (name, labels, matches)
    return matches[0]


def test_probes_are_counted_by_target_region_and_failure_class():
    results = [probe("anthropic/opus", "eu-west") for _ in range(3)]
    results += [probe("anthropic/opus", "us-east", FailureClass.CAPACITY, minutes_ago=60 * 30)]
    results += [probe("anthropic/opus", "us-east", FailureClass.CAPACITY)]
    found = samples(render_metrics(scene(), day_rollups(results))[0])
    assert (
        value(
            found,
            "aistatus_probes_total",
            target="anthropic/opus",
            region="eu-west",
            failure_class="ok",
        )
        == 3
    )
    assert (
        value(
            found,
            "aistatus_probes_total",
            target="anthropic/opus",
            region="us-east",
            failure_class="capacity",
        )
        == 2
    )


def test_pooled_region_rows_are_not_counted_twice():
    per_region = day_rollups(
        [probe("anthropic/opus", "eu-west"), probe("anthropic/opus", "us-east")]
    )
    found = samples(render_metrics(scene(), per_region + combine_regions(per_region))[0])
    assert sum(s.value for s in found["aistatus_probes_total"]) == 2
    assert (
        value(found, "aistatus_latency_seconds_count", target="anthropic/opus", phase="total") == 2
    )


def test_rollups_of_two_resolutions_are_refused():
    results = [probe("anthropic/opus", "eu-west")]
    with pytest.raises(ValueError, match="resolutions"):
        render_metrics(scene(), rollup(results, Resolution.DAY) + rollup(results, Resolution.HOUR))


def test_latency_histogram_has_cumulative_buckets_for_ttft_and_total():
    results = [
        probe("anthropic/opus", "eu-west", total_ms=ms)
        for ms in (80.0, 300.0, 300.0, 4000.0, 90_000.0)
    ]
    results.append(probe("anthropic/opus", "eu-west", FailureClass.INFRASTRUCTURE))
    found = samples(render_metrics(scene(), day_rollups(results))[0])

    def bucket(le: str, phase: str = "total") -> float:
        return value(
            found, "aistatus_latency_seconds_bucket", target="anthropic/opus", phase=phase, le=le
        )

    assert [bucket(le) for le in ("0.1", "0.25", "0.5", "5.0", "60.0", "+Inf")] == [
        1,
        1,
        3,
        4,
        4,
        5,
    ]
    assert bucket("0.1", "ttft") == 3
    assert value(
        found, "aistatus_latency_seconds_sum", target="anthropic/opus", phase="total"
    ) == pytest.approx(94.68, rel=0.06)


@pytest.mark.parametrize(
    ("ms", "first_le"),
    [
        (50.0, 0.1),
        (94.0, 0.1),
        (99.0, 0.25),
        (100.5, 0.25),
        (240.0, 0.25),
        (260.0, 0.5),
        (59_000.0, float("inf")),
        (61_000.0, float("inf")),
    ],
)
def test_a_latency_counts_from_its_bound_or_the_next_when_within_six_percent(ms, first_le):
    buckets, _ = prometheus_buckets(LatencyHistogram([ms]))
    assert min(float(le) for le, n in buckets if n) == first_le
    assert first_le >= ms / 1000


def test_every_model_has_exactly_one_current_status():
    found = samples(render_metrics(scene(), [])[0])
    by_target: dict[str, list[tuple[str, float]]] = {}
    for sample in found["aistatus_model_status"]:
        by_target.setdefault(sample.labels["target"], []).append(
            (sample.labels["status"], sample.value)
        )
    assert len(by_target) == 6
    for states in by_target.values():
        assert sorted(s for s, _ in states) == sorted(STATUS_WORDS)
        assert sum(v for _, v in states) == 1
    current = {t: next(s for s, v in states if v) for t, states in by_target.items()}
    assert current["anthropic/opus"] == "major_outage"
    assert current["anthropic/haiku"] == "no_data"
    assert current["gemini/flash"] == "not_configured"


def test_affected_models_are_counted_per_provider():
    found = samples(render_metrics(scene(), [])[0])
    assert value(found, "aistatus_provider_models_affected", provider="anthropic") == 1
    assert value(found, "aistatus_provider_models_affected", provider="openai") == 1
    assert value(found, "aistatus_provider_models_affected", provider="gemini") == 0


def test_open_incidents_are_split_by_public():
    found = samples(render_metrics(scene(), [])[0])
    assert value(found, "aistatus_incidents_open", public="true") == 1
    assert value(found, "aistatus_incidents_open", public="false") == 1
    resolved = with_state(incident("9"), IncidentState.RESOLVED)
    quiet = SiteSnapshot(scene().site, NOW, (), (resolved,))
    found = samples(render_metrics(quiet, [])[0])
    assert value(found, "aistatus_incidents_open", public="true") == 0


def test_hostile_label_values_survive_a_scrape():
    target = f"openai/{HOSTILE_MODEL}"
    provider = ProviderSnapshot(
        provider_info("openai"), (model(target, ComponentStatus.PARTIAL_OUTAGE),)
    )
    site = SiteSnapshot(scene().site, NOW, (provider,))
    body, _ = render_metrics(site, day_rollups([probe(target, 'eu"\\\nwest')]))
    found = samples(body)
    assert value(found, "aistatus_model_status", target=target, status="partial_outage") == 1
    assert (
        value(
            found, "aistatus_probes_total", target=target, region='eu"\\\nwest', failure_class="ok"
        )
        == 1
    )


def test_renders_are_independent_and_leave_the_global_registry_alone():
    before = {m.name for m in REGISTRY.collect()}
    rollups = day_rollups([probe("anthropic/opus", "eu-west")])
    first, content_type = render_metrics(scene(), rollups)
    assert render_metrics(scene(), rollups)[0] == first
    assert {m.name for m in REGISTRY.collect()} == before
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert content_type == CONTENT_TYPE


def test_the_bucket_bounds_are_the_documented_ones():
    buckets, _ = prometheus_buckets(LatencyHistogram())
    assert [le for le, _ in buckets][:-1] == [str(float(b)) for b in LATENCY_BUCKETS_S]
