"""A real SMTP server (aiosmtpd) on loopback that keeps every mail it accepts.

Recipients whose address starts with `gone` are refused with 550, as a mail
server does for a mailbox that no longer exists."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []
        self.peers: list[tuple[str, int]] = []  # the client's end of each mail's connection

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("gone"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        self.peers.append(tuple(session.peer[:2]))
        return "250 OK"


class SmtpSink:
    def __init__(self) -> None:
        self.handler = _Handler()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.running = True

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.handler.mails if address in rcpt]

    def close(self) -> None:
        if self.running:
            self.running = False
            self.controller.stop()
