"""Builds the pages' view models from the store. The only place in `web/`
that reads data; templates only format what these functions return."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from monitor.clock import Clock
from monitor.config import Settings
from monitor.results import ProbeResult
from monitor.store import Store
from web.viewmodels import Banner, ModelRow, OverviewPage, ProviderGroup

# How far back "current" latency and answers look on the overview.
RECENT = timedelta(minutes=15)
_SEVERITY = ["operational", "degraded_performance", "partial_outage", "major_outage"]


class SiteReader:
    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock

    def overview(self) -> OverviewPage:
        now = self.clock.now()
        recent = self.store.results_between(now - RECENT, now + timedelta(seconds=1))
        by_target: dict[str, list[ProbeResult]] = defaultdict(list)
        for result in recent:
            by_target[result.target].append(result)
        targets = self.store.targets()
        groups = []
        for provider in self.store.providers():
            rows = tuple(
                _model_row(t.id, t.display_name, t.simulated, by_target.get(t.id, []))
                for t in targets
                if t.provider == provider.id and t.enabled
            )
            missing = provider.not_configured_reason
            groups.append(
                ProviderGroup(
                    name=provider.display_name,
                    status=_worst(r.status for r in rows) if not missing else "not_configured",
                    models=rows,
                    simulated=provider.simulated,
                    missing_key=missing.removeprefix("set ") if missing else None,
                )
            )
        probed = [r for g in groups if not g.missing_key for r in g.models if r.status != "no_data"]
        affected = [r for r in probed if r.status not in ("operational", "no_data")]
        banner = Banner(
            status=_worst(r.status for r in probed),
            model_count=len(probed),
            affected_count=len(affected),
        )
        return OverviewPage(generated_at=now, banner=banner, groups=tuple(groups))


def _model_row(target: str, name: str, simulated: bool, results: Sequence[ProbeResult]) -> ModelRow:
    ok = [r for r in results if r.ok]
    answered = [r for r in results if r.answer_correct is not None]
    correct = sum(1 for r in answered if r.answer_correct)
    return ModelRow(
        id=target,
        name=name,
        url=f"/model/{target}",
        status=_provisional_status(results),
        ttft_ms=_median([r.ttft_ms for r in ok]),
        total_ms=_median([r.total_ms for r in ok]),
        answers_ok=(correct == len(answered)) if answered else None,
        answers_pass_percent=100 * correct / len(answered) if answered else None,
        uptime_percent=None,
        simulated=simulated,
    )


def _provisional_status(results: Sequence[ProbeResult]) -> str:
    if not results:
        return "no_data"
    share = sum(1 for r in results if not r.ok) / len(results)
    return "operational" if share < 0.1 else "partial_outage" if share < 0.5 else "major_outage"


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _worst(statuses: object) -> str:
    known = [s for s in statuses if s in _SEVERITY]  # type: ignore[attr-defined]
    return max(known, key=_SEVERITY.index) if known else "no_data"
