"""How much disk does a model-region take after a year, with the default retention?

Writes a year of probes (one a minute, per model and region) through the store's own
path — `Store.record_results` in batches, then `apply_retention` once a simulated day, as
the worker's daily chore does — and prints the database's size per model-region, table by
table, on SQLite or PostgreSQL. The steady state after a year is what a user keeps: raw
results for `raw_retention_days`, minute rollups for `minute_rollup_retention_days`,
hour rollups for
`hour_rollup_retention_days`, day rollups for `rollup_retention_days` (the config's defaults).

Goal (issue "Cost and weight at scale"): <= 10 MB per model-region-year on both databases.

    .venv/bin/python -m bench.storage [--model-regions 2] [--days 365] [--postgres]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from monitor.config import StorageSettings
from monitor.results import FailureClass, Outcome, ProbeResult
from monitor.store import Store

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = datetime(2025, 1, 1, tzinfo=UTC)
TABLES = ("probe_results", "rollups", "status_changes", "incidents", "incident_updates")


def day_of_probes(day: int, model_regions: int, rng: random.Random) -> Iterator[ProbeResult]:
    """One probe a minute per model-region, ~1 % failing with a realistic error excerpt."""
    start = START + timedelta(days=day)
    for index in range(model_regions):
        target, region = f"sim/model-{index}", f"region-{index % 3}"
        for minute in range(1440):
            failed = rng.random() < 0.01
            yield ProbeResult(
                target=target,
                region=region,
                started_at=start + timedelta(minutes=minute),
                outcome=Outcome.HTTP_ERROR if failed else Outcome.OK,
                failure_class=FailureClass.CAPACITY if failed else FailureClass.OK,
                http_status=529 if failed else 200,
                error_type="overloaded_error" if failed else None,
                error_excerpt='{"type":"error","error":{"type":"overloaded_error",'
                '"message":"Overloaded"}}'
                if failed
                else None,
                answer_correct=None if failed else rng.random() > 0.002,
                connect_ms=rng.lognormvariate(3, 0.3),
                ttfb_ms=rng.lognormvariate(5.5, 0.3),
                request_id=f"req_{rng.getrandbits(96):024x}",
                ttft_ms=None if failed else rng.lognormvariate(6.2, 0.3),
                tokens_per_s=None if failed else rng.lognormvariate(4, 0.2),
                total_ms=rng.lognormvariate(6.9, 0.3),
                output_tokens=None if failed else 6,
            )


def sqlite_sizes(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            rows = connection.execute(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"
            ).fetchall()
        except sqlite3.OperationalError:  # built without dbstat: the file as a whole
            rows = []
    sizes = {name: size for name, size in rows}
    sizes["(file)"] = path.stat().st_size
    return sizes


def postgres_vacuum(url: str) -> Callable[[], None]:
    """A plain VACUUM, standing in for autovacuum: at real speed it visits a busy table
    every minute or so, while this bench writes a simulated day in seconds. Without it
    (or with autovacuum off, as on some test servers) dead rows from retention and from
    rollup updates are never reused and the tables grow without bound."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")

    def vacuum() -> None:
        with engine.connect() as connection:
            connection.execute(text("VACUUM"))

    return vacuum


def postgres_sizes(url: str) -> dict[str, int]:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")  # VACUUM needs it
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
        rows = connection.execute(
            text(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
        ).fetchall()
    engine.dispose()
    sizes = {name: size for name, size in rows}
    sizes["(file)"] = sum(sizes.values())
    return sizes


def write_year(
    store: Store,
    args: argparse.Namespace,
    defaults: StorageSettings,
    vacuum: Callable[[], None] | None,
) -> float:
    rng = random.Random(7)
    started = time.perf_counter()
    for day in range(args.days):
        batch: list[ProbeResult] = []
        for result in day_of_probes(day, args.model_regions, rng):
            batch.append(result)
            if len(batch) == args.batch:
                store.record_results(batch)
                batch = []
        store.record_results(batch)
        end_of_day = START + timedelta(days=day + 1)
        store.apply_retention(
            end_of_day,
            defaults.raw_retention_days,
            defaults.rollup_retention_days,
            minute_rollup_days=defaults.minute_rollup_retention_days,
            hour_rollup_days=defaults.hour_rollup_days,
        )
        if vacuum is not None:
            vacuum()
        if (day + 1) % 30 == 0:
            print(f"  day {day + 1:>3}: {time.perf_counter() - started:6.0f} s", flush=True)
    return time.perf_counter() - started


def report(sizes: dict[str, int], args: argparse.Namespace, seconds: float) -> None:
    per = args.model_regions  # the steady state after `days`, per model-region
    print(
        f"\n{args.model_regions} model-region(s) x {args.days} days, "
        f"{args.model_regions * args.days * 1440:,} probes written in {seconds:.0f} s"
    )
    print(f"{'table or index':<38}{'bytes':>14}{'MB per model-region':>22}")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"{name:<38}{size:>14,}{size / per / 1e6:>22.2f}")
    if args.days >= 365:
        verdict = "met" if sizes["(file)"] / per <= 10e6 else "NOT met"
        print(f"goal <= 10 MB per model-region-year: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-regions", type=int, default=2)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--batch", type=int, default=500, help="results per write")
    parser.add_argument("--postgres", action="store_true", help="127.0.0.1:5432, db test")
    args = parser.parse_args()
    defaults = StorageSettings()
    print(
        f"retention: raw {defaults.raw_retention_days} d, minute rollups "
        f"{defaults.minute_rollup_retention_days} d, hour rollups "
        f"{defaults.hour_rollup_days} d, day rollups {defaults.rollup_retention_days} d"
    )
    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
        else:
            path = Path(folder) / "aistatus.db"
            url = f"sqlite:///{path}"
        store = Store(url)
        store.upgrade()
        try:
            vacuum = postgres_vacuum(url) if args.postgres else None
            seconds = write_year(store, args, defaults, vacuum)
            store.dispose()
            sizes = postgres_sizes(url) if args.postgres else sqlite_sizes(path)
        finally:
            if args.postgres:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
        report(
            {k: v for k, v in sizes.items() if k in TABLES or "(" in k or v > 65536}, args, seconds
        )


if __name__ == "__main__":
    main()
