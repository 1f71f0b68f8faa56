"""An incident's evidence as plain data, for machines: what notifications carry.

    {"probes": 240,                                   # the incident's models, since it began
     "failure_shares": {"capacity": 0.31, "ok": 0.69},  # share of those probes per class
     "quality": {"verdict": "correct", "checked": 180, "wrong": 1},
     "errors": {"anthropic/claude-opus-4-7": "major_outage"}}  # last 15 min, per model

The same facts wording (monitor/judging/wording.py) turns into sentences, taken
from the same `Story` at the same moment, so a webhook never says more than the
incident's text: `verdict` is the answer verdict (monitor/judging/quality.py),
`correct` only when enough answers came back right to rule out a quality change.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from monitor.judging.advice import RECENT_WINDOW, Errors, errors_level
from monitor.judging.episodes import Signal
from monitor.judging.wording import Story
from monitor.results import FailureClass

if TYPE_CHECKING:
    from monitor.judging.health import TargetHealth

_RECENT_MINUTES = round(RECENT_WINDOW.total_seconds() / 60)


def evidence_summary(story: Story) -> dict[str, Any]:
    probes = sum(e.all_probes for e in story.evidence)
    # A wrong answer in time is a problem of class ok: counted with the ok ones.
    classes = Counter(
        r.failure_class.value
        for e in story.evidence
        for r in e.problems
        if r.failure_class is not FailureClass.OK
    )
    ok = probes - sum(classes.values())
    if ok > 0:
        classes[FailureClass.OK.value] = ok
    answers = story.answers
    return {
        "probes": probes,
        "failure_shares": {name: round(count / probes, 4) for name, count in classes.most_common()}
        if probes
        else {},
        "quality": {
            "verdict": story.answer_verdict.value,
            "checked": answers.checked,
            "wrong": answers.wrong,
        },
        "errors": dict(story.recent_errors),
    }


def recent_errors(health: TargetHealth, since: int | None = None) -> str | None:
    """The level a model's last 15 minutes of failures (from minute `since` on, if later:
    advice.recent_since) earn on their own, weighed as the site weighs them for its
    advice (monitor/judging/advice.py); None without probes."""
    test = health.tests[Signal.AVAILABILITY]
    now = health.book.now_minute
    if since is not None and now is not None and since > now - _RECENT_MINUTES:
        sums = health.book.sum(since, now)
    else:
        sums = health.book.window(_RECENT_MINUTES)
    share = health.baseline_share(Signal.AVAILABILITY)
    level = errors_level(Errors(sums[test.total], sums[test.bad], share), health.settings)
    return level.value if level is not None else None
