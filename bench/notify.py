"""One incident update fanned out to many subscribers: how long until every healthy
receiver has it, what the worker holds in memory, and whether probes still time well.

    .venv/bin/python -m bench.notify [--emails 10000] [--webhooks 1000] [--hanging 0.1]
                                     [--timeout 10] [--postgres URL]

The receivers live in processes of their own, as they would on other machines: an
aiosmtpd sink on loopback takes the mails, uvicorn the webhooks, of which a
`--hanging` share never answers. This process is the worker's part: a store
(SQLite in a temporary folder, or `--postgres`) holding `--emails` + `--webhooks`
active subscriptions, the deliverer run as the worker's chore runs it (`run_for(4)`
every 5 s), and a prober timing sequential probes of the simulated provider (its
own process, 300 ms injected) at the worker's switch interval, first idle, then
while the fan-out runs; a control process runs the same probes beside it, so what
the worker's GIL costs probes can be told from what a busy machine costs them.
One incident is opened through `Store.record_engine_changes` at the start of a
chore's tick; times count from there.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bench.probe_capacity import TOTAL_MS, percentile, running_simulator
from monitor.clock import SystemClock
from monitor.config import settings_from_dict
from monitor.judging.engine import EngineChanges
from monitor.judging.incidents import (
    EventKind,
    Impact,
    Incident,
    IncidentEvent,
    IncidentState,
    Update,
)
from monitor.judging.status import Cause, ComponentStatus
from monitor.notify.deliverer import Deliverer, DeliveryPolicy
from monitor.notify.mail import Mailer
from monitor.notify.subscriptions import Request, subscription_row
from monitor.probing.client import make_client, warm_up
from monitor.probing.probe import run_probe
from monitor.store import Store
from monitor.store.notifications import Notifications
from monitor.store.rows import outbox
from monitor.store.rows.schema import SUBSCRIPTIONS
from monitor.worker.roles import PROBER_SWITCH_INTERVAL_S

OPUS = "anthropic/claude-opus-4-7"
CHORE_EVERY_S = 5  # monitor/worker/notifications.py


# -- the receivers' process ---------------------------------------------------------------


class Arrivals:
    """Counts and last arrival times (monotonic: one clock for both processes on Linux)."""

    def __init__(self) -> None:
        self.webhooks: Synchronized[int] = multiprocessing.Value("q", 0)  # type: ignore[assignment]
        self.mails: Synchronized[int] = multiprocessing.Value("q", 0)  # type: ignore[assignment]
        self.last_webhook: Synchronized[float] = multiprocessing.Value("d", 0.0)  # type: ignore[assignment]
        self.last_mail: Synchronized[float] = multiprocessing.Value("d", 0.0)  # type: ignore[assignment]

    @staticmethod
    def count(number: Synchronized[int], last: Synchronized[float]) -> None:
        with number.get_lock():
            number.value += 1
            last.value = time.monotonic()


def webhook_receiver(arrivals: Arrivals, ports: Connection) -> None:
    """uvicorn and a bare ASGI app: receivers are other people's servers, and a thread
    per request here took the CPU the worker's figures are about."""
    import uvicorn

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        if scope["path"].startswith("/hang"):
            await asyncio.sleep(3600)  # never answers; the worker's deadline ends it
            return
        Arrivals.count(arrivals.webhooks, arrivals.last_webhook)
        await send(
            {"type": "http.response.start", "status": 204, "headers": [(b"connection", b"close")]}
        )  # as 1,000 hosts would: no reuse
        await send({"type": "http.response.body", "body": b""})

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            backlog=2048,
            lifespan="off",
            log_level="error",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    ports.send(port)
    ports.recv()  # until the bench is done
    server.should_exit = True
    thread.join(10)


def smtp_sink(arrivals: Arrivals, ports: Connection) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            Arrivals.count(arrivals.mails, arrivals.last_mail)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    ports.send(port)
    ports.recv()
    smtp.stop()


def start_receiver(target: Any, arrivals: Arrivals) -> tuple[Connection, int]:
    """A receiver in a process of its own (a GIL of its own: the HTTP receiver beside
    the SMTP sink took 10,000 mails' turns); returns its pipe and port."""
    ours, theirs = multiprocessing.Pipe()
    multiprocessing.Process(target=target, args=(arrivals, theirs), daemon=True).start()
    return ours, int(ours.recv())


# -- the worker's process -----------------------------------------------------------------


class ProbeTimer:
    """Sequential probes of one simulated model in a thread, as the prober's loop runs
    them; records the latency error (measured minus injected) under a label."""

    def __init__(self, port: int) -> None:
        self.settings = settings_from_dict(
            {
                "providers": [
                    {
                        "id": "bench",
                        "kind": "openai_compatible",
                        "base_url": f"http://127.0.0.1:{port}/bench/v1",
                    }
                ],
                "models": [{"provider": "bench", "model": "m0000"}],
            }
        )
        self.label = "idle"
        self.errors: dict[str, list[float]] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        provider, model = self.settings.providers[0], self.settings.models[0]
        async with make_client(self.settings.probe) as client:
            await warm_up()
            n = 0
            while not self.stop.is_set():
                label = self.label
                result = await run_probe(
                    client,
                    provider,
                    model,
                    self.settings.probe,
                    region="bench",
                    api_key=None,
                    clock=SystemClock(),
                    rng=random.Random(n),
                )
                n += 1
                if result.ok and result.total_ms is not None and label == self.label:
                    self.errors.setdefault(label, []).append(result.total_ms - TOTAL_MS)

    def figures(self, label: str) -> str:
        errors = sorted(self.errors.get(label, []))
        if not errors:
            return "no probes"
        return (
            f"p50 {statistics.median(errors):.1f} ms, p90 {percentile(errors, 0.9):.1f} ms,"
            f" p99 {percentile(errors, 0.99):.1f} ms ({len(errors)} probes)"
        )


def control_probes(port: int, phase: Synchronized[int], results: Connection) -> None:
    """The same probes from a process of its own, which shares the machine's CPUs with
    the worker but not its GIL: what the fan-out costs probes through the CPU alone."""
    sys.setswitchinterval(PROBER_SWITCH_INTERVAL_S)
    timer = ProbeTimer(port)
    timer.thread.start()
    while phase.value < len(PHASES):
        timer.label = PHASES[phase.value]
        time.sleep(0.05)
    timer.label = "after"
    timer.stop.set()
    timer.thread.join()
    results.send(timer.errors)


PHASES = ("idle", "fan-out")


def opened_incident(at: datetime) -> EngineChanges:
    update_ = Update(at, IncidentState.INVESTIGATING, "Errors on Claude Opus 4.7 since 12:00.")
    incident = Incident(
        "1",
        "anthropic",
        Cause.INFRASTRUCTURE,
        True,
        Impact.MAJOR,
        IncidentState.INVESTIGATING,
        (OPUS,),
        (OPUS,),
        ("eu-west", "us-east"),
        ("availability",),
        at,
        at,
        None,
        "Claude Opus 4.7 unavailable",
        (update_,),
        ComponentStatus.MAJOR_OUTAGE,
    )
    return EngineChanges(
        incident_events=(IncidentEvent(EventKind.OPENED, incident, update_, None),)
    )


def subscribe(store: Store, requests: list[Request], now: datetime) -> None:
    """Active subscriptions, written in one transaction (22,000 would take minutes)."""
    with store._writes.begin() as connection:
        for request in requests:
            outbox.add_subscription(connection, subscription_row(request, now))
        connection.execute(update(SUBSCRIPTIONS).values(state=outbox.ACTIVE, confirmed_at=now))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=1_000)
    parser.add_argument("--hanging", type=float, default=0.1)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--mail-connections", type=int, default=DeliveryPolicy().mail_connections)
    parser.add_argument("--idle-probes", type=int, default=30)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL database to use (its tables are created; use an empty one)",
    )
    args = parser.parse_args()

    arrivals = Arrivals()
    http_pipe, http_port = start_receiver(webhook_receiver, arrivals)
    smtp_pipe, smtp_port = start_receiver(smtp_sink, arrivals)
    settings = settings_from_dict(
        {
            "site": {"public_url": "https://status.example.org"},
            "notifications": {
                "smtp_url": f"smtp://127.0.0.1:{smtp_port}",
                "from": "status@example.org",
                "allow_private_targets": True,
            },
        }
    )
    folder = Path(tempfile.mkdtemp(prefix="aistatus-bench-notify-"))
    store = Store(args.postgres or f"sqlite:///{folder / 'notify.db'}")
    store.upgrade()
    clock = SystemClock()
    hanging = {n for n in range(0, args.webhooks, 10)}  # spread among the healthy ones
    hanging = set(sorted(hanging)[: round(args.webhooks * args.hanging)])
    base = f"http://127.0.0.1:{http_port}"
    subscribe(
        store,
        [Request("email", f"reader{n}@example.org") for n in range(args.emails)]
        + [
            Request("webhook", f"{base}/{'hang' if n in hanging else 'ok'}/{n}")
            for n in range(args.webhooks)
        ],
        clock.now(),
    )
    policy = DeliveryPolicy(
        timeout_s=args.timeout, mail_connections=args.mail_connections, allow_private_targets=True
    )
    notifications = Notifications(store)
    deliverer = Deliverer(
        notifications, settings, b"bench key", clock, policy, mailer=Mailer(settings.notifications)
    )
    healthy = args.webhooks - len(hanging)
    print(
        f"{args.emails} email and {args.webhooks} webhook subscribers ({len(hanging)} "
        f"hanging), {'PostgreSQL' if args.postgres else 'SQLite'}; lanes: webhook "
        f"{policy.concurrency}, slow {policy.slow_concurrency}, mail "
        f"{policy.mail_connections} connections x {policy.mail_batch}; "
        f"deadline {args.timeout:g} s"
    )

    sys.setswitchinterval(PROBER_SWITCH_INTERVAL_S)  # as `aistatus worker` runs
    spawn = multiprocessing.get_context("spawn")
    phase: Synchronized[int] = spawn.Value("i", 0)  # type: ignore[assignment]
    control_pipe, theirs = spawn.Pipe()
    with running_simulator(1) as sim_port:
        spawn.Process(target=control_probes, args=(sim_port, phase, theirs), daemon=True).start()
        timer = ProbeTimer(sim_port)
        timer.thread.start()
        while len(timer.errors.get("idle", [])) < args.idle_probes:
            time.sleep(0.2)
        rss_before = rss_mb()
        timer.label = "fan-out"
        phase.value = 1
        start = time.monotonic()
        store.record_engine_changes(opened_incident(datetime.now(UTC)))
        while (
            arrivals.webhooks.value < healthy or arrivals.mails.value < args.emails
        ) and time.monotonic() - start < 600:
            tick = time.monotonic()
            deliverer.run_for(CHORE_EVERY_S - 1)
            time.sleep(max(0.0, CHORE_EVERY_S - (time.monotonic() - tick)))
        timer.label = "after"
        phase.value = len(PHASES)
        timer.stop.set()
        timer.thread.join()
        control = ProbeTimer(sim_port)
        control.errors = control_pipe.recv()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    webhooks_s = max(0.0, arrivals.last_webhook.value - start)
    mails_s = max(0.0, arrivals.last_mail.value - start)
    rows = [
        (
            "last healthy webhook",
            f"{webhooks_s:.1f} s ({arrivals.webhooks.value}/{healthy})",
            "< 10 s",
        ),
        ("last mail", f"{mails_s:.1f} s ({arrivals.mails.value}/{args.emails})", "< 60 s"),
        ("worker RSS", f"peak {peak_mb:.0f} MB (before the fan-out {rss_before:.0f} MB)", ""),
        ("worker's probes, idle", timer.figures("idle"), ""),
        ("worker's probes, during", timer.figures("fan-out"), "as idle"),
        ("control probes, idle", control.figures("idle"), ""),
        ("control probes, during", control.figures("fan-out"), "(another process)"),
    ]
    width = max(len(name) for name, _, _ in rows)
    for name, figure, goal in rows:
        print(f"  {name:<{width}}  {figure:<56} {goal}")
    deliverer.wait_idle(args.timeout * 2)
    counts = notifications.counts(clock.now())
    print(
        f"deliveries by state: {dict(sorted(counts['deliveries'].items()))} (pending: the "
        f"hanging ones, waiting for their retry in the slow lane, which holds "
        f"{counts['slow_lane']['webhook receivers']} receivers)"
    )
    deliverer.close()
    for pipe in (http_pipe, smtp_pipe):
        pipe.send("done")
    store.dispose()


if __name__ == "__main__":
    main()
