"""Starting up from the command line: ports, the demo's simulated provider, help."""

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from monitor.cli import main
from tests.monitor.scenarios.simulator.wire_calls import post
from tests.monitor.test_cli import problem_lines, write_config
from tests.ports import free_port


@pytest.fixture
def taken_port():
    """A port some other program listens on."""
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def demo_config(tmp_path: Path, sim_port: int, extra: str = "") -> Path:
    return write_config(
        tmp_path,
        extra=f"""
[simulator]
enabled = true
scenario = "demo"
port = {sim_port}
[[providers]]
id = "sim-anthropic"
kind = "anthropic"
simulated = true
base_url = "http://127.0.0.1:{sim_port}/anthropic"
[[models]]
provider = "sim-anthropic"
model = "claude-demo-sonnet"
{extra}""",
    )


def test_run_on_a_taken_port_says_so_in_one_line_before_starting_anything(
    tmp_path, capsys, caplog, taken_port
):
    caplog.set_level("INFO")
    path = demo_config(tmp_path, sim_port=taken_port + 1, extra=f"[web]\nport = {taken_port}\n")
    assert main(["--config", str(path), "run"]) == 1
    (line,) = problem_lines(capsys.readouterr().err)
    assert line == (
        f"aistatus: run: web.port {taken_port} on 127.0.0.1 is in use by another program "
        "(another `aistatus run`?): stop it, or set [web] port to a free one"
    )
    logged = caplog.text
    assert "site at" not in logged and "simulated provider serving" not in logged


def test_probe_beside_a_running_demo_probes_its_simulated_provider(
    tmp_path, capsys, caplog, simulator
):
    caplog.set_level("INFO")
    running = simulator("demo")  # as `aistatus run` serves it
    path = demo_config(tmp_path, sim_port=running.port)
    assert (
        main(
            [
                "--config",
                str(path),
                "probe",
                "--json",
                "--model",
                "sim-anthropic/claude-demo-sonnet",
            ]
        )
        == 0
    )
    (result,) = json.loads(capsys.readouterr().out)
    assert result["failure_class"] == "ok" and result["answer_correct"] is True
    assert (
        f"a simulated provider already serves 127.0.0.1:{running.port} (a running `aistatus "
        "run`?); probing sim-anthropic there"
    ) in caplog.text


@pytest.mark.parametrize("command", ["check-config", "probe", "worker", "run"])
def test_a_simulator_port_the_simulated_providers_do_not_use_is_refused(tmp_path, capsys, command):
    path = demo_config(tmp_path, sim_port=8787)
    path.write_text(path.read_text().replace("port = 8787", "port = 8898"))
    assert main(["--config", str(path), command]) == 2
    err = capsys.readouterr().err
    assert (
        "providers[2].base_url: simulated, but on port 8787 while [simulator] port is 8898" in err
    )


def test_probe_when_another_program_holds_the_simulators_port_says_what_to_do(
    tmp_path, capsys, taken_port
):
    path = demo_config(tmp_path, sim_port=taken_port)
    assert main(["--config", str(path), "probe"]) == 1
    (line,) = problem_lines(capsys.readouterr().err)
    assert line.startswith(f"aistatus: probe: simulator.port {taken_port} on 127.0.0.1 is in use")
    assert "set [simulator] port to a free one and the simulated providers' base_url" in line


def test_help_opens_with_whole_sentences_and_says_where_to_start(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    opening = out.split("\n\n")[1]  # after the usage block
    assert opening.startswith("aistatus probes AI model APIs") and opening.endswith(".")
    assert "`aistatus check-config`" in out and "`aistatus run`" in out


def test_simulate_help_says_speed_does_not_speed_up_probes(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    assert "probes keep their own interval" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("command", ["worker", "run"])
def test_a_region_given_on_the_command_line_is_checked_like_probe_region(tmp_path, capsys, command):
    with pytest.raises(SystemExit) as caught:
        main(["--config", str(write_config(tmp_path)), command, "--region", "US East"])
    assert caught.value.code == 2
    assert "argument --region: 'US East': use a-z, 0-9 and '-'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["worker", "web", "run"])
def test_a_database_without_the_schema_is_refused_in_one_line_saying_to_upgrade_it(
    tmp_path, capsys, command
):
    import socket

    with socket.socket() as probe:  # two free ports, released for the command to take
        probe.bind(("127.0.0.1", 0))
        with socket.socket() as other:
            other.bind(("127.0.0.1", 0))
            sim_port, web_port = probe.getsockname()[1], other.getsockname()[1]
    path = demo_config(tmp_path, sim_port=sim_port, extra=f"[web]\nport = {web_port}\n")
    assert main(["--config", str(path), command]) == 1
    (line,) = problem_lines(capsys.readouterr().err)
    assert line == (
        f"aistatus: {command}: storage.url: the database has no schema yet: "
        "run `aistatus db upgrade` first"
    )


# `aistatus simulate` serves the config's [simulator], as `run` does: a newcomer who moves
# [simulator] port (and the base_url with it, as check-config asks) is served there.


@contextmanager
def simulating(argv: list[str], cwd: Path) -> Iterator[str]:
    """`aistatus ARGV` in its own process until Ctrl-C; yields the line saying where it
    serves (or what it printed instead, if it ended)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", *argv],
        cwd=cwd,
        stderr=subprocess.PIPE,
        text=True,
        # A shell may start background jobs with Ctrl-C ignored; a terminal would not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert child.stderr is not None
    try:
        lines = []
        while line := child.stderr.readline():
            lines.append(line)
            if line.startswith("aistatus simulate:"):
                break
        yield "".join(lines)
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=10)
        child.stderr.close()


def serves(line: str, model_id: str) -> int:
    """The port the started simulator named, after checking it answers `model_id` there."""
    found = re.search(r"at http://127\.0\.0\.1:(\d+)", line)
    assert found, line
    base_url = found[0].removeprefix("at ")
    assert post(base_url, model_id).status_code == 200
    return int(found[1])


def moved_simulator_config(tmp_path: Path, port: int) -> Path:
    (tmp_path / "mine.toml").write_text(
        'name = "mine"\n[[models]]\nid = "anthropic/claude-mine"\nttft_ms = 0\nlatency_ms = 1\n'
    )
    return write_config(
        tmp_path,
        extra=f"""
[simulator]
enabled = true
scenario = "mine.toml"
port = {port}
[[providers]]
id = "sim"
kind = "anthropic"
simulated = true
base_url = "http://127.0.0.1:{port}/anthropic"
[[models]]
provider = "sim"
model = "claude-mine"
""",
    )


def test_simulate_serves_the_configs_scenario_on_the_configs_port(tmp_path):
    port = free_port()
    config = moved_simulator_config(tmp_path, port)
    elsewhere = tmp_path / "elsewhere"  # the scenario path is the config's, not the cwd's
    elsewhere.mkdir()
    with simulating(["--config", str(config), "simulate"], cwd=elsewhere) as line:
        assert serves(line, "anthropic/claude-mine") == port
    assert "scenario 'mine'" in line


def test_simulate_flags_win_over_the_config(tmp_path):
    config = moved_simulator_config(tmp_path, free_port())
    port = free_port()
    argv = ["--config", str(config), "simulate", "--scenario", "demo", "--port", str(port)]
    with simulating(argv, cwd=tmp_path) as line:
        assert serves(line, "anthropic/claude-demo-sonnet") == port
    assert "scenario 'demo'" in line


def test_simulate_reads_the_config_toml_where_it_runs_and_needs_none(tmp_path):
    port = free_port()
    moved_simulator_config(tmp_path, port)  # tmp_path/config.toml, as `make run` uses
    with simulating(["simulate"], cwd=tmp_path) as line:
        assert serves(line, "anthropic/claude-mine") == port
    empty = tmp_path / "empty"
    empty.mkdir()
    with simulating(["simulate", "--port", "0"], cwd=empty) as line:
        serves(line, "anthropic/claude-demo-sonnet")  # the built-in demo
    assert "scenario 'demo'" in line
