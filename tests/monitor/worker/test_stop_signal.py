"""`aistatus run` stopped as a service manager stops it (SIGTERM): it saves the status
engine's state and gives up the status-engine lease on the way out, so the next start
judges at once, from that state."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.monitor.test_cli_start import demo_config
from tests.ports import free_port

AISTATUS = str(Path(sys.executable).parent / "aistatus")


def lease_holders(database: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text("SELECT holder FROM leases"))]
    finally:
        engine.dispose()


def count(database: Path, sql: str) -> int:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def snapshots_stored(database: Path) -> int:
    return count(database, "SELECT count(*) FROM engine_snapshots WHERE complete")


def results_stored(database: Path) -> int:
    return count(database, "SELECT count(*) FROM probe_results")


def test_sigterm_stops_run_cleanly_and_gives_the_lease_up(tmp_path):
    config = demo_config(tmp_path, free_port(), extra=f"[web]\nport = {free_port()}\n")
    database = tmp_path / "status.db"
    subprocess.run(
        [AISTATUS, "--config", str(config), "db", "upgrade"], check=True, capture_output=True
    )
    log = run_until_judging_then_sigterm(config, tmp_path)
    assert lease_holders(database) == []
    # The engine's state was saved on the way out: the next start reads it, not 25 h.
    assert snapshots_stored(database) >= 1
    assert "could not save" not in log
    assert "SIGTERM received: stopping" in log  # why it ended, in its own log
    log = run_until_judging_then_sigterm(config, tmp_path)
    assert "status engine restored from the snapshot" in log
    assert "rebuilding from" not in log


def run_until_judging_then_sigterm(config: Path, tmp_path: Path) -> str:
    """A real `aistatus run`, stopped by SIGTERM once it judged and probed; its log."""
    database = tmp_path / "status.db"
    probed = results_stored(database)
    run = subprocess.Popen(
        [AISTATUS, "--config", str(config), "run"], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        # Waits for events (the lease taken at the first evaluation; a probe stored, so the
        # prober's process is up: one stopped while it starts prints a traceback of its
        # own), not for time.
        deadline = time.monotonic() + 60
        while not lease_holders(database) or results_stored(database) <= probed:
            assert run.poll() is None, run.stderr.read() if run.stderr else ""
            assert time.monotonic() < deadline, "the status engine never took its lease"
            time.sleep(0.2)
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    log = run.stderr.read() if run.stderr else ""
    assert run.returncode == 0, log  # a service manager's stop is not a failure
    assert "Traceback" not in log
    return log
