"""Incident wording: every sentence comes from evidence, and only what it supports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest

from monitor.judging.episodes import Evidence
from monitor.judging.incidents import Change, Impact, Incident, IncidentState
from monitor.judging.quality import AnswerEvidence, QualityVerdict
from monitor.judging.status import Cause, ComponentStatus
from monitor.judging.wording import Story, body, failure_label, title
from monitor.results import FailureClass, Outcome, ProbeResult, TimeoutKind
from tests.monitor.synthetic import (
    OVERLOADED,
    RATE_LIMITED,
    TIMEOUT,
    UNAUTHORIZED,
    UNAVAILABLE,
    at,
    failing,
    http,
)

OPUS7, OPUS8 = "anthropic/claude-opus-4-7", "anthropic/claude-opus-4-8"
NAMES = {OPUS7: "Claude Opus 4.7", OPUS8: "Claude Opus 4.8"}


@pytest.mark.parametrize(
    ("result", "label"),
    [
        (OVERLOADED(OPUS7, "us-east", at(0)), "HTTP 529 overloaded"),
        (UNAVAILABLE(OPUS7, "us-east", at(0)), "HTTP 503 service unavailable"),
        (RATE_LIMITED(OPUS7, "us-east", at(0)), "HTTP 429 rate limited"),
        (UNAUTHORIZED(OPUS7, "us-east", at(0)), "HTTP 401 authentication error"),
        (http(500, "INTERNAL")(OPUS7, "us-east", at(0)), "HTTP 500 internal error"),
        (http(418, "teapot_error")(OPUS7, "us-east", at(0)), "HTTP 418 teapot error"),
        (TIMEOUT(OPUS7, "us-east", at(0)), "timeouts waiting for the first token"),
        (
            failing(Outcome.TIMEOUT, FailureClass.AMBIGUOUS, TimeoutKind.STALL)(OPUS7, "us", at(0)),
            "streams that stalled",
        ),
        (
            failing(Outcome.STREAM_ERROR, FailureClass.INFRASTRUCTURE, error_type="api_error")(
                OPUS7, "us-east", at(0)
            ),
            "errors mid-stream after HTTP 200 (server error)",
        ),
        (
            failing(Outcome.RESET, FailureClass.AMBIGUOUS)(OPUS7, "us-east", at(0)),
            "connection resets",
        ),
        (
            failing(Outcome.RESET, FailureClass.AMBIGUOUS, error_type="connection_reset")(
                OPUS7, "us-east", at(0)
            ),
            "connection resets",
        ),
        (
            failing(Outcome.RESET, FailureClass.AMBIGUOUS, error_type="connection_refused")(
                OPUS7, "us-east", at(0)
            ),
            "connections refused",
        ),
        (failing(Outcome.DNS, FailureClass.VANTAGE)(OPUS7, "us-east", at(0)), "DNS failures"),
    ],
)
def test_failures_are_labelled_in_words_a_reader_knows(result, label):
    assert failure_label(result) == label


def incident(
    models: Sequence[str] = (OPUS7, OPUS8),
    cause: Cause = Cause.INFRASTRUCTURE,
    worst: ComponentStatus = ComponentStatus.PARTIAL_OUTAGE,
    signals: tuple[str, ...] = ("availability",),
    regions: tuple[str, ...] = ("eu-west", "us-east"),
) -> Incident:
    return Incident(
        id="1",
        provider="anthropic",
        cause=cause,
        public=cause.public,
        impact=Impact.MAJOR,
        state=IncidentState.INVESTIGATING,
        models=tuple(models),
        active_models=tuple(models),
        regions=regions,
        signals=signals,
        started_at=at(120),
        detected_at=at(124),
        resolved_at=None,
        title="",
        updates=(),
        worst=worst,
    )


def evidence(
    target: str,
    failures: Sequence[ProbeResult],
    probes: int = 100,
    answers: int = 65,
    median: float = 1200.0,
) -> Evidence:
    return Evidence(
        target=target,
        all_probes=probes,
        probes=probes,
        failed=len(failures),
        problems=tuple(failures),
        answers=AnswerEvidence(answers, 0, 0.004),
        median_ms=median,
        usual_median_ms=1100.0,
        usual_failure_share=0.002,
        usual_wrong_share=0.004,
        regions=("eu-west", "us-east"),
    )


def story(
    inc: Incident,
    evidences: Sequence[Evidence],
    verdict: QualityVerdict,
    checked: int = 213,
    wrong: int = 1,
) -> Story:
    return Story(
        incident=inc,
        names=NAMES,
        provider_name="Anthropic",
        provider_models=5,
        others_operational=True,
        evidence=evidences,
        answers=AnswerEvidence(checked, wrong, 0.004),
        answer_verdict=verdict,
    )


def overloaded_story(verdict: QualityVerdict = QualityVerdict.CORRECT) -> Story:
    failures = [OVERLOADED(OPUS7, "us-east", at(121))] * 21
    failures += [TIMEOUT(OPUS7, "eu-west", at(122))] * 4
    return story(incident(), [evidence(OPUS7, failures), evidence(OPUS8, failures[:10])], verdict)


@pytest.mark.parametrize(
    ("inc", "expected"),
    [
        (incident(), "Elevated errors on Claude Opus 4.7 and Claude Opus 4.8"),
        (incident([OPUS7], worst=ComponentStatus.MAJOR_OUTAGE), "Claude Opus 4.7 unavailable"),
        (incident([OPUS7], signals=("latency",)), "Slow responses from Claude Opus 4.7"),
        (incident([OPUS7], cause=Cause.QUALITY), "Wrong answers from Claude Opus 4.7"),
        (incident([OPUS7], cause=Cause.CAPACITY), "Rate limiting on Claude Opus 4.7"),
        (
            incident([OPUS7], cause=Cause.CONFIGURATION),
            "Configuration problem probing Claude Opus 4.7",
        ),
        (
            incident([OPUS7], cause=Cause.VANTAGE, regions=("us-east",)),
            "Network problem reaching Claude Opus 4.7 from us-east",
        ),
    ],
)
def test_titles_name_the_models_and_the_kind_of_problem(inc, expected):
    assert title(story(inc, [], QualityVerdict.UNKNOWN)) == expected


def test_a_title_for_every_model_of_a_provider_names_the_provider():
    whole = replace(story(incident(), [], QualityVerdict.UNKNOWN), provider_models=2)
    assert title(whole) == "Elevated errors on all Anthropic models"


def test_an_update_gives_error_shares_by_type_regions_and_start():
    text = body(overloaded_story(), Change.OPENED, [OPUS7], at(124))
    assert text.startswith(
        "We are investigating elevated errors on Claude Opus 4.7 and "
        "Claude Opus 4.8 since 02:00 UTC."
    )
    assert "Claude Opus 4.7 25 of 100 (25 %); Claude Opus 4.8 10 of 100 (10 %)" in text
    assert "seen from eu-west and us-east" in text
    assert "usual failure rate 0.2 %" in text
    assert "89 % of failed probes were HTTP 529 overloaded; 11 % were timeouts" in text


def test_an_update_says_connections_were_refused_when_nothing_listened():
    refused = failing(Outcome.RESET, FailureClass.AMBIGUOUS, error_type="connection_refused")
    failures = [refused(OPUS7, "us-east", at(121))] * 30
    text = body(
        story(incident([OPUS7]), [evidence(OPUS7, failures)], QualityVerdict.UNKNOWN),
        Change.OPENED,
        [OPUS7],
        at(124),
    )
    assert "were connections refused" in text and "reset" not in text


def test_answers_that_stayed_correct_are_said_only_on_a_supported_verdict():
    said = body(overloaded_story(QualityVerdict.CORRECT), Change.RESOLVED, [], at(200))
    assert (
        "Answers remained correct (212 of 213 checked, baseline 99.6 %): this is an "
        "availability problem, not a change in model quality."
    ) in said
    unsure = body(overloaded_story(QualityVerdict.UNKNOWN), Change.RESOLVED, [], at(200))
    assert "not a change in model quality" not in unsure
    assert "Answer quality is not yet known" in unsure


def test_no_answers_at_all_means_quality_cannot_be_judged():
    failures = [UNAVAILABLE(OPUS7, "us-east", at(121))] * 12
    text = body(
        story(
            incident([OPUS7]),
            [evidence(OPUS7, failures, 12, 0)],
            QualityVerdict.UNKNOWN,
            checked=0,
            wrong=0,
        ),
        Change.OPENED,
        [],
        at(124),
    )
    assert "No answers came back, so answer quality cannot be judged yet." in text


def test_slow_responses_are_compared_with_the_models_usual_latency():
    inc = incident([OPUS7], signals=("latency",))
    text = body(
        story(inc, [evidence(OPUS7, [], median=5500.0)], QualityVerdict.CORRECT),
        Change.IDENTIFIED,
        [],
        at(130),
    )
    assert "Median response time 5.5 s, 5.0 times the usual 1.1 s." in text
    assert "the provider's servers are answering slowly" in text
    assert "this is a performance problem, not a change in model quality" in text


def test_a_configuration_problem_says_it_is_ours_and_quotes_nothing_secret():
    secret = "sk-ant-do-not-leak"
    rejected = [
        replace(
            UNAUTHORIZED(OPUS7, "us-east", at(121)), error_excerpt=f"invalid x-api-key {secret}"
        )
    ] * 5
    text = body(
        story(
            incident([OPUS7], cause=Cause.CONFIGURATION),
            [evidence(OPUS7, rejected, 5)],
            QualityVerdict.UNKNOWN,
        ),
        Change.OPENED,
        [],
        at(124),
    )
    assert "This is our configuration (API key, quota or model name)" in text
    assert "HTTP 401 authentication error" in text
    assert secret not in text


def test_resolution_states_how_long_it_lasted():
    text = body(overloaded_story(), Change.RESOLVED, [], at(120) + timedelta(hours=12, minutes=9))
    assert text.startswith("Resolved. From 02:00 UTC to 14:09 UTC (12 h 9 min):")


def test_a_model_without_history_is_never_given_a_usual_share_or_baseline():
    from dataclasses import replace

    young = [
        replace(e, usual_failure_share=None, usual_wrong_share=None)
        for e in overloaded_story().evidence
    ]
    said = body(replace(overloaded_story(), evidence=young), Change.OPENED, [], at(124))
    assert "Answers remained correct (212 of 213 checked): this is an availability" in said
    assert "baseline" not in said and "usual failure rate" not in said
    wrong = story(
        incident([OPUS7], cause=Cause.QUALITY),
        young[:1],
        QualityVerdict.DEGRADED,
        checked=40,
        wrong=16,
    )
    assert "16 of 40 answers were wrong (40 %)" in body(wrong, Change.OPENED, [], at(124))
    assert "usually" not in body(wrong, Change.OPENED, [], at(124))
