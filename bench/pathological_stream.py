"""What a broken proxy's endless line costs a probe, next to a normal answer.

Two figures:
  1. CPU seconds of the probing thread per probe, over real loopback HTTP against
     the simulated provider (its server runs in another thread, not counted): a
     healthy streamed answer vs the `endless_line` fault, on every protocol.
     The endless line is cut at the decoder's line bound, so it should cost about
     what a normal probe costs, not a core.
  2. The SSE decoder alone on one line of N MB without a newline, fed in 64 KiB
     chunks with the bound lifted: CPU per MB must stay flat as N grows (linear),
     where the old decoder re-split its growing buffer on every chunk (quadratic).

    .venv/bin/python -m bench.pathological_stream --probes 20 --sizes 16 64 200
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import tracemalloc

from monitor.clock import SystemClock
from monitor.config import ModelSettings, ProbeSettings, ProviderKind, ProviderSettings
from monitor.probing.client import make_client
from monitor.probing.probe import run_probe
from monitor.probing.providers.base import SSEDecoder
from monitor.scenarios.simulator.server import start_simulator
from monitor.scenarios.spec import parse_scenario

SETTINGS = ProbeSettings(
    connect_timeout=2, first_token_timeout=10, stall_timeout=5, total_timeout=20
)
PROTOCOLS = (
    ("anthropic", ProviderKind.ANTHROPIC, ""),
    ("openai", ProviderKind.OPENAI, "/v1"),
    ("gemini", ProviderKind.GEMINI, ""),
    ("together", ProviderKind.OPENAI_COMPATIBLE, "/v1"),
)
CHUNK = 65536


def scenario(fault: str | None) -> dict[str, object]:
    models = [
        {"id": f"{name}/m", "ttft_ms": 5, "latency_ms": 10, "jitter": 0} for name, _, _ in PROTOCOLS
    ]
    faults = [{"models": ["*"], "kind": fault}] if fault else []
    return {
        "name": "bench",
        "start": "2026-06-07T00:00:00Z",
        "duration": "1d",
        "interval": "60s",
        "seed": 1,
        "models": models,
        "faults": faults,
    }


async def cpu_per_probe(base_url: str, probes: int) -> dict[str, tuple[float, str]]:
    out: dict[str, tuple[float, str]] = {}
    async with make_client(SETTINGS) as client:
        for name, kind, path in PROTOCOLS:
            provider = ProviderSettings(id=name, kind=kind, base_url=f"{base_url}/{name}{path}")
            model = ModelSettings(provider=name, model="m")
            costs, outcome = [], ""
            for i in range(probes):
                before = time.thread_time()
                result = await run_probe(
                    client,
                    provider,
                    model,
                    SETTINGS,
                    region="local",
                    api_key="k",
                    clock=SystemClock(),
                    rng=random.Random(i),
                )
                costs.append(time.thread_time() - before)
                outcome = f"{result.outcome.value}/{result.failure_class.value}"
            out[name] = (statistics.median(costs), outcome)
    return out


def decoder_cost(megabytes: int) -> tuple[float, float]:
    """CPU seconds and peak traced MB to feed one newline-free line of `megabytes` MB."""
    decoder = SSEDecoder(max_line=1 << 40)
    piece = b"x" * CHUNK
    chunks = megabytes * (1 << 20) // CHUNK
    tracemalloc.start()
    before = time.process_time()
    decoder.feed(b"data: ")
    for _ in range(chunks):
        decoder.feed(piece)
    decoder.feed(b"\n")
    cpu = time.process_time() - before
    peak = tracemalloc.get_traced_memory()[1] / (1 << 20)
    tracemalloc.stop()
    return cpu, peak


def old_decoder_cost(megabytes: int) -> float:
    """The decoder before issue 10, for comparison: append, then re-split the whole buffer."""
    buffer, piece = b"data: ", b"x" * CHUNK
    before = time.process_time()
    for _ in range(megabytes * (1 << 20) // CHUNK):
        buffer += piece
        *_lines, buffer = buffer.split(b"\n")
    return time.process_time() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64, 200])
    args = parser.parse_args()

    print(f"CPU of the probing thread per probe (median of {args.probes}):")
    print(f"  {'protocol':<10} {'normal':>18} {'endless line':>28}")
    results = {}
    for fault in (None, "endless_line"):
        with start_simulator(parse_scenario(scenario(fault), "bench")) as sim:
            results[fault] = asyncio.run(cpu_per_probe(sim.base_url, args.probes))
    for name, _, _ in PROTOCOLS:
        normal, endless = results[None][name], results["endless_line"][name]
        print(
            f"  {name:<10} {normal[0] * 1000:7.2f} ms {normal[1]:<8} "
            f"{endless[0] * 1000:7.2f} ms {endless[1]:<18}"
        )

    print("SSE decoder on one line without a newline, 64 KiB chunks, bound lifted:")
    for size in args.sizes:
        cpu, peak = decoder_cost(size)
        print(
            f"  {size:5d} MB: {cpu * 1000:8.1f} ms CPU, {cpu * 1000 / size:6.2f} ms/MB, "
            f"peak {peak:7.1f} MB traced"
        )
    print("The decoder before issue 10 (buffer re-split on every chunk), for comparison:")
    for size in (4, 16, 32):
        cpu = old_decoder_cost(size)
        print(f"  {size:5d} MB: {cpu * 1000:8.1f} ms CPU, {cpu * 1000 / size:6.2f} ms/MB")


if __name__ == "__main__":
    main()
