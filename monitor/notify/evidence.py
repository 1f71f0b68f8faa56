"""What an incident's notification says beyond its update text, in one wording for
every channel: the webhook's `aistatus` key as data, mails (plain text and HTML) and
operator channels as the same sentences.

    cause            infrastructure, capacity, quality, configuration, vantage, unknown
    failure shares   of the probes of its models since it began, per failure class
    quality          correct (answers still pass) · degraded (worse) · unknown
    recommendation   per model: avoid while it is in an outage or answers worse; else use

The shares and the verdict were taken by the engine when the update was written
(monitor/judging/summary.py): a late delivery says what was known then.
"""

from __future__ import annotations

from typing import Any

Facts = dict[str, Any]

_AVOID = ("major_outage", "partial_outage", "under_maintenance")
QUALITY_WORDS = {
    "correct": "answers still pass",
    "degraded": "answers are worse than usual",
    "unknown": "answer quality is not known yet",
}


def recommendation(facts: Facts) -> dict[str, str]:
    """`avoid` or `use` for each model of the incident, as the routing signal says it."""
    open_ = facts["state"] != "resolved"
    worse = facts["cause"] == "quality" or quality(facts)["verdict"] == "degraded"
    return {
        m: (
            "avoid"
            if open_ and m in facts["active_models"] and (facts["worst"] in _AVOID or worse)
            else "use"
        )
        for m in facts["models"]
    }


def quality(facts: Facts) -> dict[str, Any]:
    """The answer verdict with its counts; `unknown` when the event carries none."""
    found = (facts.get("evidence") or {}).get("quality")
    verdict = found["verdict"] if found else "unknown"
    return {
        "verdict": verdict,
        "checked": found["checked"] if found else 0,
        "wrong": found["wrong"] if found else 0,
        "text": QUALITY_WORDS[verdict],
    }


def failure_shares(facts: Facts) -> dict[str, float]:
    return dict((facts.get("evidence") or {}).get("failure_shares") or {})


def document(facts: Facts) -> Facts:
    """The evidence as the webhook's `aistatus` key carries it."""
    return {
        "cause": facts["cause"],
        "probes": (facts.get("evidence") or {}).get("probes", 0),
        "failure_shares": failure_shares(facts),
        "quality": quality(facts),
        "recommendation": recommendation(facts),
    }


def lines(facts: Facts) -> list[str]:
    """The same evidence in sentences, for mails and operator channels."""
    said = [f"Cause: {facts['cause']}. Status: {facts['updates'][-1]['status']}."]
    if facts["active_models"]:
        said.append("Affected now: " + ", ".join(facts["active_models"]) + ".")
    probes = (facts.get("evidence") or {}).get("probes", 0)
    shares = failure_shares(facts)
    if probes and shares:
        said.append(
            f"Of {probes} probes since it began: "
            + ", ".join(f"{_percent(share)} {name}" for name, share in shares.items())
            + "."
        )
    verdict = quality(facts)
    counts = (
        f" ({verdict['checked'] - verdict['wrong']} of {verdict['checked']} checked were right)"
        if verdict["checked"]
        else ""
    )
    said.append(f"Quality: {verdict['text']}{counts}.")
    advice = recommendation(facts)
    avoid = [m for m, word in advice.items() if word == "avoid"]
    use = [m for m, word in advice.items() if word == "use"]
    parts = [f"avoid {', '.join(avoid)}"] if avoid else []
    parts += [f"use {', '.join(use)}"] if use else []
    said.append("Recommendation: " + "; ".join(parts) + ".")
    return said


def _percent(share: float) -> str:
    value = share * 100
    return f"{value:.0f} %" if value >= 1 or value == 0 else "<1 %"
