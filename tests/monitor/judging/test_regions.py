"""Region quorum: our network or the provider's, from where the failures are seen."""

from __future__ import annotations

import pytest

from monitor.judging.regions import HALF_NOTE, SINGLE_VANTAGE_NOTE, Blame, attribute
from monitor.judging.status import Cause, ComponentStatus
from tests.monitor.synthetic import TIMEOUT, UNAVAILABLE, World, fault, targets

# (probes, failures) per region
US, EU, AP = "us-east", "eu-west", "ap-southeast"


@pytest.mark.parametrize(
    ("counts", "blame", "failing"),
    [
        ({US: (6, 6), EU: (6, 0), AP: (6, 0)}, Blame.VANTAGE, (US,)),
        ({US: (18, 18), EU: (18, 0), AP: (18, 0)}, Blame.VANTAGE, (US,)),
        ({US: (6, 2), EU: (6, 2), AP: (6, 2)}, Blame.PROVIDER, (AP, EU, US)),
        ({US: (6, 2), EU: (6, 1), AP: (6, 1)}, Blame.PROVIDER, (AP, EU, US)),
        ({US: (15, 6), EU: (15, 5), AP: (15, 0)}, Blame.PROVIDER, (EU, US)),
        # One stray error elsewhere does not turn our network's fault into the provider's.
        ({US: (6, 3), EU: (6, 0), AP: (6, 1)}, Blame.UNDECIDED, (AP, US)),
        ({US: (30, 30), EU: (30, 0), AP: (30, 1)}, Blame.VANTAGE, (US,)),
    ],
)
def test_failures_seen_from_fewer_than_half_the_regions_are_ours(counts, blame, failing):
    verdict = attribute(counts, baseline_share=0.002, odds=10)
    assert verdict.blame is blame
    assert verdict.failing == failing


def test_regions_that_did_not_probe_do_not_vote():
    verdict = attribute({US: (6, 4), EU: (0, 0), AP: (0, 0)}, 0.002, 10)
    assert verdict.blame is Blame.PROVIDER
    assert verdict.voting == (US,)
    assert verdict.note == SINGLE_VANTAGE_NOTE


def test_one_vantage_point_counts_failures_as_the_providers_but_says_so():
    verdict = attribute({"local": (10, 9)}, 0.002, 10)
    assert verdict.provider_side
    assert verdict.note == SINGLE_VANTAGE_NOTE


def test_two_vantage_points_that_disagree_are_flagged():
    verdict = attribute({US: (10, 9), EU: (10, 0)}, 0.002, 10)
    assert verdict.provider_side
    assert verdict.note == HALF_NOTE


MODELS = targets("anthropic/claude-opus-4-7", "anthropic/claude-sonnet-4-6", "openai/gpt-5-1")
OPUS = "anthropic/claude-opus-4-7"


def test_timeouts_from_one_region_are_our_network():
    world = World(MODELS, faults=[fault([OPUS], 120, 180, TIMEOUT, regions=[EU])]).run(200)
    [incident] = world.incidents()
    assert incident.cause is Cause.VANTAGE
    assert incident.regions == (EU,)
    assert world.statuses(OPUS) == [ComponentStatus.OPERATIONAL]
    assert "This is our network, not the provider" in incident.updates[0].body


def test_timeouts_from_every_region_are_the_providers_infrastructure():
    world = World(MODELS, faults=[fault([OPUS], 120, 180, TIMEOUT, rate=0.5)]).run(200)
    [incident] = world.incidents()
    assert incident.cause is Cause.INFRASTRUCTURE
    assert incident.public
    assert "timeouts waiting for the first token" in incident.updates[0].body


def test_failures_from_two_of_three_regions_are_the_providers():
    world = World(MODELS, faults=[fault([OPUS], 120, 180, UNAVAILABLE, regions=[US, EU])])
    world.run(200)
    [incident] = world.incidents()
    assert incident.cause is Cause.INFRASTRUCTURE
    assert incident.regions == (EU, US)


def test_with_one_vantage_point_timeouts_are_shown_with_an_unknown_cause_and_a_caveat():
    world = World(MODELS, regions=("local",), faults=[fault([OPUS], 120, 180, TIMEOUT)])
    world.run(220)
    [incident] = world.incidents()
    assert incident.public
    assert incident.cause is Cause.UNKNOWN
    assert "single vantage point: cannot rule out our own network" in incident.updates[0].body
