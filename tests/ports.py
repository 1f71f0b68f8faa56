"""A free TCP port on loopback, for the servers tests start as child processes."""

import socket


def free_port() -> int:
    """A port nothing listens on now (the OS picked it; a child process binds it next)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        return int(holder.getsockname()[1])
