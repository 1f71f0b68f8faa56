"""How fast does the engine notice a fault, how fast does it let go, and does it cry wolf?

Replays scenario files (default: every tests/scenarios/*.toml) through `monitor.scenarios.replay`
and prints a Markdown table, per scenario:
  - history before the fault ("none" for a fresh install: the fault starts with the data);
  - incidents opened, and their causes (operator-only ones marked "op");
  - shown: when every faulted model has left `operational` (its first non-operational
    status after the fault began), and when one reached `major_outage`;
  - time to detect: the first incident naming a faulted model, detected_at - fault start;
  - first failed scheduled probe: when the first scheduled probe of a faulted model failed
    (what no engine can see sooner: confirmation probes come after it), and the time to
    detect counted from it;
  - one incident: seeds where a single incident names every faulted model;
  - time to resolve: the last such incident's resolved_at - fault end ("open" if never);
  - false incidents: incidents naming a model no fault touches, every incident of a
    scenario with nothing worth reporting (no fault, or faults adding up to less than
    `BLIP_INTERVALS` probe intervals, such as a single bad probe), and any incident of a
    wrong-answers-only scenario not called `quality`;
  - false statuses: non-operational statuses of models no fault touches (of every model
    when there is nothing worth reporting);
  - extra probes: confirmation probes the engine asked for, as a share of the schedule;
  - replay wall time.
With `--seeds N` each scenario runs N times with seeds seed, seed+1, ... (the file's own
seed first) and the cells show min / median / max, plus the share detected within 5 min
(`--within` sets another goal) and, as its ceiling, the share where a scheduled probe
failed within that time: on the other seeds no engine could have seen the fault in time.

    .venv/bin/python bench/detection.py [FILE ...] [--seeds N] [--config CONFIG] [--jobs J]
                                        [--within 10m]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from monitor.config import Settings, load_settings
from monitor.durations import parse_duration
from monitor.judging.incidents import Incident
from monitor.judging.status import ComponentStatus, StatusChange
from monitor.probing.scheduler import phase_offset
from monitor.results import FailureClass
from monitor.scenarios.replay import replay
from monitor.scenarios.spec import Fault, FaultKind, Scenario, load_scenario
from monitor.scenarios.virtual_probe import virtual_probe

SCENARIOS = Path(__file__).resolve().parents[1] / "tests" / "scenarios"
BLIP_INTERVALS = 3  # a fault shorter than this many probe intervals is not an outage
PROMPT_S = 300.0  # "detected within 5 minutes" (--within changes it)
QUALITY_KINDS = {FaultKind.WRONG_ANSWER, FaultKind.GARBLED, FaultKind.EMPTY}


@dataclass(frozen=True)
class Run:
    detect_s: float | None  # None: nothing to detect, or nothing detected
    resolve_s: float | None  # None: not detected, or still open at the end
    still_open: bool
    incidents: int
    causes: frozenset[str]
    false_incidents: int
    wall_s: float
    shown_s: float | None = None  # every faulted model non-operational
    major_s: float | None = None  # a faulted model in major_outage
    one_incident: bool = False  # one incident names every faulted model
    false_statuses: int = 0
    extra_probes: float = 0.0  # confirmation probes / scheduled probes
    first_bad_s: float | None = None  # the first scheduled probe of a faulted model to fail


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
    outcome = replay(scenario, settings)
    incidents = outcome.incidents
    wall = time.perf_counter() - started
    window = fault_window(scenario)
    faulted = faulted_models(scenario) if window else set()
    quality_only = _quality_only(scenario)
    ours = [
        i
        for i in incidents
        if window and set(i.models) <= faulted and (not quality_only or i.cause.value == "quality")
    ]
    causes = frozenset(_cause(i) for i in incidents)
    false = len(incidents) - len(ours)
    history = {m.id: outcome.history.get(m.id, []) for m in scenario.models}
    false_statuses = sum(
        1
        for target, changes in history.items()
        if target not in faulted
        for c in changes
        if c.status.affected
    )
    scheduled = (
        len(scenario.models) * len(scenario.regions) * scenario.duration_s / (scenario.interval_s)
    )
    extra = max(0.0, outcome.probes / scheduled - 1.0)
    common = dict(false_statuses=false_statuses, extra_probes=extra)
    if window is None:
        return Run(None, None, False, len(incidents), causes, false, wall, **common)
    shown = [_first(history[t], window[0], lambda c: c.status.affected) for t in faulted]
    shown_s = None if None in shown else max(_since(window[0], s) for s in shown if s)
    majors = [
        _first(history[t], window[0], lambda c: c.status is ComponentStatus.MAJOR_OUTAGE)
        for t in faulted
    ]
    major_s = min((_since(window[0], m) for m in majors if m), default=None)
    common.update(
        shown_s=shown_s,
        major_s=major_s,
        one_incident=any(set(i.models) == faulted for i in ours),
        first_bad_s=first_bad_probe(scenario, settings, faulted, window[0]),
    )
    if not ours:
        return Run(None, None, False, len(incidents), causes, false, wall, **common)
    detected = min(i.detected_at for i in ours)
    still_open = any(i.resolved_at is None for i in ours)
    resolved = max(i.resolved_at or window[1] for i in ours)
    resolve_s = None if still_open else (resolved - window[1]).total_seconds()
    detect_s = (detected - window[0]).total_seconds()
    return Run(detect_s, resolve_s, still_open, len(incidents), causes, false, wall, **common)


def first_bad_probe(
    scenario: Scenario,
    settings: Settings,
    faulted: set[str],
    start: datetime,
    within_s: float = 3600.0,
) -> float | None:
    """Seconds from the fault's start to the first *scheduled* probe of a faulted model that
    was not ok: no engine can see a fault before a probe shows it, so this bounds how soon
    any of them could (the extra probes a suspicion brings come after it)."""
    interval = scenario.interval_s
    first: float | None = None
    for target in faulted:
        for region in scenario.regions:
            phase = phase_offset(target, region, interval)
            offset = (start - scenario.start).total_seconds() - phase
            k = max(0, -int(-offset // interval))
            at = scenario.start + timedelta(seconds=phase + k * interval)
            while at < min(start + timedelta(seconds=within_s), scenario.end):
                result = virtual_probe(scenario, target, region, at, settings.probe)
                if result.failure_class is not FailureClass.OK:
                    seconds = (at - start).total_seconds()
                    first = seconds if first is None else min(first, seconds)
                    break
                at += timedelta(seconds=interval)
    return first


def history_before(scenario: Scenario) -> str:
    """How much healthy history the engine has when the first fault starts."""
    if not scenario.faults:
        return "—"
    first = min(f.from_s for f in scenario.faults)
    if first < scenario.interval_s:
        return "none (fresh install)"
    return f"{first / 3600:g} h" if first >= 3600 else f"{first / 60:g} min"


def row(scenario: Scenario, runs: Sequence[Run], within_s: float = PROMPT_S) -> list[str]:
    detects = [r.detect_s for r in runs if r.detect_s is not None]
    resolves = [r.resolve_s for r in runs if r.resolve_s is not None]
    still = sum(1 for r in runs if r.still_open)
    prompt = sum(1 for d in detects if d <= within_s)
    # The ceiling: seeds where a scheduled probe failed in time. On the others no engine
    # could have opened an incident within the goal (confirmation probes come after it).
    possible = sum(1 for r in runs if r.first_bad_s is not None and r.first_bad_s <= within_s)
    resolved = _spread(resolves, _minutes) if resolves else ""
    if still:
        resolved = f"{resolved} ({still} open at end)".strip()
    faulty = fault_window(scenario) is not None
    several = len(faulted_models(scenario)) > 1
    shown = [r.shown_s for r in runs if r.shown_s is not None]
    majors = [r.major_s for r in runs if r.major_s is not None]
    firsts = [r.first_bad_s for r in runs if r.first_bad_s is not None]
    after = [
        r.detect_s - r.first_bad_s
        for r in runs
        if r.detect_s is not None and r.first_bad_s is not None
    ]
    return [
        scenario.name,
        history_before(scenario),
        _spread([r.incidents for r in runs], lambda n: f"{n:g}"),
        ", ".join(sorted(set().union(*(r.causes for r in runs)))) or "—",
        "—"
        if _quality_only(scenario)
        else _spread(shown, _minutes)
        + (f" ({len(runs) - len(shown)} never)" if faulty and len(shown) < len(runs) else ""),
        _spread(majors, _minutes) if majors else "—",
        _spread(detects, _minutes),
        _spread(firsts, _minutes) if firsts else "—",
        _spread(after, _minutes) if after else "—",
        f"{prompt}/{len(runs)}" if faulty else "—",
        f"{possible}/{len(runs)}" if faulty and firsts else "—",
        f"{sum(r.one_incident for r in runs)}/{len(runs)}" if faulty and several else "—",
        resolved or "—",
        str(sum(r.false_incidents for r in runs)),
        str(sum(r.false_statuses for r in runs)),
        _spread([100 * r.extra_probes for r in runs], lambda x: f"{x:.0f} %"),
        _spread([r.wall_s for r in runs], lambda s: f"{s:.1f} s"),
    ]


def table(rows: Sequence[Sequence[str]], seeds: int, within_s: float = PROMPT_S) -> str:
    spread = " (min / median / max)" if seeds > 1 else ""
    within = _minutes(within_s).replace(".0 min", " min")
    header = [
        "scenario",
        "history before fault",
        f"incidents{spread}",
        "causes",
        f"shown{spread}",
        f"major_outage{spread}",
        f"time to detect{spread}",
        f"first failed scheduled probe{spread}",
        f"detect after it{spread}",
        f"detected ≤ {within}",
        f"a scheduled probe failed ≤ {within}",
        "one incident names all",
        f"resolved after fault end{spread}",
        "false incidents",
        "false statuses",
        f"extra probes{spread}",
        f"replay wall time{spread}",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="scenario files (default: all)")
    parser.add_argument("--seeds", type=int, default=1, help="runs per scenario: seed+0..N-1")
    parser.add_argument("--config", help="thresholds and timeouts (default: built-in)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="seeds replayed in parallel processes (wall times then overlap)",
    )
    parser.add_argument(
        "--within",
        type=parse_duration,
        default=PROMPT_S,
        help="the goal's time to detect, e.g. 10m (default 5m): seeds detected within it, "
        "and seeds where any engine could have been (a scheduled probe failed within it)",
    )
    args = parser.parse_args()
    settings = load_settings(args.config) if args.config else Settings()
    rows = []
    with ProcessPoolExecutor(args.jobs) if args.jobs > 1 else nullcontext() as pool:
        for path in args.files or sorted(SCENARIOS.glob("*.toml")):
            scenario = load_scenario(path)
            seeded = [replace(scenario, seed=scenario.seed + k) for k in range(args.seeds)]
            if pool is None:
                runs = [measure(one, settings) for one in seeded]
            else:
                runs = list(pool.map(measure, seeded, [settings] * len(seeded)))
            rows.append(row(scenario, runs, args.within))
            print(f"{scenario.name}: {' | '.join(rows[-1][1:])}", flush=True)
    print()
    print(table(rows, args.seeds, args.within))


def _cause(incident: Incident) -> str:
    return incident.cause.value if incident.public else f"{incident.cause.value} (op)"


def _quality_only(scenario: Scenario) -> bool:
    """Only wrong, garbled or empty answers: the status stays, a quality incident opens."""
    return bool(scenario.faults) and all(f.kind in QUALITY_KINDS for f in scenario.faults)


def _first(
    changes: Sequence[StatusChange], since: datetime, match: Callable[[StatusChange], bool]
) -> datetime | None:
    return next((c.at for c in changes if c.at >= since and match(c)), None)


def _since(start: datetime, at: datetime) -> float:
    return (at - start).total_seconds()


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
