"""Prometheus's blackbox_exporter as the yardstick for bench/probe_capacity.py.

The exporter (Go) gets one module per simulated model: an `http` prober that POSTs
the very request our OpenAI-compatible adapter builds for that model (same URL,
headers and JSON body, streaming) and fails unless the body holds the right answer
(`fail_if_body_not_matches_regexp`). It is driven as Prometheus drives it: one
`/probe?target=...&module=...` scrape per model per interval, at a stable offset in
the interval, many in flight at once, over a kept-alive connection. What is counted
is the exporter process's own CPU (utime + stime from /proc/<pid>/stat), never the
driver's or the simulator's.

Install: `apt-get install prometheus-blackbox-exporter` (Debian, Ubuntu), or a
release binary from https://github.com/prometheus/blackbox_exporter/releases, then
pass `--exporter PATH` if it is not on PATH.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from monitor.config import settings_from_dict
from monitor.probing import canary
from monitor.probing.client import USER_AGENT
from monitor.probing.providers import adapter_for
from monitor.probing.scheduler import phase_offset

INSTALL_HINT = (
    "blackbox_exporter not found: install it with `apt-get install "
    "prometheus-blackbox-exporter` (Debian/Ubuntu) or a release from "
    "https://github.com/prometheus/blackbox_exporter/releases, and pass --exporter PATH "
    "if it is not on PATH"
)
_CANDIDATES = ("prometheus-blackbox-exporter", "blackbox_exporter")
_TICKS = os.sysconf("SC_CLK_TCK")


def find_exporter(explicit: str | None = None) -> str | None:
    if explicit:
        return explicit if Path(explicit).exists() else shutil.which(explicit)
    for name in _CANDIDATES:
        found = shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/local/bin")
        if found:
            return found
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14, 15)


def modules(port: int, n: int, total_timeout: float) -> tuple[dict[str, object], dict[str, str]]:
    """The exporter's config: one module per model, and each model's probe URL."""
    settings = settings_from_dict(
        {
            "providers": [
                {
                    "id": "bench",
                    "kind": "openai_compatible",
                    "base_url": f"http://127.0.0.1:{port}/bench/v1",
                }
            ],
            "models": [{"provider": "bench", "model": f"m{i:04d}"} for i in range(n)],
        }
    )
    provider = settings.providers[0]
    adapter = adapter_for(provider.kind)
    config: dict[str, object] = {}
    urls: dict[str, str] = {}
    for i, model in enumerate(settings.models):
        question = canary.make_question(random.Random(i))
        spec = adapter.build_request(
            provider, model, question.prompt, settings.probe.max_output_tokens, None
        )
        urls[model.model] = spec.url
        config[model.model] = {
            "prober": "http",
            "timeout": f"{total_timeout:g}s",
            "http": {
                "method": spec.method,
                "headers": {"user-agent": USER_AGENT, **spec.headers},
                "body": json.dumps(spec.json, separators=(",", ":")),
                "valid_status_codes": [200],
                "no_follow_redirects": True,
                "preferred_ip_protocol": "ip4",
                "fail_if_body_not_matches_regexp": [answer_regexp(question.expected)],
            },
        }
    return {"modules": config}, urls


def answer_regexp(expected: str) -> str:
    """The answer in the stream's `content` fields, however it is cut into events (the
    simulator sends tokens of three characters: "145", "8")."""
    between = r'(?:"[^\n]*\n\ndata: [^\n]*"content":")?'
    return '"content":"' + between.join(re.escape(c) for c in expected) + '"'


@contextmanager
def running_exporter(path: str, config: dict[str, object], port: int) -> Iterator[int]:
    """The exporter serving `config` on `port`; yields its pid."""
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "blackbox.yml"
        file.write_text(json.dumps(config))  # JSON is YAML
        process = subprocess.Popen(
            [
                path,
                f"--config.file={file}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(port, process)
            yield process.pid
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"blackbox_exporter exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/-/healthy", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("blackbox_exporter did not start")


def _metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


async def scrape_rounds(
    exporter_port: int,
    urls: dict[str, str],
    rounds: int,
    interval: float,
    total_timeout: float,
) -> list[tuple[bool, float]]:
    """Every model scraped once per interval at its offset: (success, probe duration s)."""
    results: list[tuple[bool, float]] = []
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
    async with httpx.AsyncClient(limits=limits, timeout=total_timeout + 5) as client:
        start = asyncio.get_running_loop().time() + 1.0

        async def scrape(model: str, url: str) -> None:
            offset = phase_offset(f"bench/{model}", "bench", interval)
            for r in range(rounds):
                delay = start + offset + r * interval - asyncio.get_running_loop().time()
                await asyncio.sleep(max(0.0, delay))
                reply = await client.get(
                    f"http://127.0.0.1:{exporter_port}/probe",
                    params={"target": url, "module": model},
                    headers={"X-Prometheus-Scrape-Timeout-Seconds": f"{total_timeout + 1:g}"},
                )
                ok = _metric(reply.text, "probe_success") == 1.0
                results.append((ok, _metric(reply.text, "probe_duration_seconds") or 0.0))

        await asyncio.gather(*(scrape(model, url) for model, url in urls.items()))
    return results


def measure(
    path: str,
    simulator_port: int,
    exporter_port: int,
    n: int,
    rounds: int,
    interval: float,
    total_timeout: float,
) -> dict[str, float]:
    """CPU seconds of the exporter per 1,000 probes, and its latency figures."""
    config, urls = modules(simulator_port, n, total_timeout)
    with running_exporter(path, config, exporter_port) as pid:
        before = cpu_seconds(pid)
        wall0 = time.monotonic()
        results = asyncio.run(scrape_rounds(exporter_port, urls, rounds, interval, total_timeout))
        wall = time.monotonic() - wall0
        cpu = cpu_seconds(pid) - before
    durations = sorted(seconds for ok, seconds in results if ok)
    return {
        "probes": len(results),
        "failed": len(results) - len(durations),
        "durations_s": durations,  # type: ignore[dict-item]
        "cpu_s_per_1000": cpu / max(1, len(results)) * 1000,
        "core_share": cpu / wall,
    }
