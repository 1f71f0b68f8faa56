"""What a tally counts of a probe result: one field per count, and the fields each
result adds to (monitor/judging/tally.py holds them per minute).

    ALL    every probe                N      probes that say something about availability
    FAIL   provider-side candidates   AMB    of which ambiguous (timeouts, resets)
    CAP    of which capacity          CFG    configuration failures (ours to fix)
    VAN    vantage failures (DNS/TLS) ANS    answers scored for correctness
    WRONG  answers wrong              LAT    answered probes with a latency
    SLOW   of which slower than the model's slow threshold
    FORM   answers scored for exact form only (FORM_CHECKS)   FORM_WRONG  of which wrong

Configuration and vantage failures are outside N: they say nothing about the
provider. Quality failures are inside N as successes: the API answered.
"""

from __future__ import annotations

from monitor.results import FailureClass, ProbeResult

ALL, N, FAIL, AMB, CAP, CFG, VAN, ANS, WRONG, LAT, SLOW, FORM, FORM_WRONG = range(13)
WIDTH = 13
# Checks of exact form only: their answers are counted apart (FORM, FORM_WRONG), against
# their own baseline, so a model that words its answers differently neither drowns nor
# fakes a verdict on whether its answers are right (the set is monitor/results.py's: the
# prober and the rollups count them apart too).
ZERO = (0,) * WIDTH

FIELDS: dict[FailureClass, tuple[int, ...]] = {
    FailureClass.OK: (ALL, N),
    FailureClass.QUALITY: (ALL, N, ANS, WRONG),
    FailureClass.INFRASTRUCTURE: (ALL, N, FAIL),
    FailureClass.CAPACITY: (ALL, N, FAIL, CAP),
    FailureClass.AMBIGUOUS: (ALL, N, FAIL, AMB),
    FailureClass.CONFIGURATION: (ALL, CFG),
    FailureClass.VANTAGE: (ALL, VAN),
}
ANSWERED = (FailureClass.OK, FailureClass.QUALITY)


def latency_ms(result: ProbeResult) -> float | None:
    if result.failure_class not in ANSWERED:
        return None
    return result.total_ms if result.total_ms is not None else result.ttft_ms


def combine(
    cls: FailureClass, answer: bool | None, slow: bool | None, form: bool = False
) -> tuple[int, ...]:
    fields = FIELDS[cls]
    if cls is FailureClass.OK and answer is not None:
        fields += (ANS, WRONG) if answer is False else (ANS,)
    if form and ANS in fields:
        fields = tuple({ANS: FORM, WRONG: FORM_WRONG}.get(index, index) for index in fields)
    if slow is not None:
        fields += (LAT, SLOW) if slow else (LAT,)
    return fields


# Every combination precomputed: ingest is the hot path (one call per probe result).
COMBINED = {
    (cls, answer, slow, form): combine(cls, answer, slow, form)
    for cls in FailureClass
    for answer in (True, False, None)
    for slow in (True, False, None)
    for form in (False, True)
}
