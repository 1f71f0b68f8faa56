"""The prober in a process of its own, so nothing else in the worker skews what it times.

In one process the prober's event loop shared Python's GIL with the result writer,
the status engine (a minute's evaluation, a rebuild at start) and, in `aistatus
run`, the site's threads: a probe whose last bytes arrived while another thread
held the GIL was timed late by up to the switch interval per hand-over
(`bench/gil_contention.py`). So the worker starts the prober (the same `Prober`,
monitor/probing/scheduler.py) in a child process and keeps the rest:

    worker process                                  prober process
    writer.submit <── reader thread <── results ─── Prober (its asyncio loop)
    PlanBoard ─────── plan thread ───── plans ────> the latest plan, read by the
                                                    scheduler for confirmation probes
    stop() ────────────────────────── None ───────> prober.stop(), its stats, exit

Results cross a pipe as pickled `ProbeResult`s (tens of microseconds each, on the
worker's side off the prober's clock); the writer buffers them as before. The child
ignores SIGINT and SIGTERM: a Ctrl-C or a service manager's stop reaches the whole
process group, and the worker's orderly stop must decide, not a signal racing it. If
the worker dies, the child reads the end of its pipe and stops too; if the child
dies (killed for memory, say), the worker logs it and starts another after 5 s. The
worker's other threads yield the cores to this process (monitor/worker/priority.py);
the threads here, which may start it again, keep the worker's priority. `spawn`, not
`fork`: the worker already runs threads (the writer, perhaps the simulated provider)
whose locks a fork would copy mid-use.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from monitor.config import Settings
from monitor.plan import ProbePlan
from monitor.probing.scheduler import CONFIRM_TICK_S, ProberStats, ResultSink
from monitor.results import ProbeResult

log = logging.getLogger(__name__)
START_TIMEOUT_S = 60.0  # a cold start imports the whole prober on a slow machine
STOP_TIMEOUT_S = 40.0  # the prober's own stop waits up to 30 s for its loop
RESTART_DELAY_S = 5.0  # before a prober that died is started again
_READY = "ready"


class ProberProcess:
    """Start, feed and stop the prober's process; results go to `sink` in this one."""

    def __init__(
        self,
        settings: Settings,
        sink: ResultSink,
        *,
        region: str | None = None,
        plan: Callable[[], ProbePlan] | None = None,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.region = region
        self.plan = plan
        self.stats = ProberStats()  # the child's, once it has stopped
        self._context = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._control: Connection | None = None
        self._send_lock = threading.Lock()
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._threads: list[threading.Thread] = []
        self._plan_sent: ProbePlan | None = None
        self.restart_delay_s = RESTART_DELAY_S
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def thread_ids(self) -> set[int]:
        """The native ids of this side's threads (result reader, plan sender)."""
        return {t.native_id for t in self._threads if t.native_id is not None}

    def start(self) -> None:
        results = self._launch()
        self._spawn(self._read_results, results, name="aistatus-prober-results")
        if self.plan is not None:
            self._spawn(self._send_plans, name="aistatus-prober-plans")
        if not self._ready.wait(START_TIMEOUT_S):
            self.stop()
            raise RuntimeError("the prober process did not start")

    def _launch(self) -> Connection:
        """Start a prober process; the end of the pipe its results come back on."""
        results_in, results_out = self._context.Pipe(duplex=False)
        control_in, control_out = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_child_main,
            args=(
                self.settings,
                self.region,
                self.plan is not None,
                results_out,
                control_in,
                logging.getLogger().level,
            ),
            name="aistatus-prober",
            daemon=True,
        )
        # Held until the child is ours to stop: started in full, and known to stop().
        with _stop_signals_held():
            process.start()
            results_out.close()  # the child's ends: only the child may hold them open
            control_in.close()
            with self._send_lock:
                self._process, self._control = process, control_out
                self._plan_sent = None  # a new child knows no plan yet
                if self._stopping.is_set():  # stop() came while this one started
                    control_out.send(None)
        return results_in

    def stop(self) -> None:
        if self._process is None or self._stopping.is_set():
            return
        self._stopping.set()
        self._send_stop()
        for thread in self._threads:
            thread.join(timeout=STOP_TIMEOUT_S)
        self._process.join(timeout=10)
        if self._process.is_alive():
            log.error("the prober process did not stop; terminating it")
            self._process.terminate()
            self._process.join(timeout=10)

    def _spawn(self, target: Callable[..., None], *args: object, name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _send_stop(self) -> None:
        with self._send_lock:
            if self._control is None:
                return
            with contextlib.suppress(OSError):  # the child is gone already
                self._control.send(None)
            self._control.close()
            self._control = None

    def _read_results(self, results: Connection) -> None:
        sink = self.sink
        while True:
            try:
                message = results.recv()
            except (EOFError, OSError):
                results.close()
                if self._stopping.is_set():
                    return
                # A prober that died (killed for memory, a crash) is started again: a
                # status page with no probes would say nothing, and say it quietly.
                self.restarts += 1
                log.error(
                    "the prober process exited unexpectedly (exit code %s); "
                    "starting it again in %g s",
                    self._process.exitcode,
                    self.restart_delay_s,
                )
                if self._stopping.wait(self.restart_delay_s):
                    return
                results = self._launch()
                continue
            if type(message) is ProbeResult:
                sink(message)
            elif isinstance(message, ProberStats):
                self.stats = message
            elif message == _READY:
                self._ready.set()

    def _send_plans(self) -> None:
        assert self.plan is not None
        while not self._stopping.wait(CONFIRM_TICK_S / 2):
            plan = self.plan()
            with self._send_lock:
                if plan == self._plan_sent or self._control is None:
                    continue
                try:
                    self._control.send(plan)
                except OSError:  # the child is gone; the reader starts another
                    continue
                self._plan_sent = plan


@contextlib.contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM that arrive inside the block take effect as it ends.

    `Process.start()` spawns the child, then writes it what to run: a stop raised in
    between (SIGTERM turns into an exception in the main thread, monitor/cli.py) left
    the child reading an empty pipe, a traceback in the log of a clean stop. Blocking
    the signals cannot help: the interpreter runs Python handlers in the main thread
    whichever thread the kernel picks. Only the main thread can swap handlers; other
    threads (a restart) never receive the exception."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda number, _: caught.append(number)) for sig in held}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in caught:
            signal.raise_signal(sig)


def _child_main(
    settings: Settings,
    region: str | None,
    confirm: bool,
    results: Connection,
    control: Connection,
    log_level: int,
) -> None:
    """The prober process: probe, send each result back, take plans until told to stop."""
    from monitor.probing.scheduler import Prober
    from monitor.worker import heap

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, log_level))
    send_lock = threading.Lock()
    latest = [ProbePlan()]

    def send(message: object) -> None:
        # If the worker is gone there is nobody to tell; the end of the control pipe
        # stops us.
        with send_lock, contextlib.suppress(OSError):
            results.send(message)

    prober = Prober(settings, send, region=region, plan=(lambda: latest[0]) if confirm else None)
    prober.start()
    heap.settle()  # what start-up made lives as long as the process: out of the GC's way
    send(_READY)
    while True:
        try:
            message = control.recv()
        except (EOFError, OSError):
            break  # the worker is gone
        if message is None:
            break
        latest[0] = message
    prober.stop()
    send(prober.stats)
    results.close()
