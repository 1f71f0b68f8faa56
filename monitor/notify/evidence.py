"""What an incident's notification says beyond its update text, in one wording for
every channel: the webhook's `aistatus` key as data, mails (plain text and HTML) and
operator channels as the same sentences.

    cause            infrastructure, capacity, quality, configuration, vantage, unknown
    failure shares   of the probes of its models since it began, per failure class
    quality          correct (answers still pass) · degraded (worse) · unknown
    recommendation   per model: judging's one rule (monitor/judging/advice.py), as the
                     routing signal gives it: avoid while it is in an outage, its last
                     15 minutes' errors are at an outage's share, or it answers worse

The shares and the verdict were taken by the engine when the update was written
(monitor/judging/summary.py): a late delivery says what was known then.
"""

from __future__ import annotations

from typing import Any

from monitor.judging.advice import USE, advise
from monitor.judging.status import ComponentStatus

Facts = dict[str, Any]

QUALITY_WORDS = {
    "correct": "answers still pass",
    "degraded": "answers are worse than usual",
    "unknown": "answer quality is not known yet",
}


def recommendation(facts: Facts) -> dict[str, str]:
    """`avoid` or `use` for each model of the incident, as the routing signal says it."""
    open_ = facts["state"] != "resolved"
    worse = facts["cause"] == "quality" or quality(facts)["verdict"] == "degraded"
    status = ComponentStatus(facts["worst"])
    # Events written before the engine sent the recent errors along carry none.
    errors = (facts.get("evidence") or {}).get("errors") or {}
    return {
        m: advise(status, _level(errors.get(m)), worse)[0]
        if open_ and m in facts["active_models"]
        else USE
        for m in facts["models"]
    }


def _level(value: str | None) -> ComponentStatus | None:
    return ComponentStatus(value) if value else None


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
