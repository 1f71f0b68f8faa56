"""Model and provider status: Statuspage words, levels with hysteresis, derivation."""

from __future__ import annotations

import pytest

from monitor.config import ConfigError, settings_from_dict
from monitor.judging.status import (
    Cause,
    ComponentStatus,
    level_for_share,
    next_level,
    provider_status,
)
from tests.monitor.synthetic import (
    DNS,
    OVERLOADED,
    UNAUTHORIZED,
    UNAVAILABLE,
    World,
    fault,
    http,
    slow,
    targets,
)

OP = ComponentStatus.OPERATIONAL
DEG = ComponentStatus.DEGRADED_PERFORMANCE
PART = ComponentStatus.PARTIAL_OUTAGE
MAJOR = ComponentStatus.MAJOR_OUTAGE
MAINT = ComponentStatus.UNDER_MAINTENANCE

OPUS, SONNET, HAIKU = (
    "anthropic/claude-opus-4-7",
    "anthropic/claude-sonnet-4-6",
    "anthropic/claude-haiku-4-5",
)
GPT = "openai/gpt-5-1"
MODELS = targets(OPUS, SONNET, HAIKU, GPT)


@pytest.mark.parametrize(
    ("models", "status", "summary"),
    [
        ([OP, OP, OP], OP, "all 3 models operational"),
        ([DEG, OP, OP], DEG, "1 of 3 models affected"),
        ([PART, PART, OP, OP, OP], PART, "2 of 5 models affected"),
        ([MAJOR, OP], PART, "1 of 2 models affected"),
        ([MAJOR, MAJOR], MAJOR, "2 of 2 models affected"),
        ([MAJOR, DEG], PART, "2 of 2 models affected"),
        ([MAINT, MAINT], MAINT, "all 2 models operational"),
        ([MAINT, DEG], DEG, "1 of 2 models affected"),
    ],
)
def test_a_provider_status_follows_from_its_models(models, status, summary):
    derived = provider_status(models)
    assert derived.status is status
    assert derived.summary == summary


@pytest.mark.parametrize(
    ("share", "level"),
    [(0.05, DEG), (0.19, DEG), (0.20, PART), (0.79, PART), (0.80, MAJOR), (1.0, MAJOR)],
)
def test_a_failing_share_earns_a_level(share, level):
    assert level_for_share(share, 0.20, 0.80) is level


@pytest.mark.parametrize(
    ("current", "lower", "upper", "expected"),
    [
        (DEG, 0.25, 0.45, PART),  # lower bound passed 20 %: up
        (PART, 0.15, 0.45, PART),  # bounds straddle 20 %: stay
        (PART, 0.05, 0.18, DEG),  # upper bound below 20 %: down
        (MAJOR, 0.70, 0.90, MAJOR),  # straddles 80 %: stay
        (MAJOR, 0.40, 0.60, PART),
        (DEG, 0.85, 1.00, MAJOR),
    ],
)
def test_levels_move_only_when_the_bounds_clear_a_threshold(current, lower, upper, expected):
    assert next_level(current, lower, upper, 0.20, 0.80) is expected


@pytest.mark.parametrize(
    ("cause", "public"),
    [
        (Cause.INFRASTRUCTURE, True),
        (Cause.CAPACITY, True),
        (Cause.QUALITY, True),
        (Cause.UNKNOWN, True),
        (Cause.CONFIGURATION, False),
        (Cause.VANTAGE, False),
    ],
)
def test_only_our_own_problems_are_kept_off_the_public_page(cause, public):
    assert cause.public is public


def test_sonnet_stays_operational_while_opus_fails():
    world = World(MODELS, faults=[fault([OPUS], 120, 180, UNAVAILABLE)]).run(200)
    assert MAJOR in world.statuses(OPUS)
    assert world.statuses(SONNET) == [OP]
    assert world.statuses(HAIKU) == [OP]
    provider = world.engine.history()["anthropic"]
    assert PART in world.statuses("anthropic")
    assert MAJOR not in world.statuses("anthropic")
    assert provider[-1].status is OP
    assert {change.reason for change in provider[1:-1]} == {"1 of 3 models affected"}


@pytest.mark.parametrize("bad_probes", [1, 2])
def test_a_few_bad_probes_change_nothing(bad_probes):
    regions = ("us-east", "eu-west", "ap-southeast")[:bad_probes]
    world = World(MODELS, faults=[fault([OPUS], 120, 121, OVERLOADED, regions=regions)])
    world.run(150)
    assert world.statuses(OPUS) == [OP]
    assert world.incidents() == []


def test_a_model_whose_normal_is_three_percent_errors_stays_operational():
    world = World(MODELS, noise_by_model={OPUS: 0.03}, seed=11).run(24 * 60)
    assert world.statuses(OPUS) == [OP]


def test_a_small_steady_share_failing_is_degraded_performance_in_one_episode():
    world = World(MODELS, faults=[fault([OPUS], 120, 300, UNAVAILABLE, rate=0.12)]).run(360)
    statuses = world.statuses(OPUS)
    assert statuses[:2] == [OP, DEG]
    assert statuses.count(OP) == 2
    assert MAJOR not in statuses
    assert len(world.incidents()) == 1


def test_five_times_slower_answers_are_degraded_performance():
    world = World(MODELS, faults=[fault([OPUS], 180, 240, slow(5))]).run(270)
    assert world.statuses(OPUS) == [OP, DEG, OP]
    [incident] = world.incidents()
    assert incident.title == "Slow responses from Claude Opus 4.7"
    assert "times the usual" in incident.updates[0].body


def test_twice_as_slow_as_usual_on_a_few_probes_is_not_degraded():
    world = World(MODELS, faults=[fault([OPUS], 180, 240, slow(3), rate=0.05)]).run(270)
    assert world.statuses(OPUS) == [OP]


@pytest.mark.parametrize("make", [UNAUTHORIZED, DNS, http(404, "not_found_error")])
def test_our_own_failures_never_mark_a_model_down_publicly(make):
    world = World(MODELS, faults=[fault([OPUS], 120, 180, make)]).run(200)
    assert world.statuses(OPUS) == [OP]
    assert [incident.public for incident in world.incidents()] == [False]


def test_thresholds_are_read_from_the_config_file_with_durations():
    settings = settings_from_dict(
        {
            "status": {
                "windows": ["1h", "5m"],
                "recovery_window": "8m",
                "incidents": {"resolve_after": "2m"},
            }
        }
    )
    assert settings.status.windows == (300.0, 3600.0)
    assert settings.status.recovery_window == 480.0
    assert settings.status.incidents.resolve_after == 120.0


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"windows": ["30s"]}, "status.windows: give one or more windows"),
        ({"partial_outage_share": 0.9}, "must be below major_outage_share"),
        ({"flap_guard": 3}, "status.flap_guard: unknown key"),
    ],
)
def test_a_bad_threshold_is_refused_with_its_key(section, message):
    with pytest.raises(ConfigError, match=message):
        settings_from_dict({"status": section})
