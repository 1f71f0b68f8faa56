"""What the machine-readable outputs are built from: plain frozen data, no queries.

The feeds, the Statuspage-compatible API (`web/api/statuspage.py`), `/api/v1`
(`web/api/v1.py`) and `/metrics` (`web/api/metrics.py`) only reshape these. The
store queries fill them once per request, so every output of one request
tells the same story:

    SiteSnapshot
      ├── site, generated_at
      ├── providers: ProviderSnapshot (ProviderInfo + its enabled targets, page order)
      │     └── models: ModelSnapshot (Target + current status, last hour, latency,
      │                                quality verdict, per-region states)
      └── incidents: every incident the caller read; builders show public ones only

A model's public status word is one of the component statuses, `no_data`
(never judged yet) or `not_configured` (its provider has no API key): the
words of `web/queries/viewmodels.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.config import SiteSettings
from monitor.histogram import LatencyHistogram
from monitor.judging.incidents import Incident
from monitor.judging.quality import QualityVerdict
from monitor.judging.status import ComponentStatus, ProviderStatus, provider_status
from monitor.results import FailureClass
from monitor.rollups import ALL_REGIONS, Rollup
from monitor.store import ProviderInfo, Target

if TYPE_CHECKING:  # story.py builds on this module's words
    from web.queries.story import ModelStory

NO_DATA = "no_data"
NOT_CONFIGURED = "not_configured"
# Every word a model's or provider's public status can take, worst last.
STATUS_WORDS: tuple[str, ...] = (
    *(status.value for status in ComponentStatus),
    NO_DATA,
    NOT_CONFIGURED,
)


@dataclass(frozen=True, slots=True)
class Latency:
    """Percentiles of one latency (ttft or total) over a recent window; None: no samples."""

    p50_ms: float | None = None
    p95_ms: float | None = None
    samples: int = 0

    @classmethod
    def of(cls, histogram: LatencyHistogram) -> Latency:
        return cls(histogram.quantile(0.5), histogram.quantile(0.95), histogram.count)


@dataclass(frozen=True, slots=True)
class Quality:
    """The quality verdict (monitor/judging/quality.py) with the numbers behind it, shares 0..1."""

    verdict: QualityVerdict = QualityVerdict.UNKNOWN
    pass_rate: float | None = None  # correct / scored answers in the judged window
    baseline_pass_rate: float | None = None  # the model's usual share (1 - baseline wrong)
    answers: int = 0  # scored answers in the judged window
    baseline_answers: int = 0  # answers behind the baseline; 0: the prior only

    @property
    def observed_baseline(self) -> float | None:
        """The baseline pass rate when the model has a history; never the prior alone."""
        return self.baseline_pass_rate if self.baseline_answers else None


@dataclass(frozen=True, slots=True)
class RegionState:
    """One vantage point's view of one model."""

    region: str
    status: ComponentStatus | None  # None: no probes from here lately
    probes: int = 0  # over the last hour
    failures: int = 0  # of those, not ok
    last_probe_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ModelSnapshot:
    """One model's current state. `failures_last_hour` counts probes by failure class
    (ok included); classes left out count as zero."""

    target: Target
    status: ComponentStatus | None  # None: not judged yet (no probes)
    status_since: datetime | None = None  # time of the model's last StatusChange
    first_seen_at: datetime | None = None  # first probe (Statuspage's created_at)
    last_probe_at: datetime | None = None
    failures_last_hour: Mapping[FailureClass, int] = field(default_factory=dict)
    ttft: Latency = Latency()
    total: Latency = Latency()
    quality: Quality = Quality()
    # Answers to the exact-form item of today (UTC), against their own baseline: apart
    # from `quality`, which a change of form never moves.
    form: Quality = Quality()
    regions: tuple[RegionState, ...] = ()
    story: ModelStory | None = None  # what every surface says (web/queries/story.py)

    @property
    def id(self) -> str:
        return self.target.id

    @property
    def shown(self) -> ComponentStatus | None:
        """The status every surface shows: the story's, else the engine's."""
        return self.story.status if self.story is not None else self.status

    def count(self, failure: FailureClass) -> int:
        return int(self.failures_last_hour.get(failure, 0))

    @property
    def probes_last_hour(self) -> int:
        return sum(self.count(failure) for failure in FailureClass)


@dataclass(frozen=True, slots=True)
class ProviderSnapshot:
    info: ProviderInfo
    models: tuple[ModelSnapshot, ...]  # its enabled targets, in page order

    @property
    def judged(self) -> tuple[ModelSnapshot, ...]:
        """Models with a status the public may see: configured and probed."""
        if not self.info.configured:
            return ()
        return tuple(m for m in self.models if m.shown is not None)

    @property
    def status(self) -> ProviderStatus | None:
        """Derived from its judged models only; None when there are none."""
        judged = self.judged
        if not judged:
            return None
        return provider_status(m.shown for m in judged if m.shown is not None)

    @property
    def status_word(self) -> str:
        if not self.info.configured:
            return NOT_CONFIGURED
        status = self.status
        return NO_DATA if status is None else status.status.value

    def model_word(self, model: ModelSnapshot) -> str:
        if not self.info.configured:
            return NOT_CONFIGURED
        return NO_DATA if model.shown is None else model.shown.value


@dataclass(frozen=True, slots=True)
class SiteSnapshot:
    site: SiteSettings
    generated_at: datetime
    providers: tuple[ProviderSnapshot, ...]
    incidents: tuple[Incident, ...] = ()  # public and operator-only alike

    @property
    def models(self) -> tuple[ModelSnapshot, ...]:
        return tuple(m for p in self.providers for m in p.models)

    def provider_of(self, target_id: str) -> ProviderSnapshot:
        for provider in self.providers:
            if any(m.id == target_id for m in provider.models):
                return provider
        raise KeyError(target_id)

    def model(self, target_id: str) -> ModelSnapshot:
        for model in self.models:
            if model.id == target_id:
                return model
        raise KeyError(target_id)

    @property
    def public_incidents(self) -> tuple[Incident, ...]:
        """Public incidents, newest first (by start, then id for a stable order)."""
        public = (i for i in self.incidents if i.public)
        return tuple(sorted(public, key=lambda i: (i.started_at, i.id), reverse=True))


def failure_counts(rollups: Iterable[Rollup]) -> dict[FailureClass, int]:
    """Probes by failure class summed over per-region rollups (a window of the last hour).

    Pooled rows (region "*") repeat the per-region ones and are left out."""
    counts = dict.fromkeys(FailureClass, 0)
    for rollup in rollups:
        if rollup.region != ALL_REGIONS:
            for failure in FailureClass:
                counts[failure] += rollup.count(failure)
    return counts
