"""The wire client: how a failed connection is described."""

import asyncio
import socket
from contextlib import closing
from typing import Any

from monitor.config import ProbeSettings
from monitor.probing.client import ConnectError, describe_failure, endpoint, make_client
from monitor.results import Outcome


class TwoAddressLoop(asyncio.SelectorEventLoop):
    """A resolver that, like many machines' for "localhost", gives a name two addresses."""

    async def getaddrinfo(self, host: Any, port: Any, **kwargs: Any) -> list[Any]:
        stream = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "")
        return [(*stream, ("127.0.0.1", port)), (*stream, ("127.0.0.2", port))]


def test_a_name_refused_on_every_address_is_described_as_refused():
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening; 127.0.0.2 has nothing there

        async def connect() -> ConnectError:
            try:
                async with make_client(ProbeSettings()) as client:
                    await client.exchange(endpoint(f"http://refuse.test:{port}/"), b"", None)  # type: ignore[arg-type]
            except ConnectError as error:
                return error
            raise AssertionError("connected to a port nothing listens on")

        loop = TwoAddressLoop()
        try:
            error = loop.run_until_complete(connect())
        finally:
            loop.close()
    assert "Multiple exceptions" in str(error)  # both addresses were tried
    assert describe_failure(error) == (Outcome.RESET, None, "connection_refused")
