"""The deliverer: sends what the outbox holds, losing nothing and holding no one up.

Each `run_once` (the worker's chore calls `run_for`, which repeats it as slots free):

    1. results of earlier attempts the database could not take yet are written first
    2. new outbox rows fan out to matching subscriptions
    3. as many due deliveries as there are free slots are claimed (a lease) and
       handed to a pool of `concurrency` threads; run_once does not wait for them

One attempt is one POST with a deadline (connect, read and the whole exchange);
the answer's body is read up to a cap. Its end:

    2xx                          sent
    408, 425, 429, 5xx, network  again later: back-off doubling from `first_retry_s`
                                 to `max_retry_s`, half of it jittered, never sooner
                                 than the receiver's Retry-After; past
                                 `give_up_after` of the event's age: given up
    other 4xx (410 Gone, ...)    failed for good; `disable_after` of them in a row
                                 disable the subscription

A slow receiver holds one slot until its deadline and no other delivery waits on
it. A worker that dies mid-flight leaves leases that run out, so the delivery is
tried again: the receiver may see an event twice, and de-duplicates on the
`Aistatus-Event-Id` header (the same `event_id` as in the body). A database
outage loses nothing either: the outbox row was written with the change, and an
attempt's result waits in memory until it can be written.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import smtplib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from monitor.clock import Clock
from monitor.config import Settings
from monitor.notify import mail, payloads, signing
from monitor.notify.targets import pin
from monitor.store import is_unavailable
from monitor.store.notifications import Ending, Notifications
from monitor.store.rows.outbox import FAILED, GAVE_UP, PENDING, SENT

log = logging.getLogger(__name__)

USER_AGENT = "aistatus-webhooks/1"
CHANNELS = ("webhook", "email", "operator")
_RETRYABLE = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    timeout_s: float = 10.0
    concurrency: int = 64
    lease_s: float = 300.0          # longer than any attempt, or a slow one is sent twice
    first_retry_s: float = 30.0
    max_retry_s: float = 3600.0
    give_up_after: timedelta = timedelta(hours=24)
    disable_after: int = 3
    max_response_bytes: int = 64 * 1024
    allow_private_targets: bool = False


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one try came to: the delivery's next state, and when to try again."""

    state: str
    error: str | None = None
    retry_after: str | None = None   # the receiver's header, read against our clock
    permanent: bool = False


@dataclass(slots=True)
class _Result:
    delivery: dict[str, Any]
    attempt: Attempt
    at: datetime


Sender = Callable[[dict[str, Any], bytes, dict[str, str]], Attempt]
# Sends one delivery to an operator channel (monitor/notify/channels.py).
OperatorSender = Callable[[dict[str, Any], datetime], Attempt]


class Deliverer:
    def __init__(self, notifications: Notifications, settings: Settings, operator_key: bytes,
                 clock: Clock, policy: DeliveryPolicy = DeliveryPolicy(), *,
                 rng: random.Random | None = None,
                 client: httpx.Client | None = None,
                 mailer: mail.Mailer | None = None,
                 operator: OperatorSender | None = None,
                 kinds: tuple[str, ...] = CHANNELS) -> None:
        self.notifications = notifications
        self.settings = settings
        self.operator_key = operator_key
        self.clock = clock
        self.policy = policy
        self.rng = rng or random.Random()
        self.mailer = mailer
        self.operator = operator
        self.kinds = kinds  # the subscription kinds this worker claims (no key: operator only)
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(policy.timeout_s), follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=policy.concurrency * 2))
        # Each channel has its own `concurrency` slots: a fan-out to 10,000 mailboxes
        # never makes the webhooks wait behind it, nor the other way round.
        self._pool = ThreadPoolExecutor(policy.concurrency * len(CHANNELS),
                                        thread_name_prefix="deliver")
        self._lock = threading.Lock()
        self._busy = dict.fromkeys(CHANNELS, 0)
        self._idle = threading.Condition(self._lock)
        self._unrecorded: list[_Result] = []

    # -- the loop ------------------------------------------------------------------------

    def run_once(self) -> int:
        """Start the due deliveries; returns how many were started."""
        try:
            self._record_waiting()
            now = self.clock.now()
            self.notifications.fan_out(now)
            lease = now + timedelta(seconds=self.policy.lease_s)
            claimed = []
            for channel in self.kinds:
                with self._lock:
                    free = self.policy.concurrency - self._busy[channel]
                if free > 0:
                    claimed += self.notifications.claim(now, lease, free, channel)
        except Exception as error:
            if not is_unavailable(error):
                raise
            log.warning("notifications wait for the database: %s", type(error).__name__)
            return 0
        for delivery in claimed:
            with self._lock:
                self._busy[delivery["channel"]] += 1
            self._pool.submit(self._deliver, dict(delivery))
        return len(claimed)

    def run_for(self, seconds: float) -> int:
        """Keep every slot busy for up to `seconds` (wall time): claim more as each
        delivery ends, until nothing is due and nothing is in flight. Returns how many
        were started. The worker's chore calls this, so a fan-out to thousands does
        not wait a tick per `concurrency` of them."""
        deadline = time.monotonic() + seconds
        started = 0
        while True:
            now_started = self.run_once()
            started += now_started
            left = deadline - time.monotonic()
            with self._idle:
                if left <= 0 or (now_started == 0 and self._in_flight == 0):
                    return started
                # A slot frees (or the deadline comes): then claim again.
                self._idle.wait(min(left, 1.0))

    def wait_idle(self, timeout_s: float = 60.0) -> bool:
        """Until every started delivery has ended and its result is written, if the
        database takes it (tests, shutdown)."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        try:
            self._record_waiting()
        except Exception as error:
            if not is_unavailable(error):
                raise
        return True

    @property
    def _in_flight(self) -> int:
        return sum(self._busy.values())

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.client.close()
        if self.mailer is not None:
            self.mailer.close()

    # -- one delivery --------------------------------------------------------------------

    def _deliver(self, delivery: dict[str, Any]) -> None:
        try:
            attempt = self._attempt(delivery)
        except Exception as error:  # a bug must not leak the slot or lose the delivery
            log.exception("delivery %s failed unexpectedly", delivery["id"])
            attempt = Attempt(PENDING, f"internal error: {type(error).__name__}")
        # Written by the loop, many in one transaction: a write per delivery from 64
        # threads queued on SQLite's one writer and slowed the whole fan-out.
        with self._idle:
            self._unrecorded.append(_Result(delivery, attempt, self.clock.now()))
            self._busy[delivery["channel"]] -= 1
            self._idle.notify_all()

    def _attempt(self, delivery: dict[str, Any]) -> Attempt:
        if delivery["channel"] == "email":
            return self._mail(delivery)
        if delivery["channel"] == "operator":
            if self.operator is None:
                return Attempt(PENDING, "operator channels are not set up in this worker")
            return self.operator(delivery, self.clock.now())
        now = self.clock.now()
        body = json.dumps(payloads.payload(
            self.settings, delivery["kind"], delivery["event_id"], delivery["event"], now,
            self.unsubscribe_url(delivery["subscription_id"], delivery["salt"]),
        ), ensure_ascii=False, separators=(",", ":")).encode()
        secret = signing.subscription_secret(self.operator_key, delivery["subscription_id"],
                                             delivery["salt"])
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            signing.EVENT_HEADER: delivery["event_id"],
            signing.TIMESTAMP_HEADER: str(timestamp),
            signing.SIGNATURE_HEADER: signing.sign(secret, timestamp, body),
        }
        return post(self.client, delivery["address"], body, headers, self.policy)

    def _mail(self, delivery: dict[str, Any]) -> Attempt:
        if self.mailer is None:
            return Attempt(PENDING, "no [notifications] smtp_url to send mail with")
        compose = mail.incident_mail if delivery["kind"] == "incident" else mail.component_mail
        message = compose(self.settings, delivery["address"], delivery["event"],
                          delivery["event_id"],
                          self.unsubscribe_url(delivery["subscription_id"], delivery["salt"]))
        return send_mail(self.mailer, message, self.clock.now())

    def unsubscribe_url(self, subscription_id: int, salt: str) -> str:
        token = signing.unsubscribe_token(self.operator_key, subscription_id, salt)
        base = self.settings.site.public_url.rstrip("/")
        return f"{base}/unsubscribe/{subscription_id}/{token}"  # web/views/subscriptions.py

    # -- results -------------------------------------------------------------------------

    def _record_waiting(self) -> None:
        """Write every result waiting, in one transaction; kept for later if it fails."""
        with self._lock:
            waiting, self._unrecorded = self._unrecorded, []
        if not waiting:
            return
        try:
            disabled = self.notifications.finish_many([self._ending(r) for r in waiting],
                                                      self.policy.disable_after)
        except Exception:
            with self._lock:
                self._unrecorded[:0] = waiting
            raise
        for subscription_id in disabled:
            log.warning("subscription %s disabled after %d permanent failures in a row",
                        subscription_id, self.policy.disable_after)

    def _ending(self, result: _Result) -> Ending:
        delivery, attempt, at = result.delivery, result.attempt, result.at
        state, next_at = attempt.state, None
        if state == PENDING:
            wait = parse_retry_after(attempt.retry_after, at)
            next_at = at + timedelta(seconds=self.delay(delivery["attempts"], wait))
            if next_at - delivery["created_at"] > self.policy.give_up_after:
                state, next_at = GAVE_UP, None
        return Ending(delivery["id"], state, at, next_at, attempt.error,
                      delivery["subscription_id"] if state in (SENT, FAILED) else None,
                      state == FAILED)

    def delay(self, attempts: int, retry_after_s: float | None) -> float:
        """Seconds until the next try after `attempts` earlier ones (this one excluded)."""
        ceiling = min(self.policy.max_retry_s, self.policy.first_retry_s * 2 ** attempts)
        jittered = ceiling / 2 + self.rng.uniform(0, ceiling / 2)
        return max(jittered, retry_after_s or 0.0)


def post(client: httpx.Client, url: str, body: bytes, headers: dict[str, str],
         policy: DeliveryPolicy) -> Attempt:
    """One POST, its answer read up to a cap, within `policy.timeout_s` overall."""
    target = pin(url, allow_private=policy.allow_private_targets)
    if isinstance(target, str):
        return Attempt(FAILED, target, permanent=True)
    deadline = time.monotonic() + policy.timeout_s
    try:
        with client.stream("POST", target.url, content=body, headers={**headers, **target.headers},
                           extensions=target.extensions) as response:
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read >= policy.max_response_bytes or time.monotonic() > deadline:
                    break
            code = response.status_code
            retry_after = response.headers.get("Retry-After")
    except httpx.TimeoutException:
        return Attempt(PENDING, "timed out")
    except httpx.HTTPError as error:
        return Attempt(PENDING, f"network: {type(error).__name__}")
    if 200 <= code < 300:
        return Attempt(SENT)
    if code in _RETRYABLE or code >= 500 or 300 <= code < 400:
        return Attempt(PENDING, f"HTTP {code}", retry_after=retry_after)
    return Attempt(FAILED, f"HTTP {code}", permanent=True)


def send_mail(mailer: mail.Mailer, message: mail.Mail, now: datetime) -> Attempt:
    """One SMTP hand-over. Only a 5xx refusal of the recipient is that subscriber's
    problem (permanent); anything else (our server down, our login refused) is ours,
    tried again, and never counts against the subscription."""
    try:
        mailer.send(message, now)
    except smtplib.SMTPRecipientsRefused as refused:
        codes = sorted({code for code, _ in refused.recipients.values()})
        permanent = all(code >= 500 for code in codes)
        return Attempt(FAILED if permanent else PENDING, f"SMTP {codes}", permanent=permanent)
    except smtplib.SMTPResponseException as error:
        return Attempt(PENDING, f"SMTP {error.smtp_code}")
    except (smtplib.SMTPException, OSError) as error:
        return Attempt(PENDING, f"SMTP: {type(error).__name__}")
    return Attempt(SENT)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds, or an HTTP date (RFC 9110); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())
