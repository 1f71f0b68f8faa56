"""The evidence every channel carries: the advice per model, the verdict in words."""

from __future__ import annotations

import pytest

from monitor.notify import evidence

OPUS, OPUS8 = "anthropic/claude-opus-4-7", "anthropic/claude-opus-4-8"


def facts(
    state="investigating",
    cause="infrastructure",
    worst="major_outage",
    active=(OPUS,),
    verdict=None,
    errors=None,
):
    found = (
        None
        if verdict is None and errors is None
        else {
            "probes": 50,
            "failure_shares": {"capacity": 0.6, "ok": 0.4},
            "quality": {
                "verdict": verdict or "unknown",
                "checked": 20,
                "wrong": 9 if verdict == "degraded" else 0,
            },
            "errors": errors or {},
        }
    )
    return {
        "state": state,
        "cause": cause,
        "worst": worst,
        "models": [OPUS, OPUS8],
        "active_models": list(active),
        "evidence": found,
        "updates": [{"status": state, "body": "..."}],
    }


@pytest.mark.parametrize(
    ("case", "advice"),
    [
        (facts(), {OPUS: "avoid", OPUS8: "use"}),  # only the one still bad
        (facts(worst="degraded_performance"), {OPUS: "use", OPUS8: "use"}),  # slower, still right
        (facts(worst="degraded_performance", verdict="degraded"), {OPUS: "avoid", OPUS8: "use"}),
        (facts(cause="quality", worst="operational"), {OPUS: "avoid", OPUS8: "use"}),
        (facts(state="resolved", active=()), {OPUS: "use", OPUS8: "use"}),
        # Still confirming, but the last 15 minutes fail at an outage's share: the routing
        # signal already says avoid (monitor/judging/advice.py), and so does the event.
        (
            facts(worst="degraded_performance", errors={OPUS: "partial_outage"}),
            {OPUS: "avoid", OPUS8: "use"},
        ),
        (
            facts(worst="degraded_performance", errors={OPUS: "degraded_performance"}),
            {OPUS: "use", OPUS8: "use"},
        ),
    ],
)
def test_a_model_is_avoided_only_while_it_is_down_or_answers_worse(case, advice):
    assert evidence.recommendation(case) == advice


@pytest.mark.parametrize(
    ("verdict", "said"),
    [
        ("correct", "Quality: answers still pass (20 of 20 checked were right)."),
        ("degraded", "Quality: answers are worse than usual (11 of 20 checked were right)."),
        ("unknown", "Quality: answer quality is not known yet (20 of 20 checked were right)."),
        (None, "Quality: answer quality is not known yet."),
    ],
)
def test_the_quality_sentence_says_the_verdict_and_its_counts(verdict, said):
    assert said in evidence.lines(facts(verdict=verdict))


def test_without_evidence_the_document_claims_nothing():
    document = evidence.document(facts())
    assert document["failure_shares"] == {} and document["probes"] == 0
    assert document["quality"]["verdict"] == "unknown"
