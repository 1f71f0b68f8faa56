"""`check-config` on operator channels: one line per bad key, exit 2, never the URL."""

from __future__ import annotations

import pytest

from monitor.cli import main
from tests.monitor.test_cli import problem_lines, write_config

GOOD = 'name = "ops"\nurl = "json://127.0.0.1:9/${AISTATUS_TEST_HOOK}"\n'


def channel(body: str) -> str:
    return f"[[notifications.channels]]\n{body}"


@pytest.mark.parametrize(
    ("entry", "line"),
    [
        (
            'name = "ops"\nurl = "gopher://x/y"',
            "notifications.channels[0].url: Apprise knows no scheme 'gopher'://",
        ),
        (
            'name = "ops"\nurl = "slack://${AISTATUS_TEST_HOOK}"',
            "notifications.channels[0].url: Apprise cannot use this slack:// URL",
        ),
        (
            'name = "ops"\nurl = "json://127.0.0.1/${AISTATUS_TEST_UNSET}"',
            "notifications.channels[0].url: set the environment variable(s) it names: "
            "AISTATUS_TEST_UNSET",
        ),
        (
            'name = "ops"\nurl = "json://user:$ecret@127.0.0.1/x"',
            "notifications.channels[0].url: write each secret as ${VARIABLE}",
        ),
        (GOOD + "events = []", "notifications.channels[0].events: is empty: name at least one"),
        (GOOD + "models = []", "notifications.channels[0].models: is empty: leave the key out"),
        (GOOD + 'providers = [""]', "notifications.channels[0].providers: holds an empty id"),
        (
            GOOD + 'models = ["anthropic/claude-tset"]',
            "notifications.channels[0].models[0]: unknown model 'anthropic/claude-tset' "
            "(known: anthropic/claude-test, openai/gpt-test)",
        ),
        (GOOD + 'events = ["everything"]', "notifications.channels[0].events[0]: Input should be"),
        (
            GOOD + "\n" + channel(GOOD),
            "notifications.channels[1].name: duplicate channel name 'ops'",
        ),
    ],
)
def test_check_config_names_the_bad_key_of_a_channel(tmp_path, capsys, monkeypatch, entry, line):
    monkeypatch.setenv("AISTATUS_TEST_HOOK", "hook-secret-0042")
    monkeypatch.delenv("AISTATUS_TEST_UNSET", raising=False)
    path = write_config(tmp_path, extra=channel(entry))
    assert main(["--config", str(path), "check-config"]) == 2
    err = capsys.readouterr().err
    (only,) = problem_lines(err)  # one line per bad key
    assert line in only
    assert "hook-secret-0042" not in err and "$ecret" not in err and "Traceback" not in err


def test_check_config_says_who_hears_what(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AISTATUS_TEST_HOOK", "hook-secret-0042")
    monkeypatch.delenv("AISTATUS_NOTIFY_KEY", raising=False)
    path = write_config(tmp_path, extra=channel(GOOD + 'models = ["openai/gpt-test"]'))
    assert main(["--config", str(path), "check-config"]) == 0
    out = capsys.readouterr().out
    assert "subscriber notifications: off (set AISTATUS_NOTIFY_KEY)" in out
    assert (
        "operator channel ops (json://): public_incidents, operator_incidents; openai/gpt-test"
    ) in out
    assert "hook-secret-0042" not in out and "127.0.0.1:9" not in out


def test_commands_that_send_nothing_need_no_channel_secret(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AISTATUS_TEST_HOOK", raising=False)
    path = write_config(tmp_path, extra=channel(GOOD))
    assert main(["--config", str(path), "db", "upgrade"]) == 0
    assert main(["--config", str(path), "check-config"]) == 2
    assert "AISTATUS_TEST_HOOK" in capsys.readouterr().err
