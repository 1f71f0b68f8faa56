"""Replay of the fresh-install and one-vantage-point scenarios in tests/scenarios: status
a reader can trust from the first minute. Times asserted are each file's own seed;
bench/detection.py measures them across seeds.
"""

from datetime import datetime, timedelta

import pytest

from tests.monitor.scenarios.test_replay import (
    after_start,
    only_incident,
    replayed,
    text,
    when,
)

fresh_two_models_down = replayed("fresh-two-models-down")
fresh_forty_percent = replayed("fresh-forty-percent")
quarter_failing = replayed("quarter-failing-after-history")
every_probe_failing = replayed("every-probe-failing")
wrong_answers_one_region = replayed("wrong-answers-one-region")
long_incident = replayed("long-incident-recovery")
fresh_noise = replayed("fresh-noise-three-days")
OPUS = ["anthropic/claude-opus-4-7", "anthropic/claude-opus-4-8"]


def first_affected(document: dict, model: str, since: datetime) -> datetime | None:
    return next(
        (
            when(e["from"])
            for e in document["statuses"][model]
            if e["status"] != "operational" and when(e["from"]) >= since
        ),
        None,
    )


def first(document: dict, model: str, status: str) -> datetime | None:
    return next(
        (when(e["from"]) for e in document["statuses"][model] if e["status"] == status), None
    )


def test_two_models_failing_from_the_first_minute_are_both_shown_within_4_minutes(
    fresh_two_models_down,
):
    start = after_start(fresh_two_models_down, 0)
    for model in OPUS:
        shown = first_affected(fresh_two_models_down, model, start)
        assert shown is not None and shown <= start + timedelta(minutes=4)
    incident = only_incident(fresh_two_models_down)
    assert incident["models"] == OPUS
    assert fresh_two_models_down["statuses"]["anthropic/claude-sonnet-4-6"] == [
        {"from": fresh_two_models_down["start"], "status": "operational"}
    ]


def test_forty_percent_errors_on_a_fresh_install_are_shown_and_opened_within_minutes(
    fresh_forty_percent,
):
    start = after_start(fresh_forty_percent, 0)
    shown = first_affected(fresh_forty_percent, "openai/gpt-5-1", start)
    assert shown is not None and shown <= start + timedelta(minutes=6)
    incident = only_incident(fresh_forty_percent)
    assert when(incident["detected_at"]) <= start + timedelta(minutes=7)
    assert "single vantage point" in text(incident)


def test_confirmation_probes_are_counted_like_any_other(fresh_forty_percent):
    scheduled = 2 * 4 * 60  # two models, one region, every minute for four hours
    assert fresh_forty_percent["probes"] > scheduled


def test_a_quarter_of_probes_failing_after_two_healthy_hours_opens_an_incident(quarter_failing):
    incident = only_incident(quarter_failing)
    fault = after_start(quarter_failing, 120)
    assert fault <= when(incident["detected_at"]) <= fault + timedelta(minutes=10)


def test_every_probe_failing_in_three_regions_is_a_major_outage_within_3_minutes(
    every_probe_failing,
):
    fault = after_start(every_probe_failing, 120)
    major = first(every_probe_failing, "gemini/gemini-2-5-pro", "major_outage")
    assert major is not None and fault <= major <= fault + timedelta(minutes=3)
    assert only_incident(every_probe_failing)["impact"] == "critical"


def test_wrong_answers_at_one_vantage_point_are_a_quality_incident_never_infrastructure(
    wrong_answers_one_region,
):
    incident = only_incident(wrong_answers_one_region)
    fault = after_start(wrong_answers_one_region, 60)
    assert incident["cause"] == "quality"
    assert fault <= when(incident["detected_at"]) <= fault + timedelta(minutes=10)
    assert all(
        e["status"] == "operational"
        for e in wrong_answers_one_region["statuses"]["openai/gpt-5-mini"]
    )


def test_a_twelve_hour_incident_resolves_within_15_minutes_of_recovery(long_incident):
    incident = only_incident(long_incident)
    recovered = after_start(long_incident, 13 * 60)
    assert incident["resolved_at"] is not None
    assert recovered < when(incident["resolved_at"]) <= recovered + timedelta(minutes=15)


@pytest.mark.parametrize(
    "name", ["fresh_two_models_down", "fresh_forty_percent", "quarter_failing", "long_incident"]
)
def test_no_incident_is_detected_before_it_started(name, request):
    for incident in request.getfixturevalue(name)["incidents"]:
        assert when(incident["started_at"]) <= when(incident["detected_at"])


def test_three_days_of_one_to_four_percent_noise_from_a_fresh_start_show_nothing(fresh_noise):
    assert fresh_noise["incidents"] == []
    assert all(len(entries) == 1 for entries in fresh_noise["statuses"].values())


def test_no_update_quotes_the_prior_as_if_it_were_observed(fresh_forty_percent):
    incident = only_incident(fresh_forty_percent)
    opened = incident["updates"][0]["body"]
    assert "usual failure rate" not in opened and "baseline" not in opened


# Seeds that missed a goal before: each now replayed as a regression test.
quarter_slow_seed = replayed("quarter-failing-after-history", seed=61)  # was 12 min
long_incident_slow_seed = replayed("long-incident-recovery", seed=99)  # resolved after 33
week_of_noise_false_seed = replayed("week-of-noise", seed=33)  # one false incident


def test_a_quarter_failing_is_confirmed_within_minutes_of_its_first_failed_probe(quarter_slow_seed):
    # Its first failed probe came 4.5 minutes in; a fresh look then found 5 failures in
    # 35 probes (14 %): faster probes as the evidence grew opened it within the 10 minutes.
    incident = only_incident(quarter_slow_seed)
    fault = after_start(quarter_slow_seed, 120)
    assert fault <= when(incident["detected_at"]) <= fault + timedelta(minutes=10)


def test_a_long_incident_whose_last_minutes_failed_less_still_resolves_within_15(
    long_incident_slow_seed,
):
    # The last quarter hour of the 35 % fault failed at ~15 %: the closer look after
    # recovery is asked by the hour's share, and a stray failure 17 minutes after it cannot
    # hold the incident open.
    incident = only_incident(long_incident_slow_seed)
    recovered = after_start(long_incident_slow_seed, 13 * 60)
    assert incident["resolved_at"] is not None
    assert recovered < when(incident["resolved_at"]) <= recovered + timedelta(minutes=15)


def test_a_noisy_week_whose_suspicion_grew_by_chance_raises_nothing(week_of_noise_false_seed):
    assert week_of_noise_false_seed["incidents"] == []
    for changes in week_of_noise_false_seed["statuses"].values():
        assert all(e["status"] == "operational" for e in changes)
