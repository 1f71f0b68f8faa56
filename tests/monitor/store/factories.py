"""Probe results for store tests."""

from datetime import UTC, datetime, timedelta

from monitor.results import FailureClass, Outcome, ProbeResult

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def make_result(
    target: str = "anthropic/claude-opus-4-7",
    region: str = "eu-west",
    at: datetime = T0,
    **fields,
) -> ProbeResult:
    fields = {"outcome": Outcome.OK, "failure_class": FailureClass.OK, **fields}
    return ProbeResult(target=target, region=region, started_at=at, **fields)


def results_every_minute(count: int, start: datetime = T0, **fields) -> list[ProbeResult]:
    return [make_result(at=start + timedelta(minutes=i), **fields) for i in range(count)]
