"""The HTTP/1.1 exchange every probe makes, and what its failures mean.

Why not the providers' SDKs, and why one request per probe: see
monitor/probing/probe.py. Why not httpx any more: a probe is one POST whose
streamed answer is read once, and httpx's layers around it (client, transport,
connection pool, anyio streams, h11) cost ~2 ms of CPU per probe, most of our
whole budget and more than Prometheus's blackbox_exporter spends on the same
request (`bench/probe_capacity.py`). Here a probe is an asyncio `Protocol` on a
connection of its own: the request goes out in one write, and the response is
parsed by httptools (llhttp, the C parser Node.js and uvicorn use) straight into
the probe's callbacks, with no task, queue or buffer copy in between.

What a probe is, as before: HTTP/1.1 (one model's slow stream never queues
behind another's on a shared HTTP/2 connection); a fresh connection per probe,
closed after it (`connection: close`), so every probe measures connect time and
re-checks DNS and TLS from this vantage point as a user's first request does (the
exporter does the same); no retries, no redirects followed, no proxy, netrc or
certificate settings from the environment, no cookies kept between probes, no
`accept-encoding` (an answer stream is never worth compressing, and what we
receive is what we read).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import json
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import certifi
import httptools

from monitor.config import ProbeSettings
from monitor.results import Outcome, TimeoutKind

USER_AGENT = "aistatus-probe/0.1"
HAPPY_EYEBALLS_DELAY_S = 0.25  # RFC 8305's recommended wait before trying the next address


class WireError(Exception):
    """The exchange failed on the wire (or before it); `describe_failure` says how."""


class ConnectError(WireError):
    pass


class ReadError(WireError):
    pass


class RemoteProtocolError(WireError):
    pass


class LocalProtocolError(WireError):
    pass


class ResponseHandler(Protocol):
    """What a probe is told as its exchange goes."""

    def on_connected(self) -> None: ...

    def on_head(self, status: int, headers: Mapping[str, str]) -> None: ...

    def on_body(self, chunk: bytes) -> bool:
        """A piece of the body; True when the probe has read enough and the exchange ends."""
        ...


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    tls: bool
    target: str  # path and query, as the request line carries it
    authority: str  # the host header
    literal: bool  # an IP address: one address, nothing to race


@functools.lru_cache(maxsize=4096)
def endpoint(url: str) -> Endpoint:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LocalProtocolError(f"not an http(s) URL: {url}")
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    authority = parts.netloc.rpartition("@")[2]
    try:
        ipaddress.ip_address(parts.hostname)
        literal = True
    except ValueError:
        literal = False
    return Endpoint(parts.hostname, port, tls, target, authority, literal)


def encode_request(
    method: str, url: str, headers: Mapping[str, str], body: Any
) -> tuple[Endpoint, bytes]:
    """The request's endpoint and its bytes: head and JSON body, sent in one write."""
    where = endpoint(url)
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    fields = {"host": where.authority, "user-agent": USER_AGENT, "connection": "close"}
    fields.update((name.lower(), value) for name, value in headers.items())
    fields["content-length"] = str(len(content))
    lines = [f"{method} {where.target} HTTP/1.1"]
    for name, value in fields.items():
        if "\n" in value or "\r" in value or "\n" in name or "\r" in name:
            # A line break in a configured header or key would smuggle in a header of its own.
            raise LocalProtocolError(f"the request header {name!r} holds a line break")
        lines.append(f"{name}: {value}")
    head = "\r\n".join(lines)
    return where, head.encode() + b"\r\n\r\n" + content


class ProbeClient:
    """What the probes of one prober share: the TLS context and a bound on connections."""

    def __init__(self, settings: ProbeSettings, max_connections: int) -> None:
        self.settings = settings
        self._connections = asyncio.Semaphore(max_connections)

    async def __aenter__(self) -> ProbeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Nothing is pooled: each exchange closed its own connection."""

    async def exchange(self, where: Endpoint, request: bytes, handler: ResponseHandler) -> None:
        """Send `request` on a new connection and feed the response to `handler` until it
        ends, the handler has read enough, or the caller's deadline cancels us."""
        loop = asyncio.get_running_loop()
        async with self._connections:
            exchange = _Exchange(handler, loop.create_future())
            try:
                transport, _ = await loop.create_connection(
                    lambda: exchange,
                    where.host,
                    where.port,
                    ssl=_tls_context() if where.tls else None,
                    server_hostname=where.host if where.tls else None,
                    # A name may resolve to IPv6 and IPv4 addresses, one of them dead: race
                    # them as anyio (httpx) and browsers do. An IP literal has one address.
                    happy_eyeballs_delay=None if where.literal else HAPPY_EYEBALLS_DELAY_S,
                )
            except OSError as error:  # DNS, refused, unreachable, certificate...
                raise ConnectError(str(error) or type(error).__name__) from error
            try:
                transport.write(request)
                await exchange.done
            finally:
                transport.close()


class _Exchange(asyncio.Protocol):
    """One response read off the wire and handed to the probe as it arrives."""

    def __init__(self, handler: ResponseHandler, done: asyncio.Future[None]) -> None:
        self.handler = handler
        self.done = done
        self.parser = httptools.HttpResponseParser(self)
        self.headers: dict[str, str] = {}
        self.head_seen = False
        self.informational = False
        self.framed = False  # a length or chunked body: its end is known, not the close

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.handler.on_connected()

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._end(RemoteProtocolError(f"malformed HTTP response: {error}"))
        except Exception as error:  # raised by the probe's own callback
            self._end(error)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done.done():
            return
        if exc is not None:
            self._end(ReadError(str(exc) or type(exc).__name__))
        elif not self.head_seen:
            self._end(RemoteProtocolError("server disconnected without sending a response"))
        elif self.framed:
            self._end(
                RemoteProtocolError("peer closed connection without sending complete message body")
            )
        else:
            self._end(None)  # a body that ends with the connection

    def _end(self, error: BaseException | None) -> None:
        if not self.done.done():
            if error is None:
                self.done.set_result(None)
            else:
                self.done.set_exception(error)

    # -- httptools callbacks ---------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        known = self.headers.get(key)
        self.headers[key] = text if known is None else f"{known}, {text}"
        if key in ("content-length", "transfer-encoding"):
            self.framed = True

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:  # 100 Continue and friends: the real answer follows
            self.informational, self.headers, self.framed = True, {}, False
            return
        self.head_seen = True
        self.handler.on_head(status, self.headers)

    def on_body(self, body: bytes) -> None:
        if not self.done.done() and self.handler.on_body(body):
            self._end(None)

    def on_message_complete(self) -> None:
        if self.informational:
            self.informational = False
            return
        self._end(None)


def make_client(settings: ProbeSettings, *, max_connections: int | None = None) -> ProbeClient:
    """What a prober's probes share. `max_connections` defaults to `concurrency`; the
    prober allows one more per model, for probes that outlived their slot
    (monitor/probing/slots.py): a hung probe must not keep a healthy one from connecting."""
    return ProbeClient(settings, max_connections or settings.concurrency)


async def warm_up() -> None:
    """Load what the first connection would load, before any probe is timed: the CA
    bundle (~80 ms of CPU that the first https probe would report as connect time)."""
    _tls_context()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~80 ms of CPU; every probe in a process can share it.
    return ssl.create_default_context(cafile=certifi.where())


def describe_failure(error: WireError) -> tuple[Outcome, TimeoutKind | None]:
    """The wire outcome of a failed exchange: whose network, and which timeout if any."""
    if isinstance(error, ConnectError):
        cause = error.__cause__
        if isinstance(cause, socket.gaierror):
            return Outcome.DNS, None
        if isinstance(cause, ssl.SSLCertVerificationError):
            return Outcome.TLS, None
        if isinstance(cause, TimeoutError):
            return Outcome.TIMEOUT, TimeoutKind.CONNECT
    return Outcome.RESET, None
