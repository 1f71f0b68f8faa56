"""The three roles a process can play, and how each is wired from settings.

- worker: the simulated provider (if the config enables the demo), the prober,
  and the one writer that batches results into the store;
- web: the site, read-only through the store;
- run: both in one process, for a single machine.
Exactly one scheduler runs per worker process; the web role never starts one,
however many WSGI threads or processes serve it.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager

from apscheduler.triggers.cron import CronTrigger

from monitor.clock import Clock, SystemClock
from monitor.config import Settings, missing_key
from monitor.plan import PlanBoard
from monitor.probing.scheduler import Chore, Prober
from monitor.scenarios.simulator.server import start_simulator
from monitor.scenarios.spec import load_scenario
from monitor.store import Store
from monitor.store.writer import ResultWriter
from monitor.worker import heap
from monitor.worker.evaluator import Evaluator

log = logging.getLogger(__name__)
PROBER_SWITCH_INTERVAL_S = 0.0002


def open_store(settings: Settings) -> Store:
    return Store(settings.storage_url())


def sync_targets(
    settings: Settings, store: Store, environ: Mapping[str, str] | None = None
) -> None:
    missing = {p.id: key for p in settings.providers if (key := missing_key(p, environ))}
    store.sync_targets(settings, missing)


@contextmanager
def simulated_provider(settings: Settings) -> Iterator[None]:
    """Serve the demo's simulated provider if the config enables it."""
    sim = settings.simulator
    if not sim.enabled:
        yield
        return
    scenario = load_scenario(sim.scenario, base_dir=settings.base_dir)
    handle = start_simulator(scenario, host=sim.host, port=sim.port, speed=sim.speed)
    log.info("simulated provider serving scenario %r at %s", scenario.name, handle.base_url)
    try:
        yield
    finally:
        handle.stop()


@contextmanager
def worker(
    settings: Settings, store: Store, *, region: str | None = None, clock: Clock | None = None
) -> Iterator[Prober]:
    clock = clock or SystemClock()
    with ExitStack() as stack:
        # The prober's thread shares the GIL with the writer and the status engine. At
        # Python's default 5 ms switch interval a probe whose bytes arrive while another
        # thread computes waits up to 5 ms per hand-over: with one busy thread beside it,
        # the latency error of a 300 ms probe went from p50 2.3 ms to 28 ms; at 0.2 ms it
        # is 4.3 ms (`python -m bench.gil_contention`). The cost: more hand-overs while
        # both run. The interval is the process's; it is put back when the worker stops.
        stack.callback(sys.setswitchinterval, sys.getswitchinterval())
        sys.setswitchinterval(PROBER_SWITCH_INTERVAL_S)
        stack.enter_context(simulated_provider(settings))
        writer = ResultWriter(
            store,
            batch_size=settings.storage.batch_size,
            buffer_max=settings.storage.buffer_max,
            clock=clock,
        )
        writer.start()
        stack.callback(writer.stop)
        board = PlanBoard()  # the status engine's probe plan, read by the prober
        evaluator = Evaluator(settings, store, clock, region or settings.probe.region, board)
        stack.callback(evaluator.release)  # after the prober stops: no tick can follow
        prober = Prober(
            settings,
            writer.submit,
            region=region,
            clock=clock,
            chores=worker_chores(settings, store, clock, region or settings.probe.region, board,
                                 evaluator),
            plan=board.current,
        )
        prober.start()
        stack.callback(prober.stop)
        heap.settle()  # what start-up made lives as long as the process: out of the GC's way
        yield prober


def worker_chores(
    settings: Settings,
    store: Store,
    clock: Clock,
    region: str,
    board: PlanBoard | None = None,
    evaluator: Evaluator | None = None,
) -> list[Chore]:
    evaluator = evaluator or Evaluator(settings, store, clock, region, board)

    def evaluate() -> int:
        rebuilds = evaluator.rebuilds
        stored = evaluator.tick()
        if evaluator.rebuilds != rebuilds:
            heap.settle()  # what the rebuild made lives a long while (monitor/worker/heap.py)
        return stored

    def retention() -> object:
        return store.apply_retention(
            clock.now(), settings.storage.raw_retention_days, settings.storage.rollup_retention_days
        )

    return [
        # A few seconds past the minute, so the minute's probes have landed.
        Chore("status engine", evaluate, CronTrigger(second=5, timezone="UTC"), True),
        Chore("retention", retention, CronTrigger(minute=17, timezone="UTC")),
    ]


def serve_web(settings: Settings, store: Store) -> None:
    import waitress

    from web import create_app, warm_caches

    app = create_app(settings, store, settle_heap=heap.settle)
    threading.Thread(target=warm_caches, args=(app,), name="aistatus-warm", daemon=True).start()
    log.info("site at http://%s:%d/", settings.web.host, settings.web.port)
    waitress.serve(app, host=settings.web.host, port=settings.web.port, threads=8, _quiet=True)


def wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
