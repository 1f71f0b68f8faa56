"""Answer correctness: the verdict on a model's canary answers.

Only answers are judged: probes that failed before answering say nothing about
quality. Checks are *pooled* (arithmetic on every probe, parity/format/script at
a lower rate): the suite's mix is fixed by the scheduler, so one pooled
baseline of wrong answers is fair, and pooling reaches a useful sample sooner.
Wording may still break wrong answers down by check.

A verdict is one of:

- `degraded`: significantly more wrong answers than the model's baseline, by at
  least `quality_min_effect` (the same binomial test as availability);
- `correct`: enough answers (`quality_min_sample`) that even the upper bound of
  the wrong share stays within `quality_min_effect` of the baseline, so a real
  change in quality would have shown;
- `unknown`: too few answers to say either.

"Infrastructure, not model quality" is only ever said on a `correct` verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from monitor.judging.significance import is_surprising, wilson_bounds


class QualityVerdict(StrEnum):
    CORRECT = "correct"
    DEGRADED = "degraded"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class AnswerEvidence:
    checked: int
    wrong: int
    baseline_wrong: float  # the model's usual wrong share (prior included)

    @property
    def correct(self) -> int:
        return self.checked - self.wrong


@dataclass(frozen=True, slots=True)
class QualityRule:
    min_sample: int
    min_effect: float
    alpha: float
    z: float


def answer_verdict(evidence: AnswerEvidence, rule: QualityRule) -> QualityVerdict:
    checked, wrong, p0 = evidence.checked, evidence.wrong, evidence.baseline_wrong
    if checked < rule.min_sample:
        return QualityVerdict.UNKNOWN
    if wrong / checked >= p0 + rule.min_effect and is_surprising(wrong, checked, p0, rule.alpha):
        return QualityVerdict.DEGRADED
    _, upper = wilson_bounds(wrong, checked, rule.z)
    if upper <= p0 + rule.min_effect:
        return QualityVerdict.CORRECT
    return QualityVerdict.UNKNOWN
