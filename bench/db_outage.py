"""A PostgreSQL outage under `aistatus run`: what every URL answers meanwhile, and what
the database holds afterwards.

    .venv/bin/python -m bench.db_outage [--before 90] [--outage 300] [--after 60] [--poll 2]

Starts a throwaway PostgreSQL cluster (tests/pg_cluster.py) and `aistatus run` on the
bundled demo config pointed at it (free ports). Polls every URL the site serves (each
model's page, API document, badges and feeds; every incident; the Statuspage
documents; /metrics, /api/openapi.json, a static file) every `--poll` seconds: while
the database is up (`--before`), while it is stopped (`pg_ctl stop -m fast`,
`--outage`), and after it is started again (`--after`). Prints the answers of each
phase by status code, content type and whether they carried the storage notice, the
log lines `aistatus run` wrote in each phase, and, from the database: results per
model around the outage (gaps longer than 1.5 intervals = lost probes) and duplicates.
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from tests.pg_cluster import PostgresCluster

ROOT = Path(__file__).resolve().parent.parent
NOTICE_HEADER = "Aistatus-Storage"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(folder: Path, database_url: str, web_port: int, sim_port: int) -> Path:
    config = (ROOT / "config.toml").read_text()
    config = config.replace("127.0.0.1:8787", f"127.0.0.1:{sim_port}")
    config = config.replace("port = 8787", f"port = {sim_port}")
    config = config.replace("port = 8080", f"port = {web_port}")
    config = config.replace("127.0.0.1:8080", f"127.0.0.1:{web_port}")
    config = re.sub(r'^url = "sqlite:[^"]*"', f'url = "{database_url}"', config, flags=re.M)
    path = folder / "config.toml"
    path.write_text(config)
    return path


class Log:
    """`aistatus run`'s stderr, line by line, tagged with the phase it came in."""

    def __init__(self, stream: object) -> None:
        self.phase = "start"
        self.lines: list[tuple[str, str]] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.append((self.phase, line.rstrip()))


def urls(client: httpx.Client) -> list[str]:
    found = [
        "/",
        "/incidents",
        "/api/v1/models",
        "/api/v1/providers",
        "/api/v1/incidents",
        "/api/v1/incidents?status=open",
        "/api/v2/summary.json",
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/history.rss",
        "/history.atom",
        "/metrics",
        "/api/openapi.json",
        "/static/site.css",
    ]
    for model in client.get("/api/v1/models").json()["models"]:
        links = model["links"]
        for link in (links["page"], links["api"], links["badge"]):
            found.append(httpx.URL(link).raw_path.decode())
        found.append(httpx.URL(links["badge"]).raw_path.decode() + "?uptime=1")
        found.append(httpx.URL(links["page"]).raw_path.decode() + "/history.atom")
    for incident in client.get("/api/v1/incidents").json()["incidents"]:
        found.append(httpx.URL(incident["url"]).raw_path.decode())
    return found


def poll(
    client: httpx.Client,
    paths: list[str],
    seconds: float,
    every: float,
    counts: Counter[tuple[int, str, bool]],
) -> int:
    rounds, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        for path in paths:
            response = client.get(path)
            kind = response.headers.get("content-type", "").split(";")[0]
            counts[(response.status_code, kind, NOTICE_HEADER in response.headers)] += 1
        rounds += 1
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    return rounds


def wait_for(client: httpx.Client, ready: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            models = client.get(ready).json()["models"]
            probed = [m for m in models if m["status"] != "not_configured"]
            if probed and all(m["last_hour"]["probes"] > 0 for m in probed):
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(1)
    raise SystemExit("the site did not show every model probed in time")


def database_report(url: str, outage: tuple[datetime, datetime]) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT target, region, started_at FROM probe_results "
                "ORDER BY target, region, started_at"
            )
        ).all()
        duplicates = connection.execute(
            text(
                "SELECT count(*) - count(DISTINCT (target, region, started_at)) FROM probe_results"
            )
        ).scalar_one()
    engine.dispose()
    series: dict[str, list[datetime]] = {}
    for target, region, started_at in rows:
        series.setdefault(f"{target}@{region}", []).append(started_at)
    lines = [f"{'model@region':40} {'results':>7} {'in outage':>9} {'longest gap':>11}"]
    for name, times in series.items():
        during = sum(1 for t in times if outage[0] <= t < outage[1])
        gap = max((b - a).total_seconds() for a, b in pairwise(times))
        lines.append(f"{name:40} {len(times):7d} {during:9d} {gap:10.0f}s")
    lines.append(f"duplicate (target, region, started_at) rows: {duplicates}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=float, default=90)
    parser.add_argument("--outage", type=float, default=300)
    parser.add_argument("--after", type=float, default=60)
    parser.add_argument("--poll", type=float, default=2)
    args = parser.parse_args()

    cluster = PostgresCluster.create()
    try:
        measure(cluster, args)
    finally:
        # A cluster left running outlives the bench and holds its port and folder.
        cluster.destroy()


def measure(cluster: PostgresCluster, args: argparse.Namespace) -> None:
    cluster.start()
    folder = Path(tempfile.mkdtemp(prefix="aistatus-outage-"))
    web_port = free_port()
    config = write_config(folder, cluster.url(), web_port, free_port())
    aistatus = str(Path(sys.executable).parent / "aistatus")
    subprocess.run([aistatus, "--config", str(config), "db", "upgrade"], check=True)
    run = subprocess.Popen(
        [aistatus, "--config", str(config), "run"], stderr=subprocess.PIPE, text=True
    )
    log = Log(run.stderr)
    phases: dict[str, Counter[tuple[int, str, bool]]] = {}
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{web_port}", timeout=30)
        wait_for(client, "/api/v1/models")
        paths = urls(client)
        print(f"{len(paths)} URLs, polled every {args.poll:g} s")
        for phase, seconds in (
            ("before", args.before),
            ("outage", args.outage),
            ("after", args.after),
        ):
            if phase == "outage":
                outage_start = datetime.now(UTC)
                cluster.stop()
            if phase == "after":
                cluster.start()
                outage_end = datetime.now(UTC)
            log.phase = phase
            phases[phase] = Counter()
            rounds = poll(client, paths, seconds, args.poll, phases[phase])
            print(f"\n{phase} ({seconds:g} s, {rounds} rounds):")
            for (status, kind, notice), n in sorted(phases[phase].items()):
                print(f"  {status} {kind:24} {'with notice' if notice else '':12} {n:6d}")
        time.sleep(35)  # the last probes of the run reach the database
    finally:
        run.terminate()
        run.wait(timeout=30)
    html_500 = sum(
        n
        for c in phases.values()
        for (s, k, _), n in c.items()
        if s >= 500 and k == "text/html" and s != 503
    )
    print(f"\nHTML 5xx other than 503, all phases: {html_500}")
    for phase in ("before", "outage", "after"):
        lines = [line for p, line in log.lines if p == phase]
        tracebacks = sum(1 for line in lines if line.startswith("Traceback"))
        print(f"log lines during {phase}: {len(lines)} ({tracebacks} tracebacks)")
        for line in lines[:12]:
            print("   ", line[:160])
    print()
    for line in database_report(cluster.url(), (outage_start, outage_end)):
        print(line)


if __name__ == "__main__":
    main()
