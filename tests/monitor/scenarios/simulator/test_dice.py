"""Replay's quick dice draw exactly what a request's own generator draws, and where they
would not, replay takes the slow way."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import ProbeSettings
from monitor.probing import canary
from monitor.scenarios.simulator.behaviour import request_draws, request_rng
from monitor.scenarios.simulator.dice import ArithmeticDice
from monitor.scenarios.spec import ModelBehaviour, parse_scenario
from monitor.scenarios.virtual_probe import VirtualProber

START = datetime(2026, 6, 7, tzinfo=UTC)


def slow_way(seed: int, model: ModelBehaviour, region: str, at: datetime) -> tuple:
    rng = request_rng(seed, model.id, region, at)
    question = canary.make_question(rng, "arithmetic")
    return (int(question.expected), *request_draws(model, rng))


@pytest.mark.parametrize("jitter", [0.0, 0.2, 1.0])
def test_every_number_is_the_one_the_request_generator_draws(jitter):
    model = ModelBehaviour("openai/gpt-x", "openai", "gpt-x", 450.0, 1300.0, jitter, 0.02)
    pick = random.Random(5)
    dice = ArithmeticDice(seed=11)
    for _ in range(400):
        at = START + timedelta(seconds=pick.uniform(0, 86_400))  # whole microseconds or not
        region = pick.choice(["us-east", "eu-west", "ap-southeast"])
        assert dice.roll(model, region, at) == slow_way(11, model, region, at)


def test_dice_that_differ_from_the_standard_library_leave_replay_on_the_slow_way(
    monkeypatch,
):
    scenario = parse_scenario(
        {"name": "one", "seed": 4, "models": [{"id": "anthropic/m", "error_rate": 0.0}]}
    )
    honest = VirtualProber(scenario, ProbeSettings())
    at = scenario.start + timedelta(seconds=90)
    expected = honest.draw("anthropic/m", "local", at)
    # As if a Python release changed how random.py draws: the quick dice now disagree.
    monkeypatch.setattr(ArithmeticDice, "roll", lambda self, *_: (1998, 0.5, 0.5, 9.0, 9.0))
    changed = VirtualProber(scenario, ProbeSettings())
    assert changed.draw("anthropic/m", "local", at) == expected
