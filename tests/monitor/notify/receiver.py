"""A real HTTP receiver on loopback that records every webhook it gets.

Paths choose its behaviour: `/ok` answers 204, `/fail` 500 with `Retry-After: 120`,
`/busy` `busy_status` (429) with `Retry-After: busy_retry_after` (both set by the test),
`/gone` 410, `/forbidden` 403, `/hang` holds the request until the test ends (released
on close), `/trickle` answers 200 at once and then sends its body a byte at a time until
then, `/_matrix/...` is a Matrix homeserver rate-limiting every request: 429 with
`retry_after_ms` = `matrix_wait_ms` in its JSON body, as Synapse does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.release = threading.Event()
        self.arrived = threading.Condition()
        self.busy_status = 429
        self.busy_retry_after = "120"
        self.matrix_wait_ms = 600_000
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                path = self.path.split("?")[0]
                with receiver.arrived:
                    receiver.received.append(Received(path, dict(self.headers.items()), body))
                    receiver.arrived.notify_all()
                if path.startswith("/hang"):
                    receiver.release.wait(30)
                    return
                if path.startswith("/trickle"):
                    # Headers at once, then a byte now and then: no read ever times out.
                    self.send_response(200)
                    self.send_header("Content-Length", "1000000")
                    self.end_headers()
                    while not receiver.release.wait(0.05):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                    return
                if path.startswith("/busy"):
                    self.send_response(receiver.busy_status)
                    self.send_header("Retry-After", receiver.busy_retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if path.startswith("/_matrix"):
                    said = json.dumps(
                        {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": receiver.matrix_wait_ms}
                    ).encode()
                    self.send_response(429)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(said)))
                    self.end_headers()
                    self.wfile.write(said)
                    return
                code = {"/fail": 500, "/gone": 410, "/forbidden": 403}.get(
                    path.rstrip("0123456789"), 204
                )
                self.send_response(code)
                if code == 500:
                    self.send_header("Retry-After", "120")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128  # listen()'s backlog: at 5 a burst waits 1 s for a SYN retry

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def when(
        self,
        arrived: Callable[[list[Received]], bool],
        then: Callable[[], None],
        timeout_s: float = 60.0,
    ) -> threading.Thread:
        """In a thread: once what has arrived satisfies `arrived`, call `then`."""

        def watch() -> None:
            with self.arrived:
                if self.arrived.wait_for(lambda: arrived(self.received), timeout_s):
                    then()

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
