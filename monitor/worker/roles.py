"""The three roles a process can play, and how each is wired from settings.

- worker: the simulated provider (if the config enables the demo), the prober
  (in a process of its own), the status engine and other chores, and the one
  writer that batches results into the store;
- web: the site, read-only through the store;
- run: both in one process (and its prober's), for a single machine.
Exactly one prober and one chore scheduler run per worker; the web role never
starts either, however many WSGI threads or processes serve it.
"""

from __future__ import annotations

import errno
import logging
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from monitor.clock import Clock, SystemClock
from monitor.config import Settings, missing_key
from monitor.plan import PlanBoard
from monitor.probing.scheduler import Chore
from monitor.scenarios.simulator.server import start_simulator
from monitor.scenarios.spec import load_scenario
from monitor.store import Store
from monitor.store.writer import ResultWriter
from monitor.worker import StartupError, heap
from monitor.worker.evaluator import Evaluator
from monitor.worker.notifications import notification_chore
from monitor.worker.outage_log import once_per_outage
from monitor.worker.preflight import served_by_simulator
from monitor.worker.priority import lower_this_thread, lower_threads_but
from monitor.worker.prober_process import ProberProcess

log = logging.getLogger(__name__)


def open_store(settings: Settings) -> Store:
    return Store(settings.storage_url())


def sync_targets(
    settings: Settings, store: Store, environ: Mapping[str, str] | None = None
) -> None:
    # Without this, the first insert fails with the SQL and its parameters printed.
    require_current_schema(store)
    missing = {p.id: key for p in settings.providers if (key := missing_key(p, environ))}
    store.sync_targets(settings, missing)


def require_current_schema(store: Store) -> None:
    """Refuse in one line unless the store holds this version's schema: every command
    that touches the database says the same (`run`, `web`, `worker` and the reading ones)."""
    if store.schema_is_current():
        return
    revision = store.current_revision()
    found = (
        "has no schema yet:"
        if revision is None
        else f"is at schema revision {revision}, not this version's;"
    )
    raise StartupError(f"storage.url: the database {found} run `aistatus db upgrade` first")


@contextmanager
def simulated_provider(settings: Settings) -> Iterator[None]:
    """Serve the demo's simulated provider if the config enables it."""
    sim = settings.simulator
    if not sim.enabled:
        yield
        return
    scenario = load_scenario(sim.scenario, base_dir=settings.base_dir)
    try:
        handle = start_simulator(scenario, host=sim.host, port=sim.port, speed=sim.speed)
    except OSError as error:
        if error.errno == errno.EADDRINUSE and _simulator_answers(sim.host, sim.port):
            # `aistatus probe` beside a running `aistatus run`: probe the demo it serves.
            served = [
                p.id
                for p in settings.providers
                if p.simulated and served_by_simulator(settings, p.base_url)
            ]
            log.info(
                "a simulated provider already serves %s:%d (a running `aistatus run`?); "
                "probing %s there",
                _reachable(sim.host),
                sim.port,
                ", ".join(served) or "none of this config's providers",
            )
            yield
            return
        raise StartupError(_bind_problem("simulator", sim.host, sim.port, error)) from None
    log.info("simulated provider serving scenario %r at %s", scenario.name, handle.base_url)
    try:
        yield
    finally:
        handle.stop()


@contextmanager
def worker(
    settings: Settings, store: Store, *, region: str | None = None, clock: Clock | None = None
) -> Iterator[ProberProcess]:
    clock = clock or SystemClock()
    region = region or settings.probe.region
    with ExitStack() as stack:
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
        evaluator = Evaluator(settings, store, clock, region, board)
        stack.callback(evaluator.release)  # after the chores stop: no tick can follow
        chores = start_chores(worker_chores(settings, store, clock, region, board, evaluator))
        stack.callback(chores.shutdown, wait=True)
        # The prober runs in a process of its own: it shares no GIL with the writer, the
        # status engine or the site (monitor/worker/prober_process.py).
        prober = ProberProcess(settings, writer.submit, region=region, plan=board.current)
        prober.start()
        stack.callback(prober.stop)
        # The prober first on a busy machine: the rest of this process yields to it
        # (monitor/worker/priority.py).
        lower_threads_but(prober.thread_ids())
        heap.settle()  # what start-up made lives as long as the process: out of the GC's way
        yield prober


def start_chores(chores: Sequence[Chore]) -> BackgroundScheduler:
    """The worker's periodic work (status engine, retention, notifications), each on a
    thread of its own, one run at a time; a late run still runs."""
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"misfire_grace_time": None, "max_instances": 1, "coalesce": True},
    )
    now = datetime.now(UTC)
    for chore in chores:
        scheduler.add_job(
            _run_chore,
            chore.trigger,
            args=[chore],
            id=f"chore:{chore.name}",
            name=chore.name,
            # An omitted next_run_time is computed from the trigger; None would pause.
            **({"next_run_time": now} if chore.at_start else {}),
        )
    scheduler.start()
    return scheduler


def _run_chore(chore: Chore) -> None:
    lower_this_thread()  # the prober's timing before the chores' (monitor/worker/priority.py)
    try:
        chore.run()
    except Exception as error:
        log.error("%s failed: %s: %s", chore.name, type(error).__name__, error)


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
        starts = evaluator.rebuilds + evaluator.restores
        stored = evaluator.tick()
        if evaluator.rebuilds + evaluator.restores != starts:
            heap.settle()  # what the rebuild made lives a long while (monitor/worker/heap.py)
        return stored

    def retention() -> object:
        storage = settings.storage
        return store.apply_retention(
            clock.now(),
            storage.raw_retention_days,
            storage.rollup_retention_days,
            minute_rollup_days=storage.minute_rollup_retention_days,
            hour_rollup_days=storage.hour_rollup_days,
        )

    chores = [
        # A few seconds past the minute, so the minute's probes have landed.
        Chore(
            "status engine",
            once_per_outage("status engine", evaluate),
            CronTrigger(second=5, timezone="UTC"),
            True,
        ),
        Chore(
            "retention",
            once_per_outage("retention", retention),
            CronTrigger(minute=17, timezone="UTC"),
        ),
    ]
    return [*chores, notification_chore(settings, store, clock)]


@dataclass(frozen=True, slots=True)
class BoundSite:
    app: Any  # the Flask app
    server: Any  # waitress's server, its socket listening


def bind_site(settings: Settings, store: Store) -> BoundSite:
    """The site with its port bound, before anything else starts: a taken port is one
    line and no half-started worker or simulated provider."""
    import waitress

    from web import create_app

    app = create_app(settings, store, settle_heap=heap.settle)
    web = settings.web
    try:
        server = waitress.create_server(app, host=web.host, port=web.port, threads=8)
    except OSError as error:
        raise StartupError(_bind_problem("web", web.host, web.port, error)) from None
    return BoundSite(app, server)


def serve_web(settings: Settings, store: Store, site: BoundSite | None = None) -> None:
    from web import warm_caches

    site = site or bind_site(settings, store)
    threading.Thread(
        target=warm_caches, args=(site.app,), name="aistatus-warm", daemon=True
    ).start()
    log.info(
        "site at %s/ (listening on %s:%d)",
        settings.site.public_url.rstrip("/"),
        settings.web.host,
        settings.web.port,
    )
    site.server.run()


def _bind_problem(section: str, host: str, port: int, error: OSError) -> str:
    where = f"{section}.port {port} on {host}"
    if error.errno == errno.EADDRINUSE:
        return (
            f"{where} is in use by another program (another `aistatus run`?): "
            f"stop it, or set [{section}] port to a free one"
            + (" and the simulated providers' base_url to match" if section == "simulator" else "")
        )
    if error.errno == errno.EACCES:
        return f"{where}: permission denied (ports below 1024 need privileges); use a higher port"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{section}.host {host!r} is not an address of this machine"
    return f"{where}: cannot listen: {error.strerror or error}"


def _simulator_answers(host: str, port: int) -> bool:
    """Whether what holds the port is aistatus's simulated provider (it names itself)."""
    try:
        reply = httpx.get(f"http://{_reachable(host)}:{port}/", timeout=2.0)
    except httpx.HTTPError:
        return False
    return reply.status_code == 404 and "no simulated provider at" in reply.text


def _reachable(host: str) -> str:
    """The address to reach a server listening on `host` from this machine."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


def wait_for_signal() -> None:
    """Until SIGINT or SIGTERM; says which, so a log shows why the service ended (a stop
    by a service manager reads as one otherwise: only the snapshot it saves)."""
    stop = threading.Event()
    heard: list[int] = []

    def stopping(signum: int, _frame: object) -> None:
        heard.append(signum)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stopping)
    stop.wait()
    log.info("%s received: stopping", signal.Signals(heard[0]).name)
