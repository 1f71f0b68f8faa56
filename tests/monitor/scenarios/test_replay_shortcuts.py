"""The shortcuts replay takes for speed give what the long way gives, to the character.

Replay seeds every probe's dice with its start written by `isoformat()`, and renders each
HTTP error of a fault once: a start written differently would draw other numbers (other
statuses), and an error rendered for another probe would quote another body or retry
delay in an incident's words.
"""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import Settings
from monitor.results import Outcome
from monitor.scenarios import virtual_probe as module
from monitor.scenarios.replay import _scheduled_named, scheduled
from monitor.scenarios.spec import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("interval_s", [60.0, 120.0, 30.0])
@pytest.mark.parametrize("start_shift", [timedelta(0), timedelta(seconds=59, microseconds=7)])
def test_every_scheduled_start_is_written_as_isoformat_writes_it(interval_s, start_shift):
    loaded = load_scenario(SCENARIOS / "provider-outage.toml")
    loaded = replace(
        loaded, interval_s=interval_s, start=loaded.start + start_shift, duration_s=3 * 3600.0
    )
    named = list(_scheduled_named(loaded))
    assert [(at, target, region) for at, target, region, _ in named] == list(scheduled(loaded))
    written = [(text, at.isoformat()) for at, _, _, text in named if text is not None]
    assert all(text == expected for text, expected in written)
    # Whole minutes are written from the minute's text; other intervals the long way.
    assert len(written) == (len(named) if interval_s % 60 == 0 else 0)


@pytest.mark.parametrize(
    "name", ["june-opus-overload", "provider-outage", "gateway-rate-limited", "rate-limited"]
)
def test_an_http_error_rendered_once_reads_as_one_rendered_for_its_probe(name):
    loaded = load_scenario(SCENARIOS / f"{name}.toml")
    settings = Settings().probe
    sample = [probe for probe in scheduled(loaded) if probe[0].minute % 3 == 0]
    module._errors.clear()
    reused = [module.virtual_probe(loaded, t, r, at, settings) for at, t, r in sample]
    errors = [(probe, result) for probe, result in zip(sample, reused, strict=True)]
    errors = [(p, result) for p, result in errors if result.outcome is Outcome.HTTP_ERROR]
    for (at, target, region), result in errors:
        module._errors.clear()
        fresh = module.virtual_probe(loaded, target, region, at, settings)
        assert replace(result, id="") == replace(fresh, id="")
    assert len(errors) > 20
