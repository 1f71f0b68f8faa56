"""A large replay split by provider over the machine's cores, one process a share.

Providers are judged apart: a model's tallies, baseline and confirmations are its own, a
provider's status comes from its own models, and an incident is one provider's (keyed by
provider and cause; its words read that provider's models only). So replaying a share
of the providers in each process gives each its exact decisions: every probe of a
provider is drawn at the same instant with the same dice, and reaches its engine in the
same order as in one process (each share's schedule is the whole one with the other
shares' probes left out). Only the incidents' ids are the whole replay's: they count
openings in order of detection, and within one minute in the (provider, cause) order the
incident book opens them; the shares' incidents are numbered again so.

A share runs in a plain `python -m` child (as probes_ahead.py explains), reading the
scenario and settings pickled on stdin and writing its outcome pickled to stdout; the
calling process replays the first share itself meanwhile.

    python -m monitor.scenarios.shards   # reads (scenario, settings) pickled on stdin
"""

from __future__ import annotations

import pickle
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace

from monitor.config import Settings
from monitor.judging.incidents import Incident
from monitor.judging.status import StatusChange
from monitor.scenarios.child import python_child
from monitor.scenarios.spec import Scenario


@dataclass(frozen=True)
class Share:
    """What one share's replay yields (`replay.ReplayOutcome`, without its engine)."""

    probes: int
    incidents: list[Incident]
    history: dict[str, list[StatusChange]]


Replay = Callable[[Scenario, Settings], Share]


def provider_shares(scenario: Scenario, most: int) -> list[Scenario]:
    """The scenario cut into at most `most` scenarios of whole providers, each with about
    as many models (the largest provider first into the lightest share); one share when
    there is a single provider or a single core."""
    counts: dict[str, int] = {}
    for model in scenario.models:
        counts[model.provider] = counts.get(model.provider, 0) + 1
    shares: list[list[str]] = [[] for _ in range(max(1, min(most, len(counts))))]
    loads = [0] * len(shares)
    for provider in sorted(counts, key=lambda p: (-counts[p], p)):
        lightest = loads.index(min(loads))
        shares[lightest].append(provider)
        loads[lightest] += counts[provider]
    return [
        replace(scenario, models=tuple(m for m in scenario.models if m.provider in providers))
        for providers in shares
    ]


def replay_shares(shares: Sequence[Scenario], settings: Settings, replay_one: Replay) -> Share:
    """Every share replayed, the first here and the others in child processes at once, and
    their outcomes as one."""
    children = [_start(share, settings) for share in shares[1:]]
    try:
        outcomes = [replay_one(shares[0], settings)]
        outcomes += [_outcome(child) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.wait()
    return merged(outcomes)


def merged(outcomes: Sequence[Share], first_id: int = 1) -> Share:
    """The shares' outcomes as the whole replay's: incidents numbered in the order one
    incident book would have opened them."""
    incidents = sorted(
        (i for outcome in outcomes for i in outcome.incidents),
        key=lambda i: (i.detected_at, i.provider, i.cause.value),
    )
    return Share(
        sum(outcome.probes for outcome in outcomes),
        [replace(incident, id=str(first_id + n)) for n, incident in enumerate(incidents)],
        {subject: changes for o in outcomes for subject, changes in o.history.items()},
    )


def _start(share: Scenario, settings: Settings) -> subprocess.Popen[bytes]:
    child = python_child(__name__)
    assert child.stdin is not None
    with suppress(BrokenPipeError):  # a child that died says so when its outcome is read
        pickle.dump((share, settings), child.stdin, pickle.HIGHEST_PROTOCOL)
        child.stdin.close()
    return child


def _outcome(child: subprocess.Popen[bytes]) -> Share:
    assert child.stdout is not None
    try:
        probes, incidents, history = pickle.load(child.stdout)
    except EOFError:
        raise RuntimeError("a replay share's process ended early") from None
    child.stdout.close()
    if child.wait() != 0:
        raise RuntimeError(f"a replay share's process failed ({child.returncode})")
    return Share(probes, incidents, history)


if __name__ == "__main__":
    from monitor.scenarios.replay import replay_here

    # Ctrl-C reaches the whole process group: the replay stops, and this child with it,
    # without a second traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    request: tuple[Scenario, Settings] = pickle.load(sys.stdin.buffer)
    result = replay_here(*request)
    # A plain tuple: a class of this module would pickle as __main__'s.
    outcome = (result.probes, result.incidents, result.history)
    pickle.dump(outcome, sys.stdout.buffer, pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()
