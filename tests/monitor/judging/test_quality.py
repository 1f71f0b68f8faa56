"""Answer correctness: the quality verdict and quality incidents."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from monitor.judging.quality import AnswerEvidence, QualityRule, QualityVerdict, answer_verdict
from monitor.judging.status import Cause, ComponentStatus
from tests.monitor.synthetic import UNAVAILABLE, World, at, fault, ok, targets, wrong_answer

RULE = QualityRule(min_sample=20, min_effect=0.10, alpha=1e-6, z=1.64)


@pytest.mark.parametrize(
    ("checked", "wrong", "baseline", "verdict"),
    [
        (213, 1, 0.004, QualityVerdict.CORRECT),
        (40, 0, 0.004, QualityVerdict.CORRECT),
        (19, 0, 0.004, QualityVerdict.UNKNOWN),  # below the minimum sample
        (25, 1, 0.004, QualityVerdict.UNKNOWN),  # a real 10-point rise could still hide
        (100, 30, 0.004, QualityVerdict.DEGRADED),
        (100, 9, 0.004, QualityVerdict.UNKNOWN),  # surprising, but under the minimum effect
        (100, 30, 0.25, QualityVerdict.UNKNOWN),  # a model that is often wrong, as usual
    ],
)
def test_the_answer_verdict_needs_both_a_sample_and_an_effect(checked, wrong, baseline, verdict):
    assert answer_verdict(AnswerEvidence(checked, wrong, baseline), RULE) is verdict


OPUS = "anthropic/claude-opus-4-7"
MODELS = targets(OPUS, "anthropic/claude-sonnet-4-6", "openai/gpt-5-1")


def test_a_model_answering_wrong_keeps_its_availability_and_gets_a_quality_incident():
    world = World(MODELS, faults=[fault([OPUS], 120, 300, wrong_answer, rate=0.3)]).run(330)
    [incident] = world.incidents()
    assert incident.cause is Cause.QUALITY
    assert incident.public
    assert incident.detected_at - at(120) <= timedelta(minutes=15)
    assert world.statuses(OPUS) == [ComponentStatus.OPERATIONAL]
    body = incident.updates[0].body
    assert "answers were wrong" in body
    assert "this is a change in answers, not an outage" in body


def test_the_quality_verdict_reads_degraded_during_and_correct_after():
    world = World(MODELS, faults=[fault([OPUS], 120, 300, wrong_answer, rate=0.3)]).run(200)
    assert world.engine.quality(OPUS) is QualityVerdict.DEGRADED
    assert world.engine.quality("openai/gpt-5-1") is QualityVerdict.CORRECT


def test_a_few_wrong_answers_open_nothing():
    world = World(MODELS, faults=[fault([OPUS], 120, 125, wrong_answer, rate=0.2)]).run(180)
    assert world.incidents() == []


def test_an_outage_does_not_pass_for_a_quality_problem():
    world = World(MODELS, faults=[fault([OPUS], 120, 180, UNAVAILABLE)]).run(200)
    assert [incident.cause for incident in world.incidents()] == [Cause.INFRASTRUCTURE]


def exact_form_missed(target, region, when):
    """The right value in another form ("The answer is [MOUNTAIN]."): only `strict_format`
    minds, and the prober records it so: an ok probe whose form was not kept."""
    return replace(ok(target, region, when, check="strict_format"), answer_correct=False)


def exact_form_kept(target, region, when):
    return ok(target, region, when, check="strict_format")


def test_answers_in_another_form_never_make_a_quality_incident_and_are_judged_apart():
    asked = [fault([m.id for m in MODELS], 0, 300, exact_form_kept, rate=0.2)]
    world = World(MODELS, faults=[*asked, fault([OPUS], 120, 300, exact_form_missed, rate=0.5)])
    world.run(150)
    assert world.incidents() == []
    assert world.engine.quality(OPUS) is QualityVerdict.CORRECT  # its answers are right
    assert world.engine.health(OPUS).form_verdict() is QualityVerdict.DEGRADED
    assert world.engine.health("openai/gpt-5-1").form_verdict() is not QualityVerdict.DEGRADED


def test_answers_kept_in_form_do_not_drown_wrong_answers():
    # Half the probes ask for exact form and get it; the other half answer wrong.
    world = World(
        MODELS,
        faults=[
            fault([OPUS], 120, 300, wrong_answer, rate=0.3),
            fault([OPUS], 120, 300, exact_form_kept, rate=0.5),
        ],
    )
    world.run(200)
    [incident] = world.incidents()
    assert incident.cause is Cause.QUALITY
    evidence = world.engine.health(OPUS).evidence(at(140), at(199))
    assert evidence.answers.wrong / evidence.answers.checked >= 0.2  # not diluted to ~15 %
