"""`[notifications]` in check-config: each bad key named, exit 2, the good ones pass."""

from __future__ import annotations

import pytest

from monitor.cli import main
from tests.monitor.test_cli import problem_lines, write_config


@pytest.mark.parametrize(
    ("extra", "key", "problem"),
    [
        (
            '[notifications]\nsmtp_url = "http://mail:25"\n',
            "notifications.smtp_url:",
            "smtp://host:port",
        ),
        (
            '[notifications]\nsmtp_url = "smtp://me:hunter2@mail:25"\n',
            "notifications.smtp_url:",
            "must not hold a password",
        ),
        (
            '[notifications]\nfrom = "status at example"\n',
            "notifications.from:",
            "must be a mail address",
        ),
        (
            '[notifications]\nsmtp_password_env = "not a name"\n',
            "notifications.smtp_password_env:",
            "pattern",
        ),
        ("[notifications]\nallow_private = true\n", "notifications.allow_private:", "unknown key"),
    ],
)
def test_a_bad_notifications_key_is_named_and_exits_2(tmp_path, capsys, extra, key, problem):
    assert main(["--config", str(write_config(tmp_path, extra=extra)), "check-config"]) == 2
    err = capsys.readouterr().err
    (line,) = problem_lines(err)
    assert key in line and problem in line
    assert "hunter2" not in err


def test_a_good_notifications_section_passes(tmp_path, capsys):
    extra = (
        '[notifications]\nsmtp_url = "smtp://127.0.0.1:2525"\n'
        'smtp_password_env = "SMTP_PASSWORD"\nfrom = "Status <status@example.org>"\n'
        "allow_private_targets = true\n"
    )
    assert main(["--config", str(write_config(tmp_path, extra=extra)), "check-config"]) == 0
