from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.scenarios.spec import (
    DEFAULT_START,
    Fault,
    FaultKind,
    ScenarioError,
    load_scenario,
    parse_scenario,
)

MINIMAL = {"name": "tiny", "models": [{"id": "anthropic/claude-a"}]}
THREE_MODELS = {
    "name": "three",
    "duration": "2h",
    "regions": ["us-east", "eu-west"],
    "models": [
        {"id": "anthropic/claude-a"},
        {"id": "anthropic/claude-b"},
        {"id": "openai/gpt-c"},
    ],
}


def with_faults(*faults: dict) -> dict:
    return {**THREE_MODELS, "faults": list(faults)}


def problems_of(raw: dict) -> tuple[str, ...]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(raw, "test.toml")
    return caught.value.problems


def test_a_minimal_scenario_gets_the_documented_defaults():
    scenario = parse_scenario(MINIMAL, "tiny.toml")

    assert scenario.start == DEFAULT_START
    assert scenario.duration_s == 86400
    assert scenario.interval_s == 60
    assert scenario.regions == ("local",)
    assert scenario.seed == 0
    assert scenario.faults == ()
    model = scenario.models[0]
    assert (model.provider, model.model) == ("anthropic", "claude-a")
    assert (model.ttft_ms, model.latency_ms, model.jitter, model.error_rate) == (500, 1000, 0.2, 0)


def test_a_fault_gets_the_documented_defaults():
    scenario = parse_scenario(with_faults({"models": ["*"], "kind": "slow"}), "test.toml")

    assert scenario.faults == (
        Fault(
            models=("*",),
            regions=("*",),
            from_s=0.0,
            until_s=None,
            rate=1.0,
            kind=FaultKind.SLOW,
            factor=5.0,
        ),
    )


def test_the_end_is_start_plus_duration():
    scenario = parse_scenario({**THREE_MODELS, "start": "2026-06-07T00:00:00Z"}, "x")

    assert scenario.end == datetime(2026, 6, 7, 2, 0, tzinfo=UTC)


def test_a_toml_datetime_start_is_accepted_as_utc():
    scenario = parse_scenario({**MINIMAL, "start": datetime(2026, 6, 7, 2, 0, tzinfo=UTC)}, "x")

    assert scenario.start == datetime(2026, 6, 7, 2, 0, tzinfo=UTC)


def test_latency_defaults_to_at_least_the_time_to_first_token():
    scenario = parse_scenario(
        {"name": "slowpoke", "models": [{"id": "openai/gpt-a", "ttft_ms": 3000}]}, "x"
    )

    assert scenario.models[0].latency_ms == 3000


def test_the_bundled_demo_loads_by_name():
    scenario = load_scenario("demo")

    assert scenario.name == "demo"
    assert scenario.fault_at("anthropic/claude-demo-opus", "local", 15 * 60).status == 529
    assert scenario.fault_at("anthropic/claude-demo-sonnet", "local", 15 * 60) is None


def test_a_file_path_loads_relative_to_base_dir(tmp_path):
    (tmp_path / "mine.toml").write_text('name = "mine"\n[[models]]\nid = "gemini/g"\n')

    assert load_scenario("mine.toml", base_dir=tmp_path).name == "mine"


def test_a_missing_file_names_the_bundled_scenarios(tmp_path):
    with pytest.raises(ScenarioError, match=r"no bundled scenario named 'nope' \(bundled: .*demo"):
        load_scenario("nope", base_dir=tmp_path)


def test_a_file_that_is_not_toml_is_refused_with_its_path(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("name = \n")

    with pytest.raises(ScenarioError, match=r"broken\.toml: not valid TOML"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"models": MINIMAL["models"]}, "name: required key is missing"),
        ({**MINIMAL, "name": "Big Name"}, "name: 'Big Name' must use only a-z, 0-9 and '-'"),
        ({**MINIMAL, "colour": "red"}, "colour: unknown key"),
        ({**MINIMAL, "duration": "soon"}, "duration: expected a duration"),
        ({**MINIMAL, "interval": 0}, "interval: must be longer than 0s"),
        ({**MINIMAL, "start": "2026-06-07T00:00:00"}, "start: needs a time zone"),
        ({**MINIMAL, "start": "yesterday"}, "start: expected a time like"),
        ({**MINIMAL, "regions": []}, "regions: expected a non-empty list of strings"),
        ({**MINIMAL, "regions": ["us-east", "us-east"]}, "regions: lists a region twice"),
        ({**MINIMAL, "seed": 1.5}, "seed: expected an integer"),
        ({"name": "x"}, "models: a scenario needs at least one [[models]] table"),
    ],
)
def test_a_bad_scenario_key_is_named_with_its_path(raw, problem):
    assert any(p.startswith(problem) for p in problems_of(raw)), problems_of(raw)


@pytest.mark.parametrize(
    ("models", "problem"),
    [
        ([{"id": "claude"}], "models[0].id: expected 'provider/model'"),
        ([{"ttft_ms": 1}], "models[0].id: required key is missing"),
        ([{"id": "a/b", "speed": 1}], "models[0].speed: unknown key"),
        ([{"id": "a/b", "jitter": 2}], "models[0].jitter: must be between 0 and 1"),
        ([{"id": "a/b", "error_rate": -0.1}], "models[0].error_rate: must be between 0 and 1"),
        ([{"id": "a/b", "ttft_ms": -1}], "models[0].ttft_ms: must not be negative"),
        ([{"id": "a/b", "ttft_ms": 900, "latency_ms": 500}], "models[0].latency_ms: 500 is below"),
        ([{"id": "a/b"}, {"id": "a/b"}], "models[1].id: duplicate model id 'a/b'"),
        (["a/b"], "models[0]: expected a table"),
    ],
)
def test_a_bad_model_key_is_named_with_its_path(models, problem):
    raw = {"name": "x", "models": models}

    assert any(p.startswith(problem) for p in problems_of(raw)), problems_of(raw)


# Each fault is {"models": ["*"], "kind": "slow"} with these keys changed (None: left out).
@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"kind": "boom"}, "kind: unknown fault kind 'boom'"),
        ({"kind": None}, "kind: required key is missing"),
        ({"models": None}, "models: required key is missing"),
        ({"models": ["openai/gpt-z"]}, "models: no model 'openai/gpt-z'"),
        ({"models": ["gemini/*"]}, "models: no model of provider 'gemini'"),
        ({"models": []}, "models: expected a non-empty list of strings"),
        ({"regions": ["mars"]}, "regions: no region 'mars'"),
        ({"rate": 1.5}, "rate: must be between 0 and 1"),
        ({"from": "+3h"}, "from: +10800s is not before the scenario's end"),
        ({"from": "+1h", "until": "+30m"}, "until: must be later than from"),
        ({"from": "soon"}, "from: expected a duration"),
        ({"kind": "http_error"}, "status: required for kind 'http_error'"),
        ({"kind": "http_error", "status": 200}, "status: expected an HTTP error status"),
        # The gateway_error kind (issue 10) takes a status too, and the message names it.
        (
            {"kind": "timeout", "status": 529},
            "status: only for kind 'http_error' or 'gateway_error', not 'timeout'",
        ),
        ({"kind": "reset", "factor": 2}, "factor: only for kind 'slow'"),
        ({"factor": 0}, "factor: must be greater than 0"),
        ({"when": "now"}, "when: unknown key"),
    ],
)
def test_a_bad_fault_key_is_named_with_its_path(changes, problem):
    fault = {"models": ["*"], "kind": "slow", **changes}
    fault = {key: value for key, value in fault.items() if value is not None}
    raw = with_faults({"kind": "empty", "models": ["*"]}, fault)  # a good fault first: [1]

    assert any(p.startswith(f"faults[1].{problem}") for p in problems_of(raw)), problems_of(raw)


def test_every_problem_is_reported_at_once_with_the_source():
    raw = {**MINIMAL, "colour": "red", "seed": "seven"}

    with pytest.raises(ScenarioError) as caught:
        parse_scenario(raw, "mine.toml")

    assert str(caught.value).startswith("mine.toml: 2 problem(s):")
    assert len(caught.value.problems) == 2


def test_the_fault_kinds_are_exactly_the_documented_ones():
    assert {k.value for k in FaultKind} == {
        "http_error",
        "timeout",
        "slow",
        "stall",
        "stream_error",
        "reset",
        "wrong_answer",
        "garbled",
        "empty",
        "dns",
        "tls",
        # issue 10 extended the contract (never renamed): what gateways and proxies do
        "gateway_error",
        "slow_first_token",
        "endless_line",
        # the strict_format follow-up extended it again: a drift in form only
        "wrong_form",
    }


def test_every_fault_kind_has_a_row_in_the_contract_table():
    contract = (Path(__file__).parents[3] / "docs" / "scenarios.md").read_text()
    assert all(f"| `{kind.value}` |" in contract for kind in FaultKind)


def test_a_later_fault_wins_where_two_overlap():
    scenario = parse_scenario(
        with_faults(
            {"models": ["*"], "kind": "slow", "from": "+0s", "until": "+1h"},
            {"models": ["anthropic/claude-a"], "kind": "timeout", "from": "+30m", "until": "+40m"},
        ),
        "x",
    )

    assert scenario.fault_at("anthropic/claude-a", "us-east", 35 * 60).kind is FaultKind.TIMEOUT
    assert scenario.fault_at("anthropic/claude-a", "us-east", 45 * 60).kind is FaultKind.SLOW
    assert scenario.fault_at("anthropic/claude-b", "us-east", 35 * 60).kind is FaultKind.SLOW


@pytest.mark.parametrize(
    ("pattern", "affected"),
    [
        ("*", {"anthropic/claude-a", "anthropic/claude-b", "openai/gpt-c"}),
        ("anthropic/*", {"anthropic/claude-a", "anthropic/claude-b"}),
        ("anthropic/claude-b", {"anthropic/claude-b"}),
    ],
)
def test_fault_models_match_ids_provider_wildcards_and_star(pattern, affected):
    scenario = parse_scenario(with_faults({"models": [pattern], "kind": "empty"}), "x")

    hit = {m.id for m in scenario.models if scenario.fault_at(m.id, "us-east", 0)}
    assert hit == affected


def test_a_fault_in_one_region_leaves_the_others_alone():
    scenario = parse_scenario(
        with_faults({"models": ["*"], "regions": ["eu-west"], "kind": "reset"}), "x"
    )

    assert scenario.fault_at("openai/gpt-c", "eu-west", 10) is not None
    assert scenario.fault_at("openai/gpt-c", "us-east", 10) is None


@pytest.mark.parametrize(
    ("offset_s", "active"),
    [(0, False), (599.9, False), (600, True), (1199.9, True), (1200, False)],
)
def test_a_fault_is_active_from_its_start_until_just_before_its_end(offset_s, active):
    scenario = parse_scenario(
        with_faults({"models": ["*"], "kind": "garbled", "from": "+10m", "until": 1200}), "x"
    )

    assert (scenario.fault_at("openai/gpt-c", "us-east", offset_s) is not None) is active


def test_a_fault_without_until_lasts_to_the_end():
    scenario = parse_scenario(with_faults({"models": ["*"], "kind": "tls", "from": "1h"}), "x")

    assert scenario.fault_at("openai/gpt-c", "us-east", 2 * 3600 - 1) is not None


def test_http_error_keys_are_kept():
    scenario = parse_scenario(
        with_faults(
            {
                "models": ["anthropic/*"],
                "kind": "http_error",
                "status": 429,
                "error_type": "rate_limit_error",
                "retry_after": "30s",
                "rate": 0.5,
            }
        ),
        "x",
    )

    fault = scenario.faults[0]
    assert (fault.status, fault.error_type, fault.retry_after, fault.rate) == (
        429,
        "rate_limit_error",
        30.0,
        0.5,
    )


def test_durations_and_offsets_take_compound_forms():
    raw = {
        **MINIMAL,
        "duration": "2h45m",
        "interval": "1m30s",
        "faults": [{"models": ["*"], "kind": "slow", "from": "+1h10m", "until": "2h30m"}],
    }
    scenario = parse_scenario(raw)
    assert scenario.duration_s == 9900 and scenario.interval_s == 90
    assert (scenario.faults[0].from_s, scenario.faults[0].until_s) == (4200, 9000)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({**MINIMAL, "duration": "-30s"}, "duration: must be positive, got '-30s'"),
        ({**MINIMAL, "interval": "30"}, "interval: give a unit, as in '30s' or '30m'"),
        ({"name": "x", "models": [{"id": "a/b\x1b[31m"}]}, "models[0].id: 'a/b\\x1b[31m' has a"),
        ({"name": "x", "models": [{"id": "a/" + "b" * 254}]}, "models[0].id: is 256 characters"),
    ],
)
def test_a_scenario_value_that_would_fail_later_is_refused_now(raw, problem):
    assert any(p.startswith(problem) for p in problems_of(raw)), problems_of(raw)
