"""What does the status engine cost at scale: memory per model-region, rebuild at start, replay?

Prints one table (Markdown) with three figures, each against its goal (issue "Cost and
weight at scale"):

  - memory: bytes the engine holds per model-region after 25 h of 1-minute probes from
    every region (a noise-only replay of `--memory-models` models; measured with
    tracemalloc as what is freed when the engine goes, so nothing else is counted;
    exact, not noisy). Goal <= 100 kB, so 1,000 models x 3 regions < 300 MB.
  - rebuild: 25 h of results for `--models` x `--regions` written to a fresh SQLite file
    (straight into probe_results: rollups play no part in a rebuild), then the worker's
    start-up path timed: `Store.results_between` an hour at a time over 25 h into
    `rebuild()` (ingest, then one evaluation a minute), and the process's peak RSS
    meanwhile (VmHWM, reset before). Goal <= 10 s at 1,000 x 3. `--postgres` does it on
    the PostgreSQL of the test set-up too. Then the snapshot of that engine saved as the
    worker saves it (the evaluator's pause to copy it; the write, in its own thread), 10
    more minutes of results written, and the worker's first tick timed: the start as it
    is now, from the snapshot, caught up on those minutes (monitor/worker/snapshots.py).
  - replay: `replay()` of 24 h x `--models` x `--regions` (noise only) in a child process:
    wall seconds and the child's peak RSS. Goal < 60 s and < 1 GB at 1,000 x 3 (4.3 M
    probes). From 200,000 scheduled probes replay uses other processes: its providers
    split over the cores (monitor/scenarios/shards.py; the bench's four providers, two
    shares on two cores), or for a single provider its probes drawn ahead
    (probes_ahead.py). Their CPU (summed) and peak RSS (the largest) are printed beside
    the replaying process's (`--no-apart` keeps it all in one process).
    Measured 2026-12-05, shared 2-core machine (load 1.5-2.0, other jobs running),
    `--only replay` at 1,000 x 3 (4,762,770 probes with confirmations), the code before
    (96e19c8) and after alternating: before 65.4 / 60.5 s wall, CPU 61.4 / 60.0 s +
    61.3 / 59.2 s in the other share; after 44.6 / 45.8 s wall, CPU 44.3 / 44.9 s +
    43.9 / 44.6 s, peak RSS 245 MB + 213 MB: met while the two cores are ours (earlier
    that day, at load 2-5, the code before took 110.4 / 144.5 s). What a share spends,
    at 500 x 3: a quarter of its CPU seeding each request's generator (~4.5 us a probe,
    in C; it fixes the dice: the floor), ~3 us a probe the rest of drawing, ~3-4 us
    counting, ~20 us a model-minute judging.

    .venv/bin/python -m bench.engine_memory                 # 1,000 x 3: minutes, GBs of disk
    .venv/bin/python -m bench.engine_memory --models 100    # a quick run: scale by 10
    .venv/bin/python -m bench.engine_memory --only memory

The machine is shared: wall times move with its load (the load average is printed), so
CPU seconds are printed beside them (on an idle machine the two agree, but for a large
replay, whose two processes overlap); run it a few times. Memory figures do not move.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.clock import FakeClock
from monitor.config import Settings, settings_from_dict
from monitor.judging.engine import rebuild
from monitor.results import FailureClass, Outcome, ProbeResult
from monitor.scenarios.replay import replay
from monitor.scenarios.spec import Scenario, parse_scenario
from monitor.worker.evaluator import Evaluator, read_history
from monitor.worker.snapshots import EngineSnapshots

PROVIDERS = ("anthropic", "openai", "gemini", "together")
REGIONS = ("us-east", "eu-west", "ap-southeast", "sa-east", "af-south")
START = datetime(2026, 6, 7, tzinfo=UTC)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DATABASE = "aistatus_engine_bench"  # its own database: others test on `test`
MEMORY_GOAL = 100_000  # bytes per model-region
REBUILD_GOAL_S = 10.0
REPLAY_GOAL_S, REPLAY_GOAL_RSS = 60.0, 1 << 30


def noise_scenario(models: int, regions: int, hours: float, seed: int = 7) -> Scenario:
    """`models` models spread over four providers, 1-2 % HTTP 500s, no fault."""
    return parse_scenario(
        {
            "name": "engine-bench",
            "start": START.isoformat().replace("+00:00", "Z"),
            "duration": f"{hours:g}h",
            "interval": "60s",
            "regions": list(REGIONS[:regions]),
            "seed": seed,
            "models": [
                {
                    "id": f"{PROVIDERS[i % 4]}/model-{i}",
                    "ttft_ms": 400 + i % 7 * 50,
                    "latency_ms": 900 + i % 5 * 100,
                    "error_rate": 0.01 + i % 3 * 0.005,
                }
                for i in range(models)
            ],
        }
    )


def engine_bytes(models: int, regions: int) -> tuple[int, int]:
    """Bytes the engine holds after a 25 h replay, and its model-regions."""
    scenario = noise_scenario(models, regions, 25)
    tracemalloc.start()
    outcome = replay(scenario, Settings())
    engine = outcome.engine
    del outcome
    gc.collect()
    held = tracemalloc.get_traced_memory()[0]
    del engine
    gc.collect()
    freed = held - tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return freed, models * regions


def stored_history(
    models: int, regions: int, now: datetime, minutes: int = 25 * 60, seed: int = 11
) -> Iterator[ProbeResult]:
    """`minutes` (25 h) of 1-minute probes per model-region up to `now` as the prober
    stores them, ~1.5 % failing."""
    rng = random.Random(seed)
    first = now - timedelta(minutes=minutes)
    for minute in range(minutes):
        at = first + timedelta(minutes=minute)
        for index in range(models):
            target = f"{PROVIDERS[index % 4]}/model-{index}"
            for region in REGIONS[:regions]:
                started = at + timedelta(seconds=(index * 7 + len(region)) % 60)
                if rng.random() < 0.015:
                    yield ProbeResult(
                        target=target, region=region, started_at=started,
                        outcome=Outcome.HTTP_ERROR, failure_class=FailureClass.INFRASTRUCTURE,
                        http_status=500, error_type="api_error", total_ms=rng.uniform(50, 400),
                        error_excerpt='{"type":"error","error":{"type":"api_error"}}',
                    )  # fmt: skip
                else:
                    ttft = rng.lognormvariate(6.2, 0.2)
                    yield ProbeResult(
                        target=target, region=region, started_at=started,
                        outcome=Outcome.OK, http_status=200, ttft_ms=ttft,
                        total_ms=ttft + rng.lognormvariate(6.2, 0.2), output_tokens=2,
                        answer_correct=True,
                    )  # fmt: skip


def write_history(
    url: str, models: int, regions: int, now: datetime, minutes: int = 25 * 60, seed: int = 11
) -> int:
    from sqlalchemy import create_engine

    from monitor.store import Store
    from monitor.store.records import result_to_row
    from monitor.store.rows.schema import PROBE_RESULTS

    Store(url).upgrade()
    engine = create_engine(url)
    written, batch = 0, []
    with engine.begin() as connection:
        for result in stored_history(models, regions, now, minutes, seed):
            batch.append(result_to_row(result))
            if len(batch) == 20_000:
                connection.execute(PROBE_RESULTS.insert(), batch)
                written, batch = written + len(batch), []
        if batch:
            connection.execute(PROBE_RESULTS.insert(), batch)
            written += len(batch)
    engine.dispose()
    return written


def bench_settings(models: int) -> Settings:
    """A config naming the bench's models, so the worker's own start-up path can run."""
    kinds = {"anthropic": "anthropic", "openai": "openai", "gemini": "gemini"}
    return settings_from_dict(
        {
            "providers": [
                {
                    "id": p,
                    "kind": kinds.get(p, "openai_compatible"),
                    "base_url": "http://127.0.0.1:1",
                }
                for p in PROVIDERS
            ],
            "models": [
                {"provider": PROVIDERS[i % 4], "model": f"model-{i}", "display_name": f"Model {i}"}
                for i in range(models)
            ],
        }
    )


@dataclass
class StartFigures:
    read_s: float  # reading 25 h of results (full rebuild)
    engine_s: float  # rebuilding the engine from them
    cpu_s: float  # CPU of both
    results: int
    peak: int | None  # peak RSS meanwhile, bytes
    dump_s: float = 0.0  # the evaluator's pause to copy its state
    dump_cpu_s: float = 0.0
    save_s: float = 0.0  # compressing and writing it (a thread of its own)
    save_cpu_s: float = 0.0
    raw: int = 0  # bytes of the state
    stored: int = 0  # bytes written
    start_s: float = 0.0  # a start from the snapshot: restore + catch up CATCH_UP minutes
    start_cpu_s: float = 0.0
    start_peak: int | None = None


CATCH_UP = 10  # minutes of results after the snapshot: the default interval, a crash's worst


def rebuild_seconds(url: str, models: int, regions: int) -> StartFigures:
    """The full rebuild at start (reading 25 h of results and re-judging them), then the
    snapshot of its engine saved as the worker saves it, then the worker's first tick
    after CATCH_UP more minutes of results: restored from the snapshot and caught up."""
    from monitor.store import Store
    from monitor.worker.roles import sync_targets

    now = START + timedelta(hours=25)
    write_history(url, models, regions, now)
    store = Store(url)
    settings = bench_settings(models)
    sync_targets(settings, store, environ={})
    ids = frozenset(f"{PROVIDERS[i % 4]}/model-{i}" for i in range(models))
    # The worker's own list (names from the store): the snapshot's must match it.
    targets = Evaluator(settings, store, FakeClock(now), REGIONS[0]).targets(ids)
    gc.collect()
    peak_known = _reset_peak()
    started, cpu = time.perf_counter(), time.process_time()
    # As the worker does it (monitor/worker/evaluator.py): the results read an hour at a
    # time, the regions known once they are all in. Reading is timed as it happens.
    heard: dict[str, int] = {}
    reading = [0.0]

    def history() -> Iterator[ProbeResult]:
        chunks = read_history(store, now - timedelta(hours=25), now, heard)
        while True:
            began = time.perf_counter()
            result = next(chunks, None)
            reading[0] += time.perf_counter() - began
            if result is None:
                return
            yield result

    engine, _ = rebuild(settings.status, targets, lambda: sorted(heard), history(), until=now)
    done = time.perf_counter()
    peak = _peak_kb() * 1024 if peak_known else None
    total = done - started
    figures = StartFigures(
        reading[0], total - reading[0], time.process_time() - cpu, sum(heard.values()), peak
    )
    # The snapshot as the evaluator takes it: a copy in its thread, then the write.
    snapshots = EngineSnapshots(store, settings.status, settings.storage.engine_snapshot_interval)
    began, cpu = time.perf_counter(), time.process_time()
    data, info = snapshots._copy(engine, now)
    figures.dump_s, figures.raw = time.perf_counter() - began, len(data)
    figures.dump_cpu_s = time.process_time() - cpu
    began, cpu = time.perf_counter(), time.process_time()
    snapshots._write(info, data)
    figures.save_s, figures.save_cpu_s = time.perf_counter() - began, time.process_time() - cpu
    figures.stored = sum(
        len(part) for part in store.engine_snapshot_parts(store.engine_snapshots()[0].id)
    )
    del engine, data, snapshots
    later = now + timedelta(minutes=CATCH_UP)
    write_history(url, models, regions, later, minutes=CATCH_UP, seed=12)
    gc.collect()
    peak_known = _reset_peak()
    worker = Evaluator(settings, store, FakeClock(later + timedelta(seconds=5)), REGIONS[0])
    began, cpu = time.perf_counter(), time.process_time()
    worker.tick()
    figures.start_s, figures.start_cpu_s = time.perf_counter() - began, time.process_time() - cpu
    figures.start_peak = _peak_kb() * 1024 if peak_known else None
    worker.snapshots.wait()  # a snapshot was due again: it is written meanwhile
    if worker.restores != 1:
        raise SystemExit("the worker did not start from the snapshot: see its log line")
    store.dispose()
    return figures


def _reset_peak() -> bool:
    """Reset this process's peak RSS (VmHWM) to what it holds now, if Linux lets us."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def replay_child(models: int, regions: int, apart: bool | None) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    outcome = replay(noise_scenario(models, regions, 24), Settings(), apart=apart)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # Large replays use other processes (a share of the providers each, or one drawing the
    # probes): their CPU and peak RSS, as the kernel kept them once they were waited for.
    probes_process = resource.getrusage(resource.RUSAGE_CHILDREN)
    probes_cpu = probes_process.ru_utime + probes_process.ru_stime
    # VmHWM: this process's peak since exec (ru_maxrss would count the parent's pages the
    # child was forked with).
    print(
        f"{seconds:.2f} {cpu:.2f} {outcome.probes} {_peak_kb()} "
        f"{probes_cpu:.2f} {probes_process.ru_maxrss}"
    )


def _peak_kb() -> int:
    status = Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))


@dataclass(frozen=True)
class ReplayFigures:
    seconds: float  # wall
    cpu: float  # the replaying process
    probes: int
    peak: int  # bytes, the replaying process
    probes_cpu: float  # the other processes: shares, or the one drawing probes (0: none)
    probes_peak: int  # bytes

    def words(self) -> str:
        if not self.probes_peak:
            return f"{self.seconds:.1f} s (CPU {self.cpu:.1f} s), peak RSS {self.peak / 1e6:.0f} MB"
        return (
            f"{self.seconds:.1f} s (CPU {self.cpu:.1f} s + {self.probes_cpu:.1f} s in other "
            f"processes), peak RSS {self.peak / 1e6:.0f} MB + {self.probes_peak / 1e6:.0f} MB"
        )


def replay_figures(models: int, regions: int, apart: bool | None = None) -> ReplayFigures:
    """Wall and CPU seconds, probes and peak RSS of a 24 h replay in a child."""
    command = [sys.executable, "-m", "bench.engine_memory", "--replay-child"]
    command += ["--models", str(models), "--regions", str(regions)]
    if apart is not None:
        command.append("--apart" if apart else "--no-apart")
    root = Path(__file__).resolve().parents[1]
    output = subprocess.run(command, cwd=root, check=True, capture_output=True, text=True)
    seconds, cpu, probes, peak_kb, probes_cpu, probes_kb = output.stdout.split()
    return ReplayFigures(
        float(seconds),
        float(cpu),
        int(probes),
        int(peak_kb) * 1024,
        float(probes_cpu),
        int(probes_kb) * 1024,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=1000, help="for rebuild and replay")
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--memory-models", type=int, default=20, help="for the memory figure")
    parser.add_argument("--only", choices=("memory", "rebuild", "replay"), action="append")
    parser.add_argument("--postgres", action="store_true", help="rebuild on PostgreSQL too")
    parser.add_argument(
        "--apart",
        action=argparse.BooleanOptionalAction,
        help="replay draws its probes in a second process (default: from 200,000 probes)",
    )
    parser.add_argument("--replay-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replay_child:
        replay_child(args.models, args.regions, args.apart)
        return
    only = set(args.only or ("memory", "rebuild", "replay"))
    scale = 1000 * 3 / (args.models * args.regions)
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    rows = []
    if "memory" in only:
        held, model_regions = engine_bytes(args.memory_models, args.regions)
        per = held / model_regions
        rows.append(
            (
                f"engine memory per model-region, 25 h ({args.memory_models} models)",
                f"{per / 1000:.1f} kB ({per * 3000 / 1e6:.0f} MB at 1,000 x 3)",
                "<= 100 kB",
                "met" if per <= MEMORY_GOAL else "not met",
            )
        )
    if "rebuild" in only:
        databases = [("SQLite", None)] + ([("PostgreSQL", PG_ADMIN)] if args.postgres else [])
        for name, url in databases:
            with tempfile.TemporaryDirectory() as folder:
                url = f"sqlite:///{Path(folder) / 'bench.db'}" if url is None else _fresh_postgres()
                f = rebuild_seconds(url, args.models, args.regions)
            total = f.read_s + f.engine_s
            size = f"{args.models} x {args.regions}"
            rows.append(
                (
                    f"full rebuild at start (no snapshot), {name}, {size}, {f.results:,} results",
                    f"{total:.1f} s (read {f.read_s:.1f} s + engine {f.engine_s:.1f} s; "
                    f"CPU {f.cpu_s:.1f} s"
                    + (f", peak RSS {f.peak / 1e6:.0f} MB)" if f.peak else ")")
                    + (f"; x{scale:g} = {total * scale:.0f} s at 1,000 x 3" if scale != 1 else ""),
                    "<= 10 s at 1,000 x 3",
                    "met" if total * scale <= REBUILD_GOAL_S else "not met",
                )
            )
            rows.append(
                (
                    f"snapshot save, {name}, {size}",
                    f"{f.raw / 1e6:.0f} MB, {f.stored / 1e6:.0f} MB written; the evaluator "
                    f"pauses {f.dump_s:.2f} s (CPU {f.dump_cpu_s:.2f} s) to copy it, a thread "
                    f"writes it in {f.save_s:.1f} s (CPU {f.save_cpu_s:.1f} s)",
                    "never stalls the minute",
                    "",
                )
            )
            rows.append(
                (
                    f"start from the snapshot + {CATCH_UP} min catch-up, {name}, {size}",
                    f"{f.start_s:.1f} s (CPU {f.start_cpu_s:.1f} s"
                    + (f", peak RSS {f.start_peak / 1e6:.0f} MB)" if f.start_peak else ")")
                    + (
                        f"; x{scale:g} = {f.start_s * scale:.0f} s at 1,000 x 3"
                        if scale != 1
                        else ""
                    ),
                    "<= 10 s at 1,000 x 3",
                    "met" if f.start_s * scale <= REBUILD_GOAL_S else "not met",
                )
            )
    if "replay" in only:
        figures = replay_figures(args.models, args.regions, args.apart)
        seconds = figures.seconds
        met = seconds * scale < REPLAY_GOAL_S and figures.peak < REPLAY_GOAL_RSS
        rows.append(
            (
                f"replay 24 h, {args.models} x {args.regions}, {figures.probes:,} probes",
                figures.words()
                + (f"; x{scale:g} = {seconds * scale:.0f} s at 1,000 x 3" if scale != 1 else ""),
                "< 60 s, < 1 GB at 1,000 x 3",
                "met" if met and scale == 1 else ("on course" if met else "not met"),
            )
        )
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| figure | measured | goal | |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def _fresh_postgres() -> str:
    """An empty database of its own (dropped and made again), as a URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE}"))
        connection.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
    engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DATABASE


if __name__ == "__main__":
    main()
