"""`/metrics` in the Prometheus text format, rendered from one snapshot.

    aistatus_probes_total{target,region,failure_class}   counter
    aistatus_latency_seconds{target,phase}               histogram, phase ttft|total
    aistatus_model_status{target,status}                 state set: 1 for the current word
    aistatus_model_deployment_state{target}              gauge, LiteLLM's deployment_state:
                                                         0 healthy, 1 partial, 2 outage
    aistatus_provider_models_affected{provider}          gauge
    aistatus_incidents_open{public}                      gauge, public "true"|"false"

Counters and histograms come from the rollups the caller passes: they must be
cumulative (for example every stored day rollup), of one resolution, per
region. Pooled rows (region "*") repeat the per-region ones and are skipped.
When retention deletes the oldest day the totals drop, which Prometheus reads
as a counter reset: rate() stays right, increase() across that moment does not.

Latency buckets (seconds) are the fixed histogram layout (monitor/histogram.py,
12 slots per doubling) coarsened to LATENCY_BUCKETS_S. A slot counts under
the first bucket bound at or above its upper edge, so a latency within 6 % below
a bound may count in the next bucket up (never lower: the buckets never
flatter a model). `_sum` is estimated from each slot's geometric middle.

The status words are the public ones, `no_data` and `not_configured` included,
so exactly one series per model is 1. `deployment_state` (web/api/v1.py) has
no series for a model without evidence (not probed yet, or not configured):
"unknown" is neither healthy nor down, and an alert on `== 2` must not fire on it.
Label values are escaped by prometheus_client; a fresh registry per render keeps
no state between scrapes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from monitor.histogram import LatencyHistogram
from monitor.results import FailureClass
from monitor.rollups import ALL_REGIONS, Rollup
from web.api.v1 import deployment_state
from web.queries.snapshots import STATUS_WORDS, SiteSnapshot

LATENCY_BUCKETS_S: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
# Prometheus 2 and 3 both parse 0.0.4; the client's default (1.0.0) needs Prometheus 3.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


def render_metrics(snapshot: SiteSnapshot, rollups: Iterable[Rollup]) -> tuple[bytes, str]:
    """The exposition body and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snapshot, [r for r in rollups if r.region != ALL_REGIONS]))
    return generate_latest(registry), CONTENT_TYPE


class _SnapshotCollector(Collector):
    def __init__(self, snapshot: SiteSnapshot, rollups: list[Rollup]) -> None:
        if len({r.resolution for r in rollups}) > 1:
            raise ValueError("rollups of several resolutions would count probes twice")
        self.snapshot = snapshot
        self.rollups = rollups

    def collect(self) -> Iterator[Metric]:
        yield probes_counter(self.rollups)
        yield latency_histogram(self.rollups)
        yield model_status(self.snapshot)
        yield deployment_states(self.snapshot)
        yield models_affected(self.snapshot)
        yield incidents_open(self.snapshot)


def probes_counter(rollups: Iterable[Rollup]) -> CounterMetricFamily:
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for rollup in rollups:
        for failure in FailureClass:
            if rollup.count(failure):
                counts[(rollup.target, rollup.region, failure.value)] += rollup.count(failure)
    family = CounterMetricFamily(
        "aistatus_probes",
        "Probes by target, region and failure class",
        labels=("target", "region", "failure_class"),
    )
    for labels in sorted(counts):
        family.add_metric(labels, counts[labels])
    return family


def latency_histogram(rollups: Iterable[Rollup]) -> HistogramMetricFamily:
    pooled: dict[tuple[str, str], LatencyHistogram] = defaultdict(LatencyHistogram)
    for rollup in rollups:
        pooled[(rollup.target, "ttft")].merge(rollup.ttft_hist)
        pooled[(rollup.target, "total")].merge(rollup.total_hist)
    family = HistogramMetricFamily(
        "aistatus_latency_seconds",
        "Time to first token (ttft) and total time of answered probes",
        labels=("target", "phase"),
    )
    for labels in sorted(pooled):
        buckets, total = prometheus_buckets(pooled[labels])
        family.add_metric(labels, buckets, total)
    return family


def prometheus_buckets(histogram: LatencyHistogram) -> tuple[list[tuple[str, float]], float]:
    """Cumulative (le, count) pairs ending in +Inf, and the estimated sum in seconds."""
    per_bound = [0] * (len(LATENCY_BUCKETS_S) + 1)
    seconds = 0.0
    for lower, upper, count in histogram.nonzero_buckets():
        per_bound[_bound_index(upper / 1000)] += count
        seconds += count * _middle(lower, upper) / 1000
    cumulative, running = [], 0
    for bound, count in zip((*LATENCY_BUCKETS_S, math.inf), per_bound, strict=True):
        running += count
        cumulative.append((_le(bound), float(running)))
    return cumulative, seconds


def model_status(snapshot: SiteSnapshot) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "aistatus_model_status",
        "1 for the model's current status word, 0 for the others",
        labels=("target", "status"),
    )
    for provider in snapshot.providers:
        for model in provider.models:
            current = provider.model_word(model)
            for word in STATUS_WORDS:
                family.add_metric((model.id, word), 1.0 if word == current else 0.0)
    return family


def deployment_states(snapshot: SiteSnapshot) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "aistatus_model_deployment_state",
        "LiteLLM's deployment_state: 0 healthy, 1 partial outage or degraded, 2 outage",
        labels=("target",),
    )
    for provider in snapshot.providers:
        for model in provider.models:
            state = deployment_state(model, provider)
            if state is not None:
                family.add_metric((model.id,), float(state))
    return family


def models_affected(snapshot: SiteSnapshot) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "aistatus_provider_models_affected",
        "Models of the provider not operational",
        labels=("provider",),
    )
    for provider in snapshot.providers:
        status = provider.status
        family.add_metric((provider.info.id,), float(status.affected if status else 0))
    return family


def incidents_open(snapshot: SiteSnapshot) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "aistatus_incidents_open",
        "Open incidents; public=false: operator-only causes",
        labels=("public",),
    )
    for public in (True, False):
        count = sum(1 for i in snapshot.incidents if i.is_open and i.public is public)
        family.add_metric((str(public).lower(),), float(count))
    return family


def _bound_index(upper_s: float) -> int:
    for index, bound in enumerate(LATENCY_BUCKETS_S):
        if upper_s <= bound:
            return index
    return len(LATENCY_BUCKETS_S)


def _middle(lower_ms: float, upper_ms: float) -> float:
    if lower_ms == 0.0:
        return upper_ms / 2
    if math.isinf(upper_ms):
        return lower_ms
    return math.sqrt(lower_ms * upper_ms)


def _le(bound: float) -> str:
    return floatToGoString(bound)
