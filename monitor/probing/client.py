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
import contextlib
import errno
import functools
import ipaddress
import itertools
import json
import platform
import socket
import ssl
import struct
import sys
import time
from asyncio.staggered import staggered_race
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


# The `error_type` of an Outcome.RESET result (`describe_failure`).
CONNECTION_REFUSED = "connection_refused"
CONNECTION_RESET = "connection_reset"


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

    def on_data(self, age_s: float) -> None:
        """Bytes were read that reached this machine `age_s` seconds ago (by the kernel's
        receive timestamp): what follows up to the next `on_data` arrived then."""
        ...

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
        self.gateway_retried: set[str] = set()  # models whose gateway retried, warned of
        _keep_stamps_on()

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
            exchange = _Exchange(handler, loop.create_future(), request)
            sock: _StampedSocket | None = None
            try:
                sock = exchange.sock = await _connect(loop, where)
                transport, _ = await loop.create_connection(
                    lambda: exchange,
                    sock=sock,
                    ssl=_tls_context() if where.tls else None,
                    server_hostname=where.host if where.tls else None,
                )
            except BaseException as error:
                if sock is not None:
                    sock.close()  # cancelled or failed before a transport took it on
                if isinstance(error, OSError):  # DNS, refused, unreachable, certificate...
                    raise ConnectError(str(error) or type(error).__name__) from error
                raise
            try:
                await exchange.done
            finally:
                transport.close()


class _Exchange(asyncio.Protocol):
    """One response read off the wire and handed to the probe as it arrives."""

    def __init__(
        self, handler: ResponseHandler, done: asyncio.Future[None], request: bytes
    ) -> None:
        self.handler = handler
        self.request = request
        self.done = done
        self.parser = httptools.HttpResponseParser(self)
        self.headers: dict[str, str] = {}
        self.head_seen = False
        self.informational = False
        self.framed = False  # a length or chunked body: its end is known, not the close
        self.sock: _StampedSocket | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.handler.on_connected()
        # At once, not after create_connection's caller has had its turn on the loop:
        # every turn between is time the provider is charged for.
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        sock = self.sock
        if sock is not None and sock.stamp:
            self.handler.on_data(max(0.0, time.time() - sock.stamp))
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


# -- connecting, and when the bytes came ---------------------------------------------------
#
# A probe's times must be the provider's and the network's, not how soon this process got
# a core after the bytes came in: on a machine whose cores other work keeps busy that wait
# was 30-130 ms at the 99th percentile (bench/service_latency.py). So every read of a
# probe's socket also takes the kernel's receive timestamp of the last bytes it read
# (SO_TIMESTAMPNS, Linux), and the probe times the answer by it. The socket is therefore
# made here, as asyncio would make it (resolve, race the addresses, connect), and handed
# to asyncio, TLS and all, already connected.

_SO_TIMESTAMPNS = 35  # Linux's generic value (Python's socket module does not name it)
_STAMPS = sys.platform == "linux" and platform.machine().lower() in {
    "x86_64", "amd64", "aarch64", "arm64", "armv7l", "armv8l", "i686", "i386",
    "riscv64", "ppc64le", "ppc64", "s390x", "loongarch64",
}  # fmt: skip
_CMSG_SPACE = socket.CMSG_SPACE(16) if _STAMPS else 0  # one struct timespec


@functools.cache
def _keep_stamps_on() -> socket.socket | None:
    """One socket, for the life of the process, that asks for receive timestamps. Linux
    stamps arriving packets only while some socket asks, and turns that on lazily (in
    deferred work) when the first one does: between rounds of probes no socket is open, so
    the first bytes of the next round came unstamped, timed by when this process read
    them (1 in 3 runs of a test that holds the loop after the answer came)."""
    if not _STAMPS:
        return None
    try:
        keeper = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except OSError:
        return None
    try:
        keeper.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
    except OSError:
        keeper.close()
        return None
    return keeper


class _StampedSocket(socket.socket):
    """A socket whose reads note when the kernel received the last bytes they returned
    (`stamp`, seconds on the wall clock; 0 when unknown)."""

    __slots__ = ("stamp",)

    def __init__(self, family: int, type: int, proto: int) -> None:
        super().__init__(family, type, proto)
        self.stamp = 0.0
        if _STAMPS:
            with contextlib.suppress(OSError):  # then no stamps: the probe reads its clock
                self.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)

    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        if not _CMSG_SPACE:
            return super().recv(bufsize, flags)
        data, ancillary, _, _ = self.recvmsg(bufsize, _CMSG_SPACE, flags)
        self._note(ancillary)
        return data

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0, /) -> int:
        if not _CMSG_SPACE:
            return super().recv_into(buffer, nbytes, flags)
        view = memoryview(buffer).cast("B")
        size, ancillary, _, _ = self.recvmsg_into(
            [view[:nbytes] if nbytes else view], _CMSG_SPACE, flags
        )
        self._note(ancillary)
        return size

    def _note(self, ancillary: list[tuple[int, int, bytes]]) -> None:
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(data) >= 16:
                seconds, nanoseconds = struct.unpack_from("qq", data)
                self.stamp = seconds + nanoseconds / 1e9


async def _connect(loop: asyncio.AbstractEventLoop, where: Endpoint) -> _StampedSocket:
    """A connected socket to `where`: its addresses raced as asyncio (and browsers) race
    them, RFC 8305's 250 ms apart, families interleaved; an IP literal has one address."""
    if where.literal:
        infos = socket.getaddrinfo(
            where.host, where.port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )[:1]
    else:
        infos = _interleave(await loop.getaddrinfo(where.host, where.port, type=socket.SOCK_STREAM))
    if not infos:
        raise OSError("getaddrinfo() returned empty list")
    made: list[_StampedSocket] = []
    errors: list[OSError] = []

    async def attempt(info: tuple[Any, ...]) -> _StampedSocket:
        family, kind, proto, _, address = info
        sock = _StampedSocket(family, kind, proto)
        made.append(sock)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, address)
        except OSError as error:
            errors.append(error)
            raise
        return sock

    winner: _StampedSocket | None = None
    try:
        if len(infos) == 1:
            winner = await attempt(infos[0])
        else:
            winner, _, _ = await staggered_race(
                [functools.partial(attempt, info) for info in infos], HAPPY_EYEBALLS_DELAY_S
            )
    finally:
        for sock in made:
            if sock is not winner:
                sock.close()  # lost the race, failed, or we were cancelled
    if winner is None:
        if len({str(error) for error in errors}) == 1:
            raise errors[0]
        # Every address failing alike keeps its errno: "localhost" refused on both ::1 and
        # 127.0.0.1 is still a refusal (`describe_failure`).
        codes = {error.errno for error in errors}
        code = codes.pop() if len(codes) == 1 else None
        message = "Multiple exceptions: " + ", ".join(str(error) for error in errors)
        raise OSError(code, message) if code else OSError(message)
    return winner


def _interleave(infos: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Addresses alternating by family, the resolver's first family first."""
    families: dict[int, list[tuple[Any, ...]]] = {}
    for info in infos:
        families.setdefault(info[0], []).append(info)
    queues = list(families.values())
    return [info for row in itertools.zip_longest(*queues) for info in row if info is not None]


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


def describe_failure(error: WireError) -> tuple[Outcome, TimeoutKind | None, str | None]:
    """The wire outcome of a failed exchange: whose network, which timeout if any, and for
    a reset, its kind as the result's `error_type`: "connection_refused" when nothing
    listened (ECONNREFUSED), "connection_reset" otherwise. Both stay Outcome.RESET (stored
    data and scenarios rest on it); only the words people read tell them apart."""
    if isinstance(error, ConnectError):
        cause = error.__cause__
        if isinstance(cause, socket.gaierror):
            return Outcome.DNS, None, None
        if isinstance(cause, ssl.SSLCertVerificationError):
            return Outcome.TLS, None, None
        if isinstance(cause, TimeoutError):
            return Outcome.TIMEOUT, TimeoutKind.CONNECT, None
        if isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED:
            return Outcome.RESET, None, CONNECTION_REFUSED
    return Outcome.RESET, None, CONNECTION_RESET
