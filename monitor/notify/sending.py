"""One attempt at one receiver, and what it came to: a webhook POST or an SMTP hand-over.

A POST has a short connect timeout and one deadline for the whole exchange (the
async one, which the deliverer uses, enforces it even against a receiver that
trickles its answer a byte at a time); its answer's body is read up to a cap:

    2xx                          sent
    408, 425, 429, 3xx, 5xx,     again later (the deliverer decides when, never sooner
    network, timeout             than the receiver's Retry-After, up to max_retry_s)
    other 4xx (410 Gone, ...)    failed for good: counts toward disabling the subscription

A timeout also says the receiver is slow: the deliverer moves it to its slow lane.
Only a 5xx refusal of a recipient is a mail subscriber's own problem; anything else
an SMTP server says (down, our login refused) is ours, and tried again.
"""

from __future__ import annotations

import asyncio
import email.utils
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from monitor.notify import mail
from monitor.notify.targets import Pinned, pin
from monitor.store.rows.outbox import FAILED, PENDING, SENT

_RETRYABLE = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    timeout_s: float = 10.0  # the whole exchange with one receiver
    connect_timeout_s: float = 3.0  # a receiver that does not accept is not waited for
    concurrency: int = 200  # webhooks in flight to receivers that answer
    slow_concurrency: int = 8  # ... to receivers that timed out recently
    slow_for: timedelta = timedelta(hours=1)  # in the slow lane since its last timeout
    mail_connections: int = 2  # SMTP connections, each sending one mail after another
    mail_batch: int = 50  # mails one connection is handed at a time
    lease_s: float = 300.0  # longer than any attempt, or a slow one is sent twice
    first_retry_s: float = 30.0
    max_retry_s: float = 3600.0
    give_up_after: timedelta = timedelta(hours=24)
    disable_after: int = 3
    max_response_bytes: int = 64 * 1024
    allow_private_targets: bool = False

    def http_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout_s, connect=min(self.connect_timeout_s, self.timeout_s))


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one try came to: the delivery's next state, and when to try again."""

    state: str
    error: str | None = None
    retry_after: str | None = None  # the receiver's header, read against our clock
    permanent: bool = False
    answered: bool = False  # the receiver answered, whatever it said
    slow: bool = False  # it did not answer in time


def post(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str], policy: DeliveryPolicy
) -> Attempt:
    """One POST, its answer read up to a cap (a blocking client: verification POSTs)."""
    target = pin(url, allow_private=policy.allow_private_targets)
    if isinstance(target, str):
        return _refused(target)
    deadline = time.monotonic() + policy.timeout_s
    try:
        with client.stream(**_request(target, body, headers)) as response:
            read = _Read(policy)
            for chunk in response.iter_raw():
                # Blocking, it has no timer of its own: the deadline is checked by hand.
                if read.enough(chunk) or time.monotonic() > deadline:
                    break
            return _answered(response)
    except httpx.HTTPError as error:
        return _unanswered(error)


async def apost(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    policy: DeliveryPolicy,
) -> Attempt:
    """One POST within `policy.timeout_s` overall, its answer read up to a cap."""
    target = (
        pin(url, allow_private=True)
        if policy.allow_private_targets
        # Resolving the host blocks: not on the loop every other POST shares.
        else await asyncio.to_thread(pin, url, allow_private=False)
    )
    if isinstance(target, str):
        return _refused(target)
    try:
        async with asyncio.timeout(policy.timeout_s):
            async with client.stream(**_request(target, body, headers)) as response:
                read = _Read(policy)
                async for chunk in response.aiter_raw():
                    if read.enough(chunk):
                        break
                return _answered(response)
    except (TimeoutError, httpx.HTTPError) as error:
        return _unanswered(error)


# What `post` and `apost` share: the request, how much of the answer is read, and what
# the exchange came to.


def _refused(why: str) -> Attempt:
    """A URL that may not receive webhooks (`targets.pin`): failed for good."""
    return Attempt(FAILED, why, permanent=True)


def _request(target: Pinned, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """The arguments of `client.stream` for one POST to a pinned target."""
    return {
        "method": "POST",
        "url": target.url,
        "content": body,
        "headers": {**headers, **target.headers},
        "extensions": target.extensions,
    }


class _Read:
    """Counts an answer's body as it arrives: a receiver's answer is read up to a cap."""

    def __init__(self, policy: DeliveryPolicy) -> None:
        self.cap = policy.max_response_bytes
        self.bytes = 0

    def enough(self, chunk: bytes) -> bool:
        self.bytes += len(chunk)
        return self.bytes >= self.cap


def _answered(response: httpx.Response) -> Attempt:
    return answer(response.status_code, response.headers.get("Retry-After"))


def _unanswered(error: Exception) -> Attempt:
    """No answer: a timeout (the receiver is slow), or the network failed."""
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return Attempt(PENDING, "timed out", slow=True)
    return Attempt(PENDING, f"network: {type(error).__name__}")


def answer(code: int, retry_after: str | None) -> Attempt:
    if 200 <= code < 300:
        return Attempt(SENT, answered=True)
    if code in _RETRYABLE or code >= 500 or 300 <= code < 400:
        return Attempt(PENDING, f"HTTP {code}", retry_after=retry_after, answered=True)
    return Attempt(FAILED, f"HTTP {code}", permanent=True, answered=True)


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
