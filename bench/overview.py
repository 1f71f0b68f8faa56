"""How fast and how heavy is the overview page, at 100 and at 1,000 models?

Seeds N models x 3 regions x 90 days (N: 100 and 1,000 unless --models says): day
rollups (with realistic latency histograms) for the past days, today's hours and the
last hour's minutes, a few timeouts every day (so every day's tip lists a failure),
bad days with failures of every class, status changes and resolved incidents on those
days, one open incident, and every tenth model only 30 days old. Then prints, for `/` at `NOW`:

  - cold: the first request after start-up (the rollup caches read 90 days);
  - in-process: p50/p95 of building the view model (`overview`), rendering
    index.html, gzipping the body, and all three, with warm rollup caches;
  - Flask test client: p50/p95 of `GET /` (gzip accepted) on one app, as a
    running server has it (templates compiled, rollup caches warm), given an
    empty response cache before each request so the view runs every time;
  - the page's size, raw and gzipped;
  - in Chromium (bench/in_chromium.py; Debian's /usr/bin/chromium through Playwright):
    the HTML as sent, DOM nodes, load times on a desktop and on a phone-like visit
    (390 px, CPU slowed 4x), one model's days fetched on demand, the filter box;

then a Markdown table of every size. The clock moves on a second per request, so
minute buckets settle as in a running server. Goals (issue 13), at 100 models:
uncached p95 < 50 ms, <= 1 MB of HTML, <= 60 kB gzipped, <= 20,000 DOM nodes. The
seeded database is cached under /tmp (SQLite) or as `aistatus_bench_overview_<key>`
(PostgreSQL), keyed by the sizes and the seeding code.

    .venv/bin/python -m bench.overview [--models 100 1000] [--days 90] [--runs 60]
                                       [--loads 5] [--postgres] [--no-browser]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import inspect
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, render_template

from bench import in_chromium
from monitor.clock import FakeClock
from monitor.config import Settings
from monitor.histogram import LatencyHistogram
from monitor.judging.engine import EngineChanges
from monitor.judging.incidents import (
    EventKind,
    Impact,
    Incident,
    IncidentEvent,
    IncidentState,
    Update,
)
from monitor.judging.status import Cause, ComponentStatus, StatusChange, SubjectKind
from monitor.rollups import Resolution, Rollup
from monitor.store import Store
from web import caching, create_app
from web.caching import GZIP_LEVEL, ResponseCache
from web.queries.overview import overview
from web.queries.rollup_cache import RollupCaches
from web.queries.site_data import SiteData

NOW = datetime(2026, 6, 7, 12, 0, 30, tzinfo=UTC)
PROVIDERS = ("anthropic", "openai", "gemini", "mistral", "together")
REGIONS = ("us-east", "eu-west", "ap-southeast")
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
CACHE_DIR = Path(tempfile.gettempdir()) / "aistatus-bench-overview"
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"
GOAL_P95_MS = 50.0
# Page weight (issue 13), at GOAL_AT models, as Chromium gets it.
GOAL_AT = 100
GOAL_HTML = 1_000_000
GOAL_GZIP = 60_000
GOAL_NODES = 20_000
_CAUSES = {"capacity": Cause.CAPACITY, "quality": Cause.QUALITY}
BAD = ("infrastructure", "capacity", "ambiguous", "vantage", "configuration", "quality")


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


# -- seeding --------------------------------------------------------------------------------


def histograms(rng: random.Random, n: int) -> list[tuple[LatencyHistogram, LatencyHistogram]]:
    """A few day-sized histogram pairs, shared by the rollups (seeding stays quick)."""
    return [
        (
            LatencyHistogram([rng.lognormvariate(6.3, 0.4) for _ in range(n)]),
            LatencyHistogram([rng.lognormvariate(7.2, 0.5) for _ in range(n)]),
        )
        for _ in range(8)
    ]


def bad_days(index: int, days: int) -> dict[int, str]:
    """Days ago -> the failure class of a bad day, for every seventh model."""
    if index % 7:
        return {}
    return {2 + (index + k * 11) % (days - 3): BAD[(index + k) % len(BAD)] for k in range(3)}


def rollups_for(target: str, index: int, days: int, rng: random.Random) -> Iterator[Rollup]:
    hists = histograms(rng, 240)
    first = days if index % 10 else 30  # every tenth model is young: no_data days
    today = NOW.replace(hour=0, minute=0, second=0)
    bad = bad_days(index, days)
    for ago in range(1, first):
        failed = bad.get(ago)
        for region in REGIONS:
            ttft, total = rng.choice(hists)
            counts = {"ok": 1440 - (300 if failed else 1), "ambiguous": 1}
            if failed:
                counts[failed] = counts.get(failed, 0) + 300
            yield Rollup(
                target,
                region,
                Resolution.DAY,
                today - timedelta(days=ago),
                answers_checked=1400,
                answers_correct=1398,
                output_tokens=7000,
                ttft_hist=ttft,
                total_hist=total,
                **counts,
            )
    minute_hists = histograms(rng, 1)
    for region in REGIONS:
        for hour in range(NOW.hour):
            ttft, total = rng.choice(hists)
            yield Rollup(
                target,
                region,
                Resolution.HOUR,
                today + timedelta(hours=hour),
                ok=60,
                answers_checked=60,
                answers_correct=60,
                ttft_hist=ttft,
                total_hist=total,
            )
        for minute in range(1, 66):
            ttft, total = rng.choice(minute_hists)
            start = NOW.replace(second=0) - timedelta(minutes=minute)
            yield Rollup(
                target,
                region,
                Resolution.MINUTE,
                start,
                ok=1,
                answers_checked=1,
                answers_correct=1,
                ttft_hist=ttft,
                total_hist=total,
            )


def engine_output(settings: Settings, days: int) -> tuple[list[StatusChange], list[IncidentEvent]]:
    """A major outage from 09:00 to 10:00 on each bad day, with a resolved incident; the
    first model has one open now."""
    changes, events = [], []
    today = NOW.replace(hour=0, minute=0, second=0)
    for index, model in enumerate(settings.models):
        for ago, failed in sorted(bad_days(index, days).items(), reverse=True):
            start = today - timedelta(days=ago, hours=-9)
            changes += [
                StatusChange(
                    model.id, SubjectKind.MODEL, ComponentStatus.MAJOR_OUTAGE, start, "bench"
                ),
                StatusChange(
                    model.id,
                    SubjectKind.MODEL,
                    ComponentStatus.OPERATIONAL,
                    start + timedelta(hours=1),
                    "bench",
                ),
            ]
            events += incident(model.id, start, start + timedelta(hours=1), failed)
    first = settings.models[0].id
    changes.append(
        StatusChange(
            first,
            SubjectKind.MODEL,
            ComponentStatus.PARTIAL_OUTAGE,
            NOW - timedelta(minutes=40),
            "bench",
        )
    )
    events += incident(first, NOW - timedelta(minutes=45), None, "infrastructure")
    return changes, events


def incident(target: str, start: datetime, end: datetime | None, cause: str) -> list[IncidentEvent]:
    opened = Incident(
        id="0",
        provider=target.split("/")[0],
        cause=_CAUSES.get(cause, Cause.INFRASTRUCTURE),
        public=True,
        impact=Impact.MAJOR,
        state=IncidentState.INVESTIGATING,
        models=(target,),
        active_models=(target,),
        regions=REGIONS,
        signals=("availability",),
        started_at=start,
        detected_at=start,
        resolved_at=None,
        title=f"Elevated <errors> & timeouts on {target}",
        updates=(Update(start, IncidentState.INVESTIGATING, "Looking."),),
    )
    events = [IncidentEvent(EventKind.OPENED, opened, opened.updates[0], None)]
    if end is not None:
        done = Update(end, IncidentState.RESOLVED, "Recovered.")
        resolved = Incident(
            **{
                **{f: getattr(opened, f) for f in opened.__dataclass_fields__},
                "state": IncidentState.RESOLVED,
                "resolved_at": end,
                "active_models": (),
                "updates": (*opened.updates, done),
            }
        )
        events.append(
            IncidentEvent(EventKind.RESOLVED, resolved, done, IncidentState.INVESTIGATING)
        )
    return events


def seed(store: Store, settings: Settings, days: int) -> None:
    started = time.perf_counter()
    store.upgrade()
    store.sync_targets(settings, {})
    rng = random.Random(7)
    for index, model in enumerate(settings.models):
        store.record_rollups(list(rollups_for(model.id, index, days, rng)))
    changes, events = engine_output(settings, days)
    store.record_engine_changes(EngineChanges(tuple(changes), tuple(events)))
    print(f"seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def seeded_store(args: argparse.Namespace, settings: Settings) -> Store:
    seeding = [
        inspect.getsource(f)
        for f in (settings_for, histograms, bad_days, rollups_for, engine_output, incident, seed)
    ]
    migrations = sorted(p.name for p in MIGRATIONS.glob("*.py"))
    key = hashlib.sha256(repr((args.models, args.days, seeding, migrations)).encode()).hexdigest()[
        :12
    ]
    if args.postgres:
        return _seeded_postgres(f"aistatus_bench_overview_{key}", settings, args.days)
    path = CACHE_DIR / f"overview-{args.models}m-{args.days}d-{key}.db"
    if not path.exists():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        store = Store(f"sqlite:///{partial}")
        seed(store, settings, args.days)
        store.dispose()
        partial.rename(path)
    return Store(f"sqlite:///{path}")


def _seeded_postgres(name: str, settings: Settings, days: int) -> Store:
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as c:
        if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return Store(f"{PG_SERVER}/{name}")
        c.execute(f'DROP DATABASE IF EXISTS "{name}_partial"')
        c.execute(f'CREATE DATABASE "{name}_partial"')
        store = Store(f"{PG_SERVER}/{name}_partial")
        seed(store, settings, days)
        store.dispose()
        c.execute(f'ALTER DATABASE "{name}_partial" RENAME TO "{name}"')
    return Store(f"{PG_SERVER}/{name}")


# -- measuring ------------------------------------------------------------------------------


def timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    outcome = work()
    return (time.perf_counter() - started) * 1000, outcome


def line(label: str, samples: list[float]) -> float:
    """Prints p50 and p95; returns p95."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{label:<34} p50 {statistics.median(ordered):8.1f} ms   p95 {p95:8.1f} ms")
    return p95


def in_process(app: Flask, settings: Settings, store: Store, runs: int) -> None:
    caches = RollupCaches()
    cold, _ = timed(lambda: overview(SiteData(settings, store, NOW, caches)))
    print(f"{'cold build (first request)':<34} {cold:8.1f} ms")
    phases: dict[str, list[float]] = {"build": [], "render": [], "gzip": [], "total": []}
    fastest: list[float] = []  # gzip at level 1, for comparison with the app's level
    for run in range(runs):
        now = NOW + timedelta(seconds=run + 1)
        build, page = timed(lambda now=now: overview(SiteData(settings, store, now, caches)))
        with app.test_request_context("/"):
            render, html = timed(lambda page=page: render_template("index.html", page=page))
        body = str(html).encode()
        squeeze, _ = timed(lambda body=body: gzip.compress(body, GZIP_LEVEL, mtime=0))
        fastest.append(timed(lambda body=body: gzip.compress(body, 1, mtime=0))[0])
        for name, ms in zip(
            phases, (build, render, squeeze, build + render + squeeze), strict=True
        ):
            phases[name].append(ms)
    for name, samples in phases.items():
        line(f"in-process {name}" + (f" (level {GZIP_LEVEL})" if name == "gzip" else ""), samples)
    line("  for comparison: gzip level 1", fastest)


def through_flask(settings: Settings, store: Store, runs: int) -> tuple[int, int, float, float]:
    """Raw and gzipped size of `/`, and the p95 of its uncached requests in wall-clock and
    in CPU time (this thread's: on a busy machine, what the request itself costs)."""
    clock = FakeClock(NOW)
    app = create_app(settings, store, clock=clock)
    client = app.test_client()
    samples, cpu, sizes = [], [], (0, 0)
    for run in range(runs + 1):
        clock.advance(1.0)
        caching.install(app, ResponseCache())  # an empty response cache: the view runs
        started = time.thread_time()
        ms, response = timed(lambda: client.get("/", headers={"Accept-Encoding": "gzip"}))
        used = (time.thread_time() - started) * 1000
        assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
        if run:  # the first fills the rollup caches
            samples.append(ms)
            cpu.append(used)
        zipped = response.get_data()  # type: ignore[attr-defined]
        sizes = (len(gzip.decompress(zipped)), len(zipped))
    wall = line("flask GET / (uncached)", samples)
    return (*sizes, wall, line("  the same, CPU time", cpu))


@dataclass(frozen=True)
class Size:
    models: int
    html: int
    gzipped: int
    flask_p95_ms: float
    flask_cpu_p95_ms: float
    browser: in_chromium.Figures | None


def measure(args: argparse.Namespace, models: int) -> Size:
    sized = argparse.Namespace(**{**vars(args), "models": models})
    settings = settings_for(models)
    store = seeded_store(sized, settings)
    print(
        f"\n## {models} models x {len(REGIONS)} regions x {args.days} days, "
        f"{store.dialect}, {args.runs} runs"
    )
    app = create_app(settings, store, clock=FakeClock(NOW))
    in_process(app, settings, store, args.runs)
    raw, zipped, p95, cpu_p95 = through_flask(settings, store, args.runs)
    print(f"{'page size':<34} {raw / 1e6:8.2f} MB raw   {zipped / 1e3:8.1f} kB gzipped")
    figures = None
    if not args.no_browser:
        # A fresh app with its rollup caches filled (as a server's are a second after it
        # starts) and an empty response cache: the browser's first visit runs the view.
        site = create_app(settings, store, clock=FakeClock(NOW))
        site.test_client().get("/")
        caching.install(site, ResponseCache())
        figures = in_chromium.measure(site, args.loads, settings.models[-1].display_name)
        print_browser(figures)
    store.dispose()
    return Size(models, raw, zipped, p95, cpu_p95, figures)


def print_browser(f: in_chromium.Figures) -> None:
    print(f"{'chromium: HTML as sent':<34} {f.html_bytes:>10,} B   {f.sent_bytes:>8,} B gzipped")
    print(f"{'chromium: DOM nodes':<34} {f.dom_nodes:>10,}")
    print(f"{'chromium: first load (uncached)':<34} {f.first_load_ms:8.1f} ms")
    print(f"{'chromium: load, 1280 px':<34} {in_chromium.summary(f.load_ms)}")
    print(f"{'chromium: load, 390 px, CPU / 4':<34} {in_chromium.summary(f.phone_load_ms)}")
    if f.days_ms is not None:
        print(
            f"{'chromium: days of one model':<34} {f.days_ms:8.1f} ms   "
            f"{f.days_bytes:,} B ({f.days_sent:,} B gzipped)"
        )
    if f.filter_ms is not None:
        print(f"{'chromium: filter to one model':<34} {f.filter_ms:8.1f} ms   ({f.filter_status})")


def table(sizes: list[Size]) -> None:
    print(
        "\n| models | HTML | gzipped | DOM nodes | load 1280 px (p50) | load 390 px, CPU / 4 "
        "(p50) | days on demand | filter | uncached p95 (Flask) | its CPU time |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        f = size.browser
        cells = (
            ["—"] * 6
            if f is None
            else [
                f"{f.dom_nodes:,}",
                f"{statistics.median(f.load_ms):.0f} ms",
                f"{statistics.median(f.phone_load_ms):.0f} ms",
                "—" if f.days_ms is None else f"{f.days_ms:.0f} ms, {f.days_sent / 1e3:.1f} kB",
                "—" if f.filter_ms is None else f"{f.filter_ms:.0f} ms",
            ]
        )
        print(
            f"| {size.models:,} | {size.html / 1e3:,.0f} kB | {size.gzipped / 1e3:.1f} kB | "
            + " | ".join(cells[:5])
            + f" | {size.flask_p95_ms:.1f} ms "
            f"| {size.flask_cpu_p95_ms:.1f} ms |"
        )
    for size in sizes:
        if size.models != GOAL_AT:
            continue
        f = size.browser
        checks = [
            (f"HTML <= {GOAL_HTML / 1e6:.0f} MB", size.html <= GOAL_HTML),
            (f"gzipped <= {GOAL_GZIP / 1e3:.0f} kB", size.gzipped <= GOAL_GZIP),
            (f"DOM nodes <= {GOAL_NODES:,}", f is not None and f.dom_nodes <= GOAL_NODES),
            (f"uncached p95 < {GOAL_P95_MS:.0f} ms (wall clock)", size.flask_p95_ms < GOAL_P95_MS),
        ]
        print(
            f"\ngoals at {GOAL_AT} models: "
            + "; ".join(f"{goal}: {'met' if met else 'NOT met'}" for goal, met in checks)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--loads", type=int, default=5, help="Chromium visits of each kind")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figures")
    args = parser.parse_args()
    sizes = [measure(args, models) for models in args.models]
    table(sizes)


if __name__ == "__main__":
    main()
