"""One incident update fanned out to many subscribers: how long until every healthy
receiver has it.

    .venv/bin/python -m bench.notify [--emails 10000] [--webhooks 1000] [--hanging 0.1]
                                     [--concurrency 64] [--timeout 10]

A SQLite store in a temporary folder holds `--emails` active email subscriptions
(to an aiosmtpd sink on loopback) and `--webhooks` active webhook subscriptions
(to a threaded HTTP receiver on loopback, of which a `--hanging` share never
answers). One incident is opened through `Store.record_engine_changes`, then the
deliverer runs as the worker's chore runs it (`run_for`, back to back) until
every healthy receiver has the event. Prints, for webhooks and mails apart: the
time until the last healthy one arrived, the worker's peak RSS, and how many
deliveries were still pending (the hanging ones, waiting for their retry).
"""

from __future__ import annotations

import argparse
import resource
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

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
from monitor.store import Store
from monitor.store.notifications import Notifications
from monitor.store.rows.outbox import ACTIVE

OPUS = "anthropic/claude-opus-4-7"


class Arrivals:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.webhooks = 0
        self.mails = 0
        self.last_webhook = 0.0
        self.last_mail = 0.0

    def webhook(self) -> None:
        with self.lock:
            self.webhooks += 1
            self.last_webhook = time.monotonic()

    def mail(self) -> None:
        with self.lock:
            self.mails += 1
            self.last_mail = time.monotonic()


def receiver(arrivals: Arrivals, release: threading.Event) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path.startswith("/hang"):
                release.wait(120)
                return
            arrivals.webhook()
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024  # listen()'s backlog: 5 would drop connections

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Sink:
    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.arrivals.mail()
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def opened_incident(at: datetime) -> EngineChanges:
    update = Update(at, IncidentState.INVESTIGATING, "Errors on Claude Opus 4.7 since 12:00.")
    incident = Incident("1", "anthropic", Cause.INFRASTRUCTURE, True, Impact.MAJOR,
                        IncidentState.INVESTIGATING, (OPUS,), (OPUS,), ("eu-west", "us-east"),
                        ("availability",), at, at, None, "Claude Opus 4.7 unavailable",
                        (update,), ComponentStatus.MAJOR_OUTAGE)
    return EngineChanges(incident_events=(IncidentEvent(EventKind.OPENED, incident, update,
                                                        None),))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=1_000)
    parser.add_argument("--hanging", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    arrivals, release = Arrivals(), threading.Event()
    http = receiver(arrivals, release)
    smtp_port = free_port()
    smtp = Controller(Sink(arrivals), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    settings = settings_from_dict({
        "site": {"public_url": "https://status.example.org"},
        "notifications": {"smtp_url": f"smtp://127.0.0.1:{smtp_port}",
                          "from": "status@example.org", "allow_private_targets": True},
    })
    folder = Path(tempfile.mkdtemp(prefix="aistatus-bench-notify-"))
    store = Store(f"sqlite:///{folder / 'notify.db'}")
    store.upgrade()
    notifications = Notifications(store)
    clock = SystemClock()
    now = clock.now()
    hanging = round(args.webhooks * args.hanging)
    base = f"http://127.0.0.1:{http.server_address[1]}"
    requests = [Request("email", f"reader{n}@example.org") for n in range(args.emails)]
    # The hanging receivers are spread evenly among the healthy ones.
    hangs = {n for n in range(0, args.webhooks, 10)}
    hangs = set(sorted(hangs)[:hanging])
    requests += [Request("webhook", f"{base}/{'hang' if n in hangs else 'ok'}/{n}")
                 for n in range(args.webhooks)]
    for request in requests:
        subscription_id, _ = notifications.add_subscription(subscription_row(request, now))
        notifications.set_subscription_state(subscription_id, ACTIVE, now)
    policy = DeliveryPolicy(timeout_s=args.timeout, concurrency=args.concurrency,
                            allow_private_targets=True)
    deliverer = Deliverer(notifications, settings, b"bench key", clock, policy,
                          mailer=Mailer(settings.notifications))
    healthy_webhooks = args.webhooks - len(hangs)
    print(f"{args.emails} email and {args.webhooks} webhook subscribers "
          f"({hanging} hanging), concurrency {args.concurrency}, timeout {args.timeout:g} s")

    start = time.monotonic()
    store.record_engine_changes(opened_incident(datetime.now(UTC)))
    while (arrivals.webhooks < healthy_webhooks or arrivals.mails < args.emails) \
            and time.monotonic() - start < 600:
        deliverer.run_for(4)
    webhooks_s = max(0.0, arrivals.last_webhook - start)
    mails_s = max(0.0, arrivals.last_mail - start)
    print(f"webhooks: {arrivals.webhooks}/{healthy_webhooks} healthy receivers "
          f"in {webhooks_s:.1f} s")
    print(f"mails:    {arrivals.mails}/{args.emails} in {mails_s:.1f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (store, deliverer, receivers, SMTP sink): {peak_mb:.0f} MB")
    release.set()
    deliverer.wait_idle()
    counts = notifications.counts()["deliveries"]
    print(f"deliveries by state: {dict(sorted(counts.items()))} (pending: the hanging ones, "
          "waiting for their retry)")
    deliverer.close()
    smtp.stop()
    http.shutdown()
    store.dispose()


if __name__ == "__main__":
    main()
