"""How fast does the engine notice a fault, how fast does it let go, and does it cry wolf?

Replays scenario files (default: every tests/scenarios/*.toml) through `monitor.scenarios.replay`
and prints a Markdown table, per scenario:
  - incidents opened, and their causes (operator-only ones marked "op");
  - time to detect: the first incident naming a faulted model, detected_at - fault start;
  - time to resolve: the last such incident's resolved_at - fault end ("open" if never);
  - false incidents: incidents naming a model no fault touches, and every incident of a
    scenario with nothing worth reporting (no fault, or faults adding up to less than
    `BLIP_INTERVALS` probe intervals, such as a single bad probe);
  - replay wall time.
With `--seeds N` each scenario runs N times with seeds seed, seed+1, ... (the file's own
seed first) and the cells show min / median / max, plus the share detected within 5 min.

    .venv/bin/python bench/detection.py [FILE ...] [--seeds N] [--config CONFIG]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from monitor.config import Settings, load_settings
from monitor.judging.incidents import Incident
from monitor.scenarios.replay import replay
from monitor.scenarios.spec import Fault, Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "tests" / "scenarios"
BLIP_INTERVALS = 3          # a fault shorter than this many probe intervals is not an outage
PROMPT_S = 300.0            # "detected within 5 minutes"


@dataclass(frozen=True)
class Run:
    detect_s: float | None      # None: nothing to detect, or nothing detected
    resolve_s: float | None     # None: not detected, or still open at the end
    still_open: bool
    incidents: int
    causes: frozenset[str]
    false_incidents: int
    wall_s: float


def fault_window(scenario: Scenario) -> tuple[datetime, datetime] | None:
    """First start to last end of the faults; None when there are none or they add up to
    a blip (a flapping model's many short faults add up to an outage)."""
    faults = scenario.faults
    if sum(_length_s(scenario, f) for f in faults) < BLIP_INTERVALS * scenario.interval_s:
        return None
    first = min(f.from_s for f in faults)
    last = max(f.from_s + _length_s(scenario, f) for f in faults)
    return _at(scenario, first), _at(scenario, last)


def faulted_models(scenario: Scenario) -> set[str]:
    return {m.id for m in scenario.models for f in scenario.faults if f.covers_model(m.id)}


def measure(scenario: Scenario, settings: Settings) -> Run:
    started = time.perf_counter()
    incidents = replay(scenario, settings).incidents
    wall = time.perf_counter() - started
    window = fault_window(scenario)
    faulted = faulted_models(scenario)
    ours = [i for i in incidents if window and set(i.models) <= faulted]
    causes = frozenset(_cause(i) for i in incidents)
    false = len(incidents) - len(ours)
    if not ours or window is None:
        return Run(None, None, False, len(incidents), causes, false, wall)
    detected = min(i.detected_at for i in ours)
    still_open = any(i.resolved_at is None for i in ours)
    resolved = max(i.resolved_at or window[1] for i in ours)
    resolve_s = None if still_open else (resolved - window[1]).total_seconds()
    detect_s = (detected - window[0]).total_seconds()
    return Run(detect_s, resolve_s, still_open, len(incidents), causes, false, wall)


def row(scenario: Scenario, runs: Sequence[Run]) -> list[str]:
    detects = [r.detect_s for r in runs if r.detect_s is not None]
    resolves = [r.resolve_s for r in runs if r.resolve_s is not None]
    still = sum(1 for r in runs if r.still_open)
    prompt = sum(1 for d in detects if d <= PROMPT_S)
    resolved = _spread(resolves, _minutes) if resolves else ""
    if still:
        resolved = f"{resolved} ({still} open at end)".strip()
    return [
        scenario.name,
        _spread([r.incidents for r in runs], lambda n: f"{n:g}"),
        ", ".join(sorted(set().union(*(r.causes for r in runs)))) or "—",
        _spread(detects, _minutes),
        f"{prompt}/{len(runs)}" if fault_window(scenario) else "—",
        resolved or "—",
        str(sum(r.false_incidents for r in runs)),
        _spread([r.wall_s for r in runs], lambda s: f"{s:.1f} s"),
    ]


def table(rows: Sequence[Sequence[str]], seeds: int) -> str:
    spread = " (min / median / max)" if seeds > 1 else ""
    header = ["scenario", f"incidents{spread}", "causes", f"time to detect{spread}",
              "detected ≤ 5 min", f"resolved after fault end{spread}", "false incidents",
              f"replay wall time{spread}"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="scenario files (default: all)")
    parser.add_argument("--seeds", type=int, default=1, help="runs per scenario: seed+0..N-1")
    parser.add_argument("--config", help="thresholds and timeouts (default: built-in)")
    args = parser.parse_args()
    settings = load_settings(args.config) if args.config else Settings()
    rows = []
    for path in args.files or sorted(SCENARIOS.glob("*.toml")):
        scenario = load_scenario(path)
        runs = [measure(replace(scenario, seed=scenario.seed + k), settings)
                for k in range(args.seeds)]
        rows.append(row(scenario, runs))
        print(f"{scenario.name}: {' | '.join(rows[-1][1:])}", flush=True)
    print()
    print(table(rows, args.seeds))


def _cause(incident: Incident) -> str:
    return incident.cause.value if incident.public else f"{incident.cause.value} (op)"


def _length_s(scenario: Scenario, fault: Fault) -> float:
    until = fault.until_s if fault.until_s is not None else scenario.duration_s
    return min(until, scenario.duration_s) - fault.from_s


def _at(scenario: Scenario, offset_s: float) -> datetime:
    return scenario.start + timedelta(seconds=offset_s)


def _spread(values: Sequence[float], show: Callable[[float], str]) -> str:
    if not values:
        return "—"
    if len(values) == 1:
        return show(values[0])
    return " / ".join(show(v) for v in (min(values), statistics.median(values), max(values)))


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


if __name__ == "__main__":
    main()
