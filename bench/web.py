"""How fast does the site answer with a full history behind it?

Seeds 100 models x 3 regions x 90 days of 1-minute probes: raw results (and the
store's own minute/hour/day rollups) for the last 7 days, day and hour rollups
written directly before that, and the real status engine's output for the last
3 hours (an active and a resolved incident). Serves it with waitress in a
subprocess, as `aistatus web` does, and prints a Markdown table:

  - uncached: p50/p95/max response time of one client on loopback, to the last byte
    of the body as sent (the client's own gzip decoding not counted), each request
    missing the response cache (every request carries `?bench=N`, and the bench's
    server looks such requests up in the cache as misses); the view runs its
    queries and renders every time;
  - cached: requests per second under concurrent load (wrk if installed, else
    Python threads), next to two trivial endpoints served by the same server in
    the same run: /static/site.css (no database, no cache: what waitress + Flask
    cost) and /api/openapi.json (the response cache's path with a small body).

Goals: uncached overview p95 < 50 ms; cached throughput >= 70 % of the faster
trivial endpoint's. Load goes to 127.0.0.1 only, bounded in time and in request count.
The seeded database is cached under /tmp, keyed by the size and the seeding code.

Run from the repository root (so `tests` imports):
    .venv/bin/python -m bench.web              # full size (the first run seeds for ~12 min)
    .venv/bin/python -m bench.web --models 10 --days 14 --raw-days 1   # quick
    .venv/bin/python -m bench.web --postgres            # also PostgreSQL
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from monitor.clock import FakeClock
from monitor.config import Settings
from monitor.store import Store
from monitor.worker import heap
from tests.browser import seeding
from tests.browser.seeding import Outage, Plan, seed_store

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = Path(tempfile.gettempdir()) / "aistatus-bench-web"
NOW = datetime(2026, 6, 7, 12, 0, tzinfo=UTC)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PROVIDERS = ("anthropic", "openai", "gemini", "mistral", "together")
# Trivial endpoints, served beside the pages: the stylesheet (no database, no cache: what
# waitress + Flask cost) and the OpenAPI document (the cache's path with a tiny body). The
# faster of the two is the reference for the 70 % goal.
TRIVIAL = ("/static/site.css", "/api/openapi.json")
GOAL_P95_MS = 50.0
GOAL_SHARE = 0.70
MAX_REQUESTS = 200_000  # per load run, whatever the duration
WARMUP = 3  # uncached requests not counted
MIN_SAMPLES = 10
UNCACHED_BUDGET_S = 30.0


def settings_for(models: int) -> Settings:
    providers = [
        {
            "id": p,
            "kind": "openai_compatible",
            "base_url": f"http://127.0.0.1:9/{p}",
            "display_name": p.capitalize(),
        }
        for p in PROVIDERS
    ]
    rows = [
        {
            "provider": PROVIDERS[i % len(PROVIDERS)],
            "model": f"model-{i:03d}",
            "display_name": f"Model {i:03d}",
        }
        for i in range(models)
    ]
    return Settings.model_validate({"providers": providers, "models": rows})


def plan_for(args: argparse.Namespace) -> Plan:
    ids = [m.id for m in settings_for(args.models).models]
    hour = timedelta(hours=1)
    return Plan(
        now=NOW,
        history_days=args.days,
        raw_days=min(args.raw_days, args.days),
        engine_hours=3,
        outages=(
            Outage(frozenset(ids[0:10:5]), NOW - 0.75 * hour, NOW),  # active
            Outage(frozenset(ids[1:2]), NOW - 2.5 * hour, NOW - 2 * hour),  # resolved
        ),
        bad_days={target: {3 + i % 40: 120} for i, target in enumerate(ids[::7])},
    )


# -- the seeded database, cached ---------------------------------------------------------------


def cache_key(args: argparse.Namespace) -> str:
    migrations = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    # Whatever decides the data: the sizes, the seeding code, the schema.
    code = [inspect.getsource(f) for f in (settings_for, plan_for)]
    parts = [
        args.models,
        args.days,
        args.raw_days,
        Path(seeding.__file__).read_bytes(),
        code,
        migrations,
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def seeded_sqlite(args: argparse.Namespace) -> str:
    path = CACHE_DIR / f"web-{args.models}m-{args.days}d-{cache_key(args)}.db"
    if not path.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        for leftover in CACHE_DIR.glob(partial.name + "*"):
            leftover.unlink()
        seed(f"sqlite:///{partial}", args)
        for suffix in ("-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        partial.rename(path)
    return f"sqlite:///{path}"


def seeded_postgres(args: argparse.Namespace) -> str:
    name = f"aistatus_bench_{cache_key(args)}"
    server = PG_ADMIN.rsplit("/", 1)[0]
    if not _pg_database_exists(name):
        # Seeded under another name and renamed when done: an interrupted seed is never used.
        _pg_execute(f'DROP DATABASE IF EXISTS "{name}_partial"')
        _pg_execute(f'CREATE DATABASE "{name}_partial"')
        seed(f"{server}/{name}_partial", args)
        _pg_execute(f'ALTER DATABASE "{name}_partial" RENAME TO "{name}"')
    return f"{server}/{name}"


def _pg_database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=test") as connection:
        row = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return row.fetchone() is not None


def _pg_execute(statement: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as c:
        c.execute(statement)


def seed(url: str, args: argparse.Namespace) -> None:
    print(
        f"seeding {url} ({args.models} models, {args.days} days, "
        f"{args.raw_days} of them raw); cached for later runs",
        file=sys.stderr,
    )
    started = time.perf_counter()
    store = Store(url)
    try:
        report = seed_store(store, settings_for(args.models), plan_for(args), {})
    finally:
        store.dispose()
    print(
        f"seeded {report.results:,} results, {report.rollups:,} history rollups, "
        f"{report.engine_rows} engine rows in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )


# -- the server: waitress in its own process ---------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    """The subprocess: the app on the seeded store, served as `aistatus web` serves it."""
    import logging

    import waitress
    from flask import has_request_context, request

    from web import caching, create_app
    from web.caching import Entry, Key, ResponseCache

    class MissOnBench(ResponseCache):
        """The app's response cache, except that a request carrying `?bench=` finds no
        entry: its view runs as on a miss. The cache keys only on the parameters a view
        reads, so a fresh `?bench=N` alone would be a hit."""

        def get(self, key: Key) -> Entry | None:
            if has_request_context() and "bench" in request.args:
                return None
            return super().get(key)

    # Under deliberate overload waitress warns of its queue depth on every request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = create_app(
        settings_for(args.models), Store(args.url), clock=FakeClock(NOW), settle_heap=heap.settle
    )
    app.extensions[caching.EXTENSION] = MissOnBench()
    waitress.serve(app, host="127.0.0.1", port=args.port, threads=args.threads, _quiet=True)


@contextmanager
def running_site(args: argparse.Namespace, url: str) -> Iterator[str]:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "bench.web",
        "--serve",
        "--url",
        url,
        "--port",
        str(port),
        "--models",
        str(args.models),
        "--threads",
        str(args.threads),
    ]
    server = subprocess.Popen(command, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the site exited with {server.returncode}")
        try:
            httpx.get(base + TRIVIAL[0], timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the site did not start within 60 s")


# -- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    path: str
    bytes: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    max_ms: float | None = None
    rps: float | None = None
    errors: int = 0


def uncached(base: str, path: str, samples: int) -> tuple[float, float, float, int]:
    """p50, p95, max (ms) and body size of requests that each miss the response cache.

    Stops early (after MIN_SAMPLES) once UNCACHED_BUDGET_S is spent: a slow page
    must not hold the run for many minutes.
    """
    joiner = "&" if "?" in path else "?"
    times: list[float] = []
    size = 0
    deadline = time.monotonic() + UNCACHED_BUDGET_S
    with httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}, timeout=120) as client:
        for n in range(samples + WARMUP):
            started = time.perf_counter()
            # Timed to the last byte as sent; inflating the body is the client's work.
            with client.stream("GET", f"{path}{joiner}bench={time.time_ns()}-{n}") as response:
                for _ in response.iter_raw():
                    pass
                elapsed = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                size = response.num_bytes_downloaded
            if n >= WARMUP:  # the first ones warm the connection, templates, SQLite's pages
                times.append(elapsed)
            if len(times) >= MIN_SAMPLES and time.monotonic() > deadline:
                break
    cuts = statistics.quantiles(times, n=20, method="inclusive")
    return statistics.median(times), cuts[18], max(times), size


def throughput(base: str, path: str, seconds: float, connections: int) -> tuple[float, int]:
    """Requests per second of a cached path under load, and how many failed."""
    # Warm the cache entry the load will hit (same path, same Accept-Encoding).
    httpx.get(base + path, headers={"Accept-Encoding": "gzip"}, timeout=120).raise_for_status()
    if shutil.which("wrk"):
        return _wrk(base + path, seconds, connections)
    return _threads(base + path, seconds, connections)


_WRK_SCRIPT = """
wrk.headers["Accept-Encoding"] = "gzip"
local done, limit = 0, 0
function init(args) limit = tonumber(args[1]) end
function response(status, headers, body)
  done = done + 1
  if done >= limit then wrk.thread:stop() end
end
"""


def _wrk(url: str, seconds: float, connections: int) -> tuple[float, int]:
    threads = 2
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_WRK_SCRIPT)
        script.flush()
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                url,
                "--",
                str(MAX_REQUESTS // threads),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
    rps = float(out.split("Requests/sec:")[1].split()[0])
    # "Non-2xx or 3xx responses: 3", "Socket errors: connect 0, read 1, write 0, timeout 0"
    failed = [
        line.split(":", 1)[1]
        for line in out.splitlines()
        if line.strip().startswith(("Non-2xx", "Socket errors"))
    ]
    return rps, sum(int(n) for text in failed for n in re.findall(r"\d+", text))


def _threads(url: str, seconds: float, connections: int) -> tuple[float, int]:
    deadline = time.monotonic() + seconds
    counts, failures = [0] * connections, [0] * connections

    def client(index: int) -> None:
        with httpx.Client(headers={"Accept-Encoding": "gzip"}) as http:
            while time.monotonic() < deadline and counts[index] < MAX_REQUESTS // connections:
                # Bytes as sent: inflating a gzipped body is the client's work, not the site's.
                with http.stream("GET", url) as response:
                    for _ in response.iter_raw():
                        pass
                    if response.status_code != 200:
                        failures[index] += 1
                counts[index] += 1

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.monotonic() - started), sum(failures)


def measure(base: str, args: argparse.Namespace, incident: str | None) -> list[Row]:
    pages = [
        ("overview", "/"),
        ("model page", "/models/anthropic/model-000"),
        ("feed", "/history.atom"),
        ("summary API", "/api/v2/summary.json"),
    ]
    if incident:
        pages.insert(2, ("incident page", f"/incidents/{incident}"))
    # Every page's uncached requests first, then every load run: a load run right after
    # 200 builds of its own page would pay for collecting their garbage, others not.
    timings = [uncached(base, path, args.samples) for _, path in pages]
    # Load in rounds, every path once per round, each path's figure the median of its
    # rounds: on a shared machine the load from elsewhere drifts over a run, and a path
    # measured in one block would get whatever share of the CPUs its minutes left.
    paths = [path for _, path in pages] + list(TRIVIAL)
    rounds: dict[str, list[tuple[float, int]]] = {path: [] for path in paths}
    for _ in range(args.rounds):
        for path in paths:
            rounds[path].append(
                throughput(base, path, args.duration / args.rounds, args.connections)
            )
    rows = []
    for (label, path), (p50, p95, slowest, size) in zip(pages, timings, strict=True):
        rows.append(Row(label, path, size, p50, p95, slowest, *_load(rounds[path])))
    for path in TRIVIAL:
        size = httpx.get(base + path, headers={"Accept-Encoding": "gzip"}).num_bytes_downloaded
        rps, errors = _load(rounds[path])
        rows.append(Row("trivial endpoint", path, size, rps=rps, errors=errors))
    return rows


def _load(rounds: list[tuple[float, int]]) -> tuple[float, int]:
    """Median requests per second of the rounds, and every failure."""
    return statistics.median(rps for rps, _ in rounds), sum(errors for _, errors in rounds)


def table(title: str, rows: list[Row]) -> str:
    pages = [r for r in rows if r.label != "trivial endpoint"]
    trivial = max(r.rps or 0 for r in rows if r not in pages) or 1.0
    lines = [
        f"### {title}",
        "",
        "| page | path | bytes sent | uncached p50 | uncached p95 | uncached max "
        "| cached req/s | vs trivial | failed |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        p50 = f"{row.p50_ms:.1f} ms" if row.p50_ms is not None else "—"
        p95 = f"{row.p95_ms:.1f} ms" if row.p95_ms is not None else "—"
        slowest = f"{row.max_ms:.1f} ms" if row.max_ms is not None else "—"
        share = f"{100 * (row.rps or 0) / trivial:.0f} %"
        lines.append(
            f"| {row.label} | `{row.path}` | {row.bytes:,} B | {p50} | {p95} "
            f"| {slowest} | {row.rps:,.0f} | {share} | {row.errors} |"
        )
    overview = rows[0]
    cached_min = min(r.rps or 0 for r in pages) / trivial
    lines += [
        "",
        f"- uncached overview p95 {overview.p95_ms:.1f} ms (goal < {GOAL_P95_MS:.0f} ms): "
        f"{'met' if (overview.p95_ms or 0) < GOAL_P95_MS else 'NOT met'}",
        f"- slowest cached page at {100 * cached_min:.0f} % of the faster trivial endpoint "
        f"(goal >= {100 * GOAL_SHARE:.0f} %): "
        f"{'met' if cached_min >= GOAL_SHARE else 'NOT met'}",
    ]
    return "\n".join(lines)


def run(args: argparse.Namespace, url: str, title: str) -> None:
    store = Store(url)
    try:
        active = store.incidents(open_only=True)
    finally:
        store.dispose()
    with running_site(args, url) as base:
        rows = measure(base, args, active[0].id if active else None)
    print(table(title, rows), flush=True)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--days", type=int, default=90, help="days of history")
    parser.add_argument("--raw-days", type=int, default=7, help="of them, days of raw results")
    parser.add_argument("--postgres", action="store_true", help="also seed and serve PostgreSQL")
    parser.add_argument("--samples", type=int, default=200, help="uncached requests per page")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per path")
    parser.add_argument("--rounds", type=int, default=5, help="the load split in rounds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (as serve_web)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    args = parse()
    if args.serve:
        serve(args)
        return
    size = f"{args.models} models x 3 regions x {args.days} days ({args.raw_days} raw)"
    run(args, seeded_sqlite(args), f"SQLite, {size}")
    if args.postgres:
        run(args, seeded_postgres(args), f"PostgreSQL, {size}")


if __name__ == "__main__":
    main()
