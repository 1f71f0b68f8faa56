"""A model that drifts in form only, end to end: the prober's default suite over real HTTP to
the simulated provider, the results and rollups stored on SQLite and PostgreSQL, and the
status engine. The exact-form item notices; availability, uptime and correctness do not."""

import asyncio
from datetime import UTC, datetime, timedelta

from monitor.config import settings_from_dict
from monitor.judging.engine import StatusEngine, TargetInfo
from monitor.judging.quality import QualityVerdict
from monitor.judging.status import ComponentStatus
from monitor.judging.tally import FORM, FORM_WRONG, WRONG
from monitor.probing.client import make_client
from monitor.probing.scheduler import Prober
from monitor.results import FailureClass, Outcome, ProbeResult
from monitor.rollups import Resolution, combine_regions, uptime_over
from monitor.store import Store

MODEL = "anthropic/claude-test"
EVERYTHING = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
ROUNDS = 40  # one probe in ten asks the suite; four items: each asked once


def probe_with_the_default_suite(base_url: str) -> list[ProbeResult]:
    settings = settings_from_dict(
        {
            "probe": {"interval": "60s", "first_token_timeout": 5, "total_timeout": 10},
            "providers": [{"id": "anthropic", "kind": "anthropic", "base_url": base_url}],
            "models": [{"provider": "anthropic", "model": "claude-test"}],
        }
    )
    prober = Prober(settings, lambda result: None, region="us-east", environ={})
    [model] = settings.models

    async def rounds() -> list[ProbeResult]:
        async with make_client(settings.probe) as client:
            prober._client = client  # what start-up makes; the schedule itself is not tested
            return [await prober.probe(model) for _ in range(ROUNDS)]

    return asyncio.run(rounds())


def test_a_model_that_words_its_answers_differently_loses_only_its_exact_form(
    store: Store, simulator, scenario_dict
):
    wordy = scenario_dict(faults=[{"models": [MODEL], "kind": "wrong_form"}])
    results = probe_with_the_default_suite(f"{simulator(wordy).base_url}/r/us-east/anthropic")
    store.record_results(results)

    by_check = {r.check: r for r in results}
    assert sorted(by_check) == ["arithmetic", "format", "parity", "script", "strict_format"]
    # Every probe succeeded and every value was right ("The answer is 919.")...
    assert {(r.outcome, r.failure_class) for r in results} == {(Outcome.OK, FailureClass.OK)}
    assert [r.check for r in results if r.answer_correct is False] == ["strict_format"]
    # ...and so it is stored: the one exact-form answer is counted apart from the answers.
    [stored] = [r for r in store.results_between(*EVERYTHING) if r.check == "strict_format"]
    assert (stored.outcome, stored.answer_correct) == (Outcome.OK, False)
    minutes = store.rollups_between(*EVERYTHING, resolution=Resolution.MINUTE)
    assert uptime_over(minutes) == 1.0
    [day] = combine_regions(store.rollups_between(*EVERYTHING, resolution=Resolution.DAY))
    assert (day.ok, day.quality, day.probes) == (ROUNDS, 0, ROUNDS)
    assert (day.answers_checked, day.answers_correct) == (ROUNDS - 1, ROUNDS - 1)
    assert (day.forms_checked, day.forms_correct) == (1, 0)

    # The status engine sees nothing wrong with the model or its answers.
    engine = StatusEngine(
        settings_from_dict({}).status, [TargetInfo(MODEL, "anthropic", "Claude test")], ["us-east"]
    )
    engine.ingest(results)
    changes = engine.evaluate(max(r.started_at for r in results) + timedelta(minutes=1))
    assert engine.model_status(MODEL) is ComponentStatus.OPERATIONAL
    assert engine.quality(MODEL) is not QualityVerdict.DEGRADED
    assert engine.incidents() == [] and changes.incident_events == ()
    sums = engine.health(MODEL).book.window(60)  # the hour: counted apart, as a miss
    assert (sums[FORM], sums[FORM_WRONG], sums[WRONG]) == (1, 1, 0)
