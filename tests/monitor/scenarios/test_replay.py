"""Replay of the scenario files in tests/scenarios: what a reader of the status page would
see for each kind of fault, through `replay()` and the public JSON document.

Each scenario runs once per module (fixtures below); the whole file takes ~40 s on two
cores, most of it the week of noise (~15 s) and the two June runs (~5 s each). Times
asserted here are for each file's own seed; bench/detection.py measures them across seeds
(the June outage was found within 5 minutes in 37 of 40 seeds tried, always within 8:
a baseline only two hours old needs a few more failures to be sure).
"""

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import ProbeSettings
from monitor.probing.scheduler import phase_offset
from monitor.results import FailureClass, Outcome
from monitor.scenarios.replay import replay, replay_document, scheduled
from monitor.scenarios.spec import Fault, FaultKind, Scenario, load_scenario
from monitor.scenarios.virtual_probe import virtual_probe

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
OPUS = ["anthropic/claude-opus-4-7", "anthropic/claude-opus-4-8"]
STATUS_WORDS = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
CAUSES = {"infrastructure", "capacity", "quality", "configuration", "vantage", "unknown"}
IMPACTS = {"none", "minor", "major", "critical"}
STATES = {"investigating", "identified", "monitoring", "resolved"}
MINUTES_5, MINUTES_15 = timedelta(minutes=5), timedelta(minutes=15)
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
DOCUMENT_KEYS = {"scenario", "start", "end", "probes", "incidents", "statuses", "providers"}
INCIDENT_KEYS = {
    "id",
    "public",
    "cause",
    "impact",
    "models",
    "regions",
    "started_at",
    "detected_at",
    "resolved_at",
    "title",
    "updates",
}


def scenario(name: str, seed: int | None = None) -> Scenario:
    loaded = load_scenario(SCENARIOS / f"{name}.toml")
    return loaded if seed is None else replace(loaded, seed=seed)


def run(name: str, seed: int | None = None) -> dict:
    return replay_document(replay(scenario(name, seed)))


def replayed(name: str, seed: int | None = None):
    @pytest.fixture(scope="module")
    def document() -> dict:
        return run(name, seed)

    return document


june = replayed("june-opus-overload")
june_next_seed = replayed("june-opus-overload", seed=8)
provider_outage = replayed("provider-outage")
week_of_noise = replayed("week-of-noise")  # 4 models x 3 regions x 7 days: ~15 s
flapping = replayed("flapping-model")
wrong_answers = replayed("wrong-answers")
one_region_one_model = replayed("one-region-one-model")
one_region_down = replayed("one-region-down")
bad_api_key = replayed("bad-api-key")
stream_errors = replayed("stream-errors")
rate_limited = replayed("rate-limited")
gateway_rate_limited = replayed("gateway-rate-limited")
slow_model = replayed("slow-model")
timeouts_everywhere = replayed("timeouts-everywhere")
single_bad_probe = replayed("single-bad-probe")
ALL_DOCUMENTS = [
    "june",
    "june_next_seed",
    "provider_outage",
    "week_of_noise",
    "flapping",
    "wrong_answers",
    "one_region_one_model",
    "one_region_down",
    "bad_api_key",
    "stream_errors",
    "rate_limited",
    "slow_model",
    "timeouts_everywhere",
    "single_bad_probe",
]


# -- reading a document ---------------------------------------------------------------------


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def after_start(document: dict, minutes: float) -> datetime:
    return when(document["start"]) + timedelta(minutes=minutes)


def only_incident(document: dict) -> dict:
    assert len(document["incidents"]) == 1, [i["title"] for i in document["incidents"]]
    return document["incidents"][0]


def words(document: dict, subject: str, table: str = "statuses") -> list[str]:
    return [entry["status"] for entry in document[table][subject]]


def changed(document: dict, table: str = "statuses") -> set[str]:
    """Subjects whose status ever left the one entry they start with."""
    return {subject for subject, entries in document[table].items() if len(entries) != 1}


def text(incident: dict) -> str:
    return " ".join(update["body"] for update in incident["updates"])


def detected_within(incident: dict, fault_start: datetime, limit: timedelta) -> bool:
    return fault_start <= when(incident["detected_at"]) <= fault_start + limit


def resolved_within(incident: dict, fault_end: datetime, limit: timedelta) -> bool:
    resolved = incident["resolved_at"]
    return resolved is not None and fault_end < when(resolved) <= fault_end + limit


# -- must hold: June 2026 ---------------------------------------------------------------------


def test_june_overload_opens_one_infrastructure_incident_naming_only_the_two_opus_models(june):
    incident = only_incident(june)
    assert incident["models"] == OPUS
    assert (incident["cause"], incident["public"]) == ("infrastructure", True)
    assert incident["title"] == "Elevated errors on Claude Opus 4.7 and Claude Opus 4.8"


def test_june_overload_says_answers_stayed_correct_and_quality_did_not_change(june):
    incident = only_incident(june)
    resolved = incident["updates"][-1]
    assert resolved["status"] == "resolved"
    assert "Answers remained correct" in resolved["body"]
    assert "not a change in model quality" in resolved["body"]
    assert "HTTP 529 overloaded" in resolved["body"]
    assert "wrong more often" not in text(incident)


def test_every_model_but_opus_stays_operational_through_the_june_overload(june):
    assert changed(june) == set(OPUS)
    assert changed(june, "providers") == {"anthropic"}
    assert all(words(june, m) == ["operational"] for m in june["statuses"] if m not in OPUS)


def test_june_overload_is_detected_within_5_minutes_and_resolved_within_15_of_recovery(june):
    incident = only_incident(june)
    assert detected_within(incident, after_start(june, 120), MINUTES_5)
    assert resolved_within(incident, after_start(june, 14 * 60), MINUTES_15)
    # The start is the first failing probe: not long before the fault, never after detection.
    started = when(incident["started_at"])
    assert after_start(june, 117) <= started <= when(incident["detected_at"])


def test_another_seed_still_names_only_opus_and_finds_it_promptly(june_next_seed):
    incident = only_incident(june_next_seed)
    assert (incident["models"], incident["cause"]) == (OPUS, "infrastructure")
    assert changed(june_next_seed) == set(OPUS)
    # Robust across seeds (bench/detection.py): detected within 8 minutes, resolved within 13.
    assert detected_within(incident, after_start(june_next_seed, 120), timedelta(minutes=10))
    assert resolved_within(incident, after_start(june_next_seed, 14 * 60), MINUTES_15)


# -- must hold: the other faults --------------------------------------------------------------


def test_a_provider_wide_outage_is_one_critical_incident_listing_all_its_models(
    provider_outage,
):
    incident = only_incident(provider_outage)
    assert incident["models"] == ["openai/gpt-5-1", "openai/gpt-5-mini"]
    assert (incident["cause"], incident["impact"]) == ("infrastructure", "critical")
    # Built-in settings name a provider by its id; a config's display_name reads better.
    assert incident["title"].lower() == "all openai models unavailable"
    assert "major_outage" in words(provider_outage, "openai", "providers")
    assert all("major_outage" in words(provider_outage, m) for m in incident["models"])
    assert detected_within(incident, after_start(provider_outage, 120), MINUTES_5)
    assert resolved_within(incident, after_start(provider_outage, 150), MINUTES_15)


def test_a_provider_wide_outage_leaves_the_other_providers_untouched(provider_outage):
    assert changed(provider_outage) == {"openai/gpt-5-1", "openai/gpt-5-mini"}
    assert changed(provider_outage, "providers") == {"openai"}


def test_a_week_of_1_to_2_percent_noise_raises_nothing(week_of_noise):
    assert week_of_noise["incidents"] == []
    assert changed(week_of_noise) == set()
    # Confirmation probes count like any other; on noise they stay a small share.
    scheduled = 4 * 3 * 7 * 24 * 60
    assert scheduled < week_of_noise["probes"] <= 1.12 * scheduled


def test_a_model_flapping_2_minutes_down_2_up_for_an_hour_is_one_incident(flapping):
    incident = only_incident(flapping)
    assert incident["models"] == ["gemini/gemini-2-5-pro"]
    assert [u["status"] for u in incident["updates"]].count("resolved") == 1
    assert resolved_within(incident, after_start(flapping, 180), MINUTES_15)
    # Its status leaves operational once and comes back once, not fifteen times.
    assert words(flapping, "gemini/gemini-2-5-pro").count("operational") == 2


def test_wrong_answers_with_http_200_are_a_quality_incident_not_an_outage(wrong_answers):
    incident = only_incident(wrong_answers)
    assert (incident["cause"], incident["models"]) == ("quality", ["openai/gpt-5-1"])
    assert incident["title"] == "Wrong answers from GPT 5.1"
    assert "this is a change in answers, not an outage" in text(incident)
    assert changed(wrong_answers) == set()  # availability stays operational throughout
    assert resolved_within(incident, after_start(wrong_answers, 300), MINUTES_15)


def test_failures_from_one_region_are_an_operator_only_vantage_incident(one_region_one_model):
    incident = only_incident(one_region_one_model)
    assert (incident["cause"], incident["public"], incident["impact"]) == ("vantage", False, "none")
    assert (incident["models"], incident["regions"]) == (
        ["anthropic/claude-opus-4-7"],
        ["ap-southeast"],
    )
    assert "This is our network, not the provider" in text(incident)
    assert changed(one_region_one_model) == set()


def test_one_region_losing_every_provider_shows_nothing_publicly(one_region_down):
    incidents = one_region_down["incidents"]
    assert incidents, "our own network failing must reach the operator"
    assert {(i["cause"], i["public"]) for i in incidents} == {("vantage", False)}
    assert {tuple(i["regions"]) for i in incidents} == {("eu-west",)}
    assert changed(one_region_down) == set()
    assert changed(one_region_down, "providers") == set()


def test_a_401_on_one_model_is_an_operator_only_configuration_incident(bad_api_key):
    incident = only_incident(bad_api_key)
    assert (incident["cause"], incident["public"], incident["impact"]) == (
        "configuration",
        False,
        "none",
    )
    assert incident["models"] == ["anthropic/claude-haiku-4-5"]
    assert "HTTP 401 authentication error" in text(incident)
    assert incident["resolved_at"] is None  # the key stays bad to the end
    assert changed(bad_api_key) == set()


def test_errors_mid_stream_after_http_200_count_as_infrastructure_failures(stream_errors):
    incident = only_incident(stream_errors)
    assert (incident["cause"], incident["models"]) == (
        "infrastructure",
        ["gemini/gemini-2-5-flash"],
    )
    assert "errors mid-stream after HTTP 200" in text(incident)
    assert "partial_outage" in words(stream_errors, "gemini/gemini-2-5-flash")


# -- more faults ------------------------------------------------------------------------------


def test_429_with_a_retry_time_is_a_capacity_incident(rate_limited):
    incident = only_incident(rate_limited)
    assert (incident["cause"], incident["models"]) == ("capacity", ["openai/gpt-5-mini"])
    assert incident["title"] == "Rate limiting on GPT 5 Mini"
    assert "retry after 30 s" in text(incident)


def test_a_gateways_429_without_retry_time_is_a_public_capacity_incident(gateway_rate_limited):
    # Issue 10: LiteLLM's Anthropic route drops retry-after; this used to be `configuration`,
    # an operator-only incident, with the model page "Operational" at 89 % failed probes.
    incident = only_incident(gateway_rate_limited)
    assert (incident["cause"], incident["public"]) == ("capacity", True)
    assert incident["models"] == ["anthropic/claude-sonnet-4-6"]
    assert "major_outage" in words(gateway_rate_limited, "anthropic/claude-sonnet-4-6")
    assert changed(gateway_rate_limited) == {"anthropic/claude-sonnet-4-6"}


def test_five_times_slower_answers_are_degraded_performance_with_latency_words(slow_model):
    incident = only_incident(slow_model)
    assert (incident["cause"], incident["impact"]) == ("infrastructure", "minor")
    assert incident["title"] == "Slow responses from Claude Sonnet 4.6"
    assert "times the usual" in text(incident)
    assert "a performance problem, not a change in model quality" in text(incident)
    assert words(slow_model, "anthropic/claude-sonnet-4-6") == [
        "operational",
        "degraded_performance",
        "operational",
    ]
    assert changed(slow_model) == {"anthropic/claude-sonnet-4-6"}


def test_timeouts_from_every_region_are_the_providers_outage(timeouts_everywhere):
    incident = only_incident(timeouts_everywhere)
    assert (incident["cause"], incident["public"]) == ("infrastructure", True)
    assert incident["regions"] == ["ap-southeast", "eu-west", "us-east"]
    assert "major_outage" in words(timeouts_everywhere, "together/llama-4-maverick")
    assert detected_within(incident, after_start(timeouts_everywhere, 120), MINUTES_5)


def test_a_single_bad_probe_changes_nothing(single_bad_probe):
    assert single_bad_probe["incidents"] == []
    assert changed(single_bad_probe) == set()


# -- the document ---------------------------------------------------------------------------


def test_replaying_a_scenario_twice_gives_the_same_document(flapping):
    assert json.dumps(run("flapping-model")) == json.dumps(flapping)


@pytest.mark.parametrize(
    "name", ["flapping-model", "wrong-answers-one-region", "timeouts-everywhere"]
)
def test_a_replay_using_other_processes_gives_the_same_document(name):
    # Large replays split their providers over processes (tests/.../test_shards.py), or
    # for one provider (wrong-answers-one-region) draw its scheduled probes in a child
    # process: faults, wrong answers and timeouts travel back whole, healthy answers as
    # their numbers.
    here = replay_document(replay(scenario(name), apart=False))
    apart = replay_document(replay(scenario(name), apart=True))
    assert json.dumps(apart) == json.dumps(here)
    assert here["incidents"]


@pytest.mark.parametrize("name", ["june-opus-overload", "week-of-noise"])
def test_the_schedule_holds_every_probe_of_every_model_and_region_in_start_order(name):
    loaded = scenario(name)
    every = []
    for model in loaded.models:
        for region in loaded.regions:
            at = loaded.start + timedelta(seconds=phase_offset(model.id, region, loaded.interval_s))
            while at < loaded.end:
                every.append((at, model.id, region))
                at += timedelta(seconds=loaded.interval_s)
    assert list(scheduled(loaded)) == sorted(every)


@pytest.mark.parametrize("name", ALL_DOCUMENTS)
def test_the_document_follows_the_public_contract(name, request):
    document = request.getfixturevalue(name)
    source = scenario(document["scenario"])
    assert set(document) == DOCUMENT_KEYS
    assert document["end"] == _iso(source.end) and document["start"] == _iso(source.start)
    per_stream = source.duration_s / source.interval_s
    # Every scheduled probe, and the confirmation probes the engine asked for on top.
    assert document["probes"] >= len(source.models) * len(source.regions) * per_stream
    assert set(document["statuses"]) == {m.id for m in source.models}
    assert set(document["providers"]) == {m.provider for m in source.models}
    for table in ("statuses", "providers"):
        for entries in document[table].values():
            _check_changes(entries, document["start"])
    for incident in document["incidents"]:
        _check_incident(incident)
    assert len({i["id"] for i in document["incidents"]}) == len(document["incidents"])


def _check_changes(entries: list[dict], start: str) -> None:
    assert entries[0] == {"from": start, "status": "operational"}
    assert all(set(e) == {"from", "status"} and e["status"] in STATUS_WORDS for e in entries)
    assert all(TIME.match(e["from"]) for e in entries)
    assert [e["from"] for e in entries] == sorted(e["from"] for e in entries)
    assert all(a["status"] != b["status"] for a, b in pairwise(entries))


def _check_incident(incident: dict) -> None:
    assert set(incident) == INCIDENT_KEYS
    assert isinstance(incident["id"], str)
    assert incident["cause"] in CAUSES and incident["impact"] in IMPACTS
    assert incident["public"] is (incident["cause"] not in ("configuration", "vantage"))
    assert incident["models"] == sorted(incident["models"])
    assert incident["regions"] == sorted(incident["regions"])
    times = [incident["started_at"], incident["detected_at"]]
    times += [incident["resolved_at"]] if incident["resolved_at"] else []
    assert all(TIME.match(t) for t in times) and times == sorted(times)
    updates = incident["updates"]
    assert updates[0]["at"] == incident["detected_at"]
    assert updates[0]["status"] == "investigating"
    assert all(set(u) == {"at", "status", "body"} and u["status"] in STATES for u in updates)
    assert all(TIME.match(u["at"]) and u["body"] for u in updates)
    closed = updates[-1]["status"] == "resolved"
    assert closed is (incident["resolved_at"] is not None)
    if closed:
        assert updates[-1]["at"] == incident["resolved_at"]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the command line -------------------------------------------------------------------------


def test_replay_json_prints_only_the_document_on_stdout(
    tmp_path, monkeypatch, capsys, single_bad_probe
):
    config = tmp_path / "empty.toml"
    config.write_text("")  # built-in thresholds
    monkeypatch.chdir(tmp_path)
    path = SCENARIOS / "single-bad-probe.toml"
    assert main(["replay", str(path), "--config", str(config), "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == single_bad_probe
    assert out == json.dumps(single_bad_probe, indent=2) + "\n"


def test_replay_json_needs_no_config_file_in_the_working_directory(
    tmp_path, monkeypatch, capsys, single_bad_probe
):
    monkeypatch.chdir(tmp_path)
    assert main(["replay", str(SCENARIOS / "single-bad-probe.toml"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == single_bad_probe


def test_a_drift_in_form_only_changes_nothing_replay_judges():
    # Replay's probes ask the arithmetic question, lenient about form: "The answer is 919."
    # is right, so a model answering in sentences all day is exactly as healthy. (A fault
    # takes the place of the background errors, so both runs go without them.)
    base = scenario("wrong-answers")
    calm = replace(base, faults=(), models=tuple(replace(m, error_rate=0.0) for m in base.models))
    everywhere = Fault(("*",), ("*",), 0.0, None, 1.0, FaultKind.WRONG_FORM)
    wordy = replace(calm, faults=(everywhere,))
    document = replay_document(replay(wordy))
    assert document == replay_document(replay(calm))
    assert document["incidents"] == []
    assert {s["status"] for changes in document["statuses"].values() for s in changes} == {
        "operational"
    }


def test_replay_records_an_exact_form_answer_as_the_live_probe_does():
    calm = scenario("wrong-answers")
    everywhere = Fault(("*",), ("*",), 0.0, None, 1.0, FaultKind.WRONG_FORM)
    wordy = replace(calm, faults=(everywhere,))
    model = wordy.models[0].id
    asked = {
        check: virtual_probe(wordy, model, "r", wordy.start, ProbeSettings(), check)
        for check in ("arithmetic", "strict_format")
    }
    assert {r.failure_class for r in asked.values()} == {FailureClass.OK}
    assert asked["arithmetic"].answer_correct is True
    assert asked["strict_format"].answer_correct is False  # the value right, not its form


def test_replay_records_a_reset_as_the_live_probe_of_the_simulator_does():
    # The simulator accepts the connection, then resets it: not a refusal
    # (tests/monitor/probing/test_probe.py's reset fault, probed live).
    calm = scenario("wrong-answers")
    everywhere = Fault(("*",), ("*",), 0.0, None, 1.0, FaultKind.RESET)
    reset = replace(calm, faults=(everywhere,))
    result = virtual_probe(reset, reset.models[0].id, "r", reset.start, ProbeSettings())
    assert (result.outcome, result.error_type) == (Outcome.RESET, "connection_reset")
