"""The simulated provider: an HTTP/1.1 server on loopback that speaks the real wire
protocols and misbehaves exactly as a scenario says.

It runs its own asyncio loop in a thread, so the monitor, the demo and tests
can share a process with it. The scenario's virtual time is
`scenario.start + (clock.monotonic() - t0) * speed`, where t0 is the moment the
server started: an injected `FakeClock` positions tests in a scenario without
sleeping. The latencies themselves (time to first token, the pace of a
stream) are real: they are what a probe measures. Every moment of a reply is
a deadline from the request's arrival on the loop's monotonic clock, so waits
never add up drift.

Faults over the wire:

- `timeout`: reads the request, sends nothing, holds the connection until the
  client leaves.
- `stall`: sends headers, the opening events and the first text, then silence
  until the client leaves (a request without streaming gets `timeout`).
- `reset`: closes the socket with SO_LINGER 0 before any response: a real RST.
- `endless_line`: HTTP 200 and `data: ` followed by one line that never ends (a
  broken proxy), written as fast as the client reads, until it leaves or
  `ENDLESS_CAP_BYTES` have gone out.
- `dns`, `tls`: close the connection; see below.
- every other kind is rendered by the protocol's wire module.

`dns` and `tls` faults happen on the prober's side of the network (its
resolver, its certificate check), which no server can cause. The simulated
provider answers such requests by closing the connection, and says once at
start-up that only replay reproduces them faithfully.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import sys
import threading
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType

from monitor.clock import Clock, SystemClock
from monitor.scenarios.simulator import http1, wire_openai
from monitor.scenarios.simulator.behaviour import Plan, UnknownModel, plan_request, request_rng
from monitor.scenarios.simulator.routes import ROUTE_NOT_FOUND, Endpoint, route
from monitor.scenarios.simulator.wire import Call, Reply, tokens_in
from monitor.scenarios.spec import FaultKind, Scenario, load_scenario

log = logging.getLogger(__name__)

HOLD_CAP_S = 600.0  # a held connection is dropped after this long even if the client stays
ENDLESS_CAP_BYTES = 1 << 30  # an endless line ends here even if the client keeps reading
_ENDLESS_PIECE = b"x" * 65536
_PROMPT_OVERHEAD_TOKENS = 8  # role markers and formatting the real APIs count as input
_CLOSE_KINDS = frozenset({FaultKind.DNS, FaultKind.TLS})
_WIRE_FAULTS = frozenset({FaultKind.RESET, FaultKind.TIMEOUT, FaultKind.ENDLESS_LINE})


class _Simulator:
    """Answers requests for one scenario; one instance per server."""

    def __init__(self, scenario: Scenario, clock: Clock, speed: float) -> None:
        self.scenario = scenario
        self.clock = clock
        self.speed = speed
        self.t0 = clock.monotonic()
        self.connections: set[asyncio.Task[None]] = set()

    def virtual_now(self) -> datetime:
        elapsed = (self.clock.monotonic() - self.t0) * self.speed
        return self.scenario.start + timedelta(seconds=elapsed)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away; nothing to answer
        except asyncio.CancelledError:
            pass  # the server is stopping
        except Exception:
            log.exception("simulated provider: unexpected error; closing the connection")
        finally:
            self.connections.discard(task)
            writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; True if the connection stays open for another."""
        try:
            request = await http1.read_request(reader, writer)
        except http1.BadRequest as error:
            await _send_plain(writer, error.status, str(error), self.virtual_now())
            return False
        if request is None:
            return False
        arrived = asyncio.get_running_loop().time()
        at = self.virtual_now()
        endpoint = route(request.path, request.query, self.scenario.regions[0])
        if endpoint is None:
            await _send_plain(writer, 404, f"no simulated provider at {request.path}", at)
            return request.keep_alive
        reply = self._reply(endpoint, request, at)
        if isinstance(reply, FaultKind):
            await _misbehave(reply, reader, writer, at)
            return False
        await _send(writer, reply, arrived, at, request.keep_alive)
        if reply.hold:
            await _hold(reader)
            return False
        return request.keep_alive

    def _reply(self, endpoint: Endpoint, request: http1.Request, at: datetime) -> Reply | FaultKind:
        """The reply to send, or the fault kind whose misbehaviour replaces any reply."""
        parsed = _read_call(endpoint, request, at)
        if isinstance(parsed, Reply):
            return parsed
        call, prompt = parsed
        try:
            plan = self._plan(endpoint, call.model, at, prompt)
        except UnknownModel:
            return endpoint.wire.unknown_model(call)
        if plan.kind in _CLOSE_KINDS or plan.kind in _WIRE_FAULTS:
            return plan.kind
        if plan.kind is FaultKind.STALL and not call.stream:
            return FaultKind.TIMEOUT
        return endpoint.wire.render(plan, call)

    def _plan(self, endpoint: Endpoint, model: str, at: datetime, prompt: str) -> Plan:
        model_id = f"{endpoint.provider}/{model}"
        rng = request_rng(self.scenario.seed, model_id, endpoint.region, at)
        return plan_request(self.scenario, model_id, endpoint.region, at, prompt, rng)


def _read_call(
    endpoint: Endpoint, request: http1.Request, at: datetime
) -> tuple[Call, str] | Reply:
    """What the request asks for and its prompt, or the provider's reply to a bad request."""
    wire = endpoint.wire
    call = Call(
        model=endpoint.model or "",
        stream=bool(endpoint.stream),
        request_id=uuid.uuid4().hex,
        created=int(at.timestamp()),
        json_array=endpoint.json_array,
    )
    if not endpoint.known or request.method != "POST":
        message = f"Not found: {request.method} {request.path}"
        return wire.error_reply(404, ROUTE_NOT_FOUND[endpoint.protocol], call, message)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return wire.invalid_request(call, "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return wire.invalid_request(call, "The request body must be a JSON object.")
    model = endpoint.model or body.get("model")
    if not isinstance(model, str) or not model:
        return wire.invalid_request(call, "model: Field required")
    prompt = wire.prompt_of(body)
    call = replace(
        call,
        model=model,
        stream=_streams(endpoint, body),
        prompt_tokens=tokens_in(prompt) + _PROMPT_OVERHEAD_TOKENS,
        include_usage=wire_openai.wants_usage(body),
    )
    return call, prompt


def _streams(endpoint: Endpoint, body: dict[str, object]) -> bool:
    return endpoint.stream if endpoint.stream is not None else body.get("stream") is True


async def _send(
    writer: asyncio.StreamWriter, reply: Reply, arrived: float, at: datetime, keep_alive: bool
) -> None:
    await _sleep_until(arrived + reply.due_s)
    if reply.body is not None:
        head = http1.response_head(
            reply.status, reply.headers, date=at, length=len(reply.body), keep_alive=keep_alive
        )
        writer.write(head + reply.body)
        await writer.drain()
        return
    head = http1.response_head(reply.status, reply.headers, date=at, keep_alive=keep_alive)
    writer.write(head)
    await writer.drain()
    for chunk in reply.chunks:
        await _sleep_until(arrived + chunk.due_s)
        if chunk.data:  # an empty chunk would end the body
            writer.write(http1.chunk(chunk.data))
            await writer.drain()
    if not reply.hold:
        writer.write(http1.LAST_CHUNK)
        await writer.drain()


async def _sleep_until(deadline: float) -> None:
    delay = deadline - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


async def _misbehave(
    kind: FaultKind, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, at: datetime
) -> None:
    if kind is FaultKind.RESET:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            # Linger 0: close() sends RST instead of FIN, as a crashed proxy does.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    elif kind is FaultKind.TIMEOUT:
        await _hold(reader)
    elif kind is FaultKind.ENDLESS_LINE:
        await _endless_line(writer, at)


async def _endless_line(writer: asyncio.StreamWriter, at: datetime) -> None:
    headers = (("content-type", "text/event-stream; charset=utf-8"),)
    writer.write(http1.response_head(200, headers, date=at, keep_alive=False))
    writer.write(http1.chunk(b"data: "))
    sent = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(HOLD_CAP_S):
            while sent < ENDLESS_CAP_BYTES:
                writer.write(http1.chunk(_ENDLESS_PIECE))
                await writer.drain()  # as fast as the client reads, no faster
                sent += len(_ENDLESS_PIECE)


async def _hold(reader: asyncio.StreamReader) -> None:
    """Say nothing until the client closes the connection (or the cap runs out)."""
    with contextlib.suppress(TimeoutError, ConnectionError):
        async with asyncio.timeout(HOLD_CAP_S):
            while await reader.read(4096):
                pass


async def _send_plain(
    writer: asyncio.StreamWriter, status: int, message: str, at: datetime
) -> None:
    body = json.dumps({"error": {"message": message}}).encode()
    headers = (("content-type", "application/json"),)
    head = http1.response_head(status, headers, date=at, length=len(body), keep_alive=False)
    writer.write(head + body)
    await writer.drain()


class SimulatorHandle:
    """A running simulated provider; `stop()` (or leaving the `with` block) shuts it down."""

    def __init__(self, host: str, port: int, thread: _ServerThread) -> None:
        self.host = host
        self.port = port
        self.base_url = f"http://{host}:{port}"
        self.scenario = thread.simulator.scenario
        self.clock = thread.simulator.clock  # move a FakeClock to move the scenario's time
        self._thread = thread

    def virtual_now(self) -> datetime:
        """The scenario's time as the server sees it now."""
        return self._thread.simulator.virtual_now()

    def stop(self) -> None:
        self._thread.stop()

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _ServerThread(threading.Thread):
    def __init__(self, simulator: _Simulator, host: str, port: int) -> None:
        super().__init__(name=f"simulator-{simulator.scenario.name}", daemon=True)
        self.simulator = simulator
        self.host = host
        self.port = port
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported to the starting thread, not lost
            self.error = error
            self.ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(
            self.simulator.serve, self.host, self.port, limit=http1.MAX_HEAD_BYTES
        )
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        await self._stopping.wait()
        server.close()
        for task in list(self.simulator.connections):
            task.cancel()
        await asyncio.gather(*self.simulator.connections, return_exceptions=True)
        await server.wait_closed()

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None and self.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already finished
                self._loop.call_soon_threadsafe(self._stopping.set)
        self.join(timeout=10)


def start_simulator(
    scenario: Scenario,
    host: str = "127.0.0.1",
    port: int = 0,
    speed: float = 1.0,
    clock: Clock | None = None,
) -> SimulatorHandle:
    """Serve `scenario` on host:port (0: any free port) from a background thread."""
    if speed <= 0:
        raise ValueError("speed must be greater than 0")
    _warn_vantage_faults(scenario)
    thread = _ServerThread(_Simulator(scenario, clock or SystemClock(), speed), host, port)
    thread.start()
    thread.ready.wait()
    if thread.error is not None:
        raise thread.error
    return SimulatorHandle(host, thread.port, thread)


def run_simulator_forever(
    scenario_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8787,
    speed: float = 1.0,
    base_dir: str | Path | None = None,
) -> None:
    """`aistatus simulate`: serve a scenario (file path or bundled name) until Ctrl-C."""
    scenario = load_scenario(scenario_path, base_dir)
    with start_simulator(scenario, host, port, speed) as handle:
        print(
            f"aistatus simulate: scenario {scenario.name!r} at {handle.base_url} "
            f"(speed {speed:g}x); Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


def _warn_vantage_faults(scenario: Scenario) -> None:
    kinds = sorted({f.kind.value for f in scenario.faults if f.kind in _CLOSE_KINDS})
    if kinds:
        log.warning(
            "scenario %r has %s faults: they happen on the prober's side of the network, so "
            "the simulated provider only closes the connection; replay reproduces them",
            scenario.name,
            " and ".join(kinds),
        )
