"""How fast are latency histograms and rollups?

Prints, on this machine:
  - adding 1M latencies to a histogram (one by one, and in bulk),
  - encoded size of a typical day and of a wide one, encode/decode time,
  - rolling up a day of probes (100 models x 3 regions x 1/min) at minute, hour and day,
  - coarsening minutes to days, combining regions,
  - the 90-day page work for 100 models: merging 90 daily histograms and taking p50/p95.
Goal on the 2-core reference machine: 1M adds well under 2 s; the 90-day merge trivial.

    .venv/bin/python bench/rollups.py [--models 100]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from monitor.histogram import LatencyHistogram
from monitor.results import FailureClass, Outcome, ProbeResult
from monitor.rollups import Resolution, coarsen, combine_regions, rollup

REGIONS = ("us-east", "eu-west", "ap-southeast")


def timed(label: str, work: Callable[[], object]) -> object:
    started = time.perf_counter()
    outcome = work()
    print(f"{label:<58} {time.perf_counter() - started:8.3f} s")
    return outcome


def figure(label: str, value: int, unit: str) -> None:
    print(f"{label:<58} {value:8} {unit}".rstrip())


def day_of_probes(models: int, rng: random.Random) -> list[ProbeResult]:
    start = datetime(2026, 6, 7, tzinfo=UTC)
    return [
        ProbeResult(
            target=f"sim/model-{m}",
            region=region,
            started_at=start + timedelta(minutes=minute),
            outcome=Outcome.OK,
            failure_class=FailureClass.OK,
            answer_correct=True,
            ttft_ms=rng.lognormvariate(6, 0.3),
            total_ms=rng.lognormvariate(7, 0.3),
            output_tokens=5,
        )
        for m in range(models)
        for region in REGIONS
        for minute in range(1440)
    ]


def bench_histogram(rng: random.Random) -> None:
    values = [rng.lognormvariate(6.5, 1.0) for _ in range(1_000_000)]

    def one_by_one() -> None:
        histogram = LatencyHistogram()
        for value in values:
            histogram.add(value)

    timed("1M latencies, add() one by one", one_by_one)
    big = timed("1M latencies, add_many()", lambda: LatencyHistogram(values))
    assert isinstance(big, LatencyHistogram)
    typical = LatencyHistogram(rng.lognormvariate(7, 0.25) for _ in range(1440))
    figure("encoded size: a typical day (1,440 probes)", len(typical.encode()), "chars")
    figure("encoded size: 1M probes spread over 3 decades", len(big.encode()), "chars")
    text = big.encode()
    timed(
        "10k encode + decode of the wide histogram",
        lambda: [LatencyHistogram.decode(text) for _ in range(10_000)],
    )
    timed("10k p95 of the wide histogram", lambda: [big.quantile(0.95) for _ in range(10_000)])


def bench_rollups(models: int, rng: random.Random) -> None:
    results = day_of_probes(models, rng)
    figure("probes in one day", len(results), "")
    minutes = timed("rollup at minute", lambda: rollup(results, Resolution.MINUTE))
    timed("rollup at hour", lambda: rollup(results, Resolution.HOUR))
    timed("rollup at day", lambda: rollup(results, Resolution.DAY))
    assert isinstance(minutes, list)
    timed("coarsen minutes to days", lambda: coarsen(minutes, Resolution.DAY))
    timed("combine regions of the minutes", lambda: combine_regions(minutes))
    days = [LatencyHistogram(rng.lognormvariate(7, 0.3) for _ in range(1440)) for _ in range(90)]

    def ninety_days() -> None:
        for _ in range(models):
            merged = LatencyHistogram.merged(days)
            merged.quantile(0.5)
            merged.quantile(0.95)

    timed(f"90 daily histograms merged + p50/p95, for {models} models", ninety_days)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(1)
    bench_histogram(rng)
    bench_rollups(args.models, rng)


if __name__ == "__main__":
    main()
