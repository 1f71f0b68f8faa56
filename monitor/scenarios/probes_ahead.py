"""Replay's scheduled probes drawn by a child process, ahead of the engine.

Drawing a probe costs about what judging it does, and a machine has a second core: the
child walks replay's schedule and writes what it drew (`VirtualProber.draw`) in batches
to its stdout; replay reads them in the same order and judges meanwhile. The pipe holds
the child a few batches ahead, so memory stays flat. A plain `python -m` child, not
multiprocessing: spawning through multiprocessing re-runs the caller's main module, which
a script that calls `replay()` at its top level does not survive.

    python -m monitor.scenarios.probes_ahead   # reads (scenario, settings) pickled on stdin
"""

from __future__ import annotations

import pickle
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import BinaryIO

from monitor.config import ProbeSettings
from monitor.scenarios.child import python_child
from monitor.scenarios.spec import Scenario
from monitor.scenarios.virtual_probe import Drawn, VirtualProber

Schedule = Callable[[Scenario], Iterator[tuple[datetime, str, str]]]
_BATCH = 2048  # probes a message


@contextmanager
def drawn_apart(
    scenario: Scenario, settings: ProbeSettings, schedule: Schedule
) -> Iterator[Iterator[tuple[datetime, str, str, Drawn]]]:
    """`schedule(scenario)` with each probe drawn, by a child process."""
    child = python_child(__name__)
    assert child.stdin is not None and child.stdout is not None
    try:
        pickle.dump((scenario, settings), child.stdin, pickle.HIGHEST_PROTOCOL)
        child.stdin.close()
        yield _received(schedule(scenario), child.stdout)
    finally:
        child.stdout.close()  # a child still writing stops on the broken pipe
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _received(
    schedule: Iterator[tuple[datetime, str, str]], stream: BinaryIO
) -> Iterator[tuple[datetime, str, str, Drawn]]:
    batch: Iterator[Drawn] = iter(())
    for at, target, region in schedule:
        drawn = next(batch, None)
        if drawn is None:
            try:
                batch = iter(pickle.load(stream))
            except EOFError:
                raise RuntimeError("replay's probe process ended early") from None
            drawn = next(batch)
        yield at, target, region, drawn


def draw(scenario: Scenario, settings: ProbeSettings, schedule: Schedule, out: BinaryIO) -> None:
    probe = VirtualProber(scenario, settings)
    batch: list[Drawn] = []
    for at, target, region in schedule(scenario):
        batch.append(probe.draw(target, region, at))
        if len(batch) >= _BATCH:
            pickle.dump(batch, out, pickle.HIGHEST_PROTOCOL)
            batch = []
    if batch:
        pickle.dump(batch, out, pickle.HIGHEST_PROTOCOL)
    out.flush()


if __name__ == "__main__":
    from monitor.scenarios.replay import scheduled

    # Ctrl-C reaches the whole process group: the replay stops, and this child with the
    # pipe it closes, without a second traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    request: tuple[Scenario, ProbeSettings] = pickle.load(sys.stdin.buffer)
    with suppress(BrokenPipeError):  # the replay stopped early
        draw(*request, scheduled, sys.stdout.buffer)
