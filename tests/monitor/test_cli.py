import json
from pathlib import Path

import pytest

from monitor.cli import main

REPO = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, base_url: str = "http://127.0.0.1:1", extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
[storage]
url = "sqlite:///status.db"
[probe]
region = "us-east"
interval = "10s"
connect_timeout = "1s"
first_token_timeout = "2s"
stall_timeout = "2s"
total_timeout = "5s"
[[providers]]
id = "anthropic"
kind = "anthropic"
base_url = "{base_url}/anthropic"
[[providers]]
id = "openai"
kind = "openai"
base_url = "{base_url}/openai/v1"
api_key_env = "AISTATUS_TEST_OPENAI_KEY"
[[models]]
provider = "anthropic"
model = "claude-test"
[[models]]
provider = "openai"
model = "gpt-test"
{extra}
""")
    return path


def test_a_bad_config_exits_2_with_the_key_path_and_no_traceback(tmp_path, capsys):
    path = write_config(tmp_path, extra="[web]\nport = 99999\n")
    assert main(["--config", str(path), "check-config"]) == 2
    err = capsys.readouterr().err
    assert "web.port:" in err
    assert "Traceback" not in err


def test_check_config_lists_models_cost_and_missing_keys(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AISTATUS_TEST_OPENAI_KEY", raising=False)
    assert main(["--config", str(write_config(tmp_path)), "check-config"]) == 0
    out = capsys.readouterr().out
    assert "anthropic/claude-test" in out and "8640" in out  # probes a day at 10 s
    assert "not configured: set AISTATUS_TEST_OPENAI_KEY" in out
    # What a model that looks odd costs: every 10 s for 5 min instead of every 10 s.
    assert "confirmation probing: a model that looks odd is probed every 10s for 300s" in out
    assert "status engine snapshots: every 10 min and at a clean stop, ~" in out


def test_the_shipped_config_lists_real_providers_as_not_configured(capsys, monkeypatch):
    for name in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--config", str(REPO / "config.toml"), "check-config"]) == 0
    out = capsys.readouterr().out
    assert "not configured: set ANTHROPIC_API_KEY" in out
    assert "sim-anthropic/claude-demo-opus" in out and "simulated" in out


def test_check_config_lists_a_provider_with_a_blank_key_as_not_configured(capsys, monkeypatch):
    for name in ("OPENAI_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "  ")
    assert main(["--config", str(REPO / "config.toml"), "check-config"]) == 0
    out = capsys.readouterr().out
    assert "not configured: set ANTHROPIC_API_KEY" in out and "will be probed" not in out
    assert "missing keys (those providers are listed but not probed): ANTHROPIC_API_KEY" in out


def test_probe_json_reports_one_result_per_model(
    tmp_path, capsys, simulator, scenario_dict, monkeypatch
):
    monkeypatch.setenv("AISTATUS_TEST_OPENAI_KEY", "sk-test-cli-canary-0001")
    raw = scenario_dict(faults=[{"models": ["openai/*"], "kind": "http_error", "status": 500}])
    sim = simulator(raw)
    path = write_config(tmp_path, sim.base_url)
    assert main(["--config", str(path), "probe", "--json"]) == 0
    captured = capsys.readouterr()
    results = {r["target"]: r for r in json.loads(captured.out)}
    assert results["anthropic/claude-test"]["failure_class"] == "ok"
    assert results["anthropic/claude-test"]["answer_correct"] is True
    assert results["openai/gpt-test"]["http_status"] == 500
    assert results["openai/gpt-test"]["failure_class"] == "infrastructure"
    assert "sk-test-cli-canary-0001" not in captured.out + captured.err


def test_probe_of_an_unknown_model_is_a_clear_error(tmp_path, capsys):
    assert main(["--config", str(write_config(tmp_path)), "probe", "--model", "x/y"]) == 2
    assert "no probe-able model 'x/y'" in capsys.readouterr().err


def test_db_upgrade_creates_the_schema_through_alembic(tmp_path, capsys):
    assert main(["--config", str(write_config(tmp_path)), "db", "upgrade"]) == 0
    assert "database at revision" in capsys.readouterr().out
    assert (tmp_path / "status.db").exists()


def test_a_bad_scenario_exits_2_naming_the_key(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "x"\nstart = "2026-06-07T00:00:00Z"\nduration = "1h"\n'
        '[[faults]]\nkind = "boom"\nmodels = ["*"]\n'
    )
    assert main(["simulate", "--scenario", str(path), "--port", "0"]) == 2
    assert "faults[0].kind" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["probe", "--help"]])
def test_help_exits_cleanly(argv):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 0


def worker_with_an_incident(tmp_path: Path) -> Path:
    """A database where the worker's engine opened one incident (a 401 from minute 120)."""
    from monitor.clock import FakeClock
    from monitor.config import load_settings
    from monitor.worker.evaluator import Evaluator
    from monitor.worker.roles import open_store, sync_targets
    from tests.monitor.synthetic import START, http, ok

    path = write_config(tmp_path)
    assert main(["--config", str(path), "db", "upgrade"]) == 0
    settings = load_settings(path)
    store = open_store(settings)
    sync_targets(settings, store, environ={})
    clock = FakeClock(START)
    evaluator = Evaluator(settings, store, clock, "us-east")
    for minute in range(150):
        bad = minute >= 120
        store.record_results(
            [
                (http(401) if bad else ok)("anthropic/claude-test", region, clock.now())
                for region in ("us-east", "eu-west")
            ]
        )
        clock.advance(60)
        evaluator.tick()
    store.dispose()
    return path


def test_incidents_lists_what_the_worker_stored(tmp_path, capsys):
    path = worker_with_an_incident(tmp_path)
    capsys.readouterr()

    assert main(["--config", str(path), "incidents", "--json"]) == 0
    (incident,) = json.loads(capsys.readouterr().out)
    assert incident["cause"] == "configuration" and incident["public"] is False
    assert incident["models"] == ["anthropic/claude-test"]
    assert main(["--config", str(path), "incidents", "--public-only"]) == 0
    assert capsys.readouterr().out.strip() == "no incidents"


def test_override_puts_the_operators_words_on_an_incident_and_clears_them(tmp_path, capsys):
    # That the engine never writes over them: tests/monitor/store/test_incidents_store.py.
    path = worker_with_an_incident(tmp_path)
    capsys.readouterr()
    assert main(["--config", str(path), "incidents", "--json"]) == 0
    (incident,) = json.loads(capsys.readouterr().out)
    ident = incident["id"]

    argv = [
        "--config",
        str(path),
        "override",
        ident,
        "--title",
        "Our key was revoked",
        "--update",
        "0",
        "--body",
        "We rotated the key; probes recover shortly.",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"#{ident} Our key was revoked" in out
    assert "[0]" in out and "We rotated the key; probes recover shortly." in out
    assert main(["--config", str(path), "incidents", "--json"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown["title"] == "Our key was revoked"
    assert shown["updates"][0]["body"] == "We rotated the key; probes recover shortly."

    assert main(["--config", str(path), "override", f"#{ident}", "--title", "  "]) == 0  # cleared
    capsys.readouterr()
    assert main(["--config", str(path), "incidents", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["title"] == incident["title"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["999", "--title", "x"], 1, "no incident '999'"),
        (["999", "--update", "0", "--body", "x"], 1, "no incident '999'"),
        (["1"], 2, "give --title and/or --update N --body TEXT"),
        (["1", "--body", "x"], 2, "--update and --body go together"),
        (["1", "--update", "7", "--body", "x"], 1, "has no update 7"),
    ],
)
def test_override_refuses_what_it_cannot_do_in_one_line(tmp_path, capsys, args, code, message):
    path = worker_with_an_incident(tmp_path)
    capsys.readouterr()
    assert main(["--config", str(path), "override", *args]) == code
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def problem_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("extra", "key", "problem"),
    [
        (
            '[[models]]\nprovider = "anthropic"\nmodel = "' + "m" * 250 + '"\n',
            "models[2].model:",
            "is 260 characters; the store keeps at most 255",
        ),
        (
            '[[models]]\nprovider = "anthropic"\nmodel = "opus"\ndisplay_name = "Opus\\u0000"\n',
            "models[2].display_name:",
            "contains the control character U+0000",
        ),
        (
            '[simulator]\nenabled = true\nscenario = "nope"\n',
            "simulator.scenario:",
            "no bundled scenario named 'nope'",
        ),
        (
            '[simulator]\nenabled = true\nscenario = "demo"\n'
            '[[providers]]\nid = "sim"\nkind = "anthropic"\nsimulated = true\n'
            'base_url = "http://127.0.0.1:8787/anthropic"\n'
            '[[models]]\nprovider = "sim"\nmodel = "claude-typo"\n',
            "models[2].model:",
            "scenario 'demo' has no model 'anthropic/claude-typo'",
        ),
    ],
)
def test_check_config_refuses_what_would_fail_at_run_time_in_one_line(
    tmp_path, capsys, extra, key, problem
):
    path = write_config(tmp_path, extra=extra)
    assert main(["--config", str(path), "check-config"]) == 2
    err = capsys.readouterr().err
    (line,) = problem_lines(err)
    assert key in line and problem in line and "Traceback" not in err


def test_a_mysql_url_is_refused_in_one_line(tmp_path, capsys):
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("sqlite:///status.db", "mysql://root@db/status"))
    assert main(["--config", str(path), "check-config"]) == 2
    (line,) = problem_lines(capsys.readouterr().err)
    assert "storage.url: unsupported database ('mysql')" in line


@pytest.mark.parametrize("command", ["worker", "web", "run", "probe", "db"])
def test_every_command_refuses_the_config_check_config_refuses(tmp_path, capsys, command):
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("sqlite:///status.db", "mysql://root@db/status"))
    argv = ["--config", str(path), command] + (["upgrade"] if command == "db" else [])
    assert main(argv) == 2
    assert "storage.url: unsupported database ('mysql')" in capsys.readouterr().err


def test_several_problems_are_each_one_line_under_the_file(tmp_path, capsys):
    extra = '[web]\nport = 99999\n[[models]]\nprovider = "x"\nmodel = "y"\n'
    path = write_config(tmp_path, extra=extra)
    assert main(["--config", str(path), "check-config"]) == 2
    header, *problems = problem_lines(capsys.readouterr().err)
    assert header.endswith("config.toml: 2 problem(s):")
    assert problems[0].strip().startswith("web.port:")
    assert problems[1].strip().startswith("models[2].provider: unknown provider 'x'")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b'[site]\ntitle = "Caf\xe9"\n') and p, "not UTF-8 text"),
        (lambda p: p.parent, "is a directory"),
    ],
)
def test_an_unreadable_config_exits_2_in_one_line(tmp_path, capsys, make, message):
    path = make(tmp_path / "config.toml")
    assert main(["--config", str(path), "check-config"]) == 2
    (line,) = problem_lines(capsys.readouterr().err)
    assert message in line and line.startswith("aistatus: bad config:")


@pytest.mark.parametrize(
    ("interval", "message"),
    [("-30s", "probe.interval: must be positive"), ("30", "without quotes (30)")],
)
def test_a_bad_duration_says_what_is_wrong(tmp_path, capsys, interval, message):
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('interval = "10s"', f'interval = "{interval}"'))
    assert main(["--config", str(path), "check-config"]) == 2
    (line,) = problem_lines(capsys.readouterr().err)
    assert message in line


def test_check_config_shows_the_hung_probe_figure_and_warns(tmp_path, capsys):
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("[probe]\n", "[probe]\nconcurrency = 1\n"))
    assert main(["--config", str(path), "check-config"]) == 0
    out = capsys.readouterr().out
    # 2 models x 2 s first-token timeout / 10 s interval
    assert "if every model hung until first_token_timeout, 0.4 would be busy" in out
    assert "warning: probe.concurrency: 1 slots;" not in out
    path.write_text(
        path.read_text().replace('first_token_timeout = "2s"', 'first_token_timeout = "5s"')
    )
    assert main(["--config", str(path), "check-config"]) == 0
    assert "warning: probe.concurrency: 1 slots;" in capsys.readouterr().out


def test_incidents_and_override_show_control_characters_without_obeying_them(tmp_path, capsys):
    path = worker_with_an_incident(tmp_path)
    capsys.readouterr()
    assert main(["--config", str(path), "incidents", "--json"]) == 0
    ident = json.loads(capsys.readouterr().out)[0]["id"]
    title = "Key revoked\x1b[2J\x1b]0;owned\x07\r"
    argv = [
        "--config",
        str(path),
        "override",
        ident,
        "--title",
        title,
        "--update",
        "0",
        "--body",
        "Rotated\x1b[31m\nback soon\x9b",
    ]
    assert main(argv) == 0
    overridden = capsys.readouterr().out
    assert main(["--config", str(path), "incidents"]) == 0
    listed = capsys.readouterr().out
    for out in (overridden, listed):
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\r" not in out
        assert "Key revoked\\x1b[2J\\x1b]0;owned\\x07" in out
    assert "Rotated\\x1b[31m\\nback soon\\x9b" in overridden
    assert main(["--config", str(path), "incidents", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["title"] == title.strip()  # the data is kept


def test_problems_in_the_file_and_beyond_it_are_listed_in_one_run(tmp_path, capsys):
    path = write_config(
        tmp_path,
        extra=(
            "[web]\nport = 99999\n"
            '[simulator]\nenabled = true\nscenario = "demoo"\n'
            '[[providers]]\nid = "sim"\nkind = "anthropic"\nsimulated = true\n'
            'base_url = "http://127.0.0.1:8787/anthropic"\n'
            '[[models]]\nprovider = "sim"\nmodel = "claude-typo"\n'
        ),
    )
    assert main(["--config", str(path), "check-config"]) == 2
    header, *problems = problem_lines(capsys.readouterr().err)
    assert header.endswith("2 problem(s):")
    assert problems[0].strip().startswith("web.port:")
    assert problems[1].strip().startswith("simulator.scenario:")
    assert "no bundled scenario named 'demoo'" in problems[1]


def test_a_bad_database_url_does_not_hide_a_bad_scenario(tmp_path, capsys):
    path = write_config(tmp_path, extra='[simulator]\nenabled = true\nscenario = "demoo"\n')
    path.write_text(path.read_text().replace("sqlite:///status.db", "mysql://root@db/status"))
    assert main(["--config", str(path), "check-config"]) == 2
    _, *problems = problem_lines(capsys.readouterr().err)
    assert [p.strip().split(":")[0] for p in problems] == ["storage.url", "simulator.scenario"]


def test_every_option_of_every_command_says_what_it_does():
    # `aistatus incidents --help` listed a bare `--limit LIMIT`: a reader cannot tell
    # what it limits or its default without the source.
    import argparse

    from monitor.cli import build_parser

    def bare(parser: argparse.ArgumentParser, name: str) -> list[str]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    found += bare(sub, f"{name} {sub_name}")
            elif action.option_strings and not action.help:
                found.append(f"{name} {action.option_strings[-1]}")
        return found

    assert bare(build_parser(), "aistatus") == []


@pytest.mark.parametrize(
    "command", [["incidents"], ["notifications"], ["override", "1", "--title", "x"]]
)
def test_a_reading_command_on_a_database_never_upgraded_says_to_upgrade_it(
    tmp_path, capsys, command
):
    path = write_config(tmp_path)
    assert main(["--config", str(path), *command]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"aistatus: {command[0]}: storage.url: the database has no schema yet")
    assert "run `aistatus db upgrade` first" in err
    assert "SELECT" not in err and "no such table" not in err


def test_a_reading_command_logs_nothing_of_alembic_but_db_upgrade_says_what_it_ran(
    tmp_path, caplog
):
    import logging

    caplog.set_level(logging.INFO)
    path = write_config(tmp_path)
    assert main(["--config", str(path), "db", "upgrade"]) == 0
    assert any("Running upgrade" in r.getMessage() for r in caplog.records)
    caplog.clear()
    assert main(["--config", str(path), "incidents"]) == 0
    assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []
