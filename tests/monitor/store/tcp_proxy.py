"""A loopback TCP proxy whose `stop()` is a database outage and `start()` its recovery.

Stopping closes the listening socket and cuts every live connection, as a
database restart does; starting listens again on the same port.
"""

import contextlib
import socket
import threading

_ACCEPT_POLL_S = 0.05  # how often the accept loop notices it should stop


class TcpProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self._upstream = (upstream_host, upstream_port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread
        self._threads: list[threading.Thread] = []
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        listener.settimeout(_ACCEPT_POLL_S)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        self._acceptor.start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        listener.close()
        self._acceptor.join(timeout=5)  # no new connection can arrive after this
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            _cut(connection)
        threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout=5)
            assert not thread.is_alive(), "proxy thread did not stop"

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self._upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections |= {client, upstream}
            self._spawn(_pump, client, upstream)
            self._spawn(_pump, upstream, client)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def __enter__(self) -> "TcpProxy":
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _cut(source)
        _cut(sink)


def _cut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()
