"""Replay's fast prober records exactly what `virtual_probe` records, fault or not.

`VirtualProber` works out a healthy answer itself and hands everything else to
`virtual_probe`; a replay's statuses and incidents rest on the two agreeing to the last
field (only the random result id differs).
"""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import Settings
from monitor.results import FailureClass
from monitor.scenarios.replay import scheduled
from monitor.scenarios.spec import load_scenario
from monitor.scenarios.virtual_probe import VirtualProber, virtual_probe

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize(
    "name",
    [
        "june-opus-overload",
        "wrong-answers-one-region",
        "timeouts-everywhere",
        "gateway-rate-limited",
        "stream-errors",
        "slow-model",
        "one-region-down",
    ],
)
def test_every_probe_of_a_faulty_hour_is_recorded_as_virtual_probe_records_it(name):
    loaded = load_scenario(SCENARIOS / f"{name}.toml")
    first_fault = min((f.from_s for f in loaded.faults), default=0.0)
    since = loaded.start + timedelta(seconds=max(0.0, first_fault - 600))
    settings = Settings().probe
    probe = VirtualProber(loaded, settings)
    classes = set()
    for at, target, region in scheduled(loaded):
        if not since <= at < since + timedelta(hours=1):
            continue
        fast = probe(target, region, at)
        plain = virtual_probe(loaded, target, region, at, settings)
        assert replace(fast, id="") == replace(plain, id="")
        classes.add(fast.failure_class)
    assert FailureClass.OK in classes and len(classes) > 1  # faults were seen too
