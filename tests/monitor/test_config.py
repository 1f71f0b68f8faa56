from pathlib import Path

import pytest

from monitor.config import (
    ConfigError,
    api_key_for,
    load_settings,
    missing_key,
    settings_from_dict,
)

REPO = Path(__file__).resolve().parents[2]

PROVIDER = {
    "id": "anthropic",
    "kind": "anthropic",
    "base_url": "https://api.anthropic.com",
    "api_key_env": "ANTHROPIC_API_KEY",
}
MODEL = {"provider": "anthropic", "model": "claude-opus-4-7"}


def config(**sections):
    return {"providers": [PROVIDER], "models": [MODEL], **sections}


def test_the_shipped_example_config_is_valid():
    settings = load_settings(REPO / "config.toml")
    assert settings.simulator.enabled
    assert any(p.simulated for p in settings.providers)
    assert {m.id for m in settings.models} >= {
        "anthropic/claude-opus-4-7",
        "sim-anthropic/claude-demo-opus",
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (config(probe={"interval": "5s"}), "probe.interval: interval must be at least 10s"),
        (config(probe={"intervall": "60s"}), "probe.intervall: unknown key"),
        (config(colour="blue"), "colour: unknown key"),
        (
            config(probe={"max_output_tokens": "lots"}),
            "probe.max_output_tokens: Input should be a valid integer",
        ),
        (config(probe={"interval": "soon"}), "probe.interval: expected a duration like '60s'"),
        (
            {"providers": [{**PROVIDER, "base_url": "api.anthropic.com"}]},
            "providers[0].base_url: base_url must start with http:// or https://",
        ),
        (
            {"providers": [{"id": "x", "kind": "openai"}]},
            "providers[0].base_url: required key is missing",
        ),
        (
            {"providers": [{**PROVIDER, "kind": "bedrock"}]},
            "providers[0].kind: Input should be 'anthropic'",
        ),
        (
            {"providers": [PROVIDER], "models": [MODEL, MODEL]},
            "models[1].model: duplicate model id 'anthropic/claude-opus-4-7'",
        ),
        ({"providers": [PROVIDER, PROVIDER]}, "providers[1].id: duplicate provider id 'anthropic'"),
        (
            {"providers": [PROVIDER], "models": [{**MODEL, "provider": "antropic"}]},
            "models[0].provider: unknown provider 'antropic'",
        ),
        (
            {"providers": [PROVIDER], "models": [{**MODEL, "interval": 3}]},
            "models[0].interval: interval must be at least 10s, got 3s",
        ),
        (
            {"providers": [PROVIDER], "models": [{**MODEL, "interval": "30s"}]},
            "models[0].interval: 30s is not longer than probe.total_timeout (45s)",
        ),
        (
            config(probe={"total_timeout": "60s"}),
            "probe.total_timeout: 60s must be shorter than probe.interval",
        ),
        (
            {"providers": [{**PROVIDER, "api_key_env": "sk-ant-not-a-name"}]},
            "providers[0].api_key_env:",
        ),
    ],
)
def test_a_bad_config_names_the_key_and_the_problem(raw, expected):
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(raw)
    assert expected in str(caught.value)


def test_every_problem_is_reported_at_once():
    raw = {"probe": {"interval": "1s", "bogus": True}, "providers": [{"id": "a", "kind": "openai"}]}
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(raw)
    message = str(caught.value)
    assert "3 problem(s)" in message
    for key in ("probe.interval", "probe.bogus", "providers[0].base_url"):
        assert key in message


def test_settings_are_immutable():
    settings = settings_from_dict(config())
    with pytest.raises(Exception, match="frozen"):
        settings.probe.interval = 1  # type: ignore[misc]


def test_a_relative_sqlite_path_is_anchored_at_the_config_file(tmp_path):
    (tmp_path / "c.toml").write_text('[storage]\nurl = "sqlite:///data/a.db"\n')
    settings = load_settings(tmp_path / "c.toml")
    assert settings.storage_url() == f"sqlite:///{tmp_path / 'data' / 'a.db'}"


def test_an_absolute_or_server_url_is_left_alone():
    for url in ("sqlite:////var/lib/a.db", "postgresql+psycopg://u@h/db", "sqlite:///:memory:"):
        assert settings_from_dict({"storage": {"url": url}}).storage_url() == url


def test_a_missing_file_and_bad_toml_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("[probe\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(tmp_path / "bad.toml")


def test_keys_come_only_from_the_named_environment_variable():
    provider = settings_from_dict(config()).providers[0]
    assert api_key_for(provider, {}) is None
    assert missing_key(provider, {}) == "ANTHROPIC_API_KEY"
    assert api_key_for(provider, {"ANTHROPIC_API_KEY": "k-123"}) == "k-123"
    assert missing_key(provider, {"ANTHROPIC_API_KEY": "k-123"}) is None
    assert missing_key(provider, {"ANTHROPIC_API_KEY": ""}) == "ANTHROPIC_API_KEY"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"confirm_interval": "2s"}, "status.confirm_interval: must be at least 5s, got 2s"),
        ({"outage_share": 1.5}, "status.outage_share: Input should be less than or equal to 1"),
        ({"outage_min_probes": 2}, "status.outage_min_probes: Input should be greater than"),
        ({"confirm_for": "soon"}, "status.confirm_for: expected a duration"),
        ({"confirming_alpha": 1e-9}, "confirming_alpha (1e-09) must not be below false_alarm_rate"),
    ],
)
def test_bad_confirmation_and_outage_keys_are_named(status, expected):
    with pytest.raises(ConfigError) as error:
        settings_from_dict(config(status=status))
    assert expected in str(error.value)


def test_confirmation_probing_can_be_switched_off_and_tuned():
    settings = settings_from_dict(config(status={"confirm_for": 0, "confirm_interval": "15s"}))
    assert (settings.status.confirm_for, settings.status.confirm_interval) == (0.0, 15.0)
