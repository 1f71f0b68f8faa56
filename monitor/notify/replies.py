"""What an operator channel's server answered, where Apprise says only "sent" or "not".

Apprise's plugins (Slack, Discord, ntfy, ... some 190 of them) each call `requests`
themselves and hand back a bool, so neither a 429's `Retry-After` nor the status of a
refusal reaches us through Apprise. The one place every one of their answers passes is
`requests.Session.send`: `listening()` wraps it, once per process, to note the status
and `Retry-After` of the answers the calling thread gets inside the block, or that
none came. Any other use of `requests` (another thread, or outside a block) goes
through untouched.

    with listening() as heard:
        sent = service.notify(...)
    outcome(heard)       # "HTTP 403 Forbidden", "timed out": what the last request got
    retry_after(heard)   # the header of the last refusal a webhook would wait on

Some plugins also sleep inside a try for as long as their server asks (Discord until
`X-RateLimit-Reset` plus 10 s, Matrix for `retry_after_ms`, Mastodon, Bluesky, ...)
and then ask again: `no_long_waits` turns such a wait into `AskedToWait`, so the
deliverer schedules the next try instead of a sending slot sleeping.
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import requests

from monitor.notify.sending import answer

_MARK = "_aistatus_listens"  # on the wrapper: `send` is wrapped once, however often asked
_wrapping = threading.Lock()


@dataclass(frozen=True, slots=True)
class Reply:
    status: int | None  # None: no answer came
    retry_after: str | None
    # Without an answer, why: our words and the exception's class, never its message
    # (requests puts the URL, with a channel's secrets, in it).
    failure: str | None = None

    def said(self) -> str:
        if self.status is None:
            return self.failure or "no answer"
        # The standard phrase, not the server's own: nothing the server chose (an echo
        # of the URL's path, say) reaches the delivery's error.
        try:
            return f"HTTP {self.status} {HTTPStatus(self.status).phrase}"
        except ValueError:
            return f"HTTP {self.status}"


@dataclass(frozen=True, slots=True)
class _Ear:
    heard: list[Reply]
    within_s: float | None


# Per thread (each has its own context): the senders run side by side.
_ear: ContextVar[_Ear | None] = ContextVar("aistatus_channel_replies", default=None)


@contextmanager
def listening(within_s: float | None = None) -> Iterator[list[Reply]]:
    """The answers this thread's `requests` calls get within the block, in order. With
    `within_s`, an answer not whole that long after its request went out is cut off and
    heard as "timed out": requests' timeouts are per read, so a server trickling a byte
    at a time held a sending slot for as long as it liked."""
    _wrap_send()
    heard: list[Reply] = []
    token = _ear.set(_Ear(heard, within_s))
    try:
        yield heard
    finally:
        _ear.reset(token)


def outcome(heard: list[Reply]) -> str:
    """What the last request of a try that was not sent got: the plugin's last request
    is the one that failed it. An answer in 2xx means the plugin judged its body."""
    if not heard:
        return "not accepted"  # no HTTP at all (mail, a plugin's own check)
    said = heard[-1].said()
    last = heard[-1].status
    return f"not accepted ({said})" if last is not None and 200 <= last < 300 else said


class AskedToWait(Exception):
    """A plugin was about to sleep past the try's deadline, as its server asked."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"asked to wait {seconds:.0f} s")
        self.seconds = seconds

    def retry_after(self) -> str:
        """As a Retry-After header says it, for the deliverer to wait on."""
        return str(max(1, math.ceil(self.seconds)))


def no_long_waits(plugin: Any, budget_s: float) -> None:
    """From now on `plugin` raises AskedToWait where it would sleep past `budget_s` from
    now for its server (Apprise's `throttle(wait=...)`, which every such plugin calls).
    Left alone, a Discord 429 held a sending slot (one of four) for the reset time plus
    10 s, and `aistatus worker` could not stop until it was over. A shorter wait, and
    Apprise's own pacing between a URL's targets (at most 5.5 s each), still sleep."""
    throttle = getattr(plugin, "throttle", None)
    if throttle is None:  # not an Apprise URLBase: nothing of it sleeps through here
        return
    deadline = time.monotonic() + budget_s

    def bounded(last_io: Any = None, wait: float | None = None) -> None:
        if wait and time.monotonic() + wait > deadline:
            raise AskedToWait(wait)
        throttle(last_io=last_io, wait=wait)

    plugin.throttle = bounded


def retry_after(heard: list[Reply]) -> str | None:
    """The Retry-After of the last refusal that carried one, read as a webhook's answer
    is (sending.answer): only an answer worth trying again later has one that counts."""
    for reply in reversed(heard):
        if reply.status is None:
            continue
        wait = answer(reply.status, reply.retry_after).retry_after
        if wait is not None:
            return wait
    return None


def _wrap_send() -> None:
    with _wrapping:
        send = requests.Session.send
        if getattr(send, _MARK, False):
            return

        @functools.wraps(send)
        def noted(self: requests.Session, request: Any, **kwargs: Any) -> requests.Response:
            ear = _ear.get()
            if ear is None:
                return send(self, request, **kwargs)
            try:
                response = _whole_within(send, self, request, ear.within_s, kwargs)
            except requests.Timeout:
                ear.heard.append(Reply(None, None, "timed out"))
                raise
            except requests.RequestException as error:
                ear.heard.append(Reply(None, None, f"network: {type(error).__name__}"))
                raise
            ear.heard.append(Reply(response.status_code, response.headers.get("Retry-After")))
            return response

        setattr(noted, _MARK, True)
        requests.Session.send = noted  # type: ignore[method-assign]


def _whole_within(
    send: Any, session: requests.Session, request: Any, within_s: float | None, kwargs: Any
) -> requests.Response:
    """`send`, its answer read whole within `within_s` of sending, as requests reads it
    (`stream=False`): past that the socket is shut, which ends a read blocked on it."""
    if within_s is None or kwargs.get("stream"):
        return send(session, request, **kwargs)  # a plugin that streams reads as it likes
    deadline = time.monotonic() + within_s
    response = send(session, request, **{**kwargs, "stream": True})
    raw = response.raw
    if not hasattr(raw, "shutdown"):  # urllib3 before 2.3: no way to end a blocked read
        response.content  # noqa: B018 -- reads it, as stream=False would have
        return response
    late = threading.Event()

    def cut_off() -> None:
        late.set()
        with contextlib.suppress(Exception):  # read and released meanwhile
            raw.shutdown()

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), cut_off)
    timer.daemon = True
    timer.start()
    try:
        response.content  # noqa: B018
    except requests.RequestException:
        if not late.is_set():
            raise
    finally:
        timer.cancel()
    if late.is_set():
        response.close()
        raise requests.ReadTimeout(f"no whole answer within {within_s:g} s")
    return response
