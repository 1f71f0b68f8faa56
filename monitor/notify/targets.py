"""Where a webhook may point: not at our own network, unless the operator allows it.

A URL whose host is, or resolves to, a loopback, private, link-local, multicast,
reserved or unspecified address is refused (a subscriber must not make the
worker probe the operator's network), and so is any scheme but https. With
`[notifications] allow_private_targets = true` (a lab, the tests) both are allowed.
The check runs when subscribing and again before every POST, as DNS may change.
A POST goes to the address that was checked (`pin`): the URL names the IP, the
`Host` header and TLS (SNI and certificate check) the name, so a name that
resolves to a public address for the check and to a private one for the
connection (DNS rebinding) reaches nothing private.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

Resolve = Callable[..., list[tuple[Any, ...]]]  # socket.getaddrinfo's shape


@dataclass(frozen=True, slots=True)
class Pinned:
    """Where a POST goes: `url` with the checked address in place of the name."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)  # Host, when pinned
    extensions: dict[str, Any] = field(default_factory=dict)  # httpx's sni_hostname


def unsafe_target(
    url: str, *, allow_private: bool, resolve: Resolve = socket.getaddrinfo
) -> str | None:
    """Why `url` may not receive webhooks; None when it may."""
    found = pin(url, allow_private=allow_private, resolve=resolve)
    return found if isinstance(found, str) else None


def pin(url: str, *, allow_private: bool, resolve: Resolve = socket.getaddrinfo) -> Pinned | str:
    """Where to send a webhook for `url`, pinned to the address checked; or why not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "not an http(s) URL"
    if parts.username or parts.password:
        return "a webhook URL carries no credentials"
    if allow_private:
        return Pinned(url)
    if parts.scheme != "https":
        return "webhooks go to https URLs only"
    try:
        addresses = [
            info[4][0] for info in resolve(parts.hostname, port or 443, proto=socket.IPPROTO_TCP)
        ]
    except (OSError, UnicodeError):
        return "the host does not resolve"
    if not addresses:
        return "the host does not resolve"
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            return "the host is a loopback, private or link-local address"
    first = ipaddress.ip_address(addresses[0].split("%", 1)[0])
    host = f"[{first}]" if first.version == 6 else str(first)
    netloc = f"{host}:{port}" if port else host
    name = parts.hostname
    return Pinned(
        urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
        {"Host": parts.netloc},
        {"sni_hostname": name},
    )
