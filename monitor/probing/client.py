"""The HTTP client every probe of a prober shares, and what its exceptions mean.

Why httpx and not the providers' SDKs, and why one `send` per probe: see
monitor/probing/probe.py. Here: the client's settings (HTTP/1.1, no keep-alive, no
retries, no redirects, nothing from the environment), its warm-up, and how an
httpx exception reads as a wire outcome (whose network, which timeout).
"""

from __future__ import annotations

import functools
import logging
import socket
import ssl

import anyio
import certifi
import httpx

from monitor.config import ProbeSettings
from monitor.results import Outcome, TimeoutKind

USER_AGENT = "aistatus-probe/0.1"


def make_client(
    settings: ProbeSettings, *, max_connections: int | None = None
) -> httpx.AsyncClient:
    """The one HTTP client a prober shares across probes: HTTP/1.1, no retries, no redirects.

    HTTP/1.1 so one model's slow stream never queues behind another's on a
    shared HTTP/2 connection. No keep-alive: every probe opens its own
    connection, as a user's first request does, so each one measures connect
    time and re-checks DNS and TLS from this vantage point; it also keeps
    httpcore's pool scans proportional to the probes in flight (at most
    `concurrency`), where a pool of idle connections cost several times our
    per-probe CPU budget. `trust_env=False`: no proxy, netrc or certificate
    settings are picked up from the environment behind our back.

    `max_connections` defaults to `concurrency`; the prober allows one more per model,
    for probes that outlived their slot (monitor/probing/slots.py): a hung probe must
    not take a healthy one's connection either, or that one fails with a pool timeout.
    """
    # httpcore's DEBUG trace writes response headers verbatim: a proxy that echoes our
    # key back would put it in the log the day an operator turns DEBUG on.
    logging.getLogger("httpcore").setLevel(max(logging.INFO, logging.getLogger().level))
    connections = max_connections or settings.concurrency
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=0)
    transport = httpx.AsyncHTTPTransport(
        verify=_tls_context(),
        http1=True,
        http2=False,
        limits=limits,
        retries=0,
        trust_env=False,
    )
    return httpx.AsyncClient(
        transport=transport,
        follow_redirects=False,
        timeout=httpx_timeout(settings),
        trust_env=False,
        headers={"user-agent": USER_AGENT},
    )


async def warm_up() -> None:
    """Load what the first connection would load, before any probe is timed.

    httpcore picks its network backend on the first connect, and anyio imports its
    asyncio backend then: ~15 ms that the first probe after start-up would report as
    connect time. A zero sleep through anyio does that import now."""
    await anyio.sleep(0)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~80 ms of CPU; every client in a process can share it.
    return ssl.create_default_context(cafile=certifi.where())


def describe_failure(error: httpx.HTTPError) -> tuple[Outcome, TimeoutKind | None]:
    """The wire outcome of an httpx exception: whose network, and which timeout if any."""
    if isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout):
        return Outcome.TIMEOUT, TimeoutKind.CONNECT
    if isinstance(error, httpx.TimeoutException):
        return Outcome.TIMEOUT, TimeoutKind.TOTAL
    if isinstance(error, httpx.ConnectError):
        causes = list(_causes(error))
        if any(isinstance(cause, socket.gaierror) for cause in causes):
            return Outcome.DNS, None
        if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes):
            return Outcome.TLS, None
    if isinstance(error, httpx.DecodingError):
        return Outcome.PROTOCOL, None
    return Outcome.RESET, None


def _causes(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen and len(seen) < 16:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def httpx_timeout(settings: ProbeSettings) -> httpx.Timeout:
    # Reads and writes are timed by the probe's own deadlines, which know which one tripped.
    return httpx.Timeout(
        connect=settings.connect_timeout, read=None, write=None, pool=settings.connect_timeout
    )
