"""The deliverer: sends what the outbox holds, losing nothing and holding no one up.

Each `run_once` (the worker's chore calls `run_for`, which repeats it as slots free):

    1. results of earlier attempts the database could not take yet are written first,
       many in one transaction of a few statements
    2. new outbox rows fan out to matching subscriptions
    3. each lane with enough free slots claims a batch of due deliveries (a lease, one
       statement) and starts them; run_once does not wait for them

The lanes, each with its own slots, so no kind of receiver waits behind another:

    webhook        receivers that answer: `concurrency` POSTs at once on one event loop
    webhook slow   receivers that timed out within `slow_for`: `slow_concurrency` slots,
                   so a hundred hanging receivers hold a few slots, not all of them
    email          `mail_connections` SMTP connections, each handed `mail_batch` mails
                   and sending them one after another (one message per recipient: each
                   carries its own unsubscribe link)
    operator       operator channels (monitor/notify/channels.py, through Apprise), a few
                   at a time on threads of their own: Apprise blocks

What an attempt's end means is in `sending`; after a failure that may pass, the
next try waits a back-off doubling from `first_retry_s` to `max_retry_s`, half of it
jittered, never sooner than the receiver's Retry-After (a webhook's, or an operator
channel's server's) up to `max_retry_s`; past `give_up_after` of the event's age it is
given up. `disable_after` permanent failures in a row disable the
subscription.

A worker that dies mid-flight leaves leases that run out, so the delivery is tried
again: the receiver may see an event twice, and de-duplicates on the
`Aistatus-Event-Id` header (the same `event_id` as in the body). A database outage
loses nothing either: the outbox row was written with the change, and an attempt's
result waits in memory until it can be written (no new claims meanwhile).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from monitor.clock import Clock
from monitor.config import Settings
from monitor.notify import mail, payloads, signing
from monitor.notify.eventloop import EventLoop
from monitor.notify.sending import (
    Attempt,
    DeliveryPolicy,
    apost,
    parse_retry_after,
    post,
    send_mail,
)
from monitor.store import is_unavailable
from monitor.store.notifications import Ending, Notifications
from monitor.store.rows.outbox import FAILED, GAVE_UP, PENDING, SENT

# Where they were before `sending` existed (subscriptions.py imports them from here).
__all__ = ["Attempt", "Deliverer", "DeliveryPolicy", "parse_retry_after", "post", "send_mail"]

log = logging.getLogger(__name__)

USER_AGENT = "aistatus-webhooks/1"
DEFAULT_POLICY = DeliveryPolicy()
CHANNELS = ("webhook", "email", "operator")
OPERATOR_SLOTS = 4


@dataclass(frozen=True, slots=True)
class Lane:
    name: str
    channel: str  # the subscriptions' kind it serves
    slow: bool | None  # receivers in the slow lane, the others, or both (None)
    slots: int  # deliveries in flight at most
    batch: int  # claimed when at least this many slots are free


def lanes(policy: DeliveryPolicy) -> tuple[Lane, ...]:
    mail_slots = policy.mail_connections * policy.mail_batch
    return (
        Lane("webhook", "webhook", False, policy.concurrency, max(1, policy.concurrency // 4)),
        Lane("webhook slow", "webhook", True, policy.slow_concurrency, 1),
        Lane("email", "email", None, mail_slots, policy.mail_batch),
        Lane("operator", "operator", None, OPERATOR_SLOTS, 1),
    )


@dataclass(slots=True)
class _Result:
    delivery: dict[str, Any]
    attempt: Attempt
    at: datetime


Delivery = dict[str, Any]
# Sends one delivery to an operator channel (monitor/notify/channels.py).
OperatorSender = Callable[[Delivery, datetime], Attempt]


class Deliverer:
    def __init__(
        self,
        notifications: Notifications,
        settings: Settings,
        operator_key: bytes,
        clock: Clock,
        policy: DeliveryPolicy = DEFAULT_POLICY,
        *,
        rng: random.Random | None = None,
        client: httpx.Client | None = None,
        mailer: mail.Mailer | None = None,
        operator: OperatorSender | None = None,
        kinds: tuple[str, ...] = CHANNELS,
    ) -> None:
        self.notifications = notifications
        self.settings = settings
        self.operator_key = operator_key
        self.clock = clock
        self.policy = policy
        self.rng = rng or random.Random()
        self.mailer = mailer
        self.operator = operator
        # The subscription kinds this worker claims (no key: operator channels only).
        self.lanes = tuple(lane for lane in lanes(policy) if lane.channel in kinds)
        # Blocking, for the verification POSTs (subscriptions.WebhookVerifier).
        self.client = client or httpx.Client(
            timeout=policy.http_timeout(),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )
        self._webhooks = EventLoop(
            httpx.AsyncClient(
                timeout=policy.http_timeout(),
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
                limits=httpx.Limits(max_connections=policy.concurrency + policy.slow_concurrency),
            )
        )
        self._mail_pool = ThreadPoolExecutor(
            policy.mail_connections, thread_name_prefix="deliver-mail"
        )
        self._operator_pool = ThreadPoolExecutor(
            OPERATOR_SLOTS, thread_name_prefix="deliver-operator"
        )
        # How each channel's claimed deliveries start: one entry per kind of receiver.
        self._starters: dict[str, Callable[[Lane, list[Delivery]], None]] = {
            "webhook": self._start_webhooks,
            "email": self._start_mails,
            "operator": self._start_operator,
        }
        self._lock = threading.Lock()
        self._busy = {lane.name: 0 for lane in self.lanes}
        self._idle = threading.Condition(self._lock)
        self._unrecorded: list[_Result] = []
        # Lanes where a delivery was sent since they last found nothing due: that
        # subscriber's next event is due now (each hears its events one at a time).
        self._sent_in: set[str] = set()
        self._waiting_since = 0.0  # monotonic time the database stopped answering; 0: it answers

    # -- the loop ------------------------------------------------------------------------

    def run_once(self) -> int:
        """Start the due deliveries; returns how many were started."""
        return self._round(set())

    def run_for(self, seconds: float) -> int:
        """Keep every lane busy for up to `seconds` (wall time): claim another batch as
        a lane's slots free, until nothing is due and nothing is in flight. Returns how
        many were started. The worker's chore calls this, so a fan-out to thousands
        does not wait a tick per batch."""
        deadline = time.monotonic() + seconds
        dry: set[str] = set()  # lanes that found less due than they asked for
        started = self._round(dry)
        while self._wait_for_work(dry, deadline):
            started += self._round(dry)
        if not self._in_flight:
            self._record_or_keep()
        return started

    def _wait_for_work(self, dry: set[str], deadline: float) -> bool:
        """True once a lane that may find more has a batch's worth of free slots; False
        at the deadline, or when nothing is in flight and no lane finds more."""
        with self._idle:
            while True:
                dry -= self._sent_in
                self._sent_in.clear()
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                if any(
                    lane.name not in dry and self._free(lane) >= lane.batch for lane in self.lanes
                ):
                    return True
                if self._in_flight == 0:
                    return False
                self._idle.wait(min(left, 1.0))

    def _round(self, dry: set[str]) -> int:
        started = 0
        try:
            self._record_waiting()
            now = self.clock.now()
            if self.notifications.fan_out(now):
                dry.clear()
            lease = now + timedelta(seconds=self.policy.lease_s)
            for lane in self.lanes:
                with self._lock:
                    free = self._free(lane)
                if lane.name in dry or free < lane.batch:
                    continue
                got = [
                    dict(row)
                    for row in self.notifications.claim(
                        now, lease, free, lane.channel, slow=lane.slow
                    )
                ]
                if len(got) < free:
                    dry.add(lane.name)
                if got:
                    # Started at once: a database lost before the next lane's claim must
                    # not leave these leased and idle until their leases run out.
                    with self._lock:
                        self._busy[lane.name] += len(got)
                    self._starters[lane.channel](lane, got)
                    started += len(got)
        except Exception as error:
            if not is_unavailable(error):
                raise
            if not self._waiting_since:
                # Once per outage: every 5 s for its whole length buried the other lines.
                log.warning("notifications wait for the database: %s", type(error).__name__)
                self._waiting_since = time.monotonic()
            dry.update(lane.name for lane in self.lanes)
            return started
        if self._waiting_since:
            log.info(
                "notifications go on: the database answers again after %.0f s",
                time.monotonic() - self._waiting_since,
            )
            self._waiting_since = 0.0
        return started

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
        self._record_or_keep()
        return True

    def _free(self, lane: Lane) -> int:
        return lane.slots - self._busy[lane.name]

    @property
    def _in_flight(self) -> int:
        return sum(self._busy.values())

    def close(self) -> None:
        """Lets what is in flight end, and writes its results if the database takes
        them (else their leases run out and they are tried again)."""
        self._mail_pool.shutdown(wait=True)
        self._operator_pool.shutdown(wait=True)
        self._webhooks.close(self.policy.timeout_s)
        self._record_or_keep()
        self.client.close()
        if self.mailer is not None:
            self.mailer.close()

    # -- starting them, by channel -------------------------------------------------------

    def _start_webhooks(self, lane: Lane, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            self._webhooks.start(self._webhook(lane, delivery))

    async def _webhook(self, lane: Lane, delivery: Delivery) -> None:
        try:
            url, body, headers = self._signed_post(delivery)
            attempt = await apost(self._webhooks.client, url, body, headers, self.policy)
        except Exception as error:  # a bug must not leak the slot or lose the delivery
            attempt = self._internal_error(delivery, error)
        self._finished(lane, delivery, attempt)

    def _signed_post(self, delivery: Delivery) -> tuple[str, bytes, dict[str, str]]:
        now = self.clock.now()
        body = json.dumps(
            payloads.payload(
                self.settings,
                delivery["kind"],
                delivery["event_id"],
                delivery["event"],
                now,
                self.unsubscribe_url(delivery["subscription_id"], delivery["salt"]),
            ),
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        secret = signing.subscription_secret(
            self.operator_key, delivery["subscription_id"], delivery["salt"]
        )
        timestamp = int(now.timestamp())
        return (
            delivery["address"],
            body,
            {
                "Content-Type": "application/json",
                signing.EVENT_HEADER: delivery["event_id"],
                signing.TIMESTAMP_HEADER: str(timestamp),
                signing.SIGNATURE_HEADER: signing.sign(secret, timestamp, body),
            },
        )

    def _start_mails(self, lane: Lane, deliveries: list[Delivery]) -> None:
        size = self.policy.mail_batch
        for start in range(0, len(deliveries), size):
            self._mail_pool.submit(self._mails, lane, deliveries[start : start + size])

    def _mails(self, lane: Lane, deliveries: Sequence[Delivery]) -> None:
        """One after another over this thread's SMTP connection, until the lease runs
        short: those left then are not tried, and are claimed again later."""
        short = time.monotonic() + self.policy.lease_s / 2
        for delivery in deliveries:
            if time.monotonic() > short:
                self._finished(
                    lane, delivery, Attempt(PENDING, "not tried before its lease ran short")
                )
            else:
                self._try(lane, delivery, self._mail)

    def _mail(self, delivery: Delivery) -> Attempt:
        if self.mailer is None:
            return Attempt(PENDING, "no [notifications] smtp_url to send mail with")
        compose = mail.incident_mail if delivery["kind"] == "incident" else mail.component_mail
        message = compose(
            self.settings,
            delivery["address"],
            delivery["event"],
            delivery["event_id"],
            self.unsubscribe_url(delivery["subscription_id"], delivery["salt"]),
        )
        return send_mail(self.mailer, message, self.clock.now())

    def _start_operator(self, lane: Lane, deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            self._operator_pool.submit(self._try, lane, delivery, self._to_operator)

    def _to_operator(self, delivery: Delivery) -> Attempt:
        if self.operator is None:
            return Attempt(PENDING, "operator channels are not set up in this worker")
        return self.operator(delivery, self.clock.now())

    def _try(self, lane: Lane, delivery: Delivery, send: Callable[[Delivery], Attempt]) -> None:
        """One blocking attempt, then its end; a bug must not leak the slot or lose the
        delivery."""
        try:
            attempt = send(delivery)
        except Exception as error:
            attempt = self._internal_error(delivery, error)
        self._finished(lane, delivery, attempt)

    def unsubscribe_url(self, subscription_id: int, salt: str) -> str:
        token = signing.unsubscribe_token(self.operator_key, subscription_id, salt)
        base = self.settings.site.public_url.rstrip("/")
        return f"{base}/unsubscribe/{subscription_id}/{token}"  # web/views/subscriptions.py

    def _internal_error(self, delivery: Delivery, error: Exception) -> Attempt:
        log.exception("delivery %s failed unexpectedly", delivery["id"], exc_info=error)
        return Attempt(PENDING, f"internal error: {type(error).__name__}")

    def _finished(self, lane: Lane, delivery: Delivery, attempt: Attempt) -> None:
        # Written by the loop, many in one transaction: a write per delivery from many
        # senders queued on SQLite's one writer and slowed the whole fan-out.
        with self._idle:
            self._unrecorded.append(_Result(delivery, attempt, self.clock.now()))
            self._busy[lane.name] -= 1
            if attempt.state == SENT:
                self._sent_in.add(lane.name)
            # Wake the loop only when it has something to do: a batch's worth of free
            # slots in this lane, or nothing left in flight.
            if self._free(lane) == lane.batch or self._in_flight == 0:
                self._idle.notify_all()

    # -- results -------------------------------------------------------------------------

    def _record_or_keep(self) -> None:
        try:
            self._record_waiting()
        except Exception as error:
            if not is_unavailable(error):
                raise

    def _record_waiting(self) -> None:
        """Write every result waiting, in one transaction; kept for later if it fails."""
        with self._lock:
            waiting, self._unrecorded = self._unrecorded, []
        if not waiting:
            return
        try:
            disabled = self.notifications.finish_many(
                [self._ending(r) for r in waiting], self.policy.disable_after
            )
        except Exception:
            with self._lock:
                self._unrecorded[:0] = waiting
            raise
        for subscription_id in disabled:
            log.warning(
                "subscription %s disabled after %d permanent failures in a row",
                subscription_id,
                self.policy.disable_after,
            )

    def _ending(self, result: _Result) -> Ending:
        delivery, attempt, at = result.delivery, result.attempt, result.at
        state, next_at = attempt.state, None
        if state == PENDING:
            wait = parse_retry_after(attempt.retry_after, at)
            next_at = at + timedelta(seconds=self.delay(delivery["attempts"], wait))
            if next_at - delivery["created_at"] > self.policy.give_up_after:
                state, next_at = GAVE_UP, None
        return Ending(
            delivery["id"],
            delivery["subscription_id"],
            state,
            at,
            next_at,
            attempt.error,
            answered=attempt.answered,
            permanent_failure=state == FAILED,
            slow_until=at + self.policy.slow_for if attempt.slow else None,
        )

    def delay(self, attempts: int, retry_after_s: float | None) -> float:
        """Seconds until the next try after `attempts` earlier ones (this one excluded):
        the back-off, or the receiver's Retry-After if longer, up to `max_retry_s`. A
        week's Retry-After (or a date from a server whose clock is a year ahead) would
        put the next try past `give_up_after` and lose the delivery; a Retry-After of 0
        or a date gone by still waits the back-off, never a tight loop."""
        ceiling = min(self.policy.max_retry_s, self.policy.first_retry_s * 2**attempts)
        jittered = ceiling / 2 + self.rng.uniform(0, ceiling / 2)
        asked = min(retry_after_s or 0.0, self.policy.max_retry_s)
        return max(jittered, asked)
