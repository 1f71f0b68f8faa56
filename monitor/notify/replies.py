"""What an operator channel's server answered, where Apprise says only "sent" or "not".

Apprise's plugins (Slack, Discord, ntfy, ... some 190 of them) each call `requests`
themselves and hand back a bool, so a 429's `Retry-After` never reaches us through
Apprise. The one place every one of their answers passes is `requests.Session.send`:
`listening()` wraps it, once per process, to note the status and `Retry-After` of the
answers the calling thread gets inside the block. Any other use of `requests` (another
thread, or outside a block) goes through untouched.

    with listening() as heard:
        sent = service.notify(...)
    retry_after(heard)   # the header of the last refusal a webhook would wait on
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import requests

from monitor.notify.sending import answer

_MARK = "_aistatus_listens"  # on the wrapper: `send` is wrapped once, however often asked
_wrapping = threading.Lock()


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    retry_after: str | None


# Per thread (each has its own context): the senders run side by side.
_heard: ContextVar[list[Reply] | None] = ContextVar("aistatus_channel_replies", default=None)


@contextmanager
def listening() -> Iterator[list[Reply]]:
    """The answers this thread's `requests` calls get within the block, in order."""
    _wrap_send()
    heard: list[Reply] = []
    token = _heard.set(heard)
    try:
        yield heard
    finally:
        _heard.reset(token)


def retry_after(heard: list[Reply]) -> str | None:
    """The Retry-After of the last refusal that carried one, read as a webhook's answer
    is (sending.answer): only an answer worth trying again later has one that counts."""
    for reply in reversed(heard):
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
            response = send(self, request, **kwargs)
            heard = _heard.get()
            if heard is not None:
                heard.append(Reply(response.status_code, response.headers.get("Retry-After")))
            return response

        setattr(noted, _MARK, True)
        requests.Session.send = noted  # type: ignore[method-assign]
