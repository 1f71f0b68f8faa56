"""Incident titles and update bodies, from evidence only.

Every sentence states something the probes showed: which models and regions,
how many probes failed and of which kind ("84 % of failed probes were HTTP 529
overloaded"), since when, latency against the model's usual, and what the
canary answers say. "This is an availability problem, not a change in model
quality" is written only on a `correct` answer verdict (monitor/judging/quality.py);
otherwise the text says quality is not yet known. Nothing here reads a clock
or a secret: error excerpts are never quoted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus

from monitor.judging.episodes import Evidence, is_wrong_answer
from monitor.judging.incidents import Change, Incident
from monitor.judging.quality import AnswerEvidence, QualityVerdict
from monitor.judging.status import Cause, ComponentStatus
from monitor.results import FailureClass, Outcome, ProbeResult, TimeoutKind

_ERROR_WORDS = {
    "overloaded_error": "overloaded",
    "rate_limit_error": "rate limited",
    "rate_limit_exceeded": "rate limited",
    "api_error": "server error",
    "server_error": "server error",
    "authentication_error": "authentication error",
    "permission_error": "permission denied",
    "not_found_error": "model not found",
    "model_not_found": "model not found",
    "insufficient_quota": "quota exhausted",
    "invalid_request_error": "invalid request",
    "RESOURCE_EXHAUSTED": "resource exhausted",
    "UNAVAILABLE": "unavailable",
    "INTERNAL": "internal error",
    "DEADLINE_EXCEEDED": "deadline exceeded",
}
_TIMEOUTS = {
    TimeoutKind.CONNECT: "connection timeouts",
    TimeoutKind.FIRST_TOKEN: "timeouts waiting for the first token",
    TimeoutKind.STALL: "streams that stalled",
    TimeoutKind.TOTAL: "timeouts",
}
_OUTCOMES = {
    Outcome.RESET: "connection resets",
    Outcome.DNS: "DNS failures",
    Outcome.TLS: "TLS certificate failures",
    Outcome.PROTOCOL: "malformed responses",
    Outcome.WRONG_ANSWER: "wrong answers",
    Outcome.GARBLED: "garbled answers",
    Outcome.EMPTY: "empty answers",
    Outcome.FALLBACK: "answers from another model (gateway fallback)",
}
_PROVIDER_SIDE = (FailureClass.INFRASTRUCTURE, FailureClass.CAPACITY, FailureClass.AMBIGUOUS)
_COUNTED = {
    Cause.CONFIGURATION: (FailureClass.CONFIGURATION,),
    Cause.VANTAGE: (FailureClass.VANTAGE, *_PROVIDER_SIDE),
    Cause.QUALITY: (FailureClass.QUALITY,),
}


@dataclass(frozen=True, slots=True)
class Story:
    """The facts about one incident at one moment; the engine gathers them."""

    incident: Incident
    names: Mapping[str, str]  # target id -> display name
    provider_name: str
    provider_models: int  # how many models the provider has
    others_operational: bool  # the provider's other models are all operational
    evidence: Sequence[Evidence]  # one per model in the incident, since started_at
    answers: AnswerEvidence  # pooled over the incident's models
    answer_verdict: QualityVerdict
    notes: tuple[str, ...] = ()
    # Per model, the level its last 15 minutes' errors earn (monitor/judging/advice.py):
    # what the routing signal weighs, so notifications advise as it does.
    recent_errors: Mapping[str, str | None] = field(default_factory=dict)


def failure_label(result: ProbeResult) -> str:
    """What kind of failure, in words a reader knows: "HTTP 529 overloaded"."""
    if result.outcome is Outcome.HTTP_ERROR:
        status = result.http_status
        words = _ERROR_WORDS.get(result.error_type or "") or _reason(status, result.error_type)
        return f"HTTP {status} {words}".strip() if status else f"HTTP errors ({words})"
    if result.outcome is Outcome.STREAM_ERROR:
        kind = result.error_type or ""
        words = _ERROR_WORDS.get(kind, kind.replace("_", " "))
        return f"errors mid-stream after HTTP 200{f' ({words})' if words else ''}"
    if result.outcome is Outcome.TIMEOUT:
        return _TIMEOUTS.get(result.timeout or TimeoutKind.TOTAL, "timeouts")
    if result.outcome in (Outcome.WRONG_ANSWER, Outcome.GARBLED, Outcome.EMPTY, Outcome.OK):
        return f"{_OUTCOMES.get(result.outcome, 'wrong answers')} ({result.check})"
    if result.outcome is Outcome.RESET and result.error_type == "connection_refused":
        return "connections refused"  # nothing listened: not a reset (probing/client.py)
    return _OUTCOMES.get(result.outcome, result.outcome.value)


def title(story: Story) -> str:
    incident = story.incident
    who = _who(story)
    if incident.cause is Cause.CONFIGURATION:
        return f"Configuration problem probing {who}"
    if incident.cause is Cause.VANTAGE:
        return f"Network problem reaching {who} from {_join(incident.regions) or 'one region'}"
    if incident.cause is Cause.QUALITY:
        return f"Wrong answers from {who}"
    if incident.cause is Cause.CAPACITY:
        return f"Rate limiting on {who}"
    if "availability" not in incident.signals:
        return f"Slow responses from {who}"
    if incident.worst is ComponentStatus.MAJOR_OUTAGE:
        return f"{who[0].upper()}{who[1:]} unavailable"
    return f"Elevated errors on {who}"


def body(story: Story, change: Change, models: Sequence[str], now: datetime) -> str:
    incident = story.incident
    names = _join([story.names.get(m, m) for m in models])
    since = _clock(incident.started_at, now)
    lead = {
        Change.OPENED: f"We are investigating {_problem(incident)} on {_who(story)} since {since}.",
        Change.IDENTIFIED: f"Identified: {_cause_sentence(story)}",
        Change.JOINED: f"Now also affecting {names}.",
        Change.LEFT: f"{names} {'is' if len(models) == 1 else 'are'} back to normal; "
        f"still affecting {_join(_names(story, incident.active_models))}.",
        Change.WORSE: f"The problem has grown: impact is now {incident.impact.value}.",
        Change.MONITORING: f"{names or _who(story)} back to normal at {_clock(now, now)}; "
        "we are monitoring.",
        Change.RELAPSED: f"The problem returned on {names}.",
        Change.RESOLVED: f"Resolved. From {since} to {_clock(now, now)} "
        f"({_duration(now - incident.started_at)}):",
    }[change]
    return " ".join([lead, *_facts(story), *story.notes])


# -- facts --------------------------------------------------------------------------------


def _facts(story: Story) -> list[str]:
    incident = story.incident
    if incident.cause is Cause.QUALITY:
        facts = [_wrong_answers(story), _requests_fine(story)]
    elif incident.cause is Cause.CONFIGURATION:
        facts = [
            _failures(story),
            _kinds(story),
            "This is our configuration (API key, quota or model name), not the provider; "
            "it is not shown publicly.",
        ]
    elif incident.cause is Cause.VANTAGE:
        facts = [_failures(story), _kinds(story), _vantage(story)]
    elif "availability" not in incident.signals:
        facts = [_latency(story), _requests_fine(story), _answers(story)]
    else:
        facts = [_failures(story), _kinds(story), _latency(story), _answers(story)]
    if (
        incident.public
        and story.others_operational
        and (story.provider_models > len(incident.models))
    ):
        facts.append(f"Other {story.provider_name} models are operational.")
    return [fact for fact in facts if fact]


def _failures(story: Story) -> str:
    counted = _COUNTED.get(story.incident.cause, _PROVIDER_SIDE)
    parts = []
    for evidence in story.evidence:
        failed = sum(1 for r in evidence.problems if r.failure_class in counted)
        probes = evidence.probes if counted is _PROVIDER_SIDE else evidence.all_probes
        if probes:
            name = story.names.get(evidence.target, evidence.target)
            parts.append(f"{name} {failed} of {probes} ({_percent(failed / probes)})")
    if not parts:
        return "No probes have completed yet."
    regions = _join(story.incident.regions)
    seen = f", seen from {regions}" if regions else ""
    usual = [e.usual_failure_share for e in story.evidence if e.usual_failure_share is not None]
    normally = ""
    if usual and counted is _PROVIDER_SIDE:
        normally = f" (usual failure rate {_percent(max(usual))})"
    return f"Failed probes: {'; '.join(parts)}{seen}{normally}."


def _kinds(story: Story) -> str:
    counted = _COUNTED.get(story.incident.cause, _PROVIDER_SIDE)
    labels = Counter(
        failure_label(r) for e in story.evidence for r in e.problems if r.failure_class in counted
    )
    total = sum(labels.values())
    if not total:
        return ""
    ranked = labels.most_common(3)
    first, rest = ranked[0], ranked[1:]
    text = f"{_percent(first[1] / total)} of failed probes were {first[0]}"
    text += "".join(f"; {_percent(count / total)} were {label}" for label, count in rest)
    retry = [r.retry_after_s for e in story.evidence for r in e.problems if r.retry_after_s]
    if story.incident.cause is Cause.CAPACITY and retry:
        text += f" (the provider asked us to retry after {max(retry):g} s)"
    return text + "."


def _latency(story: Story) -> str:
    pairs = [(e.median_ms, e.usual_median_ms) for e in story.evidence if e.median_ms]
    if not pairs:
        return ""
    median = sorted(m for m, _ in pairs)[len(pairs) // 2]
    usual = [u for _, u in pairs if u]
    if not usual:
        return f"Median response time {_seconds(median)}."
    usual_median = sorted(usual)[len(usual) // 2]
    ratio = median / usual_median
    if ratio >= 1.5:
        return (
            f"Median response time {_seconds(median)}, {ratio:.1f} times the usual "
            f"{_seconds(usual_median)}."
        )
    return f"Median response time {_seconds(median)} (usual {_seconds(usual_median)})."


def _answers(story: Story) -> str:
    answers = story.answers
    usual = _usual_wrong(story)
    # A prior is not an observation: "baseline" only once the models have history.
    baseline = "" if usual is None else f", baseline {_percent(1 - usual, precise=True)}"
    if story.answer_verdict is QualityVerdict.CORRECT:
        kind = "an availability" if "availability" in story.incident.signals else "a performance"
        return (
            f"Answers remained correct ({answers.correct} of {answers.checked} checked"
            f"{baseline}): this is {kind} problem, not a change in model quality."
        )
    if story.answer_verdict is QualityVerdict.DEGRADED:
        return (
            f"Answers were also wrong more often than usual ({answers.wrong} of "
            f"{answers.checked} checked{baseline})."
        )
    if not answers.checked:
        return "No answers came back, so answer quality cannot be judged yet."
    return (
        f"Answer quality is not yet known ({answers.correct} of {answers.checked} "
        "answers checked were correct; too few to tell)."
    )


def _wrong_answers(story: Story) -> str:
    answers = story.answers
    labels = Counter(
        failure_label(r) for e in story.evidence for r in e.problems if is_wrong_answer(r)
    )
    kinds = ", ".join(f"{count} {label}" for label, count in labels.most_common(4))
    share = _percent(answers.wrong / answers.checked) if answers.checked else "0 %"
    usual = _usual_wrong(story)
    usually = "" if usual is None else f"; usually {_percent(usual)}"
    return f"{answers.wrong} of {answers.checked} answers were wrong ({share}{usually})" + (
        f": {kinds}." if kinds else "."
    )


def _usual_wrong(story: Story) -> float | None:
    """The models' plain wrong-answer share once they have history; None before: the
    prior the engine judges a young model by is not something we observed."""
    usual = [e.usual_wrong_share for e in story.evidence if e.usual_wrong_share is not None]
    return max(usual) if usual else None


def _requests_fine(story: Story) -> str:
    probes = sum(e.probes for e in story.evidence)
    failed = sum(e.failed for e in story.evidence)
    if not probes or failed / probes > 0.05:
        return _failures(story) if probes else ""
    fine = f"Requests themselves succeed ({probes - failed} of {probes})"
    if story.incident.cause is Cause.QUALITY:
        return f"{fine}: this is a change in answers, not an outage."
    return f"{fine}."


def _vantage(story: Story) -> str:
    seen = {r for e in story.evidence for r in e.regions}
    fine = _join(sorted(seen - set(story.incident.regions)))
    others = f"; from {fine} the provider answers normally" if fine else ""
    return (
        f"Only probes from {_join(story.incident.regions)} fail{others}. This is our "
        "network, not the provider; it is not shown publicly."
    )


# -- small words --------------------------------------------------------------------------


def _who(story: Story) -> str:
    models = story.incident.models
    if story.provider_models > 1 and len(models) == story.provider_models:
        return f"all {story.provider_name} models"
    names = _names(story, models)
    if len(names) > 4:
        return f"{', '.join(names[:3])} and {len(names) - 3} more {story.provider_name} models"
    return _join(names)


def _problem(incident: Incident) -> str:
    words = {
        Cause.QUALITY: "wrong answers",
        Cause.CAPACITY: "rate limiting",
        Cause.CONFIGURATION: "rejected requests",
        Cause.VANTAGE: "failures from some of our vantage points",
    }
    if incident.cause in words:
        return words[incident.cause]
    if "availability" not in incident.signals:
        return "slow responses"
    return "elevated errors"


def _cause_sentence(story: Story) -> str:
    incident = story.incident
    where = (
        f"seen from all {len(incident.regions)} vantage points" if len(incident.regions) > 1 else ""
    )
    doing = "failing requests" if "availability" in incident.signals else "answering slowly"
    where = f", {where}" if where else ""
    return {
        Cause.INFRASTRUCTURE: f"the provider's servers are {doing}{where}.",
        Cause.CAPACITY: "the provider is rationing requests (rate limits with a retry time).",
        Cause.QUALITY: "the model answers, but wrong more often than usual.",
        Cause.CONFIGURATION: "the provider rejects our requests: our configuration needs fixing.",
        Cause.VANTAGE: "the failures come from our own network at some vantage points.",
        Cause.UNKNOWN: "the cause is not yet known.",
    }[incident.cause]


def _names(story: Story, targets: Sequence[str]) -> list[str]:
    return [story.names.get(t, t) for t in targets]


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _percent(share: float, precise: bool = False) -> str:
    value = share * 100
    if precise or (0 < value < 1) or (99 < value < 100):
        return f"{value:.1f} %"
    return f"{value:.0f} %"


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


def _clock(when: datetime, now: datetime) -> str:
    if when.date() == now.date():
        return f"{when:%H:%M} UTC"
    return f"{when:%b} {when.day}, {when:%H:%M} UTC"


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _reason(status: int | None, error_type: str | None) -> str:
    if error_type:
        return error_type.replace("_", " ")
    try:
        return HTTPStatus(status or 0).phrase.lower()
    except ValueError:
        return ""
