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
        (
            {"providers": [PROVIDER], "models": [{**MODEL, "temperature": 3}]},
            'models[0].temperature: 3 is outside 0..2; use a number in 0..2 or "omit"',
        ),
        (
            {"providers": [PROVIDER], "models": [{**MODEL, "temperature": "cold"}]},
            """models[0].temperature: expected a number in 0..2 or "omit", got 'cold'""",
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


@pytest.mark.parametrize("blank", ["  ", "\t", "\n", " \r\n "])
def test_a_blank_key_counts_as_unset(blank):
    provider = settings_from_dict(config()).providers[0]
    assert api_key_for(provider, {"ANTHROPIC_API_KEY": blank}) is None
    assert missing_key(provider, {"ANTHROPIC_API_KEY": blank}) == "ANTHROPIC_API_KEY"


def test_a_key_read_from_a_file_loses_its_newline():
    provider = settings_from_dict(config()).providers[0]
    assert api_key_for(provider, {"ANTHROPIC_API_KEY": "k-123\n"}) == "k-123"


@pytest.mark.parametrize(
    ("storage", "hour_days"),
    [({}, 90), ({"rollup_retention_days": 30}, 30), ({"hour_rollup_retention_days": 400}, 400)],
)
def test_hour_rollups_are_kept_90_days_but_never_longer_than_days(storage, hour_days):
    assert settings_from_dict(config(storage=storage)).storage.hour_rollup_days == hour_days


def test_minute_rollups_are_kept_two_days_unless_set():
    assert settings_from_dict(config()).storage.minute_rollup_retention_days == 2
    with pytest.raises(ConfigError, match="minute_rollup_retention_days"):
        settings_from_dict(config(storage={"minute_rollup_retention_days": 0}))


def demo_config(**simulator):
    """The shape of config.toml's demo group: one simulated provider the simulator serves."""
    sim_provider = {
        "id": "sim-anthropic",
        "kind": "anthropic",
        "simulated": True,
        "base_url": "http://127.0.0.1:8787/anthropic",
    }
    return {
        "simulator": {"enabled": True, "scenario": "demo", **simulator},
        "providers": [sim_provider],
        "models": [{"provider": "sim-anthropic", "model": "claude-demo-opus"}],
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"providers": [PROVIDER], "models": [{**MODEL, "model": "m" * 246}]},
            "models[0].model: the model id (provider/model) is 256 characters; "
            "the store keeps at most 255",
        ),
        (
            {"providers": [PROVIDER], "models": [{**MODEL, "display_name": "Opus\x00"}]},
            "models[0].display_name: contains the control character U+0000 at position 4",
        ),
        (
            {"providers": [PROVIDER], "models": [{**MODEL, "group": "Demo\x1b[31m"}]},
            "models[0].group: contains the control character U+001B",
        ),
        (
            {"providers": [{**PROVIDER, "display_name": "An\x07thropic"}]},
            "providers[0].display_name: contains the control character U+0007",
        ),
        (config(site={"title": "status\n"}), "site.title: contains the control character U+000A"),
        (
            {"providers": [PROVIDER], "models": [{**MODEL, "model": "claude opus"}]},
            "models[0].model: 'claude opus' has a space or control character",
        ),
        (
            config(storage={"url": "mysql://root@localhost/status"}),
            "storage.url: unsupported database ('mysql'): use sqlite:///path/to/file.db or "
            "postgresql://user@host/db",
        ),
        (config(storage={"url": "status.db"}), "storage.url: unsupported database (no scheme)"),
        (config(probe={"interval": "-30s"}), "probe.interval: must be positive, got '-30s'"),
        (config(probe={"connect_timeout": 0}), "probe.connect_timeout: Input should be greater"),
        (config(probe={"interval": "30"}), "probe.interval: give a unit, as in '30s' or '30m'"),
        (config(site={"public_url": "status.example.com"}), "site.public_url: public_url must"),
        (
            config(web={"port": 8787}, simulator={"enabled": True}),
            "simulator.port: 8787 is also web.port",
        ),
    ],
)
def test_a_config_that_would_fail_at_run_time_names_the_key_and_the_problem(raw, expected):
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(raw)
    assert expected in str(caught.value)


def test_compound_durations_are_read_in_config():
    settings = settings_from_dict(
        config(
            probe={"interval": "1m30s", "total_timeout": "1m"}, status={"baseline_window": "1d12h"}
        )
    )
    assert settings.probe.interval == 90 and settings.probe.total_timeout == 60
    assert settings.status.baseline_window == 129600


def test_problems_in_keys_and_between_keys_are_reported_together():
    # A bad key used to stop pydantic before the cross-checks, hiding the unknown provider.
    raw = {
        "probe": {"interval": "1s"},
        "providers": [PROVIDER, PROVIDER],
        "models": [{**MODEL, "provider": "antropic", "display_name": "x\x00"}],
    }
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(raw)
    message = str(caught.value)
    assert "4 problem(s)" in message
    for expected in (
        "probe.interval: interval must be at least 10s",
        "providers[1].id: duplicate provider id 'anthropic'",
        "models[0].provider: unknown provider 'antropic'",
        "models[0].display_name: contains the control character U+0000",
    ):
        assert expected in message


def test_the_store_keeps_the_lengths_config_checks():
    from monitor.config import MAX_MODEL_ID, MAX_PROVIDER_ID, MAX_REGION
    from monitor.store.rows.schema import PROBE_RESULTS, PROVIDERS, TARGETS

    assert TARGETS.c.id.type.length == MAX_MODEL_ID
    assert PROBE_RESULTS.c.target.type.length == MAX_MODEL_ID
    assert PROVIDERS.c.id.type.length == MAX_PROVIDER_ID
    assert PROBE_RESULTS.c.region.type.length == MAX_REGION


def test_links_follow_a_changed_web_port_unless_public_url_is_set():
    assert settings_from_dict(config(web={"port": 9090})).site.public_url == (
        "http://127.0.0.1:9090"
    )
    assert settings_from_dict(config(web={"host": "0.0.0.0", "port": 80})).site.public_url == (
        "http://127.0.0.1:80"
    )
    explicit = config(web={"port": 9090}, site={"public_url": "https://status.example.com"})
    assert settings_from_dict(explicit).site.public_url == "https://status.example.com"


def test_an_unreadable_config_file_is_one_clear_error(tmp_path):
    (tmp_path / "latin1.toml").write_bytes(b'[site]\ntitle = "Caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"latin1.toml: not UTF-8 text \(byte 0xe9 at offset"):
        load_settings(tmp_path / "latin1.toml")
    with pytest.raises(ConfigError, match="is a directory; give the config file's path"):
        load_settings(tmp_path)


def test_the_demo_shape_passes_preflight():
    from monitor.worker.preflight import preflight

    assert preflight(settings_from_dict(demo_config())) == []
    assert preflight(load_settings(REPO / "config.toml")) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda raw: raw["simulator"].update(scenario="demoo"),
            "simulator.scenario: ",
        ),
        (
            lambda raw: raw["models"][0].update(model="claude-opus-4-7"),
            "models[0].model: scenario 'demo' has no model 'anthropic/claude-opus-4-7' "
            "(it has anthropic/claude-demo-opus,",
        ),
        (
            lambda raw: raw["providers"][0].update(base_url="http://127.0.0.1:8787/openai/v1"),
            "providers[0].base_url: the simulator speaks the openai protocol at /openai, "
            "but kind is 'anthropic'",
        ),
        (
            lambda raw: raw["simulator"].update(port=8898),
            "providers[0].base_url: simulated, but on port 8787 while [simulator] port is "
            "8898; set it to http://127.0.0.1:8898/anthropic (or the port back)",
        ),
        (
            lambda raw: raw["providers"][0].update(base_url="http://[::1]/anthropic"),
            "providers[0].base_url: simulated, but on port 80 while [simulator] port is "
            "8787; set it to http://[::1]:8787/anthropic",
        ),
        (
            lambda raw: raw.update(storage={"url": "sqlite:///no/such/folder/a.db"}),
            "storage.url: the folder",
        ),
        (
            lambda raw: raw.update(storage={"url": "postgresql://u@h:port/db"}),
            "storage.url: not a database URL aistatus can use",
        ),
    ],
)
def test_preflight_finds_what_the_file_alone_cannot_say(tmp_path, change, expected):
    from monitor.worker.preflight import preflight

    raw = demo_config()
    change(raw)
    problems = preflight(settings_from_dict(raw, base_dir=tmp_path))
    assert any(expected in p for p in problems), problems
    assert all("\n" not in p for p in problems)


def test_preflight_names_every_problem_of_a_bad_scenario_file(tmp_path):
    from monitor.worker.preflight import preflight

    (tmp_path / "s.toml").write_text(
        'name = "s"\n[[models]]\nid = "anthropic/claude-demo-opus"\njitter = 7\n'
        '[[faults]]\nkind = "boom"\nmodels = ["*"]\n'
    )
    problems = preflight(settings_from_dict(demo_config(scenario="s.toml"), base_dir=tmp_path))
    assert problems == [
        "simulator.scenario: s.toml: models[0].jitter: must be between 0 and 1, got 7",
        "simulator.scenario: s.toml: faults[0].kind: unknown fault kind 'boom' (kinds: "
        "http_error, timeout, slow, stall, stream_error, reset, wrong_answer, garbled, empty, "
        "dns, tls, gateway_error, slow_first_token, endless_line, wrong_form)",
    ]


def test_check_config_warns_when_hung_probes_would_fill_the_slots():
    from monitor.worker.preflight import config_warnings, hung_probe_slots

    models = [{"provider": "anthropic", "model": f"m{i}"} for i in range(40)]
    raw = {
        "providers": [PROVIDER],
        "models": models,
        "probe": {"concurrency": 20, "first_token_timeout": "30s"},
    }
    settings = settings_from_dict(raw)
    assert hung_probe_slots(settings) == 20  # 40 models x 30 s / 60 s
    (warning,) = config_warnings(settings)
    assert warning.startswith("probe.concurrency: 20 slots;")
    assert "hold 20.0 on average" in warning and "at least 40" in warning
    roomy = settings_from_dict({**raw, "probe": {"concurrency": 64}})
    assert config_warnings(roomy) == []


def test_check_config_warns_that_speed_shortens_faults_but_not_probe_intervals():
    from monitor.worker.preflight import config_warnings

    (warning,) = config_warnings(settings_from_dict(demo_config(speed=10)))
    assert warning.startswith("simulator.speed: 10x runs the scenario's faults 10 times faster")
    assert config_warnings(settings_from_dict(demo_config())) == []


def test_a_site_listening_everywhere_is_told_to_set_its_public_url():
    from monitor.worker.preflight import config_warnings

    (warning,) = config_warnings(settings_from_dict(config(web={"host": "0.0.0.0"})))
    assert warning.startswith(
        "site.public_url: not set, so feeds and the API link to http://127.0.0.1:8080;"
    )
    explicit = config(web={"host": "0.0.0.0"}, site={"public_url": "https://s.example.com"})
    assert config_warnings(settings_from_dict(explicit)) == []


def test_a_header_name_that_http_cannot_carry_is_refused():
    raw = {"providers": [{**PROVIDER, "headers": {"x trace": "1", "x-ok": "2"}}]}
    with pytest.raises(ConfigError, match=r"providers\[0\].headers: 'x trace' is not an HTTP"):
        settings_from_dict(raw)
    raw = {"providers": [{**PROVIDER, "headers": {"x-ok": "a\r\nInjected: 1"}}]}
    with pytest.raises(ConfigError, match=r"providers\[0\].headers.x-ok: contains the control"):
        settings_from_dict(raw)


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
